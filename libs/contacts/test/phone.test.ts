import { type CountryCode, parsePhoneNumberFromString } from 'libphonenumber-js';
import { phoneDigits, standardizePhone } from '../src/phone';

// The real parser, counted: the common shapes must not reach it.
jest.mock('libphonenumber-js', () => {
  const actual = jest.requireActual<typeof import('libphonenumber-js')>('libphonenumber-js');
  return { ...actual, parsePhoneNumberFromString: jest.fn(actual.parsePhoneNumberFromString) };
});
const parse = parsePhoneNumberFromString as jest.MockedFunction<typeof parsePhoneNumberFromString>;

// What standardizePhone returned before its North American shortcut: libphonenumber-js for every number not already E.164.
function parsed(phone: string, region: CountryCode): string {
  const number = parsePhoneNumberFromString(phone, region);
  return number?.isPossible() ? number.number : phone;
}

// Seeded, so a failure names the same numbers again.
function digits(seed: number, count: number): string {
  let state = seed;
  let text = '';
  for (let index = 0; index < count; index += 1) {
    state = (Math.imul(state, 1_103_515_245) + 12_345) >>> 0;
    text += String((state >>> 16) % 10);
  }
  return text;
}

describe('standardizePhone', () => {
  it('writes the common North American shapes as libphonenumber-js does, for every area code', () => {
    let compared = 0;
    for (let area = 100; area <= 999; area += 1) {
      for (const seed of [area * 7919]) {
        const rest = digits(seed, 7);
        const [a, e, l] = [String(area), rest.slice(0, 3), rest.slice(3)];
        for (const phone of [`${a}${e}${l}`, `${a}-${e}-${l}`, `${a}.${e}.${l}`, `(${a}) ${e}-${l}`, `+1 ${a} ${e} ${l}`]) {
          expect([phone, standardizePhone(phone, 'US')]).toEqual([phone, parsed(phone, 'US')]);
          compared += 1;
        }
        const international = `+1 ${a} ${e} ${l}`;
        expect([international, standardizePhone(international, 'GB')]).toEqual([international, parsed(international, 'GB')]);
      }
    }
    expect(compared).toBe(900 * 5);
  });

  it('writes them without parsing (a parse cost about 15 µs and 7 KB of garbage a row)', () => {
    parse.mockClear();
    for (const phone of ['4155550134', '415-555-0134', '415.555.0134', '(415) 555-0134', '+1 415 555 0134']) {
      expect(standardizePhone(phone, 'US')).toBe('+14155550134');
    }
    expect(parse).not.toHaveBeenCalled();
    expect(standardizePhone('020 7946 0958', 'GB')).toBe('+442079460958');
    expect(parse).toHaveBeenCalledTimes(1);
  });

  it('leaves other shapes and regions to libphonenumber-js', () => {
    const cases: [string, CountryCode][] = [
      ['415-555.0134', 'US'],
      ['(415)555-0134', 'US'],
      ['1 415 555 0134', 'US'],
      ['011 44 20 7946 0958', 'US'],
      ['4155550134', 'CA'],
      ['2079460958', 'GB'],
      ['+1 415 555 013', 'US'],
      ['+44 20 7946 0958', 'US'],
    ];
    for (const [phone, region] of cases) expect([phone, standardizePhone(phone, region)]).toEqual([phone, parsed(phone, region)]);
  });

  it('keeps a number already in E.164 as it is', () => {
    expect(standardizePhone('+14155550134', 'GB')).toBe('+14155550134');
  });
});

describe('phoneDigits', () => {
  it('reads the digits of E.164 and of other shapes', () => {
    expect(phoneDigits('+14155550134')).toBe('14155550134');
    expect(phoneDigits('+1 (415) 555-0134')).toBe('14155550134');
    expect(phoneDigits('415.555.0134')).toBe('14155550134');
  });
});
