import { createHash } from 'node:crypto';
import { promisify } from 'node:util';
import { gunzip } from 'node:zlib';
import { fetchPublic, isDestinationRefused } from '@refinery/outbound';
import { baseUrlFor, basicAuthorization } from './api-key';
import { MailchimpBatchTimeoutError, type MailchimpProblem, MailchimpRequestError, MailchimpResponseError } from './errors';
import { readTar } from './tar';

const gunzipAsync = promisify(gunzip);

/**
 * Where every Mailchimp API request waits for a slot. Mailchimp allows 10 simultaneous connections per API key
 * ("The Marketing API has a limit of 10 simultaneous connections. You'll receive a 429 error if you reach the limit",
 * Marketing API fundamentals, Throttling), so the gate is keyed by API key and shared by every client in the process
 * (or further, when the gate coordinates processes). The client calls `run(apiKey, …)` once per HTTP request and
 * holds the slot only while that request is in flight (not while it backs off between attempts).
 */
export interface MailchimpGate {
  run<T>(key: string, task: () => Promise<T>): Promise<T>;
}

/** A gate that never waits: for tests and scripts that do not care about the connection limit. */
export const unlimitedGate: MailchimpGate = { run: (_key, task) => task() };

export interface MailchimpClock {
  now(): number;
  sleep(ms: number): Promise<void>;
}

export const systemClock: MailchimpClock = {
  now: () => Date.now(),
  sleep: (ms) => new Promise((resolve) => setTimeout(resolve, ms)),
};

/** Member statuses (List members, `status` query parameter and member `status`). */
export type MailchimpMemberStatus = 'subscribed' | 'unsubscribed' | 'cleaned' | 'pending' | 'transactional' | 'archived';

/**
 * A list member as `GET /3.0/lists/{list_id}/members` returns it, reduced to the fields asked for with `fields`
 * (with MEMBER_FIELDS: id, email_address, merge_fields, status, timestamp_opt). `id` is the MD5 hash of the lower-cased
 * email address. `merge_fields` is keyed by merge tag (FNAME, LNAME, PHONE, ADDRESS, BIRTHDAY, …); an ADDRESS merge
 * field is an object `{ addr1, addr2, city, state, zip, country }` or, when empty or set as text, a string.
 */
export interface MailchimpMember {
  id: string;
  email_address: string;
  status: MailchimpMemberStatus;
  merge_fields: Record<string, unknown>;
  timestamp_opt?: string;
  timestamp_signup?: string;
  last_changed?: string;
  tags?: Array<{ id?: number; name: string }>;
  [field: string]: unknown;
}

/**
 * The default `fields` for listMembers (Mailchimp's partial-response parameter: comma-separated, sub-objects with dot
 * notation). `total_items` is asked for too, or the answer would not say how many members the list has.
 */
export const MEMBER_FIELDS: readonly string[] = Object.freeze([
  'members.id',
  'members.email_address',
  'members.merge_fields',
  'members.status',
  'members.timestamp_opt',
  'total_items',
]);

/** Mailchimp's documented maximum for `count` on collection endpoints. */
export const MAX_PAGE_SIZE = 1000;

export type MemberSortField = 'timestamp_opt' | 'timestamp_signup' | 'last_changed';

export interface ListMembersOptions {
  /** Members to skip (`offset`, ≥ 0). */
  readonly offset: number;
  /** Members to return (`count`, 1–1000). */
  readonly count: number;
  /**
   * `fields`, e.g. MEMBER_FIELDS. A bare member property (`'email_address'`, `'merge_fields.FNAME'`) is sent as
   * `members.<property>`; `total_items` is added when missing.
   */
  readonly fields?: readonly string[];
  readonly sortField?: MemberSortField;
  readonly sortDir?: 'ASC' | 'DESC';
  /** `before_timestamp_opt`: only members who opted in before this ISO 8601 time. */
  readonly beforeTimestampOpt?: string;
  /** `since_timestamp_opt`: only members who opted in after this ISO 8601 time. */
  readonly sinceTimestampOpt?: string;
  readonly status?: MailchimpMemberStatus;
}

