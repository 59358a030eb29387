import { type CountryCode, isSupportedCountry, parsePhoneNumberFromString } from 'libphonenumber-js';

// Already E.164: parsing again would return the same string, and directories hold millions of these.
const e164Shape = /^\+[1-9]\d{6,14}$/;

export function toRegion(country: string | undefined): CountryCode | undefined {
  return country !== undefined && isSupportedCountry(country) ? country : undefined;
}

// E.164 when libphonenumber-js reads a possible number; otherwise the cleaned original, so nothing
// the user typed is lost.
export function standardizePhone(phone: string, region: CountryCode): string {
  if (e164Shape.test(phone)) {
    return phone;
  }
  const parsed = parsePhoneNumberFromString(phone, region);
  return parsed?.isPossible() ? parsed.number : phone;
}

export function phoneDigits(phone: string): string {
  if (phone.startsWith('+')) {
    return phone.replace(/\D/gu, '');
  }
  // Unstandardized national numbers are read as US numbers, the product's default region.
  const parsed = parsePhoneNumberFromString(phone, 'US');
  return (parsed?.isPossible() ? parsed.number : phone).replace(/\D/gu, '');
}

export function isUsablePhone(phone: string): boolean {
  return phone.replace(/\D/gu, '').length >= 7;
}
