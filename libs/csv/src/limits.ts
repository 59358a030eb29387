/**
 * How large the parts of a CSV may be. Every reader of an uploaded file applies the same numbers: a header over them
 * refuses the file, a data row over them is an invalid row (with the reason) and the rest of the file goes on.
 * Sizes are bytes as stored in the file.
 */
export interface CsvLimits {
  /** The most bytes one value may hold (its quotes not counted). */
  readonly maxFieldBytes: number;
  /** The most bytes one record may take, its line ending included (the header record too). */
  readonly maxRowBytes: number;
  /** The most columns a header may name. */
  readonly maxColumns: number;
}

/**
 * Sized for CRM exports: Salesforce's long text areas hold up to 131,072 characters (up to ~384 KiB of UTF-8 in the
 * worst case, far less in practice), and an object may carry 800 custom fields besides its standard ones.
 */
export const DEFAULT_CSV_LIMITS: CsvLimits = Object.freeze({
  maxFieldBytes: 256 * 1024,
  maxRowBytes: 1024 * 1024,
  maxColumns: 1000,
});

/** Room before the header for a byte order mark and leading blank lines. */
const HEADER_SLACK_BYTES = 64 * 1024;

/** The first bytes to read to find a header within the limits (and to tell one over them). */
export function headerProbeBytes(limits: Pick<CsvLimits, 'maxRowBytes'>): number {
  return limits.maxRowBytes + HEADER_SLACK_BYTES;
}

/** `262144` -> `256 KiB`, `52428800` -> `50 MiB`, `1200` -> `1,200 bytes`: sizes in messages. */
export function formatByteSize(bytes: number): string {
  const units: readonly [number, string][] = [
    [1024 * 1024 * 1024, 'GiB'],
    [1024 * 1024, 'MiB'],
    [1024, 'KiB'],
  ];
  for (const [size, unit] of units) {
    if (bytes >= size) {
      const value = bytes / size;
      return `${value.toFixed(1).replace(/\.0$/, '')} ${unit}`;
    }
  }
  return `${bytes.toLocaleString('en')} bytes`;
}

/** Checks limits given as settings or options: each a positive integer. */
export function checkCsvLimits(limits: CsvLimits): CsvLimits {
  for (const [name, value] of Object.entries(limits)) {
    if (!Number.isSafeInteger(value) || value < 1) throw new RangeError(`${name} must be a positive integer, got ${value}`);
  }
  if (limits.maxFieldBytes > limits.maxRowBytes) {
    throw new RangeError(`maxFieldBytes (${limits.maxFieldBytes}) must not exceed maxRowBytes (${limits.maxRowBytes})`);
  }
  return limits;
}
