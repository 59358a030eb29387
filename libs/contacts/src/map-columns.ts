import type { ColumnMapping, MappedField } from './fields';
import { fieldForHeader, normalizeHeader } from './header-synonyms';

type ExplicitMapping = Readonly<Record<string, MappedField | null>>;

function explicitFieldFor(header: string, explicit: ExplicitMapping): MappedField | null | undefined {
  if (Object.hasOwn(explicit, header)) {
    return explicit[header];
  }
  const normalized = normalizeHeader(header);
  for (const [name, field] of Object.entries(explicit)) {
    if (normalizeHeader(name) === normalized) {
      return field;
    }
  }
  return undefined;
}

// Explicit choices are the user's word, so they claim their fields before any synonym does; among
// columns of equal standing the first one wins and later ones are ignored (field null).
export function mapColumns(headers: readonly string[], explicit: ExplicitMapping = {}): ColumnMapping[] {
  const explicitFields = headers.map((header) => explicitFieldFor(header, explicit));
  const claimed = new Set<MappedField>();
  const fields: (MappedField | null)[] = explicitFields.map((field) => {
    if (field === undefined || field === null || claimed.has(field)) {
      return null;
    }
    claimed.add(field);
    return field;
  });
  headers.forEach((header, index) => {
    if (explicitFields[index] !== undefined) {
      return;
    }
    const field = fieldForHeader(header);
    if (field !== null && !claimed.has(field)) {
      claimed.add(field);
      fields[index] = field;
    }
  });
  return headers.map((name, index) => ({ index, name, field: fields[index] ?? null }));
}
