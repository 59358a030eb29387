import { CANONICAL_FIELDS, type CanonicalField, type ContactFields, isCanonicalField, standardizeContact } from '@refinery/contacts';
import type { Candidate, ContactProvider, FindCandidatesOptions } from '@refinery/matching';
import type { Metrics, Table } from '@refinery/ports';
import type { ProviderCallSettings } from './call-settings';
import type { CircuitObserver } from './circuit-breaker';
import type { Clock } from './clock';
import { describeValue, requireText } from './config-checks';
import { ProviderResponseError } from './errors';
import { findEachContact } from './find-each-contact';
import { isValidPath, textAtPath, valueAtPath } from './json-path';
import { ProviderHttpClient } from './provider-http-client';
import { canExpand, expandUrlTemplate, parseUrlTemplate, type UrlTemplate } from './url-template';

export const DEFAULT_MAX_CANDIDATES = 10;

export interface HttpTemplateProviderConfig {
  // The provider's name, as it appears in results and errors.
  name: string;
  // One template, used for every contact (an empty field becomes an empty parameter), or several tried in order:
  // the first whose placeholders all have values is used, and a contact none of them fits gets no candidates.
  // Example: ['https://dir.internal/people?email={email}', 'https://dir.internal/people?last={last_name}&zip={postcode}'].
  urlTemplate: string | readonly string[];
  headers?: Readonly<Record<string, string>>;
  method?: 'GET';
  // Dotted path to the array of records when the response is an object ("data.people"); a response that is
  // itself an array needs none. A null there means no candidates.
  candidatesPath?: string;
  // Dotted path to each record's id.
  idField: string;
  // Our field -> dotted path in the record. Fields not mapped are read from the property of the same name.
  fieldMap?: Partial<Record<CanonicalField, string>>;
  // Dotted path to the directory's confidence in the record: a number in [0, 1], or [0, 100] with confidenceScale 100.
  confidenceField?: string;
  confidenceScale?: 1 | 100;
  // The matcher expects short lists, best first: only the first records of the response are kept. Default 10.
  maxCandidates?: number;
  settings?: Partial<ProviderCallSettings>;
  clock?: Partial<Clock>;
  // The table the provider's rate is shared through (ProviderHttpClientOptions.rateTable).
  rateTable?: Table;
  // Where its calls are counted (ProviderHttpClientOptions.metrics).
  metrics?: Metrics;
  // Hears of its circuit's transitions (ProviderHttpClientOptions.circuitObserver).
  circuitObserver?: CircuitObserver;
  random?: () => number;
}

// Secrets in header values (Authorization: Bearer <token>), whole and word by word, kept out of error messages.
function headerSecrets(headers: Readonly<Record<string, string>>): string[] {
  return Object.values(headers).flatMap((value) => [value, ...value.split(/\s+/u).filter((word) => word.length >= 8)]);
}

// A generic adapter for in-house people directories with a JSON look-up API: configured, not coded.
export class HttpTemplateProvider implements ContactProvider {
  readonly name: string;
  private readonly templates: readonly UrlTemplate[];
  private readonly usesFirstCompleteTemplate: boolean;
  private readonly config: HttpTemplateProviderConfig;
  private readonly paths: Readonly<Record<CanonicalField, string>>;
  private readonly confidenceScale: number;
  private readonly maxCandidates: number;
  private readonly client: ProviderHttpClient;

