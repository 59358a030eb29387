import { type DateOrder, standardizeBirthDate } from './birth-date';
import { standardizeCountry } from './countries';
import { standardizeEmail } from './email';
import { CANONICAL_FIELDS, type CanonicalField, type ContactFields, hasValue } from './fields';
import { stripHonorifics, stripNameSuffixes } from './full-name';
import { standardizePhone, toRegion } from './phone';
import { cleanText } from './text';
import { usStateCode } from './us-states';

export interface StandardizeOptions {
  // ISO 3166 alpha-2 region used to read national phone numbers when the contact has no known country.
  defaultRegion?: string;
  // How to read a slashed date when both orders are possible ("04/05/1985"): 'MDY' (US, the default) or
  // 'DMY'. A number above 12 decides whatever the order.
  dateOrder?: DateOrder;
}

const DEFAULT_REGION = 'US';

function cleaned(fields: ContactFields, field: CanonicalField): string {
  const value = fields[field];
  return hasValue(value) ? cleanText(value) : '';
}

// Display-ready values: what a user should see and what the provider is asked about.
export function standardizeContact(fields: ContactFields, options: StandardizeOptions = {}): ContactFields {
  const countryText = cleaned(fields, 'country');
  const country = countryText === '' ? undefined : standardizeCountry(countryText);
  const isUs = country === undefined || country === 'US';
  const standardized: ContactFields = {};
  for (const field of CANONICAL_FIELDS) {
    const value = field === 'country' ? (country ?? '') : cleaned(fields, field);
    if (value === '') {
      continue;
    }
    switch (field) {
      case 'first_name':
        standardized.first_name = stripHonorifics(value);
        break;
      case 'last_name':
        standardized.last_name = stripNameSuffixes(value);
        break;
      case 'email':
        standardized.email = standardizeEmail(value);
        break;
      case 'phone':
        standardized.phone = standardizePhone(value, toRegion(country) ?? toRegion(options.defaultRegion?.toUpperCase()) ?? DEFAULT_REGION);
        break;
      case 'birth_date': {
        const birthDate = standardizeBirthDate(value, options.dateOrder);
        if (birthDate !== '') {
          standardized.birth_date = birthDate;
        }
        break;
      }
      case 'state':
        // Outside the US a state name like "Georgia" may mean something else; leave it as typed.
        standardized.state = isUs ? (usStateCode(value) ?? value) : value;
        break;
      case 'postcode':
        standardized.postcode = value.toUpperCase();
        break;
      default:
        standardized[field] = value;
    }
  }
  return standardized;
}
