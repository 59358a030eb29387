import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import type { MatchedRow } from '@refinery/chunk-records';
import { DirectoryProvider } from '@refinery/directory-provider';
import { type chunkPlannedV1, deriveEventId, type EventData, type EventMetadata } from '@refinery/events';
import type { Candidate, ContactProvider } from '@refinery/matching';
import { loadBundledNicknames } from '@refinery/nicknames';
import { noMetrics } from '@refinery/ports';
import { HttpTemplateProvider } from '@refinery/providers';
import { createTestPorts, readFixture, sqsEvent, type TestPorts, testContext } from '@refinery/test-support';
import { DEFAULT_MATCHER_CONFIG, matcher as declaration, matcherHandlers, seedNicknames } from '../src/service';

const CHUNKS_BUCKET = 'matcher-chunks';
const FIXTURE = join(__dirname, 'fixtures', 'chunk-planned.json');

interface PlannedFixture {
  detail: { metadata: EventMetadata; data: EventData<typeof chunkPlannedV1> };
}

function planned(): PlannedFixture {
  return JSON.parse(readFixture(FIXTURE)) as PlannedFixture;
}

/** The fixture as an SQS message body, optionally changed first. */
function plannedBody(change?: (event: PlannedFixture) => void): string {
  const event = planned();
  change?.(event);
  return JSON.stringify(event);
}

// The input object: the range of the fixture (chunk 2 of 3, rows 10-15) sits between bytes that would break any
// parser reading them: an unterminated quote where chunk 1 would be, and another one after the range.
const HEADER = 'First Name,Last Name,Email,Company,City,Notes\n';
const BEFORE_RANGE = 'Broken,"this quote never closes,x,y,z\n';
const CHUNK_LINES = [
  'Robert,Paulson,Robert.Paulson@Example.COM,Paper Street Soap,Wilmington,=1+1',
  'Bob,Paulson,,Paper Street Soap,Wilmington,',
  'Zebediah,Quillfeather,zq@nowhere.example,,,',
  'Alice,,alice@example.com,,,',
  'Carol,Danvers,,,,',
  'Dave,Jones,dave@example.com,Acme,Boston,,EXTRA ONE,EXTRA TWO',
];
const CHUNK = `${CHUNK_LINES.join('\n')}\n`;
const AFTER_RANGE = 'Trailing,"garbage that never closes\n';
const INPUT = `${HEADER}${BEFORE_RANGE}${CHUNK}${AFTER_RANGE}`;

const ROBERT: Candidate = {
  id: 'dir-robert-paulson',
  fields: {
    first_name: 'Robert',
    last_name: 'Paulson',
    email: 'robert.paulson@example.com',
    phone: '+13025550100',
    company: 'Paper Street Soap Company',
    city: 'Wilmington',
    state: 'DE',
  },
};
const DIRECTORY: Candidate[] = [
  ROBERT,
  { id: 'dir-marla-singer', fields: { first_name: 'Marla', last_name: 'Singer', email: 'marla@example.org', city: 'Wilmington', state: 'DE' } },
  { id: 'dir-tyler-durden', fields: { first_name: 'Tyler', last_name: 'Durden', email: 'tyler@example.net', company: 'Paper Street Soap Company' } },
];

const MAX_RECEIVE_COUNT = declaration.subscriptions.chunks.queue.maxReceiveCount;

let ports: TestPorts;

beforeEach(async () => {
  ports = createTestPorts();
  await ports.objects.put(planned().detail.data.input, INPUT, { contentType: 'text/csv' });
});

afterEach(() => ports.cleanup());

async function matcher(options: { provider?: ContactProvider; providers?: ContactProvider[]; seed?: boolean; objects?: TestPorts['objects'] } = {}) {
  const nicknames = ports.table('matcher-nicknames');
  if (options.seed ?? true) await seedNicknames(nicknames, loadBundledNicknames(), 'test');
  return matcherHandlers({
    publisher: ports.publisher,
    clock: ports.clock,
    ids: ports.ids,
    logger: ports.logger,
    metrics: noMetrics,
    config: { ...DEFAULT_MATCHER_CONFIG, chunksBucket: CHUNKS_BUCKET },
    objects: options.objects ?? ports.objects,
    providers: options.providers ?? [options.provider ?? DirectoryProvider.fromRecords(DIRECTORY)],
    nicknames,
  }).subscriptions.chunks.handler;
}

