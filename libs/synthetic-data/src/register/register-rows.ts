import { formatBookValues } from '../book/formatting';
import { outdatedAddress, outsideContact } from '../book/outside-values';
import { censusNames } from '../data/census-names';
import { type DirectoryPerson, directoryIndex } from '../directory/directory-person';
import { householdOf, livesWithOthers, registerDirectoryPerson } from '../directory/households';
import { type ContactValues, emptyContactValues, REGISTER_FIELDS, type RegisterField, registerCells } from '../fields';
import type { RegisterRowKind } from '../options';
import { Random } from '../random/random';
import { stripAccents } from '../text/accents';
import { expectedFieldStatuses } from '../truth/field-status';
import { normalizeFieldValue } from '../truth/normalize';
import type { RowTruth } from '../truth/row-truth';
import { drawPersonName } from '../values/names';
import { oneDigitDateError, swapDayAndMonth } from './birth-date-errors';
import { type FieldStates, isSufficient, pointsTo } from './evidence';
import { keyboardTypo } from './keyboard';
import { ocrTypo } from './ocr';
import { phoneticSpelling } from './phonetic';
import type { RegisterContext } from './register-context';

/** One row of a register book and its ground truth. */
export interface RegisterRow {
  /** Values in REGISTER_HEADER order. */
  cells: string[];
  truth: RowTruth;
}

const REGISTER_STREAM = 12;
/** People drawn for a kind before giving up on it (a date swap needs day and month both 12 or less, ...). */
const PERSON_ATTEMPTS = 40;
/** Draws to find somebody in a household (about one person in five) or with a twin (about one in twenty). */
const HOUSEHOLD_ATTEMPTS = 400;
const TWIN_ATTEMPTS = 2_000;
/** Draws to find a first name or a surname in the table of sound-alike spellings. */
const PHONETIC_ATTEMPTS = 200;
const MODIFICATION_ATTEMPTS = 6;
/** As FEBRL does: at most three modifications in a record (formatting aside). */
const MAX_MODIFICATIONS = 3;

type NameField = 'first_name' | 'last_name';
const NAME_FIELDS: readonly NameField[] = ['first_name', 'last_name'];
const TYPO_FIELDS = new Map<RegisterField, number>([
  ['first_name', 3],
  ['last_name', 3],
  ['street', 2.5],
  ['city', 1.5],
]);

/** A row of a person in the directory, before formatting: values keyed by the person's field they stand for. */
interface Draft {
  kind: RegisterRowKind;
  person: DirectoryPerson;
  values: Record<RegisterField, string>;
  states: FieldStates;
  /** The first name is written in the last-name column and the reverse. */
  swapped: boolean;
  /** Fields a modification already changed: no field is changed twice. */
  touched: Set<RegisterField>;
  modifications: number;
  variations: string[];
}

function draftOf(kind: RegisterRowKind, person: DirectoryPerson): Draft {
  const values = {} as Record<RegisterField, string>;
  const states = {} as FieldStates;
  for (const field of REGISTER_FIELDS) {
    values[field] = person[field];
    states[field] = person[field] === '' ? 'missing' : 'exact';
  }
  return { kind, person, values, states, swapped: false, touched: new Set(), modifications: 0, variations: [] };
}

function copyDraft(draft: Draft): Draft {
  return {
    ...draft,
    values: { ...draft.values },
    states: { ...draft.states },
    touched: new Set(draft.touched),
    variations: [...draft.variations],
  };
}

function differs(field: RegisterField, left: string, right: string): boolean {
  return normalizeFieldValue(field, left) !== normalizeFieldValue(field, right);
}

/** One change to a draft; false when it does not apply (nothing to change, or no change found). */
interface Modification {
  fields: readonly RegisterField[];
  apply: (random: Random, draft: Draft) => boolean;
}

function setNear(draft: Draft, field: RegisterField, value: string, variation: string): boolean {
  if (!differs(field, value, draft.values[field])) {
    return false;
  }
  draft.values[field] = value;
  draft.states[field] = 'near';
  draft.variations.push(variation);
  return true;
}

const keyboard = (field: RegisterField): Modification => ({
  fields: [field],
  apply: (random, draft) => {
    const typo = keyboardTypo(random, draft.values[field]);
    return typo !== undefined && setNear(draft, field, typo.text, `keyboard:${field}:${typo.change}`);
  },
});

