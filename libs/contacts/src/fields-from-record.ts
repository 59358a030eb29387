import { hasValue, type ColumnMapping, type ContactFields } from './fields';
import { splitFullName } from './full-name';

export function fieldsFromRecord(cells: readonly string[], mapping: readonly ColumnMapping[]): ContactFields {
  const fields: ContactFields = {};
  let fullName = '';
  for (const column of mapping) {
    const value = (cells[column.index] ?? '').trim();
    if (column.field === null || value === '') {
      continue;
    }
    if (column.field === 'full_name') {
      fullName ||= value;
    } else if (!hasValue(fields[column.field])) {
      fields[column.field] = value;
    }
  }
  if (fullName !== '' && (!hasValue(fields.first_name) || !hasValue(fields.last_name))) {
    const parts = splitFullName(fullName);
    if (!hasValue(fields.first_name) && parts.first_name !== undefined) {
      fields.first_name = parts.first_name;
    }
    if (!hasValue(fields.last_name) && parts.last_name !== undefined) {
      fields.last_name = parts.last_name;
    }
  }
  return fields;
}
