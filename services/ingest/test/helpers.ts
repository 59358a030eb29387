import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { JobViewData } from '@refinery/events';
import type { Table, TransactWrite } from '@refinery/ports';
import { SecretSealer, TokenRegistry } from '@refinery/runtime';
import {
  type ApiEventInput,
  apiEvent,
  createTestPorts,
  RecordingMetrics,
  readFixture,
  sqsEvent,
  type TestClock,
  type TestPorts,
  testContext,
} from '@refinery/test-support';
import type { ScheduledEvent, SQSBatchResponse } from 'aws-lambda';
import { DEFAULT_INGEST_CONFIG, type IngestConfig, ingestHandlers } from '../src/service';

export const UPLOADS_BUCKET = 'ingest-uploads';
export const ACME_TOKEN = 'token-acme-123';
export const GLOBEX_TOKEN = 'token-globex-456';
/** The key the harness signs rows cursors with. */
export const CURSOR_SIGNING_KEY = Buffer.alloc(32, 7);
/** The key-encryption key the harness seals webhook secrets with. */
export const KEY_ENCRYPTION_KEY = Buffer.alloc(32, 7);
/** The first id `sequentialIds()` hands out: the job the fixtures in test/fixtures talk about. */
export const FIRST_JOB_ID = 'job_TEST000001';
/** Where that job's input is kept: the uploads bucket, under the tenant and the job. */
export const FIRST_JOB_INPUT = { bucket: UPLOADS_BUCKET, key: `tenants/acme/jobs/${FIRST_JOB_ID}/input.csv` };

const FIXTURES = join(__dirname, 'fixtures');

/** What EventBridge Scheduler hands the `sweep` schedule. */
export const SCHEDULED_EVENT: ScheduledEvent = {
  version: '0',
  id: 'run-1',
  'detail-type': 'Scheduled Event',
  source: 'aws.events',
  account: '123456789012',
  time: '2026-11-28T13:00:00Z',
  region: 'us-east-1',
  resources: [],
  detail: {},
};

/** A JSON event fixture as the SQS message body EventBridge would deliver. */
export function fixture(name: string): string {
  return readFixture(join(FIXTURES, name));
}

/** A sample file, byte for byte. */
export function sampleFile(name: string): Buffer {
  return readFileSync(join(FIXTURES, name));
}

/** The first bytes of a real PNG file: what a user uploads by mistake instead of a CSV. */
export const PNG_BYTES = Buffer.from([
  0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a, 0x00, 0x00, 0x00, 0x0d, 0x49, 0x48, 0x44, 0x52, 0x00, 0x00, 0x00, 0x01, 0x00, 0x00, 0x00, 0x01,
  0x08, 0x06, 0x00, 0x00, 0x00, 0x1f, 0x15, 0xc4, 0x89,
]);

export interface ApiAnswer {
  readonly status: number;
  readonly headers: Record<string, string | number | boolean>;
  readonly body: string;
  /** The body parsed as JSON (undefined when it is empty). */
  readonly json: any;
}

/** The ingest service on the real local adapters (SQLite table, files), called exactly as Lambda would call it. */
export interface IngestHarness {
  readonly ports: TestPorts;
  readonly service: ReturnType<typeof ingestHandlers>;
  /** What the service recorded. */
  readonly metrics: RecordingMetrics;
  http(input: ApiEventInput): Promise<ApiAnswer>;
  uploads(bodies: readonly string[], options?: { receiveCount?: number }): Promise<SQSBatchResponse>;
  history(bodies: readonly string[], options?: { receiveCount?: number }): Promise<SQSBatchResponse>;
  /**
   * Published detail-types, in order, without the job.progressed.v1 snapshots (the pipeline's events: the snapshots
   * are checked on their own, with `progressed()`).
   */
  publishedTypes(): string[];
  /** The views job.progressed.v1 carried, in the order they were published. */
  progressed(): JobViewData[];
  /** Every wait of the progress publisher, in ms: each moves the test clock on by as much, and returns at once. */
  readonly sleeps: number[];
}

/**
 * The table as it is, but for a record of every transaction asked of it (each one's writes, whether it was written or
 * refused): how many transactions a piece of work costs.
 */
export function recordingTransactions(table: Table): { readonly table: Table; readonly transactions: TransactWrite[][] } {
  const transactions: TransactWrite[][] = [];
  const recording: Table = {
    get: (key) => table.get(key),
    put: (item, options) => table.put(item, options),
    update: (key, update, options) => table.update(key, update, options),
    delete: (key, options) => table.delete(key, options),
    batchPut: (items) => table.batchPut(items),
    query: (pk, options) => table.query(pk, options),
    transact: (writes) => {
      transactions.push([...writes]);
      return table.transact(writes);
    },
  };
  return { table: recording, transactions };
}