const ocr = (field: RegisterField): Modification => ({
  fields: [field],
  apply: (random, draft) => {
    const typo = ocrTypo(random, draft.values[field]);
    return typo !== undefined && setNear(draft, field, typo.text, `ocr:${field}:${typo.change}`);
  },
});

const phonetic = (field: NameField): Modification => ({
  fields: [field],
  apply: (random, draft) => {
    const spelling = phoneticSpelling(random, field, draft.values[field]);
    return spelling !== undefined && setNear(draft, field, spelling, `phonetic:${field}:${draft.values[field]}->${spelling}`);
  },
});

const drop = (field: RegisterField): Modification => ({
  fields: [field],
  apply: (_random, draft) => {
    if (draft.values[field] === '') {
      return false;
    }
    draft.values[field] = '';
    draft.states[field] = 'missing';
    draft.variations.push(`missing:${field}`);
    return true;
  },
});

const dateDigit: Modification = {
  fields: ['birth_date'],
  apply: (random, draft) => {
    const error = oneDigitDateError(random, draft.values.birth_date);
    return error !== undefined && setNear(draft, 'birth_date', error.date, `birth_date:digit:${error.part}`);
  },
};

const dateSwap: Modification = {
  fields: ['birth_date'],
  apply: (_random, draft) => {
    const swapped = swapDayAndMonth(draft.values.birth_date);
    return swapped !== undefined && setNear(draft, 'birth_date', swapped, 'birth_date:day_month_swapped');
  },
};

const swapNames: Modification = {
  fields: NAME_FIELDS,
  apply: (_random, draft) => {
    const { first_name: first, last_name: last } = draft.values;
    if (first === '' || last === '' || !differs('first_name', first, last)) {
      return false;
    }
    draft.swapped = true;
    draft.variations.push('swapped_names');
    return true;
  },
};

const formerSurname: Modification = {
  fields: ['last_name'],
  apply: (random, draft) => {
    const current = stripAccents(draft.values.last_name).toUpperCase();
    for (let attempt = 0; attempt < 20; attempt++) {
      const former = censusNames().surnames.sample(random);
      if (former.name !== current && !current.includes(former.name)) {
        draft.values.last_name = former.display;
        draft.states.last_name = 'changed';
        draft.variations.push('former_surname');
        return true;
      }
    }
    return false;
  },
};

const moved: Modification = {
  fields: ['street', 'city', 'state', 'postcode'],
  apply: (random, draft) => {
    const old = outdatedAddress(random, draft.person);
    for (const field of ['street', 'city', 'state', 'postcode'] as const) {
      draft.values[field] = old[field];
      draft.states[field] = differs(field, old[field], draft.person[field]) ? 'changed' : 'exact';
    }
    draft.variations.push('moved');
    return true;
  },
};

/**
 * Applies a modification when it touches no field changed before and the row still identifies its person; leaves
 * the draft as it was otherwise.
 */
function tryModify(random: Random, draft: Draft, modification: Modification): boolean {
  if (modification.fields.some((field) => draft.touched.has(field))) {
    return false;
  }
  const before = copyDraft(draft);
  if (modification.apply(random, draft) && isSufficient(draft.states)) {
    for (const field of modification.fields) {
      draft.touched.add(field);
    }
    draft.modifications++;
    return true;
  }
  Object.assign(draft, before);
  return false;
}

function weightedField(random: Random, weights: ReadonlyMap<RegisterField, number>): RegisterField {
  const total = [...weights.values()].reduce((sum, weight) => sum + weight, 0);
  let roll = random.next() * total;
  for (const [field, weight] of weights) {
    roll -= weight;
    if (roll < 0) {
      return field;
    }
  }
  return 'first_name';
}

/** Typos of one kind: in a field drawn by weight, else in any field where one applies. */
function typoModification(random: Random, draft: Draft, make: (field: RegisterField) => Modification): boolean {
  const first = weightedField(random, TYPO_FIELDS);
  const others = [...TYPO_FIELDS.keys()].filter((field) => field !== first);
  return [first, ...others].some((field) => tryModify(random, draft, make(field)));
}

