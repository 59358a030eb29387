import { type ColumnMapping, MATCHABLE_FIELDS } from './fields';

export type UsabilityCheck = { ok: true } | { ok: false; reason: string };

const HEADERS_SHOWN = 20;

export function checkUsable(mapping: readonly ColumnMapping[]): UsabilityCheck {
  const mapped = new Set(mapping.map((column) => column.field));
  // The columns could hold something to match on (see validateContact): an e-mail or a phone, a name and
  // one more field, or a birth date and an address. Rows are then judged one by one.
  const hasName = mapped.has('first_name') || mapped.has('last_name') || mapped.has('full_name');
  const hasOtherField = MATCHABLE_FIELDS.some((field) => field !== 'country' && mapped.has(field));
  const hasIdentifier = mapped.has('email') || mapped.has('phone');
  const hasBirthDateAndPlace = mapped.has('birth_date') && (mapped.has('street') || mapped.has('postcode'));
  if ((hasName && hasOtherField) || hasIdentifier || hasBirthDateAndPlace) {
    return { ok: true };
  }
  // A few names and the count, never a whole header: one of 200,000 columns must not make a reason of megabytes.
  const shown = mapping.slice(0, HEADERS_SHOWN).map((column) => `"${column.name.length > 60 ? `${column.name.slice(0, 60)}…` : column.name}"`);
  const found =
    mapping.length === 0
      ? 'no headers'
      : mapping.length > HEADERS_SHOWN
        ? `${mapping.length.toLocaleString('en')} columns (${shown.join(', ')}, …)`
        : shown.join(', ');
  return {
    ok: false,
    reason:
      `no usable header: found ${found}; need an email or phone column, or a name column (first_name, last_name or a ` +
      `full name) with one of ${MATCHABLE_FIELDS.filter((field) => field !== 'country' && field !== 'email' && field !== 'phone').join(', ')}, ` +
      'or birth_date with street or postcode',
  };
}
