import type { Random } from '../random/random';
import { isoDateOfDay } from '../values/dates';

const ISO_DATE = /^(\d{4})-(\d{2})-(\d{2})$/;
/** Digits of "YYYY-MM-DD" that a clerk can get wrong: the year's last two, the month's and the day's. */
const DIGIT_POSITIONS = [2, 3, 5, 6, 8, 9] as const;
const POSITION_NAMES: Readonly<Record<number, string>> = { 2: 'year', 3: 'year', 5: 'month', 6: 'month', 8: 'day', 9: 'day' };
const EARLIEST_YEAR = 1900;
const LATEST_YEAR = 2025;

/** Whether an ISO date names a real calendar day (no February 30th). */
export function isRealIsoDate(value: string): boolean {
  const match = ISO_DATE.exec(value);
  if (match === null) {
    return false;
  }
  const day = Date.UTC(Number(match[1]), Number(match[2]) - 1, Number(match[3])) / 86_400_000;
  return Number.isInteger(day) && isoDateOfDay(day) === value;
}

export interface DateError {
  date: string;
  /** "day", "month" or "year": the part whose digit changed. */
  part: string;
}

/**
 * One digit of the day, month or year changed, still a real date between 1900 and 2025 ("1985-03-14" ->
 * "1985-08-14", "1985-03-17", "1965-03-14"); undefined when the date is not ISO.
 */
export function oneDigitDateError(random: Random, iso: string): DateError | undefined {
  if (!isRealIsoDate(iso)) {
    return undefined;
  }
  const options: DateError[] = [];
  for (const position of DIGIT_POSITIONS) {
    for (let digit = 0; digit <= 9; digit++) {
      const date = `${iso.slice(0, position)}${digit}${iso.slice(position + 1)}`;
      const year = Number(date.slice(0, 4));
      if (date !== iso && year >= EARLIEST_YEAR && year <= LATEST_YEAR && isRealIsoDate(date)) {
        options.push({ date, part: POSITION_NAMES[position] ?? 'day' });
      }
    }
  }
  return options.length === 0 ? undefined : random.pick(options);
}

/** Day and month swapped ("1985-03-07" -> "1985-07-03"), when both are 12 or less and differ; else undefined. */
export function swapDayAndMonth(iso: string): string | undefined {
  const match = ISO_DATE.exec(iso);
  if (match === null || match[2] === match[3] || Number(match[3]) > 12 || Number(match[2]) > 12) {
    return undefined;
  }
  return `${match[1]}-${match[3]}-${match[2]}`;
}
