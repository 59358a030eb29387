import type { ContactFields } from '@refinery/contacts';
import type { Candidate, SampleRow } from '@refinery/matching';
import { candidate, contact } from './fixtures';

// Synthetic samples for estimateModel: a population of people with distinct names and details, and books whose rows
// are those people written with a chosen change, each row with its person and two others as candidates (as a
// provider's blocking returns them).
const FIRST_NAMES = [
  'James',
  'Mary',
  'Robert',
  'Patricia',
  'John',
  'Jennifer',
  'Michael',
  'Linda',
  'David',
  'Elizabeth',
  'William',
  'Barbara',
  'Richard',
  'Susan',
  'Joseph',
  'Jessica',
  'Thomas',
  'Sarah',
  'Charles',
  'Karen',
];
const LAST_NAMES = [
  'Abbott',
  'Barker',
  'Castillo',
  'Dalton',
  'Ellison',
  'Fairbanks',
  'Gallagher',
  'Hendricks',
  'Ingram',
  'Jaramillo',
  'Kowalski',
  'Lindqvist',
  'Montoya',
  'Nakamura',
  'Okafor',
];
const STREETS = [
  'Sinclair St',
  'Oak Road',
  'Elm Avenue',
  'Harbour Drive',
  'Kings Way',
  'Mill Lane',
  'Park Crescent',
  'Quarry Hill',
  'River Walk',
  'Station Road',
];

const pad = (value: number): string => String(value).padStart(2, '0');

export function personFields(index: number, overrides: { firstNames?: readonly string[] } = {}): ContactFields {
  const firstNames = overrides.firstNames ?? FIRST_NAMES;
  return {
    first_name: firstNames[index % firstNames.length] as string,
    last_name: LAST_NAMES[Math.floor(index / FIRST_NAMES.length) % LAST_NAMES.length] as string,
    email: `person${index}@mail.example`,
    phone: `+1 415 555 ${String(1000 + index).slice(-4)}`,
    street: `${10 + index} ${STREETS[index % STREETS.length]}`,
    city: `Town ${index % 40}`,
    state: 'CA',
    postcode: String(90000 + ((index * 37) % 9000)),
    birth_date: `${1940 + (index % 60)}-${pad(1 + ((index * 7) % 12))}-${pad(1 + ((index * 13) % 28))}`,
  };
}

export interface SampleOptions {
  rows: number;
  // How a book row differs from its person (standardized again afterwards).
  change?: (fields: ContactFields, index: number) => ContactFields;
  firstNames?: readonly string[];
}

// People and rows are built afresh on every call (standardized objects are cached by identity in the matcher).
export function sample(options: SampleOptions): { rows: SampleRow[]; people: Candidate[] } {
  const { rows, change = (fields) => fields } = options;
  const people = Array.from({ length: rows }, (_, index) =>
    candidate(`p${index}`, personFields(index, options.firstNames === undefined ? {} : { firstNames: options.firstNames })),
  );
  const sampleRows = people.map((person, index) => {
    const others = [people[(index + 101) % rows], people[(index + 203) % rows]].filter(
      (other): other is Candidate => other !== undefined && other !== person,
    );
    const candidates = index % 2 === 0 ? [person, ...others] : [...others, person];
    return { contact: contact(change({ ...person.fields }, index)), candidates };
  });
  return { rows: sampleRows, people };
}