// The corruptions a row may carry on top of its kind (FEBRL-style: up to three modifications in all), by weight.
const SECONDARY_MODIFICATIONS: readonly (readonly [Modification, number])[] = [
  ...[...TYPO_FIELDS].flatMap(([field, weight]) => [[keyboard(field), weight] as const, [ocr(field), weight / 2] as const]),
  [phonetic('first_name'), 2],
  [phonetic('last_name'), 2],
  [drop('street'), 2],
  [drop('city'), 1],
  [drop('state'), 1],
  [drop('postcode'), 2],
  [drop('birth_date'), 2],
  [drop('first_name'), 0.5],
  [drop('last_name'), 0.5],
  [dateDigit, 2],
  [dateSwap, 1],
  [swapNames, 1],
];
const SECONDARY_TOTAL = SECONDARY_MODIFICATIONS.reduce((sum, [, weight]) => sum + weight, 0);

function drawSecondary(random: Random): Modification {
  let roll = random.next() * SECONDARY_TOTAL;
  for (const [modification, weight] of SECONDARY_MODIFICATIONS) {
    roll -= weight;
    if (roll < 0) {
      return modification;
    }
  }
  return swapNames;
}

/**
 * No more corruption (55%), one (33%) or two (12%), up to three modifications in all, each kept only where it still
 * leaves the person identifiable.
 */
function addSecondaries(random: Random, draft: Draft): void {
  const roll = random.next();
  const count = Math.min(roll < 0.55 ? 0 : roll < 0.88 ? 1 : 2, MAX_MODIFICATIONS - draft.modifications);
  for (let added = 0; added < count; added++) {
    for (let attempt = 0; attempt < MODIFICATION_ATTEMPTS; attempt++) {
      if (tryModify(random, draft, drawSecondary(random))) {
        break;
      }
    }
  }
}

function drawIndex(context: RegisterContext, random: Random): number {
  return random.int(context.directorySize);
}

/** A person whose row `build` can make (each build sees a fresh draft), or undefined after `attempts` people. */
function withPerson(
  context: RegisterContext,
  random: Random,
  attempts: number,
  build: (person: DirectoryPerson, index: number) => Draft | undefined,
  accept: (index: number) => boolean = () => true,
): Draft | undefined {
  for (let attempt = 0; attempt < attempts; attempt++) {
    const index = drawIndex(context, random);
    if (!accept(index)) {
      continue;
    }
    const draft = build(registerDirectoryPerson(context.seed, index), index);
    if (draft !== undefined) {
      return draft;
    }
  }
  return undefined;
}

function sufficientOrUndefined(draft: Draft): Draft | undefined {
  return isSufficient(draft.states) ? draft : undefined;
}

function withModification(random: Random, draft: Draft, modification: Modification, secondaries = true): Draft | undefined {
  if (!tryModify(random, draft, modification)) {
    return undefined;
  }
  if (secondaries) {
    addSecondaries(random, draft);
  }
  return draft;
}

function householdMates(context: RegisterContext, index: number): DirectoryPerson[] {
  if (!livesWithOthers(context.seed, index, context.directorySize)) {
    return [];
  }
  const people = householdOf(context.seed, index, context.directorySize);
  return people.filter((person) => directoryIndex(person.id) !== index);
}

function twinsOf(context: RegisterContext, index: number, person: DirectoryPerson): DirectoryPerson[] {
  return person.birth_date === '' ? [] : householdMates(context, index).filter((mate) => mate.birth_date === person.birth_date);
}

type DraftMaker = (context: RegisterContext, random: Random) => Draft | undefined;

