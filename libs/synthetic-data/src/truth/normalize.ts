import type { ContactField } from '../fields';
import { STATE_NAMES } from '../reference/places';
import { stripAccents } from '../text/accents';
import { MONTH_NAMES } from '../values/dates';

// The reference normalization of a perfect system: two values are "the same" when they only differ by
// the formatting variations this package applies (case, accents, spaces, phone/date/country/state forms).

const STATE_CODES_BY_NAME = new Map(Object.entries(STATE_NAMES).map(([code, name]) => [name.toLowerCase(), code]));
const COUNTRY_SYNONYMS = new Set(['us', 'usa', 'united states', 'united states of america']);

function normalizeText(value: string): string {
  return stripAccents(value).toLowerCase().replace(/\s+/g, ' ').trim();
}

function normalizePhone(value: string): string {
  const digits = value.replace(/\D/g, '');
  return digits.length === 10 ? `1${digits}` : digits;
}

function normalizeDate(value: string): string {
  const text = value.trim();
  const us = /^(\d{2})\/(\d{2})\/(\d{4})$/.exec(text);
  if (us !== null) {
    return `${us[3]}-${us[1]}-${us[2]}`;
  }
  const long = /^([A-Za-z]+) (\d{1,2}), (\d{4})$/.exec(text);
  if (long !== null) {
    const month = MONTH_NAMES.findIndex((name) => name.toLowerCase() === long[1]?.toLowerCase()) + 1;
    return `${long[3]}-${String(month).padStart(2, '0')}-${String(long[2]).padStart(2, '0')}`;
  }
  return text;
}

function normalizeState(value: string): string {
  const text = normalizeText(value);
  return (STATE_CODES_BY_NAME.get(text) ?? text).toUpperCase();
}

function normalizeCountry(value: string): string {
  const text = normalizeText(value);
  return COUNTRY_SYNONYMS.has(text) ? 'US' : text;
}

export function normalizeFieldValue(field: ContactField, value: string): string {
  switch (field) {
    case 'email':
      return value.trim().toLowerCase();
    case 'phone':
      return normalizePhone(value);
    case 'birth_date':
      return normalizeDate(value);
    case 'state':
      return normalizeState(value);
    case 'country':
      return normalizeCountry(value);
    default:
      return normalizeText(value);
  }
}

export function sameFieldValue(field: ContactField, left: string, right: string): boolean {
  return normalizeFieldValue(field, left) === normalizeFieldValue(field, right);
}