export interface MemberPage {
  readonly members: MailchimpMember[];
  readonly totalItems: number;
}

/** One operation of a batch (`POST /3.0/batches`, `operations[]`): a relative path and, for writes, a JSON string body. */
export interface MailchimpBatchOperation {
  readonly method: 'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE';
  /** Relative to the API root, without `/3.0`: `/lists/{list_id}/members/{subscriber_hash}`. */
  readonly path: string;
  /** Query parameters, for GET operations. */
  readonly params?: Record<string, string | number | boolean>;
  /** The JSON payload as a string (Mailchimp wants a string here, not an object). */
  readonly body?: string;
  /** Returned with the operation's result, to tell which member an answer is about. */
  readonly operation_id?: string;
}

export type MailchimpBatchStatus = 'pending' | 'preprocessing' | 'started' | 'finalizing' | 'finished';

/** The batch resource (`POST /3.0/batches` and `GET /3.0/batches/{batch_id}`). */
export interface MailchimpBatch {
  id: string;
  status: MailchimpBatchStatus;
  total_operations: number;
  finished_operations: number;
  errored_operations: number;
  submitted_at?: string;
  completed_at?: string;
  /** The results archive (a gzipped tar of JSON files); empty until the batch has finished. Not on Mailchimp's host. */
  response_body_url: string;
}

/**
 * One operation's result, from the JSON files in the results archive, documented as
 * `[{ "status_code": 200, "operation_id": "my-id", "response": "{...}" }, …]` where `response` is the operation's
 * answer body as a JSON string; here it is parsed (kept as the raw string when it is not JSON, `null` when empty).
 */
export interface MailchimpBatchResult {
  operation_id: string | null;
  status_code: number;
  response: unknown;
}

export interface WaitForBatchOptions {
  /** Between two status requests. Default 5 s. */
  readonly pollMs?: number;
  /** Give up (MailchimpBatchTimeoutError) after this long. Default 15 min. */
  readonly timeoutMs?: number;
  /** Called with every status seen, e.g. to report progress. */
  readonly onPoll?: (batch: MailchimpBatch) => void;
}

export interface MailchimpClientOptions {
  /** `<key>-<dc>`: sent as the Basic-auth password, never logged nor put in an error. */
  readonly apiKey: string;
  /** Origin override (a test server); the default comes from the key's data centre. Callers read MAILCHIMP_BASE_URL. */
  readonly baseUrl?: string;
  readonly gate: MailchimpGate;
  readonly clock?: MailchimpClock;
  /** In [0, 1): the jitter. */
  readonly random?: () => number;
  /** Attempts per request, the first included. Default 6. */
  readonly maxAttempts?: number;
  /** Backoff before attempt n+1 is random() × min(maxDelayMs, baseDelayMs × 2^(n-1)) ("full jitter"). Default 1 s. */
  readonly baseDelayMs?: number;
  /** Default 30 s. */
  readonly maxDelayMs?: number;
  /** A Retry-After longer than this is cut to it. Default 120 s. */
  readonly maxRetryAfterMs?: number;
  /** Per HTTP request. Mailchimp itself times out calls at 120 s. Default 130 s. */
  readonly requestTimeoutMs?: number;
  /** Largest decompressed results archive accepted. Default 512 MiB. */
  readonly maxResultsBytes?: number;
  /** Default: `fetchPublic` (@refinery/outbound: public addresses only, checked at each connection; the global fetch looked up at call time). */
  readonly fetch?: (url: string, init: RequestInit) => Promise<Response>;
}

interface Answer {
  readonly status: number;
  readonly retryAfter: string | null;
  readonly body: Buffer;
}

type Attempt = { readonly answer: Answer } | { readonly networkError: unknown };

/** Mailchimp's lower-cased-email MD5, the `subscriber_hash` in member paths and the member `id`. */
export function subscriberHash(email: string): string {
  return createHash('md5').update(email.trim().toLowerCase()).digest('hex');
}

