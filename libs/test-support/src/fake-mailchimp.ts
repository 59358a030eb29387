import { createHash, randomBytes } from 'node:crypto';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { gzipSync } from 'node:zlib';

/**
 * A fake Mailchimp Marketing API v3 on 127.0.0.1, for what the refinery uses: list members page by page, batch
 * operations (with the results archive), HTTP Basic auth, and Mailchimp's limit of 10 simultaneous connections per
 * API key, which it counts and enforces the way Mailchimp does (429 with a problem-detail body).
 *
 * Shapes follow Mailchimp's documentation:
 * - `GET /3.0/lists/{list_id}/members` (query: fields, count ≤ 1000, offset, sort_field, sort_dir,
 *   before_timestamp_opt, since_timestamp_opt, status) → `{ members, total_items, list_id, _links }`, reduced to
 *   `fields` (comma-separated, dot notation for sub-objects: `members.merge_fields.FNAME`).
 * - `POST /3.0/batches` `{ operations: [{ method, path, params?, body?, operation_id? }] }` → the batch resource
 *   `{ id, status, total_operations, finished_operations, errored_operations, submitted_at, completed_at,
 *   response_body_url }`; `GET /3.0/batches/{batch_id}` the same. Status goes pending → finished after `batchDelayMs`.
 *   `response_body_url` (empty until finished) is a gzipped tar of JSON files, each an array of
 *   `{ status_code, operation_id, response }` with `response` the operation's answer as a JSON string. Like
 *   Mailchimp's storage URL, it needs no auth and is not counted against the key.
 * - Errors: problem-detail JSON `{ type, title, status, detail, instance }` with `application/problem+json`.
 *
 * Loads no nock and no client library: it is plain node:http, safe to export from the test-support index.
 */

export interface FakeMember {
  id: string;
  email_address: string;
  status: 'subscribed' | 'unsubscribed' | 'cleaned' | 'pending' | 'transactional' | 'archived';
  merge_fields: Record<string, unknown>;
  timestamp_opt: string;
  timestamp_signup?: string;
  last_changed?: string;
  tags?: Array<{ id: number; name: string }>;
  [field: string]: unknown;
}

export interface FakeMailchimpOptions {
  /** Delay before every API answer (the page latency). Default 0. */
  readonly latencyMs?: number;
  /** More simultaneous requests than this for one key get 429. Default 10, as Mailchimp. */
  readonly maxConnectionsPerKey?: number;
  /** Keys accepted (as the Basic-auth password); any non-empty key when omitted. */
  readonly apiKeys?: readonly string[];
  /** How long after `POST /3.0/batches` a batch finishes (its operations are applied then). Default 20 ms. */
  readonly batchDelayMs?: number;
  /** Results per JSON file in the results archive. Default 500. */
  readonly batchResultsPerFile?: number;
}

export interface FakeBatchOperation {
  method: string;
  path: string;
  params?: Record<string, unknown>;
  body?: string;
  operation_id?: string;
}

export interface FakeBatchResult {
  status_code: number;
  operation_id: string | null;
  response: string;
}

export interface FakeBatch {
  id: string;
  status: 'pending' | 'finished';
  operations: FakeBatchOperation[];
  results: FakeBatchResult[];
  submitted_at: string;
  completed_at: string;
}

export interface FakeMailchimp {
  /** Origin to pass as the client's base URL (no trailing slash, no `/3.0`). */
  readonly url: string;
  addList(listId: string, members?: readonly FakeMember[]): void;
  /** Appends a member (or replaces the one with the same id, in place). */
  addMember(listId: string, member: FakeMember): void;
  removeMember(listId: string, memberId: string): boolean;
  /** A copy of the list's members, in list order. */
  members(listId: string): FakeMember[];
  /** Requests of this key being served right now. */
  inFlight(apiKey: string): number;
  /** The most requests of this key ever seen at once, the refused one included: > max means the limit was broken. */
  maxInFlight(apiKey: string): number;
  /** API requests made with this key, refused ones included. */
  requestCount(apiKey: string): number;
  /** Requests refused with 429 because the key already had `maxConnectionsPerKey` in flight. */
  rejectedCount(apiKey: string): number;
  resetCounters(): void;
  batch(batchId: string): FakeBatch | undefined;
  /** Every results-archive download, with the Authorization header it came with (should be none). */
  resultDownloads(): Array<{ batchId: string; authorization: string | undefined }>;
  close(): Promise<void>;
}

