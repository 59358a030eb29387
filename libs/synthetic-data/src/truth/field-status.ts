import { type ContactField, type ContactValues, type FieldStatus, mapContactFields } from '../fields';
import { sameFieldValue } from './normalize';

export type FieldStatuses = Record<ContactField, FieldStatus>;

function isPresent(value: string): boolean {
  return value.trim() !== '';
}

/** The labels a perfect system gives a book row matched to `person`, or left unmatched when undefined. */
export function expectedFieldStatuses(book: ContactValues, person: ContactValues | undefined): FieldStatuses {
  return mapContactFields((field) => fieldStatus(field, book[field], person?.[field]));
}

function fieldStatus(field: ContactField, bookValue: string, directoryValue: string | undefined): FieldStatus {
  const inBook = isPresent(bookValue);
  const inDirectory = directoryValue !== undefined && isPresent(directoryValue);
  if (!inDirectory) {
    return inBook ? 'unverified' : 'empty';
  }
  if (!inBook) {
    return 'new';
  }
  return bookValue === directoryValue || sameFieldValue(field, bookValue, directoryValue) ? 'confirmed' : 'old';
}