// Throttling as Mailchimp words it: 429 "Too Many Requests" ("You have exceeded the limit of 10 simultaneous
// connections"); the fundamentals page adds that "at exceptionally high volumes, you may receive an HTTP 429 or 403
// without a JSON body", so a 403 counts as throttling when its body is not a problem document or when its
// title/detail says so. A 403 with an ordinary problem document ("Forbidden", "User Disabled", "Wrong Datacenter")
// is a real refusal.
const THROTTLE_WORDS = /too many|throttl|rate.?limit|simultaneous connections|concurrent connections/i;

function parseProblem(body: Buffer): MailchimpProblem | undefined {
  if (body.length === 0) return undefined;
  try {
    const parsed: unknown = JSON.parse(body.toString('utf8'));
    if (parsed && typeof parsed === 'object' && !Array.isArray(parsed)) return parsed as MailchimpProblem;
  } catch {
    // not JSON: an edge proxy's HTML page, or nothing useful
  }
  return undefined;
}

export function isThrottling(status: number, problem: MailchimpProblem | undefined): boolean {
  if (status === 429) return true;
  if (status !== 403) return false;
  if (!problem || (problem.title === undefined && problem.detail === undefined)) return true;
  return THROTTLE_WORDS.test(`${problem.title ?? ''} ${problem.detail ?? ''}`);
}

/** Retry-After in seconds or as an HTTP date, in ms from `now`; undefined when absent or unreadable. */
export function parseRetryAfter(value: string | null, now: number): number | undefined {
  if (value === null || value.trim() === '') return undefined;
  const text = value.trim();
  if (/^\d+(\.\d+)?$/.test(text)) return Math.round(Number(text) * 1000);
  const at = Date.parse(text);
  return Number.isNaN(at) ? undefined : Math.max(0, at - now);
}

function normaliseFields(fields: readonly string[]): string {
  const out = fields
    .map((name) => name.trim())
    .filter((name) => name !== '')
    .map((name) => (name === 'total_items' || name.startsWith('members.') || name.startsWith('_') || name === 'list_id' ? name : `members.${name}`));
  if (!out.includes('total_items')) out.push('total_items');
  return [...new Set(out)].join(',');
}

const BATCH_METHODS = new Set(['GET', 'POST', 'PUT', 'PATCH', 'DELETE']);

export class MailchimpClient {
  readonly baseUrl: string;
  private readonly apiKey: string;
  private readonly gate: MailchimpGate;
  private readonly clock: MailchimpClock;
  private readonly random: () => number;
  private readonly maxAttempts: number;
  private readonly baseDelayMs: number;
  private readonly maxDelayMs: number;
  private readonly maxRetryAfterMs: number;
  private readonly requestTimeoutMs: number;
  private readonly maxResultsBytes: number;
  private readonly fetchImpl: MailchimpClientOptions['fetch'];

  constructor(options: MailchimpClientOptions) {
    this.baseUrl = baseUrlFor(options.apiKey, options.baseUrl);
    this.apiKey = options.apiKey;
    this.gate = options.gate;
    this.clock = options.clock ?? systemClock;
    this.random = options.random ?? Math.random;
    this.maxAttempts = Math.max(1, Math.floor(options.maxAttempts ?? 6));
    this.baseDelayMs = options.baseDelayMs ?? 1000;
    this.maxDelayMs = options.maxDelayMs ?? 30_000;
    this.maxRetryAfterMs = options.maxRetryAfterMs ?? 120_000;
    this.requestTimeoutMs = options.requestTimeoutMs ?? 130_000;
    this.maxResultsBytes = options.maxResultsBytes ?? 512 * 1024 * 1024;
    this.fetchImpl = options.fetch;
  }