/** @param jobsTable what the service's jobs table is made of: the real (SQLite) table, which it may wrap. */
export function createHarness(config: Partial<IngestConfig> = {}, jobsTable: (table: Table) => Table = (table) => table): IngestHarness {
  const ports = createTestPorts();
  const sleeps: number[] = [];
  const metrics = new RecordingMetrics();
  const service = ingestHandlers({
    publisher: ports.publisher,
    clock: ports.clock,
    ids: ports.ids,
    logger: ports.logger,
    metrics,
    config: { ...DEFAULT_INGEST_CONFIG, uploadsBucket: UPLOADS_BUCKET, cursorSigningKey: CURSOR_SIGNING_KEY, ...config },
    objects: ports.objects,
    jobs: jobsTable(ports.table('ingest-jobs')),
    tokens: TokenRegistry.parse(`acme:${ACME_TOKEN},globex:${GLOBEX_TOKEN}`),
    secrets: new SecretSealer(KEY_ENCRYPTION_KEY),
    sleep: fakeSleep(ports.clock, sleeps),
  });
  const subscription = (name: 'uploads' | 'history') => {
    const binding = service.subscriptions[name];
    return (bodies: readonly string[], options: { receiveCount?: number } = {}) => binding.handler(sqsEvent(bodies, options), testContext());
  };
  return {
    ports,
    service,
    metrics,
    async http(input) {
      const response = await service.http(apiEvent(input), testContext());
      const body = response.body ?? '';
      return { status: response.statusCode ?? 200, headers: response.headers ?? {}, body, json: body ? JSON.parse(body) : undefined };
    },
    uploads: subscription('uploads'),
    history: subscription('history'),
    publishedTypes: () => ports.publisher.entries.map((entry) => entry.detailType).filter((type) => type !== 'job.progressed.v1'),
    progressed: () => ports.publisher.ofType('job.progressed.v1').map((event) => event.data.job),
    sleeps,
  };
}

/**
 * A sleep on the test clock that costs no real time: it records the wait and, on a later turn of the event loop, moves
 * the clock on to when the sleeper would wake (not past it: sleepers side by side wake at their own times, as with
 * real timers, rather than one after the other).
 */
export function fakeSleep(clock: TestClock, sleeps: number[]): (ms: number) => Promise<void> {
  return (ms) => {
    sleeps.push(ms);
    const wakeAt = clock.now().getTime() + ms;
    return new Promise((resolve) =>
      setImmediate(() => {
        const now = clock.now().getTime();
        if (wakeAt > now) clock.advance(wakeAt - now);
        resolve();
      }),
    );
  };
}

/** `POST /jobs` with a CSV body, as acme unless told otherwise. */
export function postCsv(
  harness: IngestHarness,
  csv: Buffer | string,
  options: { query?: Record<string, string>; headers?: Record<string, string>; token?: string } = {},
): Promise<ApiAnswer> {
  return harness.http({
    routeKey: 'POST /jobs',
    token: options.token ?? ACME_TOKEN,
    headers: { 'content-type': 'text/csv', ...options.headers },
    ...(options.query ? { query: options.query } : {}),
    body: csv,
  });
}

/** `POST /jobs` with a JSON body (a presigned upload), as acme unless told otherwise. */
export function postJson(
  harness: IngestHarness,
  body: unknown,
  options: { headers?: Record<string, string>; token?: string } = {},
): Promise<ApiAnswer> {
  return harness.http({
    routeKey: 'POST /jobs',
    token: options.token ?? ACME_TOKEN,
    headers: { 'content-type': 'application/json', ...options.headers },
    body: typeof body === 'string' ? body : JSON.stringify(body),
  });
}

export function getJob(harness: IngestHarness, jobId: string, route: '' | '/events' | '/result' = '', token = ACME_TOKEN): Promise<ApiAnswer> {
  return harness.http({ routeKey: `GET /jobs/{id}${route}`, pathParameters: { id: jobId }, token });
}

/** `POST /contacts/match` with a JSON body (a value, or a string sent as it is), as acme unless told otherwise. */
export function postContact(
  harness: IngestHarness,
  body: unknown,
  options: { query?: Record<string, string>; headers?: Record<string, string>; token?: string } = {},
): Promise<ApiAnswer> {
  return harness.http({
    routeKey: 'POST /contacts/match',
    token: options.token ?? ACME_TOKEN,
    headers: { 'content-type': 'application/json', ...options.headers },
    ...(options.query ? { query: options.query } : {}),
    body: typeof body === 'string' ? body : JSON.stringify(body),
  });
}
