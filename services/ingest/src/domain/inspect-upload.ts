import { type ColumnMapping, checkUsable, type MappedField, mapColumns, normalizeHeader } from '@refinery/contacts';
import { sniffCsv } from '@refinery/csv';

/** How much of a file we read to decide whether it is a usable CSV. */
export const INSPECT_BYTES = 64 * 1024;

export type ExplicitColumnMapping = Readonly<Record<string, MappedField | null>>;

export type UploadVerdict =
  | { readonly ok: true; readonly columns: readonly string[] }
  | { readonly ok: false; readonly kind: 'not-csv' | 'unusable-header'; readonly message: string; readonly details?: unknown };

/** What the header of a file maps to: the columns and their fields, or why the file is no CSV with a header at all. */
export type MappingPreview =
  | {
      readonly ok: true;
      readonly headers: readonly string[];
      readonly mapping: readonly (ColumnMapping & { readonly explicit: boolean })[];
      /** Whether the mapping names a full name plus at least one more field to match on, and if not, why in words. */
      readonly usable: { ok: true } | { ok: false; reason: string };
    }
  | { readonly ok: false; readonly kind: 'not-csv' | 'unusable-header'; readonly message: string };

/**
 * Reads the header of the first bytes of a file and maps its columns (the explicit mapping first, then header
 * synonyms). Fails only when the bytes are no CSV (`not-csv`) or have no header record (`unusable-header`).
 */
export function previewMapping(head: Buffer, options: { complete: boolean; columnMapping?: ExplicitColumnMapping }): MappingPreview {
  const sniffed = sniffCsv(head, { complete: options.complete });
  if (!sniffed.ok) {
    return sniffed.code === 'no-header'
      ? { ok: false, kind: 'unusable-header', message: sniffed.reason }
      : { ok: false, kind: 'not-csv', message: sniffed.reason };
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
export function inspectUpload(head: Buffer, options: { complete: boolean; columnMapping?: ExplicitColumnMapping }): UploadVerdict {
  const preview = previewMapping(head, options);
  if (!preview.ok) return preview;
  const { headers, mapping, usable } = preview;
  if (!usable.ok) {
    return {
      ok: false,
      kind: 'unusable-header',
      message: usable.reason,
      details: { found: headers, mapped: mapping.filter((column) => column.field).map((column) => ({ name: column.name, field: column.field })) },
    };
  }
  return { ok: true, columns: headers };
}
