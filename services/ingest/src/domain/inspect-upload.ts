import { type ColumnMapping, checkUsable, type MappedField, mapColumns, normalizeHeader } from '@refinery/contacts';
import { type CsvLimits, headerProbeBytes, sniffCsv, utf16ByteOrder, utf16HeadToUtf8 } from '@refinery/csv';

/** The most characters of a file's head `POST /column-mappings/preview` takes (a page shows the columns it maps). */
export const INSPECT_BYTES = 64 * 1024;
/** Header names quoted in an error: the first few and the count, never a whole huge header. */
const NAMES_SHOWN = 20;

/** The limits that decide whether a header can be read (libs/csv CsvLimits). */
export type HeaderLimits = Pick<CsvLimits, 'maxRowBytes' | 'maxColumns'>;

export type ExplicitColumnMapping = Readonly<Record<string, MappedField | null>>;

export type UploadVerdict =
  | { readonly ok: true; readonly columns: readonly string[] }
  | { readonly ok: false; readonly kind: UnusableKind; readonly message: string; readonly details?: unknown };

/** `not-csv`: no CSV text at all; `over-limit`: a header over the limits; `unusable-header`: no header, or no usable one. */
export type UnusableKind = 'not-csv' | 'over-limit' | 'unusable-header';

/** What the header of a file maps to: the columns and their fields, or why the file is no CSV with a header at all. */
export type MappingPreview =
  | {
      readonly ok: true;
      readonly headers: readonly string[];
      readonly mapping: readonly (ColumnMapping & { readonly explicit: boolean })[];
      /** Whether the mapping names a full name plus at least one more field to match on, and if not, why in words. */
      readonly usable: { ok: true } | { ok: false; reason: string };
    }
  | { readonly ok: false; readonly kind: UnusableKind; readonly message: string };

/**
 * Reads the header of the first bytes of a file (UTF-8 or windows-1252; UTF-16 is transcoded before) and maps its
 * columns (the explicit mapping first, then header synonyms). Fails only when the bytes are no CSV (`not-csv`), the
 * header is over the limits (`over-limit`) or there is no header record (`unusable-header`).
 */
export function previewMapping(
  head: Buffer,
  options: { complete: boolean; columnMapping?: ExplicitColumnMapping; limits?: HeaderLimits },
): MappingPreview {
  const sniffed = sniffCsv(head, { complete: options.complete, ...(options.limits ? { limits: options.limits } : {}) });
  if (!sniffed.ok) {
    const kind =
      sniffed.code === 'no-header'
        ? 'unusable-header'
        : sniffed.code === 'header-too-long' || sniffed.code === 'too-many-columns'
          ? 'over-limit'
          : 'not-csv';
    return { ok: false, kind, message: sniffed.reason };
  }
  const headers = sniffed.header.columns;
  const explicit = options.columnMapping ?? {};
  const explicitNames = new Set(Object.keys(explicit).map(normalizeHeader));
  const mapping = mapColumns(headers, explicit).map((column) => ({
    ...column,
    // mapColumns matches explicit names exactly or by their normalized form; so does this.
    explicit: Object.hasOwn(explicit, column.name) || explicitNames.has(normalizeHeader(column.name)),
  }));
  return { ok: true, headers, mapping, usable: checkUsable(mapping) };
}

/**
 * Decides from the first bytes of a file whether it is a CSV we can work with: it must look like a CSV (text,
 * a header record) and its header must map to a full name plus at least one more field to match on.
 */
export function inspectUpload(
  head: Buffer,
  options: { complete: boolean; columnMapping?: ExplicitColumnMapping; limits?: HeaderLimits },
): UploadVerdict {
  const preview = previewMapping(head, options);
  if (!preview.ok) return preview;
  const { headers, mapping, usable } = preview;
  if (!usable.ok) {
    return {
      ok: false,
      kind: 'unusable-header',
      message: usable.reason,
      // A few names and the count: an unusable header of 200,000 columns must not answer megabytes.
      details: {
        found: headers.slice(0, NAMES_SHOWN),
        ...(headers.length > NAMES_SHOWN ? { foundCount: headers.length } : {}),
        mapped: mapping
          .filter((column) => column.field)
          .slice(0, NAMES_SHOWN)
          .map((column) => ({ name: column.name, field: column.field })),
      },
    };
  }
  return { ok: true, columns: headers };
}

/**
 * inspectUpload on a file's first bytes or the whole file, as the pipeline will read it: UTF-16 (by its byte order
 * mark) decoded first, and no more than the header's probe (headerProbeBytes) looked at, so a file given whole (inline)
 * is judged exactly as the same file uploaded.
 */
export function inspectFile(
  bytes: Buffer,
  options: { complete: boolean; limits: HeaderLimits; columnMapping?: ExplicitColumnMapping },
): UploadVerdict {
  const probe = headerProbeBytes(options.limits);
  const byteOrder = utf16ByteOrder(bytes);
  // Two bytes of UTF-16 or more per character: a probe's worth of UTF-8 needs at most three times as many.
  let head =
    byteOrder === undefined ? bytes : utf16HeadToUtf8(bytes.subarray(0, 3 * probe), byteOrder, options.complete && bytes.length <= 3 * probe);
  let complete = options.complete && (byteOrder === undefined || bytes.length <= 3 * probe);
  if (head.length > probe) {
    head = head.subarray(0, probe);
    complete = false;
  }
  return inspectUpload(head, { ...options, complete });
}