  /**
   * One page of a list's members: `GET /3.0/lists/{list_id}/members` with `fields`, `count`, `offset` and the
   * optional `sort_field`, `sort_dir`, `before_timestamp_opt`, `since_timestamp_opt`, `status`. Answer:
   * `{ members: [...], total_items, list_id, _links }` (only the fields asked for).
   * `count` above 1000 (Mailchimp's maximum) is refused here, before any request.
   */
  async listMembers(listId: string, options: ListMembersOptions): Promise<MemberPage> {
    const { offset, count } = options;
    if (!Number.isInteger(count) || count < 1 || count > MAX_PAGE_SIZE) {
      throw new RangeError(`Mailchimp page size (count) must be an integer from 1 to ${MAX_PAGE_SIZE}, got ${count}`);
    }
    if (!Number.isInteger(offset) || offset < 0) throw new RangeError(`Mailchimp offset must be a whole number ≥ 0, got ${offset}`);
    if (typeof listId !== 'string' || listId.trim() === '') throw new Error('Mailchimp list id is empty');
    const query = new URLSearchParams();
    query.set('fields', normaliseFields(options.fields ?? MEMBER_FIELDS));
    query.set('count', String(count));
    query.set('offset', String(offset));
    if (options.sortField) query.set('sort_field', options.sortField);
    if (options.sortDir) query.set('sort_dir', options.sortDir);
    if (options.beforeTimestampOpt) query.set('before_timestamp_opt', options.beforeTimestampOpt);
    if (options.sinceTimestampOpt) query.set('since_timestamp_opt', options.sinceTimestampOpt);
    if (options.status) query.set('status', options.status);
    const path = `/3.0/lists/${encodeURIComponent(listId)}/members`;
    const body = (await this.requestJson('GET', path, { query, idempotent: true })) as { members?: unknown; total_items?: unknown };
    if (!body || !Array.isArray(body.members)) throw new MailchimpResponseError(path, 'answer has no members array');
    const totalItems = typeof body.total_items === 'number' ? body.total_items : Number.NaN;
    if (!Number.isFinite(totalItems)) throw new MailchimpResponseError(path, 'answer has no total_items (was it left out of fields?)');
    return { members: body.members as MailchimpMember[], totalItems };
  }

  /**
   * Starts a batch: `POST /3.0/batches` with `{ operations: [{ method, path, params?, body?, operation_id? }] }`;
   * Mailchimp answers with the batch resource, status `pending`. Retried on throttling only: a 5xx or a lost answer
   * may mean the batch was created, and creating it twice would do every write twice.
   */
  async startBatch(operations: readonly MailchimpBatchOperation[]): Promise<MailchimpBatch> {
    if (operations.length === 0) throw new Error('a Mailchimp batch needs at least one operation');
    for (const [index, op] of operations.entries()) {
      if (!BATCH_METHODS.has(op.method))
        throw new Error(`batch operation ${index}: method '${String(op.method)}' is not GET, POST, PUT, PATCH or DELETE`);
      if (typeof op.path !== 'string' || !op.path.startsWith('/'))
        throw new Error(`batch operation ${index}: path must be relative to the API root and start with '/'`);
      if (op.body !== undefined && typeof op.body !== 'string') throw new Error(`batch operation ${index}: body must be a JSON string`);
    }
    const batch = await this.requestJson('POST', '/3.0/batches', { body: JSON.stringify({ operations }), idempotent: false });
    return this.asBatch('/3.0/batches', batch);
  }

  /** `GET /3.0/batches/{batch_id}`: status (pending, preprocessing, started, finalizing, finished) and counts. */
  async getBatch(batchId: string): Promise<MailchimpBatch> {
    const path = `/3.0/batches/${encodeURIComponent(batchId)}`;
    return this.asBatch(path, await this.requestJson('GET', path, { idempotent: true }));
  }

  /** Polls getBatch until the batch is `finished`; each poll is one gated request, none is held while waiting. */
  async waitForBatch(batchId: string, options: WaitForBatchOptions = {}): Promise<MailchimpBatch> {
    const pollMs = options.pollMs ?? 5000;
    const timeoutMs = options.timeoutMs ?? 15 * 60_000;
    const started = this.clock.now();
    for (;;) {
      const batch = await this.getBatch(batchId);
      options.onPoll?.(batch);
      if (batch.status === 'finished') return batch;
      const left = started + timeoutMs - this.clock.now();
      if (left <= 0) throw new MailchimpBatchTimeoutError(batchId, batch.status, timeoutMs);
      await this.clock.sleep(Math.min(pollMs, left));
    }
  }

