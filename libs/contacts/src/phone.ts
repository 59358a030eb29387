import { type CountryCode, isSupportedCountry, parsePhoneNumberFromString } from 'libphonenumber-js';

// Already E.164: parsing again would return the same string, and directories hold millions of these.
const e164Shape = /^\+[1-9]\d{6,14}$/;

export function toRegion(country: string | undefined): CountryCode | undefined {
  return country !== undefined && isSupportedCountry(country) ? country : undefined;
}

// The ways a North American number is mostly written — 4155550134, 415-555-0134, 415.555.0134, (415) 555-0134 in
// the US, +1 415 555 0134 anywhere — with an area code of 2-9, so that neither a national prefix (1) nor an
// international one (011) can be read into it: libphonenumber-js reads every such number as +1 and its ten digits
// (phone.test.ts checks every area code against it), and a parse cost about 15 µs and 7 KB of garbage a row.
const usNational = /^([2-9]\d\d)([-.]?)(\d{3})\2(\d{4})$/;
const usParenthesized = /^\(([2-9]\d\d)\) (\d{3})-(\d{4})$/;
const northAmericanInternational = /^\+1 ([2-9]\d\d) (\d{3}) (\d{4})$/;

// +1 and the ten digits of a number in one of the shapes above, else undefined (left to libphonenumber-js).
function northAmericanE164(phone: string, region: CountryCode): string | undefined {
  if (phone.length === 15 && phone.charCodeAt(0) === 43) {
    const parts = northAmericanInternational.exec(phone);
    return parts === null ? undefined : `+1${parts[1]}${parts[2]}${parts[3]}`;
  }
  if (region !== 'US') return undefined;
  if (phone.charCodeAt(0) === 40) {
    const parts = usParenthesized.exec(phone);
    return parts === null ? undefined : `+1${parts[1]}${parts[2]}${parts[3]}`;
  }
  const parts = usNational.exec(phone);
  return parts === null ? undefined : `+1${parts[1]}${parts[3]}${parts[4]}`;
}

// E.164 when libphonenumber-js reads a possible number; otherwise the cleaned original, so nothing
// the user typed is lost.
export function standardizePhone(phone: string, region: CountryCode): string {
  if (e164Shape.test(phone)) {
    return phone;
  }
  const northAmerican = northAmericanE164(phone, region);
  if (northAmerican !== undefined) return northAmerican;
  const parsed = parsePhoneNumberFromString(phone, region);
  return parsed?.isPossible() ? parsed.number : phone;
}

export function phoneDigits(phone: string): string {
  if (phone.startsWith('+')) {
    // A standardized phone (E.164) has one character besides its digits: no regular expression needed.
    return e164Shape.test(phone) ? phone.slice(1) : phone.replace(/\D/gu, '');
  }
  // Unstandardized national numbers are read as US numbers, the product's default region.
  const parsed = parsePhoneNumberFromString(phone, 'US');
  return (parsed?.isPossible() ? parsed.number : phone).replace(/\D/gu, '');
}

// Seven digits or more, counted in place (every row is validated).
export function isUsablePhone(phone: string): boolean {
  let digits = 0;
  for (let index = 0; index < phone.length && digits < 7; index += 1) {
    const code = phone.charCodeAt(index);
    if (code >= 48 && code <= 57) digits += 1;
  }
  return digits >= 7;
}
