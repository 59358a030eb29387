export const CANONICAL_FIELDS = [
  'first_name',
  'last_name',
  'email',
  'phone',
  'company',
  'title',
  'street',
  'city',
  'state',
  'postcode',
  'country',
  'birth_date',
] as const;

export type CanonicalField = (typeof CANONICAL_FIELDS)[number];

// Absent and '' both mean "no value": CSV cells are never undefined, partial objects often are.
export type ContactFields = Partial<Record<CanonicalField, string>>;

// Besides the canonical fields a column may hold a full name (split into first and last) or a house
// number kept apart from its street (a register's street_number beside address_1): put in front of it.
export const EXTRA_MAPPED_FIELDS = ['full_name', 'street_number'] as const;
export type MappedField = CanonicalField | (typeof EXTRA_MAPPED_FIELDS)[number];
export const MAPPED_FIELDS: readonly MappedField[] = [...CANONICAL_FIELDS, ...EXTRA_MAPPED_FIELDS];

export interface ColumnMapping {
  index: number;
  name: string;
  field: MappedField | null;
}

// Everything a contact can be matched on besides its name.
export const MATCHABLE_FIELDS: readonly CanonicalField[] = CANONICAL_FIELDS.filter((field) => field !== 'first_name' && field !== 'last_name');

const canonicalFieldSet: ReadonlySet<string> = new Set(CANONICAL_FIELDS);

export function isCanonicalField(value: string): value is CanonicalField {
  return canonicalFieldSet.has(value);
}

export function hasValue(value: string | undefined): value is string {
  return value !== undefined && value !== '';
}
