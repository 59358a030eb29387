import type { ContactValues } from '../fields';
import { MAX_DIRECTORY_SIZE } from '../options';
import { Random } from '../random/random';
import { WeightedTable } from '../random/weighted-table';
import { companyLists } from '../reference/companies';
import { CURRENT_DOMAINS } from '../reference/email-domains';
import { JOB_TITLES } from '../reference/job-titles';
import { AREA_CODES } from '../reference/places';
import { drawCity, drawPostcode, drawStreet } from '../values/addresses';
import { BIRTH_DATES, isoDateBetween, UPDATED_AT_DATES } from '../values/dates';
import { emailLocalPart, type Mailbox } from '../values/emails';
import { drawPersonName, type PersonName } from '../values/names';
import { phoneSpaceFor } from '../values/phones';

/** One person as the data provider knows them today. Keys are the canonical field names of the CSV. */
export interface DirectoryPerson extends ContactValues {
  id: string;
  updated_at: string;
}

// Independent random streams per person: the name stream is read on its own when another person borrows
// the name (twins), and the twin stream decides that without drawing anything else.
const NAME_STREAM = 1;
const TWIN_STREAM = 2;
const DETAILS_STREAM = 3;

/** Share of people who get the exact name of an earlier person, on top of the look-alikes frequent names give. */
const TWIN_SHARE = 0.015;
const TWIN_LOOKBACK = 5_000;

const MISSING_SHARE = {
  email: 0.04,
  phone: 0.05,
  company: 0.06,
  title: 0.05,
  street: 0.06,
  birth_date: 0.08,
} as const;

const WORK_EMAIL_SHARE = 0.45;
const AREA_CODE_OF_CITY_SHARE = 0.85;

const CURRENT_DOMAIN_TABLE = new WeightedTable<string>(CURRENT_DOMAINS);

export function directoryId(index: number): string {
  return `P${`${index + 1}`.padStart(6, '0')}`;
}

/** The 0-based index of a directory id ("P000001" -> 0), or undefined if it is not one. */
export function directoryIndex(id: string): number | undefined {
  const match = /^P(\d{6,})$/.exec(id);
  return match === null ? undefined : Number(match[1]) - 1;
}

function isTwin(seed: number, index: number): boolean {
  return index > 0 && new Random(seed, TWIN_STREAM, index).chance(TWIN_SHARE);
}

function baseName(seed: number, index: number): PersonName {
  return drawPersonName(new Random(seed, NAME_STREAM, index));
}

/** The name of directory person `index`, computed without generating anybody else in full. */
function nameOf(seed: number, index: number, twin: boolean): PersonName {
  if (twin) {
    const random = new Random(seed, TWIN_STREAM, index, 1);
    const lookback = Math.min(index, TWIN_LOOKBACK);
    for (let attempt = 0; attempt < 8; attempt++) {
      const source = index - 1 - random.int(lookback);
      if (!isTwin(seed, source)) {
        return baseName(seed, source);
      }
    }
  }
  return baseName(seed, index);
}

export function directoryPerson(seed: number, index: number): DirectoryPerson {
  if (!Number.isSafeInteger(index) || index < 0 || index >= MAX_DIRECTORY_SIZE) {
    throw new RangeError(`index must be an integer in [0, ${MAX_DIRECTORY_SIZE}), got ${index}`);
  }
  const twin = isTwin(seed, index);
  const name = nameOf(seed, index, twin);
  const random = new Random(seed, DETAILS_STREAM, index);
  const birthDate = isoDateBetween(random, BIRTH_DATES);
  const place = drawCity(random);
  const company = random.chance(MISSING_SHARE.company) ? undefined : random.pick(companyLists().active);
  const title = company === undefined || random.chance(MISSING_SHARE.title) ? '' : random.pick(JOB_TITLES);
  const areaCode = random.chance(AREA_CODE_OF_CITY_SHARE) ? random.pick(place.areaCodes) : random.pick(AREA_CODES);
  const phone = random.chance(MISSING_SHARE.phone) ? '' : phoneSpaceFor(seed).directoryPhone(index, areaCode);
  const atWork = company !== undefined && random.chance(WORK_EMAIL_SHARE);
  const domain = atWork ? company.domain : CURRENT_DOMAIN_TABLE.sample(random);
  // A twin's name is already taken by an earlier directory person, who may hold the plain address.
  const namesakes = twin ? Number.POSITIVE_INFINITY : name.namesakes;
  const mailbox: Mailbox = atWork ? { kind: 'company' } : { kind: 'provider', namesakes };
  const email = random.chance(MISSING_SHARE.email)
    ? ''
    : `${emailLocalPart(random, name.first, name.last, birthDate.slice(0, 4), mailbox)}@${domain}`;
  const street = random.chance(MISSING_SHARE.street) ? '' : drawStreet(random, 'directory');
  const postcode = drawPostcode(random, place);
  const birth_date = random.chance(MISSING_SHARE.birth_date) ? '' : birthDate;
  const updated_at = isoDateBetween(random, UPDATED_AT_DATES);

  return {
    id: directoryId(index),
    first_name: name.first,
    last_name: name.last,
    email,
    phone,
    company: company?.name ?? '',
    title,
    street,
    city: place.name,
    state: place.state,
    postcode,
    country: 'US',
    birth_date,
    updated_at,
  };
}
