export const BOOK_ROW_KINDS = [
  'current',
  'stale',
  'sparse',
  'typo',
  'typo_stale',
  'nickname',
  'accents_case',
  'stranger',
  'lookalike',
  'duplicate',
  'invalid',
] as const;

export type BookRowKind = (typeof BOOK_ROW_KINDS)[number];

/**
 * The kinds of contact book: `crm` (e-mail, phone, company and title besides name, address and birth date) and
 * `register` (identifier-free: name, street, city, state, postcode and birth date only, like public registers,
 * CRM exports and sign-up lists).
 */
export const BOOK_KINDS = ['crm', 'register'] as const;

export type BookKind = (typeof BOOK_KINDS)[number];

/** The row kinds of a register book (see README.md). */
export const REGISTER_ROW_KINDS = [
  'current',
  'keyboard_typo',
  'ocr_typo',
  'phonetic',
  'missing',
  'swapped_names',
  'date_digit',
  'date_swap',
  'household',
  'twin',
  'surname_change',
  'moved',
  'stranger',
  'lookalike',
  'invalid',
] as const;

export type RegisterRowKind = (typeof REGISTER_ROW_KINDS)[number];

/** The kind of a row of either book. */
export type RowKind = BookRowKind | RegisterRowKind;

export interface DatasetOptions {
  seed: number;
  directorySize: number;
  bookSize: number;
  /** Which kind of book to generate; default 'crm'. A register data set's directory also has households. */
  book?: BookKind;
  /**
   * Relative weights per kind of the chosen book, merged over DEFAULT_MIX or DEFAULT_REGISTER_MIX (set a kind to 0
   * to leave it out). A kind the chosen book does not have is refused.
   */
  mix?: Partial<Record<RowKind, number>>;
}

export const DEFAULT_MIX: Readonly<Record<BookRowKind, number>> = {
  current: 32,
  stale: 15,
  sparse: 10,
  typo: 7,
  typo_stale: 3,
  nickname: 6,
  accents_case: 5,
  stranger: 8,
  lookalike: 4,
  duplicate: 5,
  invalid: 5,
};

/** About 78% of the rows are of people in the directory, as in a register matched against a good directory. */
export const DEFAULT_REGISTER_MIX: Readonly<Record<RegisterRowKind, number>> = {
  current: 14,
  keyboard_typo: 8,
  ocr_typo: 6,
  phonetic: 6,
  missing: 10,
  swapped_names: 5,
  date_digit: 6,
  date_swap: 3,
  household: 7,
  twin: 3,
  surname_change: 5,
  moved: 5,
  stranger: 10,
  lookalike: 6,
  invalid: 6,
};

/** Phone numbers are unique per directory person only up to this size (see values/phones.ts). */
export const MAX_DIRECTORY_SIZE = 6_000_000;

function resolveKinds<K extends RowKind>(
  book: BookKind,
  kinds: readonly K[],
  defaults: Readonly<Record<K, number>>,
  mix: Partial<Record<RowKind, number>> | undefined,
): Record<K, number> {
  const unknown = Object.keys(mix ?? {}).filter((kind) => !(kinds as readonly string[]).includes(kind));
  if (unknown.length > 0) {
    throw new RangeError(`mix names kinds a ${book} book does not have: ${unknown.join(', ')}`);
  }
  const resolved = { ...defaults, ...mix } as Record<K, number>;
  for (const kind of kinds) {
    const weight = resolved[kind];
    if (!Number.isFinite(weight) || weight < 0) {
      throw new RangeError(`mix weight for ${kind} must be a finite number >= 0, got ${weight}`);
    }
  }
  if (kinds.every((kind) => resolved[kind] === 0)) {
    throw new RangeError('mix must give at least one kind a positive weight');
  }
  return resolved;
}

export function resolveMix(mix: Partial<Record<RowKind, number>> | undefined): Record<BookRowKind, number> {
  return resolveKinds('crm', BOOK_ROW_KINDS, DEFAULT_MIX, mix);
}

export function resolveRegisterMix(mix: Partial<Record<RowKind, number>> | undefined): Record<RegisterRowKind, number> {
  return resolveKinds('register', REGISTER_ROW_KINDS, DEFAULT_REGISTER_MIX, mix);
}

export function bookKindOf(options: DatasetOptions): BookKind {
  return options.book ?? 'crm';
}

export function validateOptions(options: DatasetOptions): void {
  if (!Number.isSafeInteger(options.seed)) {
    throw new RangeError(`seed must be a safe integer, got ${options.seed}`);
  }
  if (!Number.isSafeInteger(options.directorySize) || options.directorySize < 1 || options.directorySize > MAX_DIRECTORY_SIZE) {
    throw new RangeError(`directorySize must be an integer in [1, ${MAX_DIRECTORY_SIZE}], got ${options.directorySize}`);
  }
  if (!Number.isSafeInteger(options.bookSize) || options.bookSize < 0) {
    throw new RangeError(`bookSize must be an integer >= 0, got ${options.bookSize}`);
  }
  if (options.book !== undefined && !(BOOK_KINDS as readonly string[]).includes(options.book)) {
    throw new RangeError(`book must be one of ${BOOK_KINDS.join(', ')}, got ${options.book}`);
  }
  if (bookKindOf(options) === 'register') {
    resolveRegisterMix(options.mix);
  } else {
    resolveMix(options.mix);
  }
}