const MATCHED_MAKERS: Record<Exclude<RegisterRowKind, 'stranger' | 'lookalike' | 'invalid'>, DraftMaker> = {
  current: (context, random) => withPerson(context, random, PERSON_ATTEMPTS, (person) => sufficientOrUndefined(draftOf('current', person))),
  keyboard_typo: (context, random) =>
    withPerson(context, random, PERSON_ATTEMPTS, (person) => {
      const draft = draftOf('keyboard_typo', person);
      if (!isSufficient(draft.states) || !typoModification(random, draft, keyboard)) return undefined;
      addSecondaries(random, draft);
      return draft;
    }),
  ocr_typo: (context, random) =>
    withPerson(context, random, PERSON_ATTEMPTS, (person) => {
      const draft = draftOf('ocr_typo', person);
      if (!isSufficient(draft.states) || !typoModification(random, draft, ocr)) return undefined;
      addSecondaries(random, draft);
      return draft;
    }),
  phonetic: (context, random) =>
    withPerson(context, random, PHONETIC_ATTEMPTS, (person) => {
      const draft = draftOf('phonetic', person);
      const fields: readonly NameField[] = random.chance(0.5) ? ['first_name', 'last_name'] : ['last_name', 'first_name'];
      if (!isSufficient(draft.states) || !fields.some((field) => tryModify(random, draft, phonetic(field)))) return undefined;
      addSecondaries(random, draft);
      return draft;
    }),
  missing: (context, random) =>
    withPerson(context, random, PERSON_ATTEMPTS, (person) => {
      for (let attempt = 0; attempt < MODIFICATION_ATTEMPTS; attempt++) {
        const draft = draftOf('missing', person);
        if (!isSufficient(draft.states)) return undefined;
        let fields: RegisterField[];
        if (random.chance(0.25)) {
          fields = [random.pick(NAME_FIELDS)];
        } else {
          const present = (['street', 'city', 'state', 'postcode', 'birth_date'] as const).filter((field) => draft.values[field] !== '');
          const count = Math.min(present.length, random.between(1, 2));
          fields = [];
          while (fields.length < count) {
            const field = random.pick(present);
            if (!fields.includes(field)) fields.push(field);
          }
        }
        if (fields.length > 0 && fields.every((field) => tryModify(random, draft, drop(field)))) {
          addSecondaries(random, draft);
          return draft;
        }
      }
      return undefined;
    }),
  swapped_names: (context, random) =>
    withPerson(context, random, PERSON_ATTEMPTS, (person) => withModification(random, draftOf('swapped_names', person), swapNames)),
  date_digit: (context, random) =>
    withPerson(context, random, PERSON_ATTEMPTS, (person) => withModification(random, draftOf('date_digit', person), dateDigit)),
  date_swap: (context, random) =>
    withPerson(context, random, PERSON_ATTEMPTS * 4, (person) => withModification(random, draftOf('date_swap', person), dateSwap)),
  household: (context, random) =>
    withPerson(
      context,
      random,
      HOUSEHOLD_ATTEMPTS,
      (person, index) => {
        const draft = draftOf('household', person);
        // Twins have their own kind.
        if (!isSufficient(draft.states) || twinsOf(context, index, person).length > 0) return undefined;
        draft.variations.push(
          `lives_with:${householdMates(context, index)
            .map((mate) => mate.id)
            .join('+')}`,
        );
        if (random.chance(0.3)) {
          tryModify(random, draft, drop('first_name'));
        }
        addSecondaries(random, draft);
        return draft;
      },
      (index) => livesWithOthers(context.seed, index, context.directorySize),
    ),
  twin: (context, random) =>
    withPerson(
      context,
      random,
      TWIN_ATTEMPTS,
      (person, index) => {
        const twins = twinsOf(context, index, person);
        const draft = draftOf('twin', person);
        if (twins.length === 0 || !isSufficient(draft.states)) return undefined;
        draft.variations.push(`twin_of:${twins.map((twin) => twin.id).join('+')}`);
        if (random.chance(0.4)) {
          tryModify(random, draft, drop('first_name'));
        }
        addSecondaries(random, draft);
        return draft;
      },
      (index) => livesWithOthers(context.seed, index, context.directorySize),
    ),
  surname_change: (context, random) =>
    withPerson(context, random, PERSON_ATTEMPTS, (person) => withModification(random, draftOf('surname_change', person), formerSurname, false)),
  moved: (context, random) => withPerson(context, random, PERSON_ATTEMPTS, (person) => withModification(random, draftOf('moved', person), moved)),
};

/** A row the generator writes as is (strangers, look-alikes, invalid rows): values and what is known about them. */
interface OutsideRow {
  kind: RegisterRowKind;
  values: ContactValues;
  variations: string[];
  format: boolean;
}

function registerValuesOf(values: ContactValues): ContactValues {
  const kept = emptyContactValues();
  for (const field of REGISTER_FIELDS) {
    kept[field] = values[field];
  }
  return kept;
}

function strangerRow(context: RegisterContext, random: Random): OutsideRow {
  const values = registerValuesOf(outsideContact(random, context.phones, drawPersonName(random)));
  return { kind: 'stranger', values, variations: [], format: true };
}

/** A directory person's exact name with another birth date and address (and no e-mail or phone to tell). */
function lookalikeRow(context: RegisterContext, random: Random): OutsideRow {
  const person = registerDirectoryPerson(context.seed, drawIndex(context, random));
  const values = registerValuesOf(outsideContact(random, context.phones, { first: person.first_name, last: person.last_name }, person));
  return { kind: 'lookalike', values, variations: [`lookalike_of:${person.id}`], format: true };
}

