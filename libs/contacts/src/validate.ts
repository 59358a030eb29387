import { isValidEmail } from './email';
import { type ContactFields, hasValue, MATCHABLE_FIELDS } from './fields';
import { isUsablePhone } from './phone';

export type ContactValidation = { valid: true } | { valid: false; reason: string };

function missingNameReason(fields: ContactFields): string | undefined {
  const missing = (['first_name', 'last_name'] as const).filter((field) => !hasValue(fields[field]));
  return missing.length === 0 ? undefined : `missing ${missing.join(' and ')}`;
}

// A contact is only worth sending to a provider when something besides the name can confirm a match.
export function validateContact(fields: ContactFields): ContactValidation {
  const missingName = missingNameReason(fields);
  if (missingName !== undefined) {
    return { valid: false, reason: missingName };
  }
  const unusable: string[] = [];
  for (const field of MATCHABLE_FIELDS) {
    const value = fields[field];
    if (!hasValue(value)) {
      continue;
    }
    if (field === 'email' && !isValidEmail(value)) {
      unusable.push(`email "${value}" is not a valid address`);
    } else if (field === 'phone' && !isUsablePhone(value)) {
      unusable.push(`phone "${value}" is not a phone number`);
    } else {
      return { valid: true };
    }
  }
  if (unusable.length > 0) {
    return { valid: false, reason: `${unusable.join('; ')} and no other field to match on` };
  }
  return {
    valid: false,
    reason: `only a name: needs at least one more field (${MATCHABLE_FIELDS.slice(0, 3).join(', ')}, ...)`,
  };
}
