export type { BookRow } from './book/book-rows';
export { generateBook } from './book/generate-book';
export { type DirectoryPerson, directoryId, directoryIndex, directoryPerson } from './directory/directory-person';
export { directoryCells, generateDirectory } from './directory/generate-directory';
export { householdOf, registerDirectoryPerson } from './directory/households';
export {
  BOOK_HEADER,
  CONTACT_FIELDS,
  type ContactField,
  type ContactValues,
  DIRECTORY_HEADER,
  type FieldStatus,
  REGISTER_FIELDS,
  REGISTER_HEADER,
  type RegisterField,
} from './fields';
export {
  BOOK_KINDS,
  BOOK_ROW_KINDS,
  type BookKind,
  type BookRowKind,
  type DatasetOptions,
  DEFAULT_MIX,
  DEFAULT_REGISTER_MIX,
  MAX_DIRECTORY_SIZE,
  REGISTER_ROW_KINDS,
  type RegisterRowKind,
  type RowKind,
} from './options';
export { expectedFieldStatuses, type FieldStatuses } from './truth/field-status';
export { normalizeFieldValue, sameFieldValue } from './truth/normalize';
export { type ExpectedStatus, type RowTruth, TRUTH_HEADER, truthCells } from './truth/row-truth';
export { bookHeader, type WriteDatasetOptions, type WrittenDataset, writeDataset } from './write/write-dataset';
