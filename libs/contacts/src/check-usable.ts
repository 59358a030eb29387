import { type ColumnMapping, MATCHABLE_FIELDS } from './fields';

export type UsabilityCheck = { ok: true } | { ok: false; reason: string };

export function checkUsable(mapping: readonly ColumnMapping[]): UsabilityCheck {
  const mapped = new Set(mapping.map((column) => column.field));
  const hasName = (mapped.has('first_name') && mapped.has('last_name')) || mapped.has('full_name');
  const hasOtherField = MATCHABLE_FIELDS.some((field) => mapped.has(field));
  if (hasName && hasOtherField) {
    return { ok: true };
  }
  const found = mapping.length === 0 ? 'no headers' : mapping.map((column) => `"${column.name}"`).join(', ');
  return {
    ok: false,
    reason:
      `no usable header: found ${found}; need first_name and last_name (or a full name column) ` +
      `and at least one of ${MATCHABLE_FIELDS.join(', ')}`,
  };
}
