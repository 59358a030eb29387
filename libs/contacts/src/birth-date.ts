const monthNumbers: Readonly<Record<string, number>> = {
  jan: 1,
  january: 1,
  feb: 2,
  february: 2,
  mar: 3,
  march: 3,
  apr: 4,
  april: 4,
  may: 5,
  jun: 6,
  june: 6,
  jul: 7,
  july: 7,
  aug: 8,
  august: 8,
  sep: 9,
  sept: 9,
  september: 9,
  oct: 10,
  october: 10,
  nov: 11,
  november: 11,
  dec: 12,
  december: 12,
};

// US month-first is the default; DMY reads ambiguous slashed dates day-first.
export type DateOrder = 'MDY' | 'DMY';

const isoDate = /^(\d{4})[-/.](\d{1,2})[-/.](\d{1,2})(?:[T ][\d:.]+(?:Z|[+-]\d{2}:?\d{2})?)?$/u;
const slashDate = /^(\d{1,2})\/(\d{1,2})\/(\d{4})$/u;
const dotDate = /^(\d{1,2})\.(\d{1,2})\.(\d{4})$/u;
// YYYYMMDD, years 1800 to 2099. DDMMYYYY digits never pass as one: their "month" would be 19 or 20.
const compactDate = /^((?:18|19|20)\d{2})(\d{2})(\d{2})$/u;
// What Outlook writes for an empty date field.
const blankDate = /^0+[-/.]0+[-/.]0+$/u;
const monthFirst = /^([a-z]+)\.? (\d{1,2})(?:st|nd|rd|th)? (\d{4})$/u;
const dayFirst = /^(\d{1,2})(?:st|nd|rd|th)? ([a-z]+)\.? (\d{4})$/u;

const canonicalIso = /^\d{4}-\d{2}-\d{2}$/u;

function daysInMonth(year: number, month: number): number {
  if (month === 2) {
    const leap = (year % 4 === 0 && year % 100 !== 0) || year % 400 === 0;
    return leap ? 29 : 28;
  }
  return month === 4 || month === 6 || month === 9 || month === 11 ? 30 : 31;
}

function isoIfReal(year: number, month: number, day: number): string | undefined {
  if (month < 1 || month > 12 || day < 1 || day > daysInMonth(year, month)) {
    return undefined;
  }
  return `${String(year).padStart(4, '0')}-${String(month).padStart(2, '0')}-${String(day).padStart(2, '0')}`;
}

function fromSlashes(first: number, second: number, year: number, order: DateOrder): string | undefined {
  // Only a number above 12 proves which one is the day; otherwise the order decides.
  const dayFirst = first > 12 || (order === 'DMY' && second <= 12);
  return dayFirst ? isoIfReal(year, second, first) : isoIfReal(year, first, second);
}

function fromMonthName(monthName: string, day: number, year: number): string | undefined {
  const month = monthNumbers[monthName];
  return month === undefined ? undefined : isoIfReal(year, month, day);
}

// ISO YYYY-MM-DD, or undefined when the text is not a date we can read without guessing
// (no year or a two-digit year, dashed day/month orders, impossible dates).
export function parseBirthDate(text: string, order: DateOrder = 'MDY'): string | undefined {
  const value = text.trim();
  // Already standardized: check the date is real, keep the string.
  if (canonicalIso.test(value)) {
    const month = Number(value.slice(5, 7));
    const day = Number(value.slice(8, 10));
    return month >= 1 && month <= 12 && day >= 1 && day <= daysInMonth(Number(value.slice(0, 4)), month) ? value : undefined;
  }
  let parts = isoDate.exec(value);
  if (parts !== null) {
    return isoIfReal(Number(parts[1]), Number(parts[2]), Number(parts[3]));
  }
  parts = slashDate.exec(value);
  if (parts !== null) {
    return fromSlashes(Number(parts[1]), Number(parts[2]), Number(parts[3]), order);
  }
  parts = dotDate.exec(value);
  if (parts !== null) {
    return isoIfReal(Number(parts[3]), Number(parts[2]), Number(parts[1]));
  }
  parts = compactDate.exec(value);
  if (parts !== null) {
    return isoIfReal(Number(parts[1]), Number(parts[2]), Number(parts[3]));
  }
  const words = value.toLowerCase().replace(/[\s,-]+/gu, ' ');
  parts = monthFirst.exec(words);
  if (parts !== null) {
    return fromMonthName(parts[1] ?? '', Number(parts[2]), Number(parts[3]));
  }
  parts = dayFirst.exec(words);
  if (parts !== null) {
    return fromMonthName(parts[2] ?? '', Number(parts[1]), Number(parts[3]));
  }
  return undefined;
}

// Display form: ISO when readable, '' for Outlook's blank "0/0/00", otherwise as typed (a yearless
// Mailchimp "03/14" stays "03/14": there is no ISO form for it, and nothing the user typed is lost).
export function standardizeBirthDate(text: string, order: DateOrder = 'MDY'): string {
  return blankDate.test(text) ? '' : (parseBirthDate(text, order) ?? text);
}