const ERRORS_DOC = 'https://mailchimp.com/developer/marketing/docs/errors/';

interface KeyStats {
  inFlight: number;
  maxInFlight: number;
  requests: number;
  rejected: number;
}

function problem(status: number, title: string, detail: string): Record<string, unknown> {
  return { type: ERRORS_DOC, title, status, detail, instance: randomBytes(16).toString('hex') };
}

function md5(text: string): string {
  return createHash('md5').update(text).digest('hex');
}

/** Mailchimp's member id / subscriber_hash: MD5 of the lower-cased email address. */
export function fakeSubscriberHash(email: string): string {
  return md5(email.trim().toLowerCase());
}

function mailchimpTime(ms: number): string {
  return new Date(ms).toISOString().replace(/\.\d{3}Z$/, '+00:00');
}

function clone<T>(value: T): T {
  return structuredClone(value);
}

// ---------------------------------------------------------------------------------------------------------------
// Test data

const FIRST = ['Anna', 'Ben', 'Chloé', 'David', 'Eva', 'Farid', 'Grace', 'Hugo', 'Ines', 'Jonas', 'Kate', 'Liam', 'Mara', 'Noah', 'Olga', 'Pablo'];
const LAST = ['Smith', 'Müller', 'Garcia', 'Nguyen', 'Johnson', 'Rossi', 'Kowalski', "O'Brien", 'Dubois', 'Silva', 'Novak', 'Brown'];
const COMPANIES = ['Acme Corp', 'Globex', 'Initech', 'Umbrella Ltd', 'Hooli', 'Stark Industries', 'Wayne Enterprises', ''];
const CITIES: Array<[string, string, string]> = [
  ['Springfield', 'IL', '62701'],
  ['Portland', 'OR', '97201'],
  ['Austin', 'TX', '73301'],
  ['Boston', 'MA', '02108'],
  ['Denver', 'CO', '80202'],
];
const STREETS = ['Main St', 'Oak Ave', 'Elm St', 'Maple Dr', 'Cedar Ln'];

