import type { DirectoryPerson } from '../directory/directory-person';
import type { RegisterField } from '../fields';
import { normalizeFieldValue } from '../truth/normalize';
import { swapDayAndMonth } from './birth-date-errors';
import { soundAlike } from './phonetic';

// What a perfect system can still tell from a register row: whether enough of the person survives the corruptions
// to match at all, and whether the row tells the person apart from the people they live with.

/**
 * How a field of the row relates to the person's value: `exact` (up to formatting), `near` (one typo, an OCR
 * misreading, another spelling of the sound, a one-digit or day/month date error), `missing` (empty in the row or in
 * the directory), `changed` (another value altogether: a former surname, an old address).
 */
export type FieldState = 'exact' | 'near' | 'missing' | 'changed';

export type FieldStates = Record<RegisterField, FieldState>;

function nameScore(state: FieldState): number {
  return state === 'exact' ? 2 : state === 'near' ? 1 : 0;
}

const usable = (state: FieldState): boolean => state === 'exact' || state === 'near';

/** The street with the city or the postcode, at most one of street and city misspelt unless the postcode is exact. */
function addressIdentifies(states: FieldStates): boolean {
  const place = usable(states.city) || states.postcode === 'exact';
  const twoTypos = states.street === 'near' && states.city === 'near' && states.postcode !== 'exact';
  return usable(states.street) && place && !twoTypos;
}

/**
 * Whether a row is enough to match its person, the generator's rule for "a perfect system matches this":
 * - both names (at most one of them near) and an exact birth date or an identifying address; or
 * - one name only (the other missing or a former surname), or both near: an exact birth date and an identifying
 *   address.
 * A one-digit birth date error with the name alone, or a name with a city, is not enough.
 */
export function isSufficient(states: FieldStates): boolean {
  const name = nameScore(states.first_name) + nameScore(states.last_name);
  const birthDate = states.birth_date === 'exact';
  const address = addressIdentifies(states);
  if (name >= 3) {
    return birthDate || address;
  }
  return name === 2 && birthDate && address;
}

function levenshtein(left: string, right: string): number {
  let previous = Array.from({ length: right.length + 1 }, (_, j) => j);
  for (let i = 1; i <= left.length; i++) {
    const current = [i];
    for (let j = 1; j <= right.length; j++) {
      const cost = left[i - 1] === right[j - 1] ? 0 : 1;
      current[j] = Math.min((previous[j] ?? 0) + 1, (current[j - 1] ?? 0) + 1, (previous[j - 1] ?? 0) + cost);
    }
    previous = current;
  }
  return previous[right.length] ?? 0;
}

function dateDistance(book: string, target: string): number {
  if (book === target) {
    return 0;
  }
  if (swapDayAndMonth(book) === target) {
    return 1;
  }
  let differing = 0;
  for (let position = 0; position < Math.max(book.length, target.length); position++) {
    if (book[position] !== target[position]) {
      differing++;
    }
  }
  return differing;
}

/** How far a row's value is from a person's: 0 the same, larger further; a person without the value is furthest. */
export function valueDistance(field: RegisterField, book: string, target: string): number {
  if (target === '') {
    return Number.POSITIVE_INFINITY;
  }
  const left = normalizeFieldValue(field, book);
  const right = normalizeFieldValue(field, target);
  if (left === right) {
    return 0;
  }
  if (field === 'birth_date') {
    return dateDistance(left, right);
  }
  if ((field === 'first_name' || field === 'last_name') && soundAlike(field, left, right)) {
    return 1;
  }
  return levenshtein(left, right);
}

/**
 * Whether the row's values (keyed by the person's field they stand for, before any swap of the names) point to
 * `person` rather than to `other`: some field closer to the person, none closer to the other. A twin's row without
 * a first name, or one whose typo makes the first name the sibling's, does not.
 */
export function pointsTo(
  values: Record<RegisterField, string>,
  person: DirectoryPerson,
  other: DirectoryPerson,
  fields: readonly RegisterField[],
): boolean {
  let forPerson = 0;
  let forOther = 0;
  for (const field of fields) {
    const value = values[field];
    if (value === '') {
      continue;
    }
    const toPerson = valueDistance(field, value, person[field]);
    const toOther = valueDistance(field, value, other[field]);
    if (toPerson < toOther) {
      forPerson++;
    } else if (toOther < toPerson) {
      forOther++;
    }
  }
  return forPerson > 0 && forOther === 0;
}
