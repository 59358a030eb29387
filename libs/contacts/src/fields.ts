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

export type MappedField = CanonicalField | 'full_name';

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
