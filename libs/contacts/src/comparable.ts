import type { CanonicalField } from './fields';
import { parseBirthDate } from './birth-date';
import { comparableCompany } from './company';
import { countryCode } from './countries';
import { phoneDigits } from './phone';
import { comparablePostcode } from './postcode';
import { comparableStreet } from './street';
import { cleanText, foldName } from './text';
import { usStateCode } from './us-states';

// Two values are "the same" for labels and matching iff their comparable values are equal.
export function comparableValue(field: CanonicalField, value: string): string {
  const text = cleanText(value);
  switch (field) {
    case 'first_name':
    case 'last_name':
    case 'city':
    case 'title':
      return foldName(text);
    case 'email':
      return text.toLowerCase();
    case 'phone':
      return phoneDigits(text);
    case 'company':
      return comparableCompany(text);
    case 'street':
      return comparableStreet(text);
    case 'state':
      return (usStateCode(text) ?? foldName(text)).toLowerCase();
    case 'country':
      return (countryCode(text) ?? foldName(text)).toLowerCase();
    case 'postcode':
      return comparablePostcode(text);
    case 'birth_date':
      return parseBirthDate(text) ?? text;
  }
}