  /**
   * The per-operation results of a finished batch. `response_body_url` points at a gzipped tar archive of JSON files,
   * each an array of `{ status_code, operation_id, response }` (Mailchimp guide "Run async requests with the batch
   * endpoint" / "How to use batch operations"). The archive is not on Mailchimp's API host (it is a pre-signed
   * storage URL), so it is fetched without the Authorization header and outside the gate (it uses none of the
   * key's 10 API connections); 5xx and network errors are retried like API calls.
   */
  async batchResults(batch: Pick<MailchimpBatch, 'id' | 'status' | 'response_body_url'>): Promise<MailchimpBatchResult[]> {
    if (batch.status !== 'finished' || !batch.response_body_url) {
      throw new Error(`Mailchimp batch ${batch.id} has no results yet (status '${batch.status}')`);
    }
    const what = `batch ${batch.id} results`;
    const answer = await this.send('GET', batch.response_body_url, what, { idempotent: true, authorised: false });
    let archive = answer.body;
    if (archive[0] === 0x1f && archive[1] === 0x8b) {
      // A gzip stream (unless the storage host set Content-Encoding and fetch already inflated it).
      archive = await gunzipAsync(archive, { maxOutputLength: this.maxResultsBytes });
    }
    const results: MailchimpBatchResult[] = [];
    for (const entry of readTar(archive)) {
      const text = entry.data.toString('utf8').trim();
      if (text === '') continue;
      let parsed: unknown;
      try {
        parsed = JSON.parse(text);
      } catch {
        throw new MailchimpResponseError(what, `archive entry '${entry.name}' is not JSON`);
      }
      const items = Array.isArray(parsed) ? parsed : [parsed];
      for (const item of items) results.push(toResult(what, entry.name, item));
    }
    return results;
  }

  private asBatch(path: string, value: unknown): MailchimpBatch {
    const batch = value as Partial<MailchimpBatch> | undefined;
    if (!batch || typeof batch.id !== 'string' || typeof batch.status !== 'string') {
      throw new MailchimpResponseError(path, 'answer is not a batch resource (no id or status)');
    }
    return {
      ...batch,
      id: batch.id,
      status: batch.status,
      total_operations: batch.total_operations ?? 0,
      finished_operations: batch.finished_operations ?? 0,
      errored_operations: batch.errored_operations ?? 0,
      response_body_url: batch.response_body_url ?? '',
    };
  }

  private async requestJson(
    method: string,
    path: string,
    options: { query?: URLSearchParams; body?: string; idempotent: boolean },
  ): Promise<unknown> {
    const search = options.query && [...options.query.keys()].length > 0 ? `?${options.query.toString()}` : '';
    const answer = await this.send(method, `${this.baseUrl}${path}${search}`, path, {
      body: options.body,
      idempotent: options.idempotent,
      authorised: true,
    });
    if (answer.body.length === 0) return undefined;
    try {
      return JSON.parse(answer.body.toString('utf8'));
    } catch {
      throw new MailchimpResponseError(path, `HTTP ${answer.status} answer is not JSON`);
    }
  }