export const REGISTER_INVALID_REASONS = ['name_only', 'single_name', 'empty_row', 'no_name'] as const;

/** Nothing to match on besides a name, or not even a name. */
function invalidRow(context: RegisterContext, random: Random): OutsideRow {
  const reason = random.pick(REGISTER_INVALID_REASONS);
  const name = drawPersonName(random);
  const values = emptyContactValues();
  switch (reason) {
    case 'name_only':
      Object.assign(values, { first_name: name.first, last_name: name.last });
      break;
    case 'single_name':
      values[random.pick(NAME_FIELDS)] = random.chance(0.5) ? name.first : name.last;
      break;
    case 'empty_row':
      break;
    case 'no_name': {
      const { street, city, state, postcode } = outsideContact(random, context.phones, name);
      Object.assign(values, { street, city, state, postcode });
      break;
    }
  }
  return { kind: 'invalid', values, variations: [`invalid:${reason}`], format: false };
}

function fallbackDraft(context: RegisterContext, random: Random, kind: RegisterRowKind): Draft {
  const draft = MATCHED_MAKERS.current(context, random) ?? draftOf('current', registerDirectoryPerson(context.seed, drawIndex(context, random)));
  draft.variations.push(`fallback_from:${kind}`);
  return draft;
}

function bookValuesOf(draft: Draft): ContactValues {
  const values = emptyContactValues();
  for (const field of REGISTER_FIELDS) {
    values[field] = draft.values[field];
  }
  if (draft.swapped) {
    values.first_name = draft.values.last_name;
    values.last_name = draft.values.first_name;
  }
  return values;
}

function finish(rowIndex: number, kind: RegisterRowKind, book: ContactValues, match: DirectoryPerson | undefined, variations: string[]): RegisterRow {
  const truth: RowTruth = {
    row: rowIndex + 1,
    kind,
    personId: match?.id ?? '',
    expectedStatus: match !== undefined ? 'matched' : kind === 'invalid' ? 'invalid' : 'unmatched',
    variations,
    fieldStatuses: expectedFieldStatuses(book, match),
  };
  return { cells: registerCells(book), truth };
}

/**
 * The row of a person in the directory: matched to them, unless it cannot tell them from somebody they live with
 * (a twin without a first name, ...) or, in a tiny directory where nobody fits the kind, holds too little.
 */
function finishDraft(context: RegisterContext, random: Random, rowIndex: number, draft: Draft): RegisterRow {
  const { person } = draft;
  const variations = [...draft.variations];
  const index = directoryIndex(person.id) ?? 0;
  const confusable = householdMates(context, index).filter((mate) => !pointsTo(draft.values, person, mate, REGISTER_FIELDS));
  let match: DirectoryPerson | undefined = person;
  if (confusable.length > 0) {
    variations.push(`row_of:${person.id}`, `indistinguishable_from:${confusable.map((mate) => mate.id).join('+')}`);
    match = undefined;
  } else if (!isSufficient(draft.states)) {
    variations.push(`row_of:${person.id}`, 'insufficient_evidence');
    match = undefined;
  }
  const { formatted, variations: formatting } = formatBookValues(random, bookValuesOf(draft));
  return finish(rowIndex, draft.kind, formatted, match, [...variations, ...formatting]);
}

/** Register row `rowIndex` (0-based), computed from the seed and the index alone. */
export function generateRegisterRow(context: RegisterContext, rowIndex: number): RegisterRow {
  const random = new Random(context.seed, REGISTER_STREAM, rowIndex);
  const kind = context.kinds.sample(random);
  if (kind === 'stranger' || kind === 'lookalike' || kind === 'invalid') {
    const row =
      kind === 'stranger' ? strangerRow(context, random) : kind === 'lookalike' ? lookalikeRow(context, random) : invalidRow(context, random);
    if (!row.format) {
      return finish(rowIndex, row.kind, row.values, undefined, row.variations);
    }
    const { formatted, variations } = formatBookValues(random, row.values);
    return finish(rowIndex, row.kind, formatted, undefined, [...row.variations, ...variations]);
  }
  const draft = MATCHED_MAKERS[kind](context, random) ?? fallbackDraft(context, random, kind);
  return finishDraft(context, random, rowIndex, draft);
}
