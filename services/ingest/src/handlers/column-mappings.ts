// `POST /column-mappings/preview`: what the header of a file maps to, before the job is created, so a user can fix
// the mapping first. The same reading of the file as `POST /jobs` (domain/inspect-upload.ts), on its first characters.

import { mappedFieldSchema } from '@refinery/events';
import { type ApiRequest, type ApiResponse, HttpError, json, parseJsonBody } from '@refinery/runtime';
import { z } from 'zod';
import { INSPECT_BYTES, previewMapping } from '../domain/inspect-upload';

/**
 * A column mapping has one entry per column of the file: more entries than a header may have columns, or longer names
 * than a header cell may be, are not a mapping of any file (and would make job.created.v1 larger than an event may be).
 */
export const MAX_COLUMN_MAPPING_ENTRIES = 1_000;
export const MAX_COLUMN_NAME_LENGTH = 256;

export const columnMappingSchema = z
  .record(z.string().max(MAX_COLUMN_NAME_LENGTH), mappedFieldSchema.nullable())
  .refine((mapping) => Object.keys(mapping).length <= MAX_COLUMN_MAPPING_ENTRIES, {
    message: `columnMapping has at most ${MAX_COLUMN_MAPPING_ENTRIES} entries (one per column)`,
  });

/**
 * Refuses an oversized columnMapping before the schema walks it: 150,000 keys would otherwise be parsed one by one, and
 * the answer would list an error for each of them.
 */
export function checkColumnMappingSize(mapping: unknown): void {
  if (typeof mapping !== 'object' || mapping === null) return;
  const entries = Object.keys(mapping).length;
  if (entries > MAX_COLUMN_MAPPING_ENTRIES) {
    throw new HttpError(
      400,
      'invalid_body',
      `columnMapping has ${entries} entries; at most ${MAX_COLUMN_MAPPING_ENTRIES} (one per column of the file) are accepted`,
    );
  }
  // Named here rather than by the schema, whose message would echo the whole name.
  const long = Object.keys(mapping).find((name) => name.length > MAX_COLUMN_NAME_LENGTH);
  if (long !== undefined) {
    throw new HttpError(
      400,
      'invalid_body',
      `columnMapping: a column name is at most ${MAX_COLUMN_NAME_LENGTH} characters; one has ${long.length} ("${long.slice(0, 40)}…")`,
    );
  }
}

const bodySchema = z.strictObject({
  head: z.string().max(INSPECT_BYTES, `at most ${INSPECT_BYTES} characters: the start of the file`),
  complete: z.boolean(),
  columnMapping: columnMappingSchema.optional(),
});

export async function previewColumnMapping(request: ApiRequest): Promise<ApiResponse> {
  const body = parseJsonBody(request);
  if (typeof body === 'object' && body !== null && 'columnMapping' in body) checkColumnMappingSize(body.columnMapping);
  const parsed = bodySchema.safeParse(body);
  if (!parsed.success) throw new HttpError(400, 'invalid_body', z.prettifyError(parsed.error));
  const { head, complete, columnMapping } = parsed.data;
  const preview = previewMapping(Buffer.from(head, 'utf8'), { complete, ...(columnMapping ? { columnMapping } : {}) });
  if (!preview.ok) {
    if (preview.kind === 'not-csv') throw new HttpError(415, 'not_csv', preview.message);
    if (preview.kind === 'over-limit') throw new HttpError(400, 'csv_limit_exceeded', preview.message);
    throw new HttpError(422, 'unusable_header', preview.message);
  }
  return json(200, {
    columns: preview.mapping.map((column) => ({ header: column.name, field: column.field, explicit: column.explicit })),
    fields: [...mappedFieldSchema.options],
    usable: preview.usable.ok,
    problem: preview.usable.ok ? null : preview.usable.reason,
  });
}
