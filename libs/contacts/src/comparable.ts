import { parseBirthDate } from './birth-date';
import { comparableCompany } from './company';
import { countryCode } from './countries';
import { standardizeEmail } from './email';
import type { CanonicalField } from './fields';
import { stripHonorifics, stripNameSuffixes } from './full-name';
import { phoneDigits } from './phone';
import { comparablePostcode } from './postcode';
import { comparableStreet } from './street';
import { cleanText, foldName } from './text';
import { usStateCode } from './us-states';

// Two values are "the same" for labels and matching iff their comparable values are equal. '' means the
// value has nothing to compare (an unreadable birth date): treat it as absent, never as equal to another ''.
export function comparableValue(field: CanonicalField, value: string): string {
  const text = cleanText(value);
  switch (field) {
    case 'first_name':
      return foldName(stripHonorifics(text));
    case 'last_name':
      return foldName(stripNameSuffixes(text));
    case 'city':
    case 'title':
      return foldName(text);
    case 'email':
      return standardizeEmail(text);
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
      // '' (no value) for a date without a year, with a two-digit year or unreadable: it cannot tell two
      // people apart, and the matcher takes different birth dates as proof of different people.
      return parseBirthDate(text) ?? '';
  }
}