  /** One request, with retries: throttling always; 5xx and network errors when `idempotent`. */
  private async send(
    method: string,
    url: string,
    label: string,
    options: { body?: string; idempotent: boolean; authorised: boolean },
  ): Promise<Answer> {
    for (let attempt = 1; ; attempt++) {
      const outcome = options.authorised
        ? await this.gate.run(this.apiKey, () => this.attempt(method, url, options))
        : await this.attempt(method, url, options);

      let status = 0;
      let problem: MailchimpProblem | undefined;
      let retryable: boolean;
      let retryAfterMs: number | undefined;
      // A destination refused (a base URL or results URL that is not public) stays refused: no retry.
      const refused = 'networkError' in outcome && isDestinationRefused(outcome.networkError);
      if ('networkError' in outcome) {
        retryable = options.idempotent && !refused;
      } else {
        const { answer } = outcome;
        if (answer.status >= 200 && answer.status < 300) return answer;
        status = answer.status;
        problem = parseProblem(answer.body);
        const throttled = isThrottling(status, problem);
        retryable = throttled || (status >= 500 && options.idempotent);
        retryAfterMs = parseRetryAfter(answer.retryAfter, this.clock.now());
        if (!throttled && status < 500) {
          throw new MailchimpRequestError({ method, path: label, status, problem: this.redact(problem), retryable: false, attempts: attempt });
        }
      }
      if (!retryable || attempt >= this.maxAttempts) {
        throw new MailchimpRequestError({
          method,
          path: label,
          status,
          problem: this.redact(
            problem ??
              ('networkError' in outcome
                ? { title: refused ? 'Destination refused' : 'Network error', detail: describe(outcome.networkError) }
                : undefined),
          ),
          retryable: ('networkError' in outcome && !refused) || status === 429 || status === 403 || status >= 500,
          attempts: attempt,
          cause: 'networkError' in outcome ? outcome.networkError : undefined,
        });
      }
      await this.clock.sleep(this.delayBefore(attempt + 1, retryAfterMs));
    }
  }

  private async attempt(method: string, url: string, options: { body?: string; authorised: boolean }): Promise<Attempt> {
    const headers: Record<string, string> = {};
    if (options.authorised) {
      headers.Authorization = basicAuthorization(this.apiKey);
      headers.Accept = 'application/json';
    }
    if (options.body !== undefined) headers['Content-Type'] = 'application/json';
    try {
      // Only public addresses, checked at each connection (fetchPublic); redirects are not followed.
      const response = await (this.fetchImpl ?? fetchPublic)(url, {
        method,
        headers,
        body: options.body,
        signal: AbortSignal.timeout(this.requestTimeoutMs),
      });
      // The body is read inside the gate: the connection is busy until it has been.
      const body = Buffer.from(await response.arrayBuffer());
      return { answer: { status: response.status, retryAfter: response.headers.get('retry-after'), body } };
    } catch (networkError) {
      return { networkError };
    }
  }

  /** Full-jitter exponential backoff, but never shorter than the server's Retry-After (capped). */
  private delayBefore(attempt: number, retryAfterMs: number | undefined): number {
    const ceiling = Math.min(this.maxDelayMs, this.baseDelayMs * 2 ** (attempt - 2));
    const jittered = Math.floor(this.random() * ceiling);
    return retryAfterMs === undefined ? jittered : Math.max(jittered, Math.min(retryAfterMs, this.maxRetryAfterMs));
  }

  private redact(problem: MailchimpProblem | undefined): MailchimpProblem | undefined {
    if (!problem) return problem;
    const scrub = (text: string | undefined) => (typeof text === 'string' ? text.split(this.apiKey).join('[redacted]') : text);
    return { ...problem, title: scrub(problem.title), detail: scrub(problem.detail) };
  }
}

function describe(error: unknown): string {
  if (error instanceof Error) {
    const cause = (error as { cause?: unknown }).cause;
    const code = cause && typeof cause === 'object' && 'code' in cause ? ` (${String((cause as { code: unknown }).code)})` : '';
    return `${error.name}: ${error.message}${code}`;
  }
  return String(error);
}

function toResult(what: string, entry: string, item: unknown): MailchimpBatchResult {
  const record = item as { status_code?: unknown; operation_id?: unknown; response?: unknown } | null;
  if (!record || typeof record !== 'object' || typeof record.status_code !== 'number') {
    throw new MailchimpResponseError(what, `archive entry '${entry}' holds an item without a status_code`);
  }
  let response: unknown = record.response ?? null;
  if (typeof response === 'string') {
    if (response.trim() === '') response = null;
    else {
      try {
        response = JSON.parse(response);
      } catch {
        // keep the text as it came
      }
    }
  }
  return {
    operation_id: typeof record.operation_id === 'string' ? record.operation_id : record.operation_id == null ? null : String(record.operation_id),
    status_code: record.status_code,
    response,
  };
}
