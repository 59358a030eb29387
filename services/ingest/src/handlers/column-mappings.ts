// `POST /column-mappings/preview`: what the header of a file maps to, before the job is created, so a user can fix
// the mapping first. The same reading of the file as `POST /jobs` (domain/inspect-upload.ts), on its first characters.

import { mappedFieldSchema } from '@refinery/events';
import { type ApiRequest, type ApiResponse, HttpError, json, parseJsonBody } from '@refinery/runtime';
import { z } from 'zod';
import { INSPECT_BYTES, previewMapping } from '../domain/inspect-upload';

const bodySchema = z.strictObject({
  head: z.string().max(INSPECT_BYTES, `at most ${INSPECT_BYTES} characters: the start of the file`),
  complete: z.boolean(),
  columnMapping: z.record(z.string(), mappedFieldSchema.nullable()).optional(),
});

export async function previewColumnMapping(request: ApiRequest): Promise<ApiResponse> {
  const parsed = bodySchema.safeParse(parseJsonBody(request));
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
