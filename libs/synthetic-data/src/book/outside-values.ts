import type { DirectoryPerson } from '../directory/directory-person';
import type { ContactValues } from '../fields';
import type { Random } from '../random/random';
import { companyLists } from '../reference/companies';
import { LEGACY_DOMAINS, OUTSIDE_DOMAINS } from '../reference/email-domains';
import { JOB_TITLES } from '../reference/job-titles';
import { drawCityWhere, drawPostcode, drawStreet } from '../values/addresses';
import { BIRTH_DATES, isoDateBetween } from '../values/dates';
import { emailLocalPart, type Mailbox } from '../values/emails';
import type { PhoneSpace } from '../values/phones';

// Values for people outside the directory and for outdated values of directory people. E-mail domains,
// phone slots, house numbers and employers all come from ranges the directory never uses (see
// reference/email-domains.ts, values/phones.ts, values/addresses.ts, reference/companies.ts).

const OPTIONAL_FIELD_MISSING_SHARE = 0.12;

function pickOther<T>(random: Random, items: readonly T[], avoid: (item: T) => boolean): T {
  for (let attempt = 0; attempt < 100; attempt++) {
    const item = random.pick(items);
    if (!avoid(item)) {
      return item;
    }
  }
  const fallback = items.find((item) => !avoid(item));
  if (fallback === undefined) {
    throw new Error('every candidate is excluded');
  }
  return fallback;
}

/**
 * A full contact for somebody who is not in the directory. With `unlike`, every field but the name and
 * the country differs from that person's (look-alikes). Email or phone is always present, so the row is
 * usable and must be left unmatched rather than rejected.
 */
export function outsideContact(random: Random, phones: PhoneSpace, name: { first: string; last: string }, unlike?: DirectoryPerson): ContactValues {
  const birthDate = drawBirthDate(random, unlike?.birth_date);
  const place = drawCityWhere(random, (candidate) => unlike === undefined || (candidate.name !== unlike.city && candidate.state !== unlike.state));
  const company = random.pick(companyLists().outside);
  const title = pickOther(random, JOB_TITLES, (candidate) => candidate === unlike?.title);
  const atWork = random.chance(0.3);
  const domain = atWork ? company.domain : random.pick(OUTSIDE_DOMAINS);
  const mailbox: Mailbox = atWork ? { kind: 'company' } : { kind: 'provider', namesakes: 1 };
  const missing = (): boolean => random.chance(OPTIONAL_FIELD_MISSING_SHARE);
  const hasPhone = !missing();
  const hasEmail = !hasPhone || !missing();
  const hasJob = !missing();
  return {
    first_name: name.first,
    last_name: name.last,
    email: hasEmail ? `${emailLocalPart(random, name.first, name.last, birthDate.slice(0, 4), mailbox)}@${domain}` : '',
    phone: hasPhone ? phones.outsidePhone(random) : '',
    company: hasJob ? company.name : '',
    title: hasJob && !missing() ? title : '',
    street: missing() ? '' : drawStreet(random, 'outside'),
    city: place.name,
    state: place.state,
    postcode: drawPostcode(random, place),
    country: 'US',
    birth_date: missing() ? '' : birthDate,
  };
}

function drawBirthDate(random: Random, avoid: string | undefined): string {
  let birthDate = isoDateBetween(random, BIRTH_DATES);
  while (birthDate === avoid) {
    birthDate = isoDateBetween(random, BIRTH_DATES);
  }
  return birthDate;
}

/** An address this person may have used years ago: same name, an older provider. */
export function outdatedEmail(random: Random, person: DirectoryPerson): string {
  return `${emailLocalPart(random, person.first_name, person.last_name, person.birth_date.slice(0, 4), { kind: 'provider', namesakes: 1 })}@${random.pick(LEGACY_DOMAINS)}`;
}

export function outdatedJob(random: Random, person: DirectoryPerson): { company: string; title: string } {
  const company = pickOther(random, companyLists().active, (candidate) => candidate.name === person.company);
  // People often keep their role when they change employer.
  const title = person.title !== '' && random.chance(0.25) ? person.title : random.pick(JOB_TITLES);
  return { company: company.name, title };
}

export function outdatedAddress(random: Random, person: DirectoryPerson): { street: string; city: string; state: string; postcode: string } {
  const place = drawCityWhere(random, (candidate) => candidate.name !== person.city || candidate.state !== person.state);
  return { street: drawStreet(random, 'outside'), city: place.name, state: place.state, postcode: drawPostcode(random, place) };
}
