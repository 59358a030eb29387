import { CONTACT_FIELDS } from '../fields';
import { type DatasetOptions, validateOptions } from '../options';
import { type DirectoryPerson, directoryPerson } from './directory-person';

export function* generateDirectory(options: DatasetOptions): Generator<DirectoryPerson> {
  validateOptions(options);
  for (let index = 0; index < options.directorySize; index++) {
    yield directoryPerson(options.seed, index);
  }
}

/** The person's values in DIRECTORY_HEADER order. */
export function directoryCells(person: DirectoryPerson): string[] {
  return [person.id, ...CONTACT_FIELDS.map((field) => person[field]), person.updated_at];
}
