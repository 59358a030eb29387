import { isValidEmail } from './email';
import { type CanonicalField, type ContactFields, hasValue, MATCHABLE_FIELDS } from './fields';
import { isUsablePhone } from './phone';

export type ContactValidation = { valid: true } | { valid: false; reason: string };

const NAME_FIELDS = ['first_name', 'last_name'] as const;
const PLACE_FIELDS: readonly CanonicalField[] = ['street', 'postcode'];

// A contact is worth sending to a provider when there is something to match on: an e-mail or a phone; or
// a name (first, last or both) and one more field; or, with no name at all, a birth date and a street or
// postcode (a register row whose names were lost). Anything less is "nothing to match on": a name
// alone is shared by too many people, and a town or a job title alone says nothing about who.
// One answer for every valid contact: the matcher validates every row, most of them valid.
const VALID: ContactValidation = Object.freeze({ valid: true });

export function validateContact(fields: ContactFields): ContactValidation {
  // An e-mail or a phone is enough whatever else the contact holds (see below): most rows have one, and need no lists.
  const { email, phone } = fields;
  if ((hasValue(phone) && isUsablePhone(phone)) || (hasValue(email) && isValidEmail(email))) return VALID;
  const names = NAME_FIELDS.filter((field) => hasValue(fields[field]));
  const usable: CanonicalField[] = [];
  const unusable: string[] = [];
  for (const field of MATCHABLE_FIELDS) {
    const value = fields[field];
    if (!hasValue(value)) continue;
    if (field === 'email' && !isValidEmail(value)) unusable.push(`email "${value}" is not a valid address`);
    else if (field === 'phone' && !isUsablePhone(value)) unusable.push(`phone "${value}" is not a phone number`);
    else if (field !== 'country') usable.push(field);
  }
  if (usable.includes('email') || usable.includes('phone')) return VALID;
  if (names.length > 0 && usable.length > 0) return VALID;
  if (usable.includes('birth_date') && PLACE_FIELDS.some((field) => usable.includes(field))) return VALID;
  const present = [...names, ...usable];
  const problems = unusable.length > 0 ? `; ${unusable.join('; ')}` : '';
  if (present.length === 0) {
    return { valid: false, reason: `nothing to match on: no name, e-mail, phone or other field${problems}` };
  }
  if (usable.length === 0) {
    return {
      valid: false,
      reason: `nothing to match on: only a name${problems}; needs at least one more field (email, phone, birth_date, street, postcode, company, ...)`,
    };
  }
  const missingNames = NAME_FIELDS.filter((field) => !names.includes(field));
  return {
    valid: false,
    reason: `nothing to match on: only ${present.join(', ')} and missing ${missingNames.join(' and ')}${problems}; needs a name and one more field, an e-mail or a phone, or a birth date and an address`,
  };
}
