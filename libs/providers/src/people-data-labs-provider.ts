import { type CanonicalField, type ContactFields, hasValue, parseBirthDate, standardizeContact } from '@refinery/contacts';
import type { Candidate, ContactProvider, FindCandidatesOptions } from '@refinery/matching';
import type { Metrics, Table } from '@refinery/ports';
import type { ProviderCallSettings } from './call-settings';
import type { CircuitObserver } from './circuit-breaker';
import type { Clock } from './clock';
import { describeValue, requireHttpUrl, requireSecret } from './config-checks';
import { ProviderResponseError } from './errors';
import { findEachContact } from './find-each-contact';
import { ProviderHttpClient } from './provider-http-client';
import { parseRetryAfter } from './retry-after';

export const PEOPLE_DATA_LABS = 'people-data-labs';
export const PEOPLE_DATA_LABS_BASE_URL = 'https://api.peopledatalabs.com';
export const DEFAULT_MIN_LIKELIHOOD = 6;

export interface PeopleDataLabsOptions {
  apiKey: string;
  // Default https://api.peopledatalabs.com; a proxy or a test server otherwise.
  baseUrl?: string;
  // PDL answers 404 rather than return a match it is less sure of (likelihood 1-10). Default 6.
  minLikelihood?: number;
  settings?: Partial<ProviderCallSettings>;
  clock?: Partial<Clock>;
  random?: () => number;
  // The table the provider's rate is shared through (ProviderHttpClientOptions.rateTable).
  rateTable?: Table;
  // Where its calls are counted (ProviderHttpClientOptions.metrics).
  metrics?: Metrics;
  // Hears of its circuit's transitions (ProviderHttpClientOptions.circuitObserver).
  circuitObserver?: CircuitObserver;
}

// Our canonical field -> the Person Enrichment API's query parameter. No title: the API does not match on it.
const QUERY_PARAMETERS: ReadonlyArray<readonly [CanonicalField, string]> = [
  ['first_name', 'first_name'],
  ['last_name', 'last_name'],
  ['email', 'email'],
  ['phone', 'phone'],
  ['company', 'company'],
  ['street', 'street_address'],
  ['city', 'locality'],
  ['state', 'region'],
  ['postcode', 'postal_code'],
  ['country', 'country'],
  ['birth_date', 'birth_date'],
];

const SECOND_DATA_POINTS: readonly CanonicalField[] = ['company', 'street', 'city', 'state', 'postcode', 'country', 'birth_date'];

// The API's documented minimum: an email or a phone, or a first and last name plus one more data point. Below it
// PDL answers 400, which would fail the whole batch; such a contact simply has no candidates.
function hasEnoughToAsk(contact: ContactFields): boolean {
  if (hasValue(contact.email) || hasValue(contact.phone)) return true;
  return hasValue(contact.first_name) && hasValue(contact.last_name) && SECOND_DATA_POINTS.some((field) => hasValue(contact[field]));
}

export function enrichmentQuery(contact: ContactFields, minLikelihood: number): URLSearchParams {
  const query = new URLSearchParams();
  for (const [field, parameter] of QUERY_PARAMETERS) {
    const value = contact[field];
    if (hasValue(value)) {
      query.set(parameter, value);
    }
  }
  query.set('min_likelihood', String(minLikelihood));
  return query;
}

// PDL documents x-ratelimit-reset as the time the rate-limit window resets (UTC) without pinning the format; SDKs
// read it as a number and some clients report one JSON value per window. Accepted here: epoch milliseconds or
// seconds, delta-seconds, a date, or a JSON object of any of these (the latest wins).
export function parseRateLimitReset(value: string | null | undefined, nowMs: number): number | undefined {
  if (value === null || value === undefined || value.trim() === '') return undefined;
  const text = value.trim();
  if (text.startsWith('{')) {
    let parsed: unknown;
    try {
      parsed = JSON.parse(text);
    } catch {
      return undefined;
    }
    const waits = Object.values(parsed as Record<string, unknown>)
      .map((entry) => (typeof entry === 'string' || typeof entry === 'number' ? parseRateLimitReset(String(entry), nowMs) : undefined))
      .filter((wait): wait is number => wait !== undefined);
    return waits.length === 0 ? undefined : Math.max(...waits);
  }
  if (/^\d+(?:\.\d+)?$/u.test(text)) {
    const number = Number(text);
    if (number > 1e12) return Math.max(0, Math.round(number - nowMs));
    if (number > 1e9) return Math.max(0, Math.round(number * 1000 - nowMs));
    return Math.round(number * 1000);
  }
  const date = Date.parse(text);
  return Number.isNaN(date) ? undefined : Math.max(0, date - nowMs);
}

function retryAfterForPdl(response: { status: number; headers: Headers }, nowMs: number): number | undefined {
  const retryAfter = parseRetryAfter(response.headers.get('retry-after'), nowMs);
  if (retryAfter !== undefined || response.status !== 429) return retryAfter;
  return parseRateLimitReset(response.headers.get('x-ratelimit-reset'), nowMs);
}

function describeRefusal(status: number): string | undefined {
  if (status === 401 || status === 403) return `API key rejected (HTTP ${status})`;
  if (status === 402) return `account out of credits (HTTP ${status})`;
  return undefined;
}

// PDL fields hold `true` instead of a value when the plan does not include them; only strings are values.
function text(value: unknown): string | undefined {
  return typeof value === 'string' && value.trim() !== '' ? value : undefined;
}

