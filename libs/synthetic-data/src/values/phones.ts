import { MAX_DIRECTORY_SIZE } from '../options';
import { KeyedPermutation } from '../random/permutation';
import { hashKeys, type Random } from '../random/random';
import { AREA_CODES } from '../reference/places';

// Exchanges (the three digits after the area code) that a real subscriber can have: 2xx-9xx without the
// N11 service codes, 555 (fiction and directory assistance) and a few reserved or premium ones.
const EXCHANGES: readonly number[] = Array.from({ length: 800 }, (_, offset) => 200 + offset).filter(
  (exchange) => exchange % 100 !== 11 && ![555, 950, 958, 959, 976].includes(exchange),
);

const LINES_PER_EXCHANGE = 10_000;
const SUBSCRIBER_SPACE = EXCHANGES.length * LINES_PER_EXCHANGE;
const PHONE_PERMUTATION_STREAM = 0x70686f6e;

/**
 * Subscriber numbers (exchange + line) come from a keyed permutation of [0, SUBSCRIBER_SPACE): directory
 * person i gets slot i, and everybody outside the directory (strangers, outdated numbers) gets a slot at or
 * above MAX_DIRECTORY_SIZE. So directory phones are unique whatever their area codes, and no outside phone
 * can ever equal a directory phone.
 */
export class PhoneSpace {
  private readonly permutation: KeyedPermutation;

  constructor(readonly seed: number) {
    this.permutation = new KeyedPermutation(hashKeys([seed, PHONE_PERMUTATION_STREAM]), SUBSCRIBER_SPACE);
  }

  directoryPhone(index: number, areaCode: number): string {
    if (index >= MAX_DIRECTORY_SIZE) {
      throw new RangeError(`directory index ${index} is beyond ${MAX_DIRECTORY_SIZE}`);
    }
    return this.phoneAt(index, areaCode);
  }

  outsidePhone(random: Random): string {
    const slot = MAX_DIRECTORY_SIZE + random.int(SUBSCRIBER_SPACE - MAX_DIRECTORY_SIZE);
    return this.phoneAt(slot, random.pick(AREA_CODES));
  }

  private phoneAt(slot: number, areaCode: number): string {
    const subscriber = this.permutation.apply(slot);
    const exchange = EXCHANGES[(subscriber - (subscriber % LINES_PER_EXCHANGE)) / LINES_PER_EXCHANGE] ?? 0;
    const line = `${subscriber % LINES_PER_EXCHANGE}`.padStart(4, '0');
    return `+1${areaCode}${exchange}${line}`;
  }
}

let lastPhoneSpace: PhoneSpace | undefined;

/** The PhoneSpace of a seed, reused across calls because directoryPerson(seed, index) runs once per person. */
export function phoneSpaceFor(seed: number): PhoneSpace {
  if (lastPhoneSpace?.seed !== seed) {
    lastPhoneSpace = new PhoneSpace(seed);
  }
  return lastPhoneSpace;
}

export const PHONE_FORMATS = ['e164', 'parentheses', 'dashes', 'dots', 'digits', 'spaced'] as const;

export type PhoneFormat = (typeof PHONE_FORMATS)[number];

/** "+14155550134" -> "(415) 555-0134", "415-555-0134", "415.555.0134", "4155550134" or "+1 415 555 0134". */
export function formatPhone(e164: string, format: PhoneFormat): string {
  const match = /^\+1(\d{3})(\d{3})(\d{4})$/.exec(e164);
  if (match === null) {
    return e164;
  }
  const [, area, exchange, line] = match;
  switch (format) {
    case 'e164':
      return e164;
    case 'parentheses':
      return `(${area}) ${exchange}-${line}`;
    case 'dashes':
      return `${area}-${exchange}-${line}`;
    case 'dots':
      return `${area}.${exchange}.${line}`;
    case 'digits':
      return `${area}${exchange}${line}`;
    case 'spaced':
      return `+1 ${area} ${exchange} ${line}`;
  }
}