function prng(seed: number): () => number {
  let state = seed >>> 0 || 1;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/**
 * `n` subscribed members, deterministic for a seed: unique emails, ids = MD5 of the lower-cased email, merge fields
 * FNAME, LNAME, PHONE (sometimes empty), ADDRESS (an object `{ addr1, addr2, city, state, zip, country }` for even
 * members, the text form `addr1  city  state  zip` for odd ones, as Mailchimp returns both), BIRTHDAY `MM/DD`,
 * COMPANY; `timestamp_opt` strictly increasing with the index.
 */
export function generateMembers(n: number, seed = 1): FakeMember[] {
  const random = prng(seed);
  const pick = <T>(items: readonly T[]): T => items[Math.floor(random() * items.length)]!;
  const start = Date.UTC(2020, 0, 1);
  const members: FakeMember[] = [];
  for (let i = 0; i < n; i++) {
    const first = pick(FIRST);
    const last = pick(LAST);
    const email = `${first}.${last}.${seed}.${i}@Example.com`
      .normalize('NFD')
      .replace(/[^\x20-\x7e]/g, '')
      .replace(/[' ]/g, '');
    const [city, state, zip] = pick(CITIES);
    const addr1 = `${1 + Math.floor(random() * 999)} ${pick(STREETS)}`;
    const opt = start + i * 3_600_000 + Math.floor(random() * 3_000_000);
    members.push({
      id: fakeSubscriberHash(email),
      email_address: email.toLowerCase(),
      status: 'subscribed',
      merge_fields: {
        FNAME: first,
        LNAME: last,
        PHONE: i % 7 === 3 ? '' : `+1 555 ${String(1000 + Math.floor(random() * 9000))}`,
        ADDRESS: i % 2 === 0 ? { addr1, addr2: '', city, state, zip, country: 'US' } : `${addr1}  ${city}  ${state}  ${zip}`,
        BIRTHDAY: `${String(1 + Math.floor(random() * 12)).padStart(2, '0')}/${String(1 + Math.floor(random() * 28)).padStart(2, '0')}`,
        COMPANY: pick(COMPANIES),
      },
      timestamp_opt: mailchimpTime(opt),
      timestamp_signup: mailchimpTime(opt - 60_000),
      last_changed: mailchimpTime(opt),
      tags: [],
    });
  }
  return members;
}

// ---------------------------------------------------------------------------------------------------------------
// tar writer (POSIX ustar; only what the results archive needs)

export interface TarInput {
  readonly name: string;
  readonly content?: string | Buffer;
  /** A directory entry ('5') instead of a file. */
  readonly directory?: boolean;
}

function writeString(block: Buffer, offset: number, length: number, value: string): void {
  const bytes = Buffer.from(value, 'utf8');
  if (bytes.length > length) throw new Error(`tar field too long: '${value}'`);
  bytes.copy(block, offset);
}

function writeOctal(block: Buffer, offset: number, length: number, value: number): void {
  writeString(block, offset, length, `${value.toString(8).padStart(length - 1, '0')}\0`);
}

function tarHeader(name: string, size: number, type: '0' | '5'): Buffer {
  const block = Buffer.alloc(512);
  let prefix = '';
  let base = name;
  if (Buffer.byteLength(name) > 100) {
    const cut = name.lastIndexOf('/', name.length - 1);
    prefix = name.slice(0, cut);
    base = name.slice(cut + 1);
    if (cut < 0 || Buffer.byteLength(base) > 100 || Buffer.byteLength(prefix) > 155) throw new Error(`tar name too long: ${name}`);
  }
  writeString(block, 0, 100, base);
  writeOctal(block, 100, 8, type === '5' ? 0o755 : 0o644);
  writeOctal(block, 108, 8, 0);
  writeOctal(block, 116, 8, 0);
  writeOctal(block, 124, 12, size);
  writeOctal(block, 136, 12, Math.floor(Date.UTC(2024, 0, 1) / 1000));
  block.fill(0x20, 148, 156); // checksum counts as spaces while it is computed
  block.write(type, 156, 'ascii');
  writeString(block, 257, 6, 'ustar\0');
  writeString(block, 263, 2, '00');
  writeString(block, 265, 32, 'mailchimp');
  writeString(block, 297, 32, 'mailchimp');
  writeString(block, 345, 155, prefix);
  let sum = 0;
  for (const byte of block) sum += byte;
  writeString(block, 148, 8, `${sum.toString(8).padStart(6, '0')}\0 `);
  return block;
}

/** An uncompressed ustar archive of the given entries, ended by two zero blocks. */
export function buildTar(entries: readonly TarInput[]): Buffer {
  const parts: Buffer[] = [];
  for (const entry of entries) {
    if (entry.directory) {
      parts.push(tarHeader(entry.name.endsWith('/') ? entry.name : `${entry.name}/`, 0, '5'));
      continue;
    }
    const data = typeof entry.content === 'string' ? Buffer.from(entry.content, 'utf8') : (entry.content ?? Buffer.alloc(0));
    parts.push(tarHeader(entry.name, data.length, '0'), data, Buffer.alloc((512 - (data.length % 512)) % 512));
  }
  parts.push(Buffer.alloc(1024));
  return Buffer.concat(parts);
}

/** buildTar, gzipped: the shape of a Mailchimp batch `response_body_url`. */
export function buildTarGz(entries: readonly TarInput[]): Buffer {
  return gzipSync(buildTar(entries));
}

// ---------------------------------------------------------------------------------------------------------------
// The server

const MEMBER_PATH = /^\/lists\/([^/]+)\/members\/([^/]+)(\/tags)?$/;
const SORT_FIELDS = new Set(['timestamp_opt', 'timestamp_signup', 'last_changed']);

// Answers are serialised straight away, so the projection can share the stored values.
function projectMember(member: FakeMember, fields: string[] | undefined): Record<string, unknown> {
  if (!fields) return member;
  const out: Record<string, unknown> = {};
  for (const field of fields) {
    const [head, ...rest] = field.split('.');
    if (!head || !(head in member)) continue;
    if (rest.length === 0) {
      out[head] = member[head];
      continue;
    }
    const source = member[head];
    if (!source || typeof source !== 'object') continue;
    const target = (out[head] ??= {}) as Record<string, unknown>;
    const key = rest.join('.');
    if (key in (source as Record<string, unknown>)) target[key] = (source as Record<string, unknown>)[key];
  }
  return out;
}

export async function startFakeMailchimp(options: FakeMailchimpOptions = {}): Promise<FakeMailchimp> {
  const latencyMs = options.latencyMs ?? 0;
  const maxConnections = options.maxConnectionsPerKey ?? 10;
  const accepted = options.apiKeys ? new Set(options.apiKeys) : undefined;
  const batchDelayMs = options.batchDelayMs ?? 20;
  const perFile = Math.max(1, options.batchResultsPerFile ?? 500);

  const lists = new Map<string, Map<string, FakeMember>>();
  const stats = new Map<string, KeyStats>();
  const batches = new Map<string, FakeBatch & { archive?: Buffer }>();
  const downloads: Array<{ batchId: string; authorization: string | undefined }> = [];
  const timers = new Set<NodeJS.Timeout>();
  let url = '';
  const parsedTimes = new Map<string, number>();
  const timeOf = (value: unknown): number => {
    const text = String(value ?? '');
    let ms = parsedTimes.get(text);
    if (ms === undefined) parsedTimes.set(text, (ms = Date.parse(text) || 0));
    return ms;
  };

  const statsOf = (key: string): KeyStats => {
    let entry = stats.get(key);
    if (!entry) stats.set(key, (entry = { inFlight: 0, maxInFlight: 0, requests: 0, rejected: 0 }));
    return entry;
  };

  const later = (ms: number, run: () => void): void => {
    const timer = setTimeout(() => {
      timers.delete(timer);
      run();
    }, ms);
    timers.add(timer);
  };

  const send = (res: ServerResponse, status: number, body: unknown): void => {
    if (res.destroyed || res.headersSent) return;
    const isProblem = status >= 400;
    const text = body === undefined ? '' : JSON.stringify(body);
    res.writeHead(status, {
      'Content-Type': isProblem ? 'application/problem+json; charset=utf-8' : 'application/json; charset=utf-8',
      'Content-Length': Buffer.byteLength(text),
    });
    res.end(text);
  };

  const listMembers = (listId: string, query: URLSearchParams): [number, unknown] => {
    const list = lists.get(listId);
    if (!list) return [404, problem(404, 'Resource Not Found', 'The requested resource could not be found.')];
    const count = query.has('count') ? Number(query.get('count')) : 10;
    const offset = query.has('offset') ? Number(query.get('offset')) : 0;
    if (!Number.isInteger(count) || count < 0 || count > 1000 || !Number.isInteger(offset) || offset < 0) {
      return [400, problem(400, 'Invalid Resource', 'count must be between 0 and 1000 and offset must be 0 or more.')];
    }
    let members = [...list.values()];
    const status = query.get('status');
    if (status) members = members.filter((member) => member.status === status);
    const before = query.get('before_timestamp_opt');
    if (before) members = members.filter((member) => timeOf(member.timestamp_opt) < timeOf(before));
    const since = query.get('since_timestamp_opt');
    if (since) members = members.filter((member) => timeOf(member.timestamp_opt) > timeOf(since));
    const sortField = query.get('sort_field');
    if (sortField) {
      if (!SORT_FIELDS.has(sortField)) return [400, problem(400, 'Invalid Resource', `sort_field '${sortField}' is not allowed.`)];
      const direction = (query.get('sort_dir') ?? 'ASC').toUpperCase() === 'DESC' ? -1 : 1;
      members = members
        .map((member, index) => ({ member, index, time: timeOf(member[sortField]) }))
        .sort((a, b) => (a.time - b.time) * direction || a.index - b.index)
        .map(({ member }) => member);
    }
    const fieldsParam = query.get('fields');
    const fields = fieldsParam
      ? fieldsParam
          .split(',')
          .map((field) => field.trim())
          .filter(Boolean)
      : undefined;
    const memberFields = fields?.filter((field) => field.startsWith('members.')).map((field) => field.slice('members.'.length));
    const wantsAllMembers = fields?.includes('members');
    const page = members.slice(offset, offset + count).map((member) => projectMember(member, wantsAllMembers ? undefined : memberFields));
    const full: Record<string, unknown> = { members: page, list_id: listId, total_items: members.length, _links: [] };
    if (!fields) return [200, full];
    const tops = new Set(fields.map((field) => field.split('.')[0]!));
    return [200, Object.fromEntries(Object.entries(full).filter(([key]) => tops.has(key)))];
  };

  /** One member operation (batched or direct): [status, answer]. Paths are relative to /3.0. */
  const memberOperation = (method: string, path: string, bodyText: string | undefined): [number, unknown] => {
    const match = MEMBER_PATH.exec(path.split('?')[0]!);
    const notFound = problem(404, 'Resource Not Found', 'The requested resource could not be found.');
    if (!match) return [404, notFound];
    const list = lists.get(decodeURIComponent(match[1]!));
    if (!list) return [404, notFound];
    const hash = decodeURIComponent(match[2]!).toLowerCase();
    let body: Record<string, unknown> = {};
    if (bodyText) {
      try {
        body = JSON.parse(bodyText) as Record<string, unknown>;
      } catch {
        return [400, problem(400, 'JSON Parse Error', 'We encountered an unspecified JSON parsing error.')];
      }
    }
    let member = list.get(hash);
    if (match[3]) {
      // POST /lists/{list_id}/members/{subscriber_hash}/tags { tags: [{ name, status: 'active' | 'inactive' }] } → 204
      if (method !== 'POST') return [405, problem(405, 'Method Not Allowed', 'The requested method and resource are not compatible.')];
      if (!member) return [404, notFound];
      applyTags(member, body.tags);
      return [204, undefined];
    }
    if (method === 'GET') return member ? [200, clone(member)] : [404, notFound];
    if (method === 'DELETE') {
      if (!member) return [404, notFound];
      member.status = 'archived';
      return [204, undefined];
    }
    if (method !== 'PATCH' && method !== 'PUT')
      return [405, problem(405, 'Method Not Allowed', 'The requested method and resource are not compatible.')];
    if (!member) {
      const email = typeof body.email_address === 'string' ? body.email_address : undefined;
      const status = (body.status_if_new ?? body.status) as FakeMember['status'] | undefined;
      if (method !== 'PUT' || !email || !status) return [404, notFound];
      if (fakeSubscriberHash(email) !== hash) {
        return [400, problem(400, 'Invalid Resource', 'The subscriber hash does not match the email address.')];
      }
      const now = mailchimpTime(Date.now());
      member = {
        id: hash,
        email_address: email.toLowerCase(),
        status,
        merge_fields: {},
        timestamp_opt: now,
        timestamp_signup: now,
        last_changed: now,
        tags: [],
      };
      list.set(hash, member);
    }
    if (body.merge_fields && typeof body.merge_fields === 'object') {
      member.merge_fields = { ...member.merge_fields, ...(body.merge_fields as Record<string, unknown>) };
    }
    if (typeof body.status === 'string') member.status = body.status as FakeMember['status'];
    if (body.tags !== undefined) applyTags(member, body.tags);
    member.last_changed = mailchimpTime(Date.now());
    return [200, clone(member)];
  };

  const applyTags = (member: FakeMember, tags: unknown): void => {
    if (!Array.isArray(tags)) return;
    const current = member.tags ?? [];
    for (const tag of tags) {
      const name = typeof tag === 'string' ? tag : (tag as { name?: unknown })?.name;
      if (typeof name !== 'string' || name === '') continue;
      const inactive = typeof tag === 'object' && (tag as { status?: unknown }).status === 'inactive';
      const index = current.findIndex((existing) => existing.name === name);
      if (inactive && index >= 0) current.splice(index, 1);
      if (!inactive && index < 0) current.push({ id: 1 + Number.parseInt(md5(name).slice(0, 6), 16), name });
    }
    member.tags = current;
  };

  const batchResource = (batch: FakeBatch): Record<string, unknown> => ({
    id: batch.id,
    status: batch.status,
    total_operations: batch.operations.length,
    finished_operations: batch.status === 'finished' ? batch.operations.length : 0,
    errored_operations: batch.results.filter((result) => result.status_code >= 400).length,
    submitted_at: batch.submitted_at,
    completed_at: batch.completed_at,
    response_body_url: batch.status === 'finished' ? `${url}/batch-results/${batch.id}.tar.gz` : '',
    _links: [],
  });

  const startBatch = (bodyText: string): [number, unknown] => {
    let operations: unknown;
    try {
      operations = (JSON.parse(bodyText) as { operations?: unknown }).operations;
    } catch {
      return [400, problem(400, 'JSON Parse Error', 'We encountered an unspecified JSON parsing error.')];
    }
    if (!Array.isArray(operations)) return [400, problem(400, 'Invalid Resource', 'operations must be an array.')];
    const id = randomBytes(5).toString('hex');
    const batch: FakeBatch & { archive?: Buffer } = {
      id,
      status: 'pending',
      operations: clone(operations as FakeBatchOperation[]),
      results: [],
      submitted_at: mailchimpTime(Date.now()),
      completed_at: '',
    };
    batches.set(id, batch);
    later(batchDelayMs, () => {
      batch.results = batch.operations.map((op) => {
        const path = String(op.path ?? '').replace(/^\/3\.0(?=\/)/, '');
        const [status, answer] = memberOperation(String(op.method ?? '').toUpperCase(), path, op.body);
        return { status_code: status, operation_id: op.operation_id ?? null, response: answer === undefined ? '' : JSON.stringify(answer) };
      });
      const files: TarInput[] = [{ name: id, directory: true }];
      for (let at = 0; at < batch.results.length; at += perFile) {
        files.push({ name: `${id}/${at / perFile}.json`, content: JSON.stringify(batch.results.slice(at, at + perFile)) });
      }
      batch.archive = buildTarGz(files);
      batch.status = 'finished';
      batch.completed_at = mailchimpTime(Date.now());
    });
    return [200, batchResource(batch)];
  };

  const route = (method: string, path: string, query: URLSearchParams, body: string): [number, unknown] => {
    let match = /^\/3\.0\/lists\/([^/]+)\/members$/.exec(path);
    if (match && method === 'GET') return listMembers(decodeURIComponent(match[1]!), query);
    match = /^\/3\.0(\/lists\/[^/]+\/members\/[^/]+(?:\/tags)?)$/.exec(path);
    if (match) return memberOperation(method, match[1]!, body);
    if (path === '/3.0/batches' && method === 'POST') return startBatch(body);
    match = /^\/3\.0\/batches\/([^/]+)$/.exec(path);
    if (match && method === 'GET') {
      const batch = batches.get(decodeURIComponent(match[1]!));
      return batch ? [200, batchResource(batch)] : [404, problem(404, 'Resource Not Found', 'The requested resource could not be found.')];
    }
    return [404, problem(404, 'Resource Not Found', 'The requested resource could not be found.')];
  };

  const handle = (req: IncomingMessage, res: ServerResponse): void => {
    const requestUrl = new URL(req.url ?? '/', 'http://fake');
    const method = (req.method ?? 'GET').toUpperCase();

    const download = /^\/batch-results\/([^/]+)\.tar\.gz$/.exec(requestUrl.pathname);
    if (download && method === 'GET') {
      const batch = batches.get(download[1]!);
      downloads.push({ batchId: download[1]!, authorization: req.headers.authorization });
      if (!batch?.archive) {
        res.writeHead(404, { 'Content-Type': 'application/xml' }).end('<Error><Code>NoSuchKey</Code></Error>');
        return;
      }
      res.writeHead(200, { 'Content-Type': 'application/x-gzip', 'Content-Length': batch.archive.length }).end(batch.archive);
      return;
    }

    const auth = req.headers.authorization ?? '';
    const basic = /^Basic\s+(.+)$/i.exec(auth);
    const password = basic ? Buffer.from(basic[1]!, 'base64').toString('utf8').split(':').slice(1).join(':') : '';
    if (!password) {
      send(res, 401, problem(401, 'API Key Missing', 'Your request did not include an API key.'));
      return;
    }
    if (accepted && !accepted.has(password)) {
      send(res, 401, problem(401, 'API Key Invalid', "Your API key may be invalid, or you've attempted to access the wrong datacenter."));
      return;
    }

    const key = statsOf(password);
    key.requests += 1;
    key.inFlight += 1;
    key.maxInFlight = Math.max(key.maxInFlight, key.inFlight);
    if (key.inFlight > maxConnections) {
      key.rejected += 1;
      key.inFlight -= 1;
      send(res, 429, problem(429, 'Too Many Requests', `You have exceeded the limit of ${maxConnections} simultaneous connections.`));
      return;
    }
    let done = false;
    const finish = () => {
      if (!done) {
        done = true;
        key.inFlight -= 1;
      }
    };
    res.once('close', finish);
    res.once('finish', finish);

    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => {
      const body = Buffer.concat(chunks).toString('utf8');
      later(latencyMs, () => {
        const [status, answer] = route(method, requestUrl.pathname, requestUrl.searchParams, body);
        if (status === 204) {
          if (!res.destroyed) res.writeHead(204).end();
          return;
        }
        send(res, status, answer);
      });
    });
  };

  const server = createServer((req, res) => {
    try {
      handle(req, res);
    } catch (error) {
      send(res, 500, problem(500, 'Internal Server Error', error instanceof Error ? error.message : String(error)));
    }
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => resolve());
  });
  url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;

  const listOf = (listId: string): Map<string, FakeMember> => {
    let list = lists.get(listId);
    if (!list) lists.set(listId, (list = new Map()));
    return list;
  };

  return {
    url,
    addList(listId, members = []) {
      const list = listOf(listId);
      for (const member of members) list.set(member.id, clone(member));
    },
    addMember(listId, member) {
      listOf(listId).set(member.id, clone(member));
    },
    removeMember(listId, memberId) {
      return lists.get(listId)?.delete(memberId) ?? false;
    },
    members(listId) {
      return [...(lists.get(listId)?.values() ?? [])].map(clone);
    },
    inFlight: (apiKey) => stats.get(apiKey)?.inFlight ?? 0,
    maxInFlight: (apiKey) => stats.get(apiKey)?.maxInFlight ?? 0,
    requestCount: (apiKey) => stats.get(apiKey)?.requests ?? 0,
    rejectedCount: (apiKey) => stats.get(apiKey)?.rejected ?? 0,
    resetCounters() {
      for (const entry of stats.values()) Object.assign(entry, { maxInFlight: entry.inFlight, requests: 0, rejected: 0 });
    },
    batch(batchId) {
      const batch = batches.get(batchId);
      if (!batch) return undefined;
      const { archive: _archive, ...rest } = batch;
      return clone(rest);
    },
    resultDownloads: () => downloads.map((entry) => ({ ...entry })),
    async close() {
      for (const timer of timers) clearTimeout(timer);
      timers.clear();
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
