import { type BookKind, MAX_DIRECTORY_SIZE } from '../options';
import { Random } from '../random/random';
import { stripAccents } from '../text/accents';
import { drawStreet } from '../values/addresses';
import { emailLocalPart } from '../values/emails';
import { drawPersonName } from '../values/names';
import { type DirectoryPerson, directoryPerson } from './directory-person';

// The directory of a register data set has households: runs of consecutive people who share the surname and the
// whole address of the run's first person (its head), each with a first name of their own. Some members are twins
// of the head: same surname, address and birth date, another first name. Everybody else is exactly the person of a
// CRM directory of the same seed, and person i still depends only on (seed, i).

const HOUSEHOLD_STREAM = 4;
/** Share of people who live with the person before them. */
const JOINS_PREVIOUS_SHARE = 0.12;
/** Share of household members who are the head's twin. */
const TWIN_OF_HEAD_SHARE = 0.2;
const FIRST_NAME_ATTEMPTS = 50;

function comparableName(name: string): string {
  return stripAccents(name).toLowerCase();
}

/** Whether person `index` lives with person `index - 1` (whatever the directory's size). */
export function joinsPrevious(seed: number, index: number): boolean {
  return index > 0 && index < MAX_DIRECTORY_SIZE && new Random(seed, HOUSEHOLD_STREAM, index).chance(JOINS_PREVIOUS_SHARE);
}

function headIndex(seed: number, index: number): number {
  let head = index;
  while (joinsPrevious(seed, head)) {
    head--;
  }
  return head;
}

/** A head with a household gets a street even where a CRM directory has none: a household shares an address. */
function headPerson(seed: number, head: number): DirectoryPerson {
  const person = directoryPerson(seed, head);
  if (person.street === '' && joinsPrevious(seed, head + 1)) {
    person.street = drawStreet(new Random(seed, HOUSEHOLD_STREAM, head, 2), 'directory');
  }
  return person;
}

/** First names of the members head+1..upTo, each unlike the head's and every earlier member's. */
function memberFirstNames(seed: number, head: DirectoryPerson, headAt: number, upTo: number): string[] {
  const taken = new Set([comparableName(head.first_name)]);
  const names: string[] = [];
  for (let member = headAt + 1; member <= upTo; member++) {
    const random = new Random(seed, HOUSEHOLD_STREAM, member, 1);
    let first = drawPersonName(random).first;
    for (let attempt = 0; attempt < FIRST_NAME_ATTEMPTS && taken.has(comparableName(first)); attempt++) {
      first = drawPersonName(random).first;
    }
    taken.add(comparableName(first));
    names.push(first);
  }
  return names;
}

/** Directory person `index` of a register data set: a CRM person, or a member of the household before them. */
export function registerDirectoryPerson(seed: number, index: number): DirectoryPerson {
  const headAt = headIndex(seed, index);
  const head = headPerson(seed, headAt);
  if (headAt === index) {
    return head;
  }
  const own = directoryPerson(seed, index);
  const first = memberFirstNames(seed, head, headAt, index).at(-1) ?? own.first_name;
  const random = new Random(seed, HOUSEHOLD_STREAM, index, 3);
  const twin = head.birth_date !== '' && random.chance(TWIN_OF_HEAD_SHARE);
  let birthDate = twin ? head.birth_date : own.birth_date;
  if (!twin && birthDate !== '' && birthDate === head.birth_date) {
    // Not a twin: a day apart at least (a coincidence of one in ~20,000 otherwise).
    birthDate = birthDate.endsWith('-01') ? `${birthDate.slice(0, 8)}02` : `${birthDate.slice(0, 8)}01`;
  }
  const domain = own.email.split('@')[1];
  const email =
    domain === undefined
      ? ''
      : `${emailLocalPart(random, first, head.last_name, (birthDate || own.birth_date).slice(0, 4), { kind: 'provider', namesakes: Number.POSITIVE_INFINITY })}@${domain}`;
  return {
    ...own,
    first_name: first,
    last_name: head.last_name,
    email,
    street: head.street,
    city: head.city,
    state: head.state,
    postcode: head.postcode,
    birth_date: birthDate,
  };
}

/** Directory person `index` for a data set with this kind of book. */
export function datasetPerson(book: BookKind, seed: number, index: number): DirectoryPerson {
  return book === 'register' ? registerDirectoryPerson(seed, index) : directoryPerson(seed, index);
}

/** Everybody in person `index`'s household, the person included, in directory order (one person when alone). */
export function householdOf(seed: number, index: number, directorySize: number): DirectoryPerson[] {
  const head = headIndex(seed, index);
  let last = index;
  while (last + 1 < directorySize && joinsPrevious(seed, last + 1)) {
    last++;
  }
  const people: DirectoryPerson[] = [];
  for (let member = head; member <= last; member++) {
    people.push(registerDirectoryPerson(seed, member));
  }
  return people;
}

/** Whether person `index` shares a household with anybody (cheap: no person is generated). */
export function livesWithOthers(seed: number, index: number, directorySize: number): boolean {
  return joinsPrevious(seed, index) || (index + 1 < directorySize && joinsPrevious(seed, index + 1));
}
