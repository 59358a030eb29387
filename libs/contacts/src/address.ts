import type { ContactFields } from './fields';

// Mailchimp exports its ADDRESS field as one cell whose parts are separated by two spaces:
// "addr1  [addr2  ]city  state  zip  [country]". Splitting on exactly two spaces keeps an empty part
// (four spaces) in its place.
const partSeparator = / {2}/u;
const digit = /\d/u;

// A whole address in one cell -> street, city, state, postcode and country. Anything that does not have
// that shape (single spaces only, fewer than four parts, a postcode without digits) is taken as the street.
export function splitAddress(text: string): ContactFields {
  const whole = text.trim();
  const parts = whole.split(partSeparator).map((part) => part.trim());
  // Countries have no digits and postcodes do, so a last part with digits is the postcode: no country.
  const country = digit.test(parts.at(-1) ?? '') ? '' : (parts.pop() ?? '');
  const [city = '', state = '', postcode = ''] = parts.slice(-3);
  const street = parts
    .slice(0, -3)
    .filter((part) => part !== '')
    .join(' ');
  if (parts.length < 4 || street === '' || (postcode !== '' && !digit.test(postcode))) {
    return { street: whole };
  }
  const fields: ContactFields = { street, city, state, postcode, country };
  return Object.fromEntries(Object.entries(fields).filter(([, value]) => value !== ''));
}