  constructor(config: HttpTemplateProviderConfig) {
    const name = requireText('HttpTemplateProvider', 'name', config?.name);
    this.name = name;
    this.config = config;
    if (Array.isArray(config.urlTemplate)) {
      if (config.urlTemplate.length === 0) {
        throw new Error(`${name}: urlTemplate is an empty list; give at least one template`);
      }
      this.templates = config.urlTemplate.map((template, index) => parseUrlTemplate(name, `urlTemplate[${index}]`, template));
      this.usesFirstCompleteTemplate = true;
    } else {
      this.templates = [parseUrlTemplate(name, 'urlTemplate', config.urlTemplate)];
      this.usesFirstCompleteTemplate = false;
    }
    if (config.method !== undefined && config.method !== 'GET') {
      throw new Error(`${name}: method must be GET (got ${describeValue(config.method)})`);
    }
    for (const [header, value] of Object.entries(config.headers ?? {})) {
      if (typeof value !== 'string') {
        throw new Error(`${name}: headers.${header} must be a string (got ${describeValue(value)})`);
      }
    }
    requirePath(name, 'idField', config.idField, true);
    requirePath(name, 'candidatesPath', config.candidatesPath, false);
    requirePath(name, 'confidenceField', config.confidenceField, false);
    const paths = {} as Record<CanonicalField, string>;
    for (const field of CANONICAL_FIELDS) paths[field] = field;
    for (const [field, path] of Object.entries(config.fieldMap ?? {})) {
      if (!isCanonicalField(field)) {
        throw new Error(`${name}: fieldMap.${field} is not a canonical field (known: ${CANONICAL_FIELDS.join(', ')})`);
      }
      paths[field] = requirePath(name, `fieldMap.${field}`, path, true) ?? field;
    }
    this.paths = paths;
    if (config.confidenceScale !== undefined && config.confidenceScale !== 1 && config.confidenceScale !== 100) {
      throw new Error(`${name}: confidenceScale must be 1 or 100 (got ${describeValue(config.confidenceScale)})`);
    }
    this.confidenceScale = config.confidenceScale ?? 1;
    const maxCandidates = config.maxCandidates ?? DEFAULT_MAX_CANDIDATES;
    if (!Number.isInteger(maxCandidates) || maxCandidates < 1) {
      throw new Error(`${name}: maxCandidates must be a whole number >= 1 (got ${describeValue(config.maxCandidates)})`);
    }
    this.maxCandidates = maxCandidates;
    this.client = new ProviderHttpClient({
      provider: name,
      ...(config.settings === undefined ? {} : { settings: config.settings }),
      ...(config.clock === undefined ? {} : { clock: config.clock }),
      ...(config.rateTable === undefined ? {} : { rateTable: config.rateTable }),
      ...(config.metrics === undefined ? {} : { metrics: config.metrics }),
      ...(config.circuitObserver === undefined ? {} : { circuitObserver: config.circuitObserver }),
      ...(config.random === undefined ? {} : { random: config.random }),
      secrets: headerSecrets(config.headers ?? {}),
    });
  }

  async findCandidates(contacts: readonly ContactFields[], options: FindCandidatesOptions = {}): Promise<Candidate[][]> {
    return findEachContact(this.name, contacts, (contact) => this.lookUp(contact, options.deadline));
  }

  // The URL asked for this contact, or undefined when no template fits it.
  urlFor(contact: ContactFields): string | undefined {
    const template = this.usesFirstCompleteTemplate ? this.templates.find((candidate) => canExpand(candidate, contact)) : this.templates[0];
    return template === undefined ? undefined : expandUrlTemplate(template, contact);
  }

  private async lookUp(contact: ContactFields, deadline: number | undefined): Promise<Candidate[]> {
    const url = this.urlFor(contact);
    if (url === undefined) {
      return [];
    }
    const answer = await this.client.request({
      url,
      method: 'GET',
      ...(this.config.headers === undefined ? {} : { headers: this.config.headers }),
      answerStatuses: [404],
      ...(deadline === undefined ? {} : { deadline }),
    });
    if (answer.status === 404) {
      return [];
    }
    const records = this.recordsIn(this.client.parseJson(answer), answer.status);
    return records.slice(0, this.maxCandidates).map((record, index) => this.candidateFrom(record, index, answer.status));
  }

  private recordsIn(body: unknown, status: number): unknown[] {
    if (Array.isArray(body)) return body;
    const path = this.config.candidatesPath;
    if (path === undefined) {
      throw new ProviderResponseError(this.name, status, `${this.name} answered an object, not an array of records (set candidatesPath)`);
    }
    const records = valueAtPath(body, path);
    if (records === null) return [];
    if (!Array.isArray(records)) {
      throw new ProviderResponseError(this.name, status, `${this.name} answered without an array of records at candidatesPath "${path}"`);
    }
    return records;
  }

  private candidateFrom(record: unknown, index: number, status: number): Candidate {
    const id = textAtPath(record, this.config.idField);
    if (id === undefined) {
      throw new ProviderResponseError(
        this.name,
        status,
        `${this.name} answered a record (#${index}) without an id at idField "${this.config.idField}"`,
      );
    }
    const raw: ContactFields = {};
    for (const field of CANONICAL_FIELDS) {
      const value = textAtPath(record, this.paths[field]);
      if (value !== undefined) raw[field] = value;
    }
    const candidate: Candidate = { id, fields: standardizeContact(raw) };
    const confidence = this.confidenceOf(record);
    if (confidence !== undefined) candidate.confidence = confidence;
    return candidate;
  }

  private confidenceOf(record: unknown): number | undefined {
    if (this.config.confidenceField === undefined) return undefined;
    const value = valueAtPath(record, this.config.confidenceField);
    const number = typeof value === 'number' ? value : typeof value === 'string' && value.trim() !== '' ? Number(value) : Number.NaN;
    if (!Number.isFinite(number)) return undefined;
    return Math.min(1, Math.max(0, number / this.confidenceScale));
  }
}

function requirePath(owner: string, setting: string, path: unknown, required: boolean): string | undefined {
  if (path === undefined && !required) return undefined;
  if (typeof path !== 'string' || !isValidPath(path)) {
    throw new Error(`${owner}: ${setting} must be a property name or dotted path like "person.id" (got ${describeValue(path)})`);
  }
  return path;
}