function firstText(list: unknown, pick: (item: unknown) => unknown = (item) => item): string | undefined {
  if (!Array.isArray(list)) return undefined;
  for (const item of list) {
    const value = text(pick(item));
    if (value !== undefined) return value;
  }
  return undefined;
}

function emailAddress(item: unknown): unknown {
  return typeof item === 'object' && item !== null ? (item as { address?: unknown }).address : undefined;
}

// One PDL person record -> our fields, standardized like the contacts they are compared with (country names to
// ISO codes, state names to codes, phones to E.164). Lower-case names are kept: matching ignores case.
export function fieldsFromPersonRecord(data: Readonly<Record<string, unknown>>): ContactFields {
  const birthDate = text(data.birth_date);
  const raw: ContactFields = {
    first_name: text(data.first_name),
    last_name: text(data.last_name),
    email: text(data.work_email) ?? firstText(data.personal_emails) ?? firstText(data.emails, emailAddress),
    phone: text(data.mobile_phone) ?? firstText(data.phone_numbers),
    company: text(data.job_company_name),
    title: text(data.job_title),
    street: text(data.location_street_address),
    city: text(data.location_locality),
    state: text(data.location_region),
    postcode: text(data.location_postal_code),
    country: text(data.location_country),
    // PDL may know only a year ("1990") or a month: a partial date would read as a different birth date.
    birth_date: birthDate === undefined ? undefined : parseBirthDate(birthDate),
  };
  return standardizeContact(raw);
}

// People Data Labs Person Enrichment API (GET /v5/person/enrich): one request per contact, at most one match,
// 404 when there is none at min_likelihood or above. Confidence is PDL's likelihood / 10.
export class PeopleDataLabsProvider implements ContactProvider {
  readonly name = PEOPLE_DATA_LABS;
  private readonly apiKey: string;
  private readonly endpoint: URL;
  private readonly minLikelihood: number;
  private readonly client: ProviderHttpClient;

  constructor(options: PeopleDataLabsOptions) {
    this.apiKey = requireSecret(PEOPLE_DATA_LABS, 'apiKey', options.apiKey);
    const base = requireHttpUrl(PEOPLE_DATA_LABS, 'baseUrl', options.baseUrl ?? PEOPLE_DATA_LABS_BASE_URL);
    if (base.search !== '' || base.hash !== '') {
      throw new Error(`${PEOPLE_DATA_LABS}: baseUrl must not have a query or fragment (got ${describeValue(options.baseUrl)})`);
    }
    this.endpoint = new URL('v5/person/enrich', base.href.endsWith('/') ? base : `${base.href}/`);
    const minLikelihood = options.minLikelihood ?? DEFAULT_MIN_LIKELIHOOD;
    if (!Number.isInteger(minLikelihood) || minLikelihood < 1 || minLikelihood > 10) {
      throw new Error(`${PEOPLE_DATA_LABS}: minLikelihood must be a whole number from 1 to 10 (got ${describeValue(minLikelihood)})`);
    }
    this.minLikelihood = minLikelihood;
    this.client = new ProviderHttpClient({
      provider: PEOPLE_DATA_LABS,
      ...(options.settings === undefined ? {} : { settings: options.settings }),
      ...(options.clock === undefined ? {} : { clock: options.clock }),
      ...(options.rateTable === undefined ? {} : { rateTable: options.rateTable }),
      ...(options.metrics === undefined ? {} : { metrics: options.metrics }),
      ...(options.circuitObserver === undefined ? {} : { circuitObserver: options.circuitObserver }),
      ...(options.random === undefined ? {} : { random: options.random }),
      secrets: [this.apiKey],
      retryAfter: retryAfterForPdl,
      describeRefusal,
    });
  }

  async findCandidates(contacts: readonly ContactFields[], options: FindCandidatesOptions = {}): Promise<Candidate[][]> {
    return findEachContact(this.name, contacts, (contact) => this.enrich(contact, options.deadline));
  }

  private async enrich(contact: ContactFields, deadline: number | undefined): Promise<Candidate[]> {
    if (!hasEnoughToAsk(contact)) {
      return [];
    }
    const url = new URL(this.endpoint);
    url.search = enrichmentQuery(contact, this.minLikelihood).toString();
    const answer = await this.client.request({
      url,
      ...(deadline === undefined ? {} : { deadline }),
      // In a header, not the api_key query parameter, so the key never sits in a URL that might be logged.
      headers: { 'X-Api-Key': this.apiKey },
      answerStatuses: [404],
    });
    if (answer.status === 404) {
      return [];
    }
    return [this.candidateFrom(this.client.parseJson(answer), answer.status)];
  }

  private candidateFrom(body: unknown, status: number): Candidate {
    const response = (typeof body === 'object' && body !== null ? body : {}) as { data?: unknown; likelihood?: unknown };
    const data = response.data;
    if (typeof data !== 'object' || data === null || Array.isArray(data)) {
      throw new ProviderResponseError(this.name, status, `${this.name} answered HTTP ${status} without a person record (no "data" object)`);
    }
    const record = data as Record<string, unknown>;
    const id = text(record.id);
    if (id === undefined) {
      throw new ProviderResponseError(this.name, status, `${this.name} answered HTTP ${status} with a person record without an id`);
    }
    const candidate: Candidate = { id, fields: fieldsFromPersonRecord(record) };
    if (typeof response.likelihood === 'number' && Number.isFinite(response.likelihood)) {
      candidate.confidence = Math.min(1, Math.max(0, response.likelihood / 10));
    }
    return candidate;
  }
}
