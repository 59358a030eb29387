import { type BookRow, CONTACT_FIELDS, type ContactField, type DirectoryPerson, generateBook, generateDirectory } from '../src';

export const FIXTURE_OPTIONS = { seed: 42, directorySize: 3_000, bookSize: 5_000 } as const;

export interface Fixture {
  directory: DirectoryPerson[];
  byId: Map<string, DirectoryPerson>;
  book: BookRow[];
}

let fixture: Fixture | undefined;

/** One 3,000-person directory and 5,000-row book, shared by the tests of a file. */
export function loadFixture(): Fixture {
  if (fixture === undefined) {
    const directory = [...generateDirectory(FIXTURE_OPTIONS)];
    fixture = {
      directory,
      byId: new Map(directory.map((person) => [person.id, person])),
      book: [...generateBook(FIXTURE_OPTIONS)],
    };
  }
  return fixture;
}

export function rowsOfKind(kind: BookRow['truth']['kind']): BookRow[] {
  return loadFixture().book.filter((row) => row.truth.kind === kind);
}

export function variation(row: BookRow, prefix: string): string | undefined {
  return row.truth.variations.find((entry) => entry.startsWith(prefix));
}

/** The person a matched row must match (fails the test when the id is unknown). */
export function personOf(row: BookRow): DirectoryPerson {
  const person = loadFixture().byId.get(row.truth.personId);
  if (person === undefined) {
    throw new Error(`row ${row.truth.row} points to unknown person ${row.truth.personId}`);
  }
  return person;
}

/** A book cell by canonical field (cells follow CONTACT_FIELDS order). */
export function cell(row: BookRow, field: ContactField): string {
  return row.cells[CONTACT_FIELDS.indexOf(field)] ?? '';
}
