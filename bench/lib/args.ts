// What the bench scripts' options take, checked the same way everywhere.
import { BOOK_KINDS, type BookKind } from '@refinery/synthetic-data';

/** A whole number >= 0 (`10_000` allowed), or an error naming the flag. */
export function wholeNumber(flag: string, value: string | undefined): number {
  const parsed = Number((value ?? '').replace(/_/g, ''));
  if (!Number.isSafeInteger(parsed) || parsed < 0) throw new Error(`${flag} takes a whole number, got "${value ?? ''}"`);
  return parsed;
}

/** `--seeds 1,2,3`. */
export function wholeNumbers(flag: string, value: string | undefined): number[] {
  return (value ?? '').split(',').map((seed) => wholeNumber(flag, seed));
}

/** `--books crm,register`: known book kinds, each once. */
export function bookKinds(flag: string, value: string | undefined): BookKind[] {
  const names = (value ?? '').split(',').map((name) => name.trim());
  if (names.some((name) => !(BOOK_KINDS as readonly string[]).includes(name))) {
    throw new Error(`${flag} takes ${BOOK_KINDS.join(', ')} separated by commas, got "${value ?? ''}"`);
  }
  return [...new Set(names as BookKind[])];
}
