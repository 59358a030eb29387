import { type DirectoryPerson, directoryPerson } from '../directory/directory-person';
import { CONTACT_FIELDS, type ContactField, contactValuesOf } from '../fields';
import type { Random } from '../random/random';
import { companyDomain } from '../reference/companies';
import type { BookContext } from './book-context';
import type { DraftRow } from './draft-row';
import { outdatedAddress, outdatedEmail, outdatedJob } from './outside-values';

export function drawDirectoryPerson(context: BookContext, random: Random): DirectoryPerson {
  return directoryPerson(context.seed, random.int(context.directorySize));
}

export function matchedDraft(kind: DraftRow['kind'], person: DirectoryPerson, variations: string[] = []): DraftRow {
  return { kind, match: person, values: contactValuesOf(person), variations, applyFormatting: true };
}

/** The book agrees with the directory (up to formatting). */
export function currentRow(context: BookContext, random: Random): DraftRow {
  return matchedDraft('current', drawDirectoryPerson(context, random));
}

const STALE_GROUPS = ['email', 'phone', 'job', 'address'] as const;
type StaleGroup = (typeof STALE_GROUPS)[number];

function groupHasValue(person: DirectoryPerson, group: StaleGroup): boolean {
  switch (group) {
    case 'email':
      return person.email !== '';
    case 'phone':
      return person.phone !== '';
    case 'job':
      return person.company !== '';
    case 'address':
      return person.street !== '';
  }
}

/**
 * Which groups to make outdated, leaving at least one stable field that still ties the row to the person:
 * the birth date, or a group that has a value and stays unchanged.
 */
function chooseStaleGroups(random: Random, person: DirectoryPerson): StaleGroup[] {
  let chosen = STALE_GROUPS.filter(() => random.chance(0.5));
  if (chosen.length === 0) {
    chosen = [random.pick(STALE_GROUPS)];
  }
  // A book from before the job change cannot hold the address at the new employer.
  const worksWhereMailed = person.company !== '' && person.email.endsWith(`@${companyDomain(person.company) ?? ''}`);
  if (chosen.includes('job') && !chosen.includes('email') && worksWhereMailed) {
    chosen = STALE_GROUPS.filter((group) => group === 'email' || chosen.includes(group));
  }
  const corroborated = (): boolean =>
    person.birth_date !== '' || STALE_GROUPS.some((group) => !chosen.includes(group) && groupHasValue(person, group));
  while (!corroborated()) {
    const withValue = chosen.filter((group) => groupHasValue(person, group));
    if (withValue.length === 0) {
      break;
    }
    const kept = random.pick(withValue);
    const keptTogether: readonly StaleGroup[] = worksWhereMailed && (kept === 'job' || kept === 'email') ? ['job', 'email'] : [kept];
    chosen = chosen.filter((group) => !keptTogether.includes(group));
  }
  if (chosen.length === 0) {
    // Nothing with a value can change without losing the last corroborating field: give the book an
    // old value where the directory has none instead.
    const withoutValue = STALE_GROUPS.filter((group) => !groupHasValue(person, group));
    chosen = [withoutValue.length > 0 ? random.pick(withoutValue) : 'email'];
  }
  return chosen;
}

/** The book is out of date: some of e-mail, phone, company + title, address hold older values. */
export function staleRow(context: BookContext, random: Random): DraftRow {
  const person = drawDirectoryPerson(context, random);
  const draft = matchedDraft('stale', person);
  for (const group of chooseStaleGroups(random, person)) {
    draft.variations.push(`stale:${group}`);
    switch (group) {
      case 'email':
        draft.values.email = outdatedEmail(random, person);
        break;
      case 'phone':
        draft.values.phone = context.phones.outsidePhone(random);
        break;
      case 'job':
        Object.assign(draft.values, outdatedJob(random, person));
        break;
      case 'address':
        Object.assign(draft.values, outdatedAddress(random, person));
        break;
    }
  }
  return draft;
}

const NAME_FIELDS: readonly ContactField[] = ['first_name', 'last_name'];
const STRONG_FIELDS: readonly ContactField[] = ['email', 'phone', 'street', 'birth_date'];

function shuffled<T>(random: Random, items: readonly T[]): T[] {
  const copy = [...items];
  for (let position = copy.length - 1; position > 0; position--) {
    const other = random.int(position + 1);
    [copy[position], copy[other]] = [copy[other] as T, copy[position] as T];
  }
  return copy;
}

/**
 * Some fields missing, yet still the name and at least two other fields (country not counted), one of them
 * an identifying one (e-mail, phone, street, birth date) whenever the person has any.
 */
export function sparseRow(context: BookContext, random: Random): DraftRow {
  const person = drawDirectoryPerson(context, random);
  const draft = matchedDraft('sparse', person);
  const present = shuffled(
    random,
    CONTACT_FIELDS.filter((field) => !NAME_FIELDS.includes(field) && field !== 'country' && draft.values[field] !== ''),
  );
  const keepCount = random.between(2, Math.max(2, present.length - 1));
  const kept = present.slice(0, keepCount);
  const strongOutside = present.slice(keepCount).find((field) => STRONG_FIELDS.includes(field));
  if (!kept.some((field) => STRONG_FIELDS.includes(field)) && strongOutside !== undefined) {
    kept[0] = strongOutside;
  }
  for (const field of present) {
    if (!kept.includes(field)) {
      draft.values[field] = '';
      draft.variations.push(`dropped:${field}`);
    }
  }
  if (random.chance(0.5)) {
    draft.values.country = '';
    draft.variations.push('dropped:country');
  }
  return draft;
}
