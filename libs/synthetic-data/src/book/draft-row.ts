import type { DirectoryPerson } from '../directory/directory-person';
import type { ContactValues } from '../fields';
import type { BookRowKind } from '../options';

/** A book row before formatting: canonical values plus what the row is meant to be. */
export interface DraftRow {
  kind: BookRowKind;
  /** The directory person the row must match; undefined when it must stay unmatched or be rejected. */
  match: DirectoryPerson | undefined;
  values: ContactValues;
  variations: string[];
  /** Invalid rows keep their broken values exactly as drafted. */
  applyFormatting: boolean;
}
