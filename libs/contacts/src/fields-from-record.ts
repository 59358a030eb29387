import { splitAddress } from './address';
import { type ColumnMapping, type ContactFields, hasValue } from './fields';
import { splitFullName } from './full-name';
import { isWholeAddressHeader } from './header-synonyms';

// Parts read from a full name or a whole address only fill fields no column of their own has filled.
function fillEmpty(fields: ContactFields, parts: ContactFields): void {
  for (const [field, value] of Object.entries(parts) as [keyof ContactFields, string][]) {
    if (!hasValue(fields[field]) && hasValue(value)) {
      fields[field] = value;
    }
  }
}

export function fieldsFromRecord(cells: readonly string[], mapping: readonly ColumnMapping[]): ContactFields {
  const fields: ContactFields = {};
  let fullName = '';
  let wholeAddress = '';
  let streetNumber = '';
  for (const column of mapping) {
    const value = (cells[column.index] ?? '').trim();
    if (column.field === null || value === '') {
      continue;
    }
    if (column.field === 'full_name') {
      fullName ||= value;
    } else if (column.field === 'street_number') {
      streetNumber ||= value;
    } else if (column.field === 'street' && value.includes('  ') && isWholeAddressHeader(column.name)) {
      // Only a double space can separate address parts (see splitAddress); most streets have none.
      wholeAddress ||= value;
    } else if (!hasValue(fields[column.field])) {
      fields[column.field] = value;
    }
  }
  if (fullName !== '' && (!hasValue(fields.first_name) || !hasValue(fields.last_name))) {
    fillEmpty(fields, splitFullName(fullName));
  }
  if (wholeAddress !== '') {
    fillEmpty(fields, splitAddress(wholeAddress));
  }
  if (streetNumber !== '') {
    // "27" + "Sinclair Street" = "27 Sinclair Street"; a street that already starts with it is left alone.
    const street = fields.street ?? '';
    if (!street.startsWith(`${streetNumber} `)) fields.street = street === '' ? streetNumber : `${streetNumber} ${street}`;
  }
  return fields;
}
