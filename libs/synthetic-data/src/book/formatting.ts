import type { ContactValues } from '../fields';
import type { Random } from '../random/random';
import { WeightedTable } from '../random/weighted-table';
import { STATE_NAMES } from '../reference/places';
import { type DateFormat, formatDate } from '../values/dates';
import { formatPhone, PHONE_FORMATS, type PhoneFormat } from '../values/phones';

// How people type the same values differently. A variation is recorded only when it changes the value
// away from the directory's own form (E.164 phone, ISO date, "US", state code).

const PHONE_FORMAT_TABLE = new WeightedTable<PhoneFormat>(PHONE_FORMATS.map((format) => [format, format === 'e164' ? 5 : 1] as const));
const DATE_FORMAT_TABLE = new WeightedTable<DateFormat>([
  ['iso', 5],
  ['us', 3],
  ['long', 2],
]);
const COUNTRY_FORMS = new WeightedTable<readonly [string, string]>([
  [['US', ''], 5],
  [['USA', 'country:usa'], 2],
  [['United States', 'country:united_states'], 2],
  [['', 'country:empty'], 1],
]);

const EMAIL_UPPER_SHARE = 0.1;
const EMAIL_MIXED_CASE_SHARE = 0.1;
const EMAIL_PADDED_SHARE = 0.08;
const STATE_FULL_NAME_SHARE = 0.3;
const NAME_SPACES_SHARE = 0.06;

function capitalizeWords(text: string): string {
  return text.replace(/(^|[.@_-])([a-z])/g, (_, separator: string, letter: string) => separator + letter.toUpperCase());
}

function formatEmail(random: Random, email: string, variations: string[]): string {
  let formatted = email;
  const caseRoll = random.next();
  if (caseRoll < EMAIL_UPPER_SHARE) {
    formatted = formatted.toUpperCase();
    variations.push('email:upper');
  } else if (caseRoll < EMAIL_UPPER_SHARE + EMAIL_MIXED_CASE_SHARE) {
    formatted = capitalizeWords(formatted);
    variations.push('email:mixed_case');
  }
  if (random.chance(EMAIL_PADDED_SHARE)) {
    formatted = ` ${formatted}  `;
    variations.push('email:padded');
  }
  return formatted;
}

/** "Mary Ann" -> "Mary  Ann"; a one-word name gets surrounding spaces instead. */
function spaceOutName(name: string): { name: string; variation: string } {
  return name.includes(' ') ? { name: name.replace(/ /g, '  '), variation: 'name:inner_spaces' } : { name: ` ${name} `, variation: 'name:padded' };
}

/** Renders canonical book values as typed in a book, with random formatting variations. */
export function formatBookValues(random: Random, values: ContactValues): { formatted: ContactValues; variations: string[] } {
  const variations: string[] = [];
  const formatted = { ...values };

  if (values.phone !== '') {
    const format = PHONE_FORMAT_TABLE.sample(random);
    formatted.phone = formatPhone(values.phone, format);
    if (format !== 'e164') {
      variations.push(`phone:${format}`);
    }
  }
  if (values.email !== '') {
    formatted.email = formatEmail(random, values.email, variations);
  }
  if (values.birth_date !== '') {
    const format = DATE_FORMAT_TABLE.sample(random);
    formatted.birth_date = formatDate(values.birth_date, format);
    if (format !== 'iso') {
      variations.push(`birthday:${format}`);
    }
  }
  if (values.country !== '') {
    const [country, variation] = COUNTRY_FORMS.sample(random);
    formatted.country = country;
    if (variation !== '') {
      variations.push(variation);
    }
  }
  const stateName = STATE_NAMES[values.state];
  if (stateName !== undefined && random.chance(STATE_FULL_NAME_SHARE)) {
    formatted.state = stateName;
    variations.push('state:full_name');
  }
  if (random.chance(NAME_SPACES_SHARE)) {
    const field = random.chance(0.5) && values.first_name !== '' ? 'first_name' : 'last_name';
    if (values[field] !== '') {
      const spaced = spaceOutName(formatted[field]);
      formatted[field] = spaced.name;
      variations.push(`${spaced.variation}:${field}`);
    }
  }
  return { formatted, variations };
}