function matchedKey(): string {
  const { metadata } = planned().detail;
  return `tenants/${metadata.tenantId}/jobs/${metadata.jobId}/matched/000000001.ndjson`;
}

async function readMatchedRows(): Promise<MatchedRow[]> {
  const text = (await ports.objects.getBuffer({ bucket: CHUNKS_BUCKET, key: matchedKey() })).toString('utf8');
  return text
    .split('\n')
    .filter((line) => line !== '')
    .map((line) => JSON.parse(line) as MatchedRow);
}

const failingProvider: ContactProvider = {
  name: 'down',
  findCandidates: async () => {
    throw new Error('provider unavailable: connect ECONNREFUSED 10.0.0.7:443');
  },
};

describe('matcher chunks: chunk.planned.v1', () => {
  it('the fixture range covers exactly the chunk rows of the input object', () => {
    const { range } = planned().detail.data;
    expect(Buffer.from(INPUT).subarray(range.start, range.end).toString('utf8')).toBe(CHUNK);
  });

  it('reads only its byte range and writes one NDJSON row per record with global row numbers and the parsed cells', async () => {
    const handler = await matcher();
    const response = await handler(sqsEvent([plannedBody()]), testContext());

    expect(response.batchItemFailures).toEqual([]);
    const rows = await readMatchedRows();
    expect(rows.map((row) => row.row)).toEqual([10, 11, 12, 13, 14, 15]);
    expect(rows.map((row) => row.cells)).toEqual([
      ['Robert', 'Paulson', 'Robert.Paulson@Example.COM', 'Paper Street Soap', 'Wilmington', '=1+1'],
      ['Bob', 'Paulson', '', 'Paper Street Soap', 'Wilmington', ''],
      ['Zebediah', 'Quillfeather', 'zq@nowhere.example', '', '', ''],
      ['Alice', '', 'alice@example.com', '', '', ''],
      ['Carol', 'Danvers', '', '', '', ''],
      ['Dave', 'Jones', 'dave@example.com', 'Acme', 'Boston', '', 'EXTRA ONE', 'EXTRA TWO'],
    ]);
    const info = await ports.objects.head({ bucket: CHUNKS_BUCKET, key: matchedKey() });
    expect(info?.contentType).toBe('application/x-ndjson');
  });

  it('matches an exact e-mail, standardizes the contact and records the provider values', async () => {
    const handler = await matcher();
    await handler(sqsEvent([plannedBody()]), testContext());

    const [robert] = await readMatchedRows();
    expect(robert).toMatchObject({
      row: 10,
      status: 'matched',
      method: 'exact',
      matchId: ROBERT.id,
      provider: ROBERT.fields,
      // Lower-cased e-mail; the unmapped Notes column is not part of the contact.
      contact: { first_name: 'Robert', last_name: 'Paulson', email: 'robert.paulson@example.com', company: 'Paper Street Soap', city: 'Wilmington' },
    });
    expect(Object.keys(robert!.contact).sort()).toEqual(['city', 'company', 'email', 'first_name', 'last_name']);
    expect(robert!.reason).toMatch(/^matched: "Robert Paulson" \(id dir-robert-paulson, probability 0\.\d{4}\)/);
    expect(robert!.reason).toContain('email exact +');
    expect(robert!.score).toBeGreaterThan(0);
    expect(robert!.score).toBeLessThanOrEqual(1);
  });

  it('matches a nickname (Bob = Robert) through the seeded nickname store, with corroborating evidence', async () => {
    const handler = await matcher();
    await handler(sqsEvent([plannedBody()]), testContext());

    const bob = (await readMatchedRows())[1];
    expect(bob).toMatchObject({ row: 11, status: 'matched', method: 'nickname', matchId: ROBERT.id, provider: ROBERT.fields });
    expect(bob!.reason).toContain('first_name nickname +');
  });

  it('takes nicknames from the nickname store: unseeded, Bob and Robert are two different first names', async () => {
    const handler = await matcher({ seed: false });
    await handler(sqsEvent([plannedBody()]), testContext());

    const bob = (await readMatchedRows())[1];
    // Employer, town and surname still point at the one Paulson of a four-person directory; the first name counts against.
    expect(bob!.method).not.toBe('nickname');
    expect(bob!.reason).toContain('first_name different -');
  });

  it('leaves a clear stranger unmatched, with a reason and no provider values', async () => {
    const handler = await matcher();
    await handler(sqsEvent([plannedBody()]), testContext());

    const stranger = (await readMatchedRows())[2];
    expect(stranger).toMatchObject({
      row: 12,
      status: 'unmatched',
      method: null,
      matchId: null,
      provider: null,
      contact: { first_name: 'Zebediah', last_name: 'Quillfeather', email: 'zq@nowhere.example' },
    });
    expect(stranger!.reason).toEqual(expect.any(String));
    expect(stranger!.reason.length).toBeGreaterThan(0);
  });

  it('reports invalid rows as results with their reason (only a name, extra values), not as failures; a missing last name is not one', async () => {
    const provider = DirectoryProvider.fromRecords(DIRECTORY);
    const asked: string[] = [];
    const handler = await matcher({
      provider: {
        name: provider.name,
        findCandidates: async (contacts) => {
          asked.push(...contacts.map((contact) => `${contact.first_name} ${contact.last_name}`));
          return provider.findCandidates(contacts);
        },
      },
    });
    const response = await handler(sqsEvent([plannedBody()]), testContext());

    expect(response.batchItemFailures).toEqual([]);
    const [missingLast, onlyName, extra] = (await readMatchedRows()).slice(3);
    for (const row of [onlyName, extra]) {
      expect(row).toMatchObject({ status: 'invalid', method: null, score: 0, matchId: null, provider: null });
    }
    // A first name and an e-mail are something to match on: looked up, not found, and the reason says what was missing.
    expect(missingLast).toMatchObject({ row: 13, status: 'unmatched', contact: { first_name: 'Alice', email: 'alice@example.com' } });
    expect(missingLast!.reason).toContain('missing: last_name');
    expect(onlyName!.row).toBe(14);
    expect(onlyName!.reason).toMatch(/^nothing to match on: only a name/);
    expect(extra!.row).toBe(15);
    expect(extra!.reason).toContain('the row has 8 values but the header has 6 columns');
    expect(extra!.reason).toContain('extra values: "EXTRA ONE", "EXTRA TWO"');
    // Invalid rows are never sent to the provider.
    expect(asked).toEqual(['Robert Paulson', 'Bob Paulson', 'Zebediah Quillfeather', 'Alice undefined']);
  });

  it('makes a row over the CSV limits or with a NUL invalid, naming line, column and limit; the other rows are matched', async () => {
    const lines = [
      'Robert,Paulson,Robert.Paulson@Example.COM,Paper Street Soap,Wilmington,ok',
      `Tyler,Durden,tyler@example.net,,,"${'n'.repeat(3 * 1024 * 1024)}"`,
      `Marla,Singer,marla@example.org,,,${'m'.repeat(300 * 1024)}`,
      'Bo\u0000b,Jones,bob@example.com,,,',
    ];
    const data = `${lines.join('\n')}\n`;
    const input = { ...planned().detail.data.input, key: 'tenants/acme/jobs/job_LIMITS/input.csv' };
    await ports.objects.put(input, `${HEADER}${data}`, { contentType: 'text/csv' });
    const handler = await matcher();
    const body = plannedBody((event) => {
      event.detail.data.input = input;
      event.detail.data.range = { start: HEADER.length, end: HEADER.length + Buffer.byteLength(data) };
      event.detail.data.rows = { first: 0, count: 4, firstLine: 2 };
      delete event.detail.data.sample;
    });
    expect((await handler(sqsEvent([body]), testContext())).batchItemFailures).toEqual([]);

    const rows = await readMatchedRows();
    expect(rows.map((row) => [row.status, row.status === 'invalid' ? row.reason : ''])).toEqual([
      ['matched', ''],
      ['invalid', 'the record at line 3 takes 3 MiB, over the 1 MiB limit for a row (reached in column 6 ("Notes")); its values are not copied'],
      ['invalid', 'column 6 ("Notes") at line 4 holds 300 KiB, over the 256 KiB limit for a value; that value is left empty'],
      ['invalid', 'column 1 ("First Name") at line 5 contains a NUL character (byte 0x00), which text never holds'],
    ]);
    expect(rows[1]?.cells).toEqual([]);
    expect(rows[2]?.cells).toEqual(['Marla', 'Singer', 'marla@example.org', '', '', '']);
    expect(ports.publisher.ofType('chunk.matched.v1')[0]?.data.counts).toMatchObject({ matched: 1, invalid: 3 });
  });

  it('publishes chunk.matched.v1 pointing at the rows, with counts that add up to them', async () => {
    const handler = await matcher();
    await handler(sqsEvent([plannedBody()]), testContext());

    const cause = planned().detail;
    const rows = await readMatchedRows();
    expect(ports.publisher.entries).toHaveLength(1);
    const [event] = ports.publisher.ofType('chunk.matched.v1');
    expect(event!.source).toBe('refinery.matcher');
    expect(event!.metadata).toMatchObject({
      eventId: deriveEventId(cause.metadata.eventId, 'chunk.matched.v1'),
      tenantId: cause.metadata.tenantId,
      jobId: cause.metadata.jobId,
      correlationId: cause.metadata.correlationId,
      causationId: cause.metadata.eventId,
    });
    const count = (status: MatchedRow['status']) => rows.filter((row) => row.status === status).length;
    const byMethod = (method: MatchedRow['method']) => rows.filter((row) => row.method === method).length;
    expect(event!.data).toEqual({
      chunk: { index: 1, count: 3 },
      rows: { first: 10, count: 6 },
      result: { bucket: CHUNKS_BUCKET, key: matchedKey() },
      // The job's linkage model, beside its chunks (the merger keeps it with a review queue).
      model: { bucket: CHUNKS_BUCKET, key: matchedKey().replace(/matched\/\d+\.ndjson$/, 'model.json') },
      counts: {
        matched: count('matched'),
        unmatched: count('unmatched'),
        invalid: count('invalid'),
        byMethod: { exact: byMethod('exact'), fuzzy: byMethod('fuzzy'), nickname: byMethod('nickname') },
      },
    });
    expect(event!.data.counts).toEqual({ matched: 2, unmatched: 2, invalid: 2, byMethod: { exact: 1, fuzzy: 0, nickname: 1 } });
  });

  it("learns the job's model once when two of its chunks start at once in one process", async () => {
    const modelWrites: string[] = [];
    const objects = new Proxy(ports.objects, {
      get(target, property, receiver) {
        const value = Reflect.get(target, property, receiver);
        if (property !== 'put') return typeof value === 'function' ? value.bind(target) : value;
        return (ref: { key: string }, ...rest: unknown[]) => {
          if (ref.key.endsWith('/model.json')) modelWrites.push(ref.key);
          return (value as (...args: unknown[]) => Promise<void>).call(target, ref, ...rest);
        };
      },
    });
    const handler = await matcher({ objects });
    const responses = await Promise.all([handler(sqsEvent([plannedBody()]), testContext()), handler(sqsEvent([plannedBody()]), testContext())]);
    expect(responses.map((response) => response.batchItemFailures)).toEqual([[], []]);
    expect(modelWrites).toHaveLength(1);
    // A later chunk reads the stored model: still one write.
    await handler(sqsEvent([plannedBody()]), testContext());
    expect(modelWrites).toHaveLength(1);
  });

  it.each([
    ['express', 'express'],
    ['bulk', 'bulk'],
    // Planned by the previous version: the labeler's bulk queue takes it, as before lanes.
    ['none', undefined],
  ] as const)("carries the chunk's lane (%s) into chunk.matched.v1, for the labeler's queue of that lane", async (_name, lane) => {
    const handler = await matcher();
    await handler(
      sqsEvent([
        plannedBody((event) => {
          if (lane) event.detail.data.lane = lane;
          else delete event.detail.data.lane;
        }),
      ]),
      testContext(),
    );

    const [event] = ports.publisher.ofType('chunk.matched.v1');
    if (lane) expect(event!.data.lane).toBe(lane);
    else expect(event!.data).not.toHaveProperty('lane');
  });

  it('fails the chunk for good (stage.failed.v1, retryable false) when the range holds a different number of rows than planned', async () => {
    const handler = await matcher();
    const response = await handler(
      sqsEvent([
        plannedBody((event) => {
          event.detail.data.rows.count = 7;
        }),
      ]),
      testContext(),
    );

    // Done with: a retry would read the same bytes.
    expect(response.batchItemFailures).toEqual([]);
    expect(ports.publisher.ofType('chunk.matched.v1')).toEqual([]);
    const [failure] = ports.publisher.ofType('stage.failed.v1');
    expect(failure!.source).toBe('refinery.matcher');
    expect(failure!.data).toMatchObject({
      service: 'matcher',
      subscription: 'chunks',
      eventType: 'chunk.planned.v1',
      eventId: planned().detail.metadata.eventId,
      retryable: false,
      attempts: 1,
      chunk: { index: 1 },
      rows: { first: 10, count: 7 },
    });
    expect(failure!.data.reason).toContain('should hold 7 rows but 6 were read');
  });

  it('keeps the message for a retry when the provider fails, and publishes nothing before the last attempt', async () => {
    const handler = await matcher({ provider: failingProvider });
    const response = await handler(sqsEvent([plannedBody()], { receiveCount: 1 }), testContext());

    expect(response.batchItemFailures).toEqual([{ itemIdentifier: 'message-1' }]);
    expect(ports.publisher.entries).toEqual([]);
    // Nothing half-written is left behind.
    expect(await ports.objects.head({ bucket: CHUNKS_BUCKET, key: matchedKey() })).toBeUndefined();
  });

  it('on the last attempt (maxReceiveCount from service.json) also reports stage.failed.v1, retryable, naming the chunk and rows', async () => {
    expect(MAX_RECEIVE_COUNT).toBe(5);
    const handler = await matcher({ provider: failingProvider });
    const response = await handler(sqsEvent([plannedBody()], { receiveCount: MAX_RECEIVE_COUNT }), testContext());

    expect(response.batchItemFailures).toEqual([{ itemIdentifier: 'message-1' }]);
    expect(ports.publisher.ofType('chunk.matched.v1')).toEqual([]);
    const [failure] = ports.publisher.ofType('stage.failed.v1');
    expect(failure!.data).toMatchObject({
      service: 'matcher',
      subscription: 'chunks',
      eventType: 'chunk.planned.v1',
      retryable: true,
      attempts: MAX_RECEIVE_COUNT,
      chunk: { index: 1 },
      rows: { first: 10, count: 6 },
    });
    expect(failure!.data.reason).toBe(
      'matcher gave up on chunk 2 (rows 11-16) after 5 attempts: provider unavailable: connect ECONNREFUSED 10.0.0.7:443',
    );
  });

  it("stops before the function's timeout when a provider does not answer: the answers it has are kept, and the reason says why", async () => {
    let asked = 0;
    const answering: ContactProvider = {
      name: 'answering',
      findCandidates: async (contacts) => {
        asked += contacts.length;
        return contacts.map(() => []);
      },
    };
    const silent: ContactProvider = { name: 'silent', findCandidates: () => new Promise<never>(() => undefined) };
    const handler = await matcher({ providers: [answering, silent] });
    const started = Date.now();
    const timeoutMs = 3_000;
    const response = await handler(sqsEvent([plannedBody()], { receiveCount: MAX_RECEIVE_COUNT }), testContext('matcher-chunks', timeoutMs));
    expect(Date.now() - started).toBeLessThan(timeoutMs);
    expect(response.batchItemFailures).toEqual([{ itemIdentifier: 'message-1' }]);
    expect(ports.publisher.ofType('stage.failed.v1')[0]?.data.reason).toBe(
      'matcher gave up on chunk 2 (rows 11-16) after 5 attempts: silent had not answered 4 contact(s) when the matcher had to stop to end ' +
        "before its function's timeout; the provider is slow or not answering",
    );
    // The first provider's answers were kept with the chunk's progress: the next delivery does not ask it again.
    const askedBefore = asked;
    expect(askedBefore).toBeGreaterThan(0);
    await handler(sqsEvent([plannedBody()], { receiveCount: 1 }), testContext('matcher-chunks', timeoutMs));
    expect(asked).toBe(askedBefore);
  });

  it('on redelivery rewrites the same object content and republishes chunk.matched.v1 with the same event id', async () => {
    const handler = await matcher();
    await handler(sqsEvent([plannedBody()]), testContext());
    const first = await ports.objects.getBuffer({ bucket: CHUNKS_BUCKET, key: matchedKey() });

    const again = await handler(sqsEvent([plannedBody()], { receiveCount: 2 }), testContext());

    expect(again.batchItemFailures).toEqual([]);
    const second = await ports.objects.getBuffer({ bucket: CHUNKS_BUCKET, key: matchedKey() });
    expect(second.equals(first)).toBe(true);
    const events = ports.publisher.ofType('chunk.matched.v1');
    expect(events).toHaveLength(2);
    expect(events[1]!.metadata.eventId).toBe(events[0]!.metadata.eventId);
    expect(events[1]!.data).toEqual(events[0]!.data);
  });
});

