import type { Random } from '../random/random';

const DAY_MS = 86_400_000;
// A local binding: global lookups are slow under Jest's test context (see random/random.ts).
const { floor } = Math;

/** Days since 1970-01-01 of an ISO date. */
export function dayNumber(isoDate: string): number {
  return Math.floor(Date.parse(`${isoDate}T00:00:00Z`) / DAY_MS);
}

function twoDigits(value: number): string {
  return value < 10 ? `0${value}` : String(value);
}

/**
 * The ISO date of a day number, by Howard Hinnant's civil-from-days algorithm: a person needs two dates,
 * and going through Date and toISOString was the slowest part of generating one.
 */
export function isoDateOfDay(day: number): string {
  const shifted = day + 719_468;
  const era = floor(shifted / 146_097);
  const dayOfEra = shifted - era * 146_097;
  const yearOfEra = floor((dayOfEra - floor(dayOfEra / 1_460) + floor(dayOfEra / 36_524) - floor(dayOfEra / 146_096)) / 365);
  const dayOfYear = dayOfEra - (365 * yearOfEra + floor(yearOfEra / 4) - floor(yearOfEra / 100));
  const monthIndex = floor((5 * dayOfYear + 2) / 153);
  const dayOfMonth = dayOfYear - floor((153 * monthIndex + 2) / 5) + 1;
  const month = monthIndex < 10 ? monthIndex + 3 : monthIndex - 9;
  const year = yearOfEra + era * 400 + (month <= 2 ? 1 : 0);
  return `${year}-${twoDigits(month)}-${twoDigits(dayOfMonth)}`;
}

export interface DayRange {
  first: number;
  last: number;
}

export function dayRange(from: string, to: string): DayRange {
  return { first: dayNumber(from), last: dayNumber(to) };
}

/** A uniformly drawn ISO date (YYYY-MM-DD) in a range of days, both ends included. */
export function isoDateBetween(random: Random, range: DayRange): string {
  return isoDateOfDay(random.between(range.first, range.last));
}

export const BIRTH_DATES = dayRange('1940-01-01', '2004-12-31');
// Fixed rather than "today" so that the same seed gives the same files on any day.
export const UPDATED_AT_DATES = dayRange('2024-01-01', '2026-10-31');

export const MONTH_NAMES: readonly string[] = [
  'January',
  'February',
  'March',
  'April',
  'May',
  'June',
  'July',
  'August',
  'September',
  'October',
  'November',
  'December',
];

export const DATE_FORMATS = ['iso', 'us', 'long'] as const;

export type DateFormat = (typeof DATE_FORMATS)[number];

/** "1985-03-14" -> "1985-03-14", "03/14/1985" or "March 14, 1985". */
export function formatDate(isoDate: string, format: DateFormat): string {
  const match = /^(\d{4})-(\d{2})-(\d{2})$/.exec(isoDate);
  if (match === null) {
    return isoDate;
  }
  const [, year, month, day] = match;
  switch (format) {
    case 'iso':
      return isoDate;
    case 'us':
      return `${month}/${day}/${year}`;
    case 'long':
      return `${MONTH_NAMES[Number(month) - 1]} ${Number(day)}, ${year}`;
  }
}
