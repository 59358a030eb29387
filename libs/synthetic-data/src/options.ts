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

export interface DatasetOptions {
  seed: number;
  directorySize: number;
  bookSize: number;
  /** Relative weights per kind, merged over DEFAULT_MIX (set a kind to 0 to leave it out). */
  mix?: Partial<Record<BookRowKind, number>>;
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

/** Phone numbers are unique per directory person only up to this size (see values/phones.ts). */
export const MAX_DIRECTORY_SIZE = 6_000_000;

export function resolveMix(mix: Partial<Record<BookRowKind, number>> | undefined): Record<BookRowKind, number> {
  const resolved = { ...DEFAULT_MIX, ...mix };
  for (const kind of BOOK_ROW_KINDS) {
    const weight = resolved[kind];
    if (!Number.isFinite(weight) || weight < 0) {
      throw new RangeError(`mix weight for ${kind} must be a finite number >= 0, got ${weight}`);
    }
  }
  if (BOOK_ROW_KINDS.every((kind) => resolved[kind] === 0)) {
    throw new RangeError('mix must give at least one kind a positive weight');
  }
  return resolved;
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
  resolveMix(options.mix);
}
