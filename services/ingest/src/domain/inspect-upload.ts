import { checkUsable, mapColumns, type MappedField } from '@refinery/contacts';
import { sniffCsv } from '@refinery/csv';

/** How much of a file we read to decide whether it is a usable CSV. */
export const INSPECT_BYTES = 64 * 1024;

export type UploadVerdict =
  | { readonly ok: true; readonly columns: readonly string[] }
  | { readonly ok: false; readonly kind: 'not-csv' | 'unusable-header'; readonly message: string; readonly details?: unknown };

/**
 * Decides from the first bytes of a file whether it is a CSV we can work with: it must look like a CSV (text,
 * a header record) and its header must map to a full name plus at least one more field to match on.
 */
export function inspectUpload(
  head: Buffer,
  options: { complete: boolean; columnMapping?: Readonly<Record<string, MappedField | null>> },
): UploadVerdict {
  const sniffed = sniffCsv(head, { complete: options.complete });
  if (!sniffed.ok) {
    return sniffed.code === 'no-header'
      ? { ok: false, kind: 'unusable-header', message: sniffed.reason }
      : { ok: false, kind: 'not-csv', message: sniffed.reason };
  }
  const columns = sniffed.header.columns;
  const mapping = mapColumns(columns, options.columnMapping);
  const usable = checkUsable(mapping);
  if (!usable.ok) {
    return {
      ok: false,
      kind: 'unusable-header',
      message: usable.reason,
      details: { found: columns, mapped: mapping.filter((column) => column.field).map((column) => ({ name: column.name, field: column.field })) },
    };
  }
  return { ok: true, columns };
}
