import { CONTACT_FIELDS } from '../fields';
import { bookKindOf, type DatasetOptions, validateOptions } from '../options';
import type { DirectoryPerson } from './directory-person';
import { datasetPerson } from './households';

/** The directory of a data set: with households when the book is a register (see households.ts). */
export function* generateDirectory(options: DatasetOptions): Generator<DirectoryPerson> {
  validateOptions(options);
  const book = bookKindOf(options);
  for (let index = 0; index < options.directorySize; index++) {
    yield datasetPerson(book, options.seed, index);
  }
}

/** The person's values in DIRECTORY_HEADER order. */
export function directoryCells(person: DirectoryPerson): string[] {
  return [person.id, ...CONTACT_FIELDS.map((field) => person[field]), person.updated_at];
}