describe('matcher chunks: a provider answering 429 with Retry-After', () => {
  // A real HTTP provider on 127.0.0.1: its first answer is 429 with the given Retry-After, every later one 200 with no
  // candidates.
  let server: Server | undefined;
  const arrivals: number[] = [];

  async function startProvider(retryAfterSeconds: number): Promise<HttpTemplateProvider> {
    arrivals.length = 0;
    server = createServer((request, response) => {
      arrivals.push(Date.now());
      request.resume();
      if (arrivals.length === 1) response.writeHead(429, { 'retry-after': String(retryAfterSeconds) }).end('{"error":"slow down"}');
      else response.writeHead(200, { 'content-type': 'application/json' }).end('[]');
    });
    await new Promise<void>((resolve) => server?.listen(0, '127.0.0.1', resolve));
    const { port } = server.address() as AddressInfo;
    // random 0: a retry's backoff alone would be immediate, so any wait is the Retry-After's.
    return new HttpTemplateProvider({
      name: 'crm',
      urlTemplate: [`http://127.0.0.1:${port}/people?email={email}`],
      idField: 'id',
      settings: { maxAttempts: 3 },
      random: () => 0,
    });
  }

  afterEach(async () => {
    await new Promise<void>((resolve) => (server ? server.close(() => resolve()) : resolve()));
    server = undefined;
  });

  it('waits the Retry-After inside the invocation when it ends before the deadline, and matches the chunk', async () => {
    const handler = await matcher({ providers: [DirectoryProvider.fromRecords(DIRECTORY), await startProvider(1)] });
    const response = await handler(sqsEvent([plannedBody()]), testContext('matcher-chunks', 30_000));

    expect(response.batchItemFailures).toEqual([]);
    expect(ports.publisher.ofType('chunk.matched.v1')).toHaveLength(1);
    // The contact refused first was asked again a second later, in the same invocation.
    expect(Math.max(...arrivals) - (arrivals[0] as number)).toBeGreaterThanOrEqual(990);
  });

  it("gives the message back at once, to come back after the Retry-After, when the wait would pass the invocation's deadline", async () => {
    const handler = await matcher({ providers: [DirectoryProvider.fromRecords(DIRECTORY), await startProvider(20)] });
    const started = Date.now();
    const response = await handler(sqsEvent([plannedBody()]), testContext('matcher-chunks', 10_000));

    // Not sat out (20 s is more than the 10 s timeout leaves), nor left to the queue's visibility timeout (90 min).
    expect(Date.now() - started).toBeLessThan(5_000);
    expect(response.batchItemFailures).toEqual([{ itemIdentifier: 'message-1' }]);
    // The delay the queue's message gets (ChangeMessageVisibility): the Retry-After at least.
    const [retry] = response.retries;
    expect(retry?.delaySeconds).toBeGreaterThanOrEqual(20);
    expect(retry?.delaySeconds).toBeLessThan(declaration.subscriptions.chunks.queue.visibilityTimeoutSeconds);
    expect(ports.publisher.ofType('chunk.matched.v1')).toEqual([]);
  });
});
