import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { type CsvFormat, parseCsvRecords } from '@refinery/csv';
import { type ColumnData, deriveEventId, type JobOptionsData } from '@refinery/events';
import { createTestPorts, readFixture, sqsEvent, type TestPorts, testContext } from '@refinery/test-support';
import { type ChunkerConfig, chunker } from '../src/service';
import { createTestChunker } from './helpers';

const FIXTURES = join(__dirname, 'fixtures');
const SUBMITTED_BODY = readFixture(join(FIXTURES, 'job-submitted.json'));
const SUBMITTED = JSON.parse(SUBMITTED_BODY) as {
  detail: {
    metadata: { eventId: string; tenantId: string; jobId: string; correlationId: string };
    data: { input: { bucket: string; key: string; sizeBytes: number }; options: JobOptionsData };
  };
};
const CAUSE = SUBMITTED.detail.metadata;
const INPUT = { bucket: SUBMITTED.detail.data.input.bucket, key: SUBMITTED.detail.data.input.key };
const STAGE_FAILED_ID = deriveEventId(CAUSE.eventId, 'stage.failed.v1', 'chunker', 'jobs');

function sample(name: string): Buffer {
  return readFileSync(join(FIXTURES, name));
}

/** The job.submitted.v1 fixture, pointed at a file of `sizeBytes` (what ingest read with HEAD) and with other options. */
function submittedBody(overrides: { sizeBytes?: number; options?: JobOptionsData } = {}): string {
  const event = JSON.parse(SUBMITTED_BODY);
  if (overrides.sizeBytes !== undefined) event.detail.data.input.sizeBytes = overrides.sizeBytes;
  if (overrides.options !== undefined) event.detail.data.options = overrides.options;
  return JSON.stringify(event);
}

const utf8 = (delimiter: CsvFormat['delimiter'] = ','): CsvFormat => ({ delimiter, encoding: 'utf-8', hasBom: false });
const column = (index: number, name: string, field: ColumnData['field']): ColumnData => ({ index, name, field });

interface PlannedChunk {
  input: { bucket: string; key: string };
  chunk: { index: number; count: number };
  range: { start: number; end: number };
  rows: { first: number; count: number; firstLine: number };
  format: CsvFormat;
  columns: ColumnData[];
}

describe('chunker jobs subscription (job.submitted.v1 -> chunk.planned.v1 x N, job.planned.v1)', () => {
  let ports: TestPorts;
  let service: ReturnType<typeof createTestChunker>;

  function start(config: Partial<ChunkerConfig> = {}): void {
    service = createTestChunker(ports, config);
  }

  function deliver(bodies: readonly string[], options: { receiveCount?: number } = {}) {
    return service.subscriptions.jobs.handler(sqsEvent(bodies, options), testContext());
  }

  const types = (): string[] => ports.publisher.entries.map((entry) => entry.detailType);
  const plannedChunks = (): PlannedChunk[] => ports.publisher.ofType('chunk.planned.v1').map((event) => event.data as PlannedChunk);

  beforeEach(() => {
    ports = createTestPorts();
    start();
  });
  afterEach(() => ports.cleanup());

  /** Reads every planned range back from the stored input and parses it on its own, as a matcher would. */
  async function recordsByChunk(chunks: readonly PlannedChunk[]): Promise<string[][][]> {
    const result: string[][][] = [];
    for (const chunk of chunks) {
      const bytes = await ports.objects.getBuffer(chunk.input, chunk.range);
      const records: string[][] = [];
      for await (const record of parseCsvRecords(bytes, chunk.format)) records.push(record);
      result.push(records);
    }
    return result;
  }

  it('plans the fixture job: one chunk.planned.v1 per chunk (derived ids, caused by the submission), then job.planned.v1', async () => {
    const file = sample('multiline-quoted.csv');
    // The fixture submits this very file, with 2 rows per chunk.
    expect(SUBMITTED.detail.data.input.sizeBytes).toBe(file.length);
    expect(SUBMITTED.detail.data.options).toEqual({ chunkRows: 2 });
    await ports.objects.put(INPUT, file);

    const response = await deliver([SUBMITTED_BODY]);

    expect(response).toMatchObject({ batchItemFailures: [] });
    expect(types()).toEqual(['chunk.planned.v1', 'chunk.planned.v1', 'chunk.planned.v1', 'job.planned.v1']);
    expect(new Set(ports.publisher.entries.map((entry) => entry.source))).toEqual(new Set(['refinery.chunker']));
    const columns = [
      column(0, 'First Name', 'first_name'),
      column(1, 'Last Name', 'last_name'),
      column(2, 'Email', 'email'),
      column(3, 'Zip', 'postcode'),
      column(4, 'Notes', null),
    ];
    const dataStart = file.indexOf('\n') + 1;
    const events = ports.publisher.events();
    expect(events[0]).toEqual({
      type: 'chunk.planned.v1',
      source: 'refinery.chunker',
      metadata: {
        eventId: deriveEventId(CAUSE.eventId, 'chunk.planned.v1', 0),
        occurredAt: expect.any(String),
        tenantId: CAUSE.tenantId,
        jobId: CAUSE.jobId,
        correlationId: CAUSE.correlationId,
        causationId: CAUSE.eventId,
      },
      data: {
        input: INPUT,
        chunk: { index: 0, count: 3 },
        range: { start: dataStart, end: file.indexOf('Alan,') },
        rows: { first: 0, count: 2, firstLine: 2 },
        format: utf8(),
        columns,
        // The linkage model's sample: the job's first 1,000 rows (here all of them, in three chunks), named by every chunk.
        sample: { range: { start: dataStart, end: file.length }, rows: { first: 0, count: 5 } },
        // 5 rows: a small job, whose chunks go to the matcher's express lane.
        lane: 'express',
      },
    });
    const firstSample = (events[0]?.data as { sample?: unknown } | undefined)?.sample;
    for (const event of events.slice(0, 3)) expect((event.data as { sample?: unknown }).sample).toEqual(firstSample);
    expect(events.map((event) => event.metadata.eventId)).toEqual([
      deriveEventId(CAUSE.eventId, 'chunk.planned.v1', 0),
      deriveEventId(CAUSE.eventId, 'chunk.planned.v1', 1),
      deriveEventId(CAUSE.eventId, 'chunk.planned.v1', 2),
      deriveEventId(CAUSE.eventId, 'job.planned.v1'),
    ]);
    expect(events[3]).toEqual({
      type: 'job.planned.v1',
      source: 'refinery.chunker',
      metadata: {
        eventId: deriveEventId(CAUSE.eventId, 'job.planned.v1'),
        occurredAt: expect.any(String),
        tenantId: CAUSE.tenantId,
        jobId: CAUSE.jobId,
        correlationId: CAUSE.correlationId,
        causationId: CAUSE.eventId,
      },
      // The job's lane, as its chunks carry it: the merger's express queue takes the totals too.
      data: { input: INPUT, format: utf8(), columns, rows: { total: 5 }, chunks: { total: 3 }, lane: 'express' },
    });
  });

  interface PlanCase {
    readonly file: string;
    readonly options: JobOptionsData;
    readonly format: CsvFormat;
    readonly columns: ColumnData[];
    readonly records: string[][];
    readonly rowCounts: number[];
    readonly firstLines: number[];
    /** Blank-line bytes after the last row, which belong to no chunk. */
    readonly trailingBytes?: number;
  }

  const cases: [string, PlanCase][] = [
    [
      'quoted fields with newlines and commas on both sides of chunk boundaries',
      {
        file: 'multiline-quoted.csv',
        options: { chunkRows: 2 },
        format: utf8(),
        columns: [
          column(0, 'First Name', 'first_name'),
          column(1, 'Last Name', 'last_name'),
          column(2, 'Email', 'email'),
          column(3, 'Zip', 'postcode'),
          column(4, 'Notes', null),
        ],
        records: [
          ['Ada', 'Lovelace', 'ada@example.com', '10001', 'plain'],
          ['Grace', 'Hopper', 'grace@example.com', '20002', 'Line one, with a comma\nsecond line, "quoted", end'],
          ['Alan', 'Turing', 'alan@example.com', '30003', 'starts a chunk\nacross, two lines'],
          ['Katherine', 'Johnson', 'kj@example.com', '40004', 'a,b\nc'],
          ['Edsger', 'Dijkstra', 'ed@example.com', '50005', 'last'],
        ],
        rowCounts: [2, 2, 1],
        firstLines: [2, 5, 9],
      },
    ],
    [
      'CRLF line ends (and a CRLF inside quotes), a full-name header',
      {
        file: 'crlf.csv',
        options: { chunkRows: 2 },
        format: utf8(),
        columns: [column(0, 'Name', 'full_name'), column(1, 'E-mail', 'email'), column(2, 'Phone', 'phone'), column(3, 'Notes', null)],
        records: [
          ['Lovelace, Ada', 'ada@example.com', '+44 20 7946 0001', 'first'],
          ['Grace Hopper', 'grace@example.com', '', 'two\r\nlines'],
          ['Alan Turing', 'alan@example.com', '+44 161 496 0002', ''],
        ],
        rowCounts: [2, 1],
        firstLines: [2, 5],
      },
    ],
    [
      'a UTF-8 byte order mark',
      {
        file: 'bom.csv',
        options: { chunkRows: 3 },
        format: { ...utf8(), hasBom: true },
        columns: [column(0, 'First Name', 'first_name'), column(1, 'Last Name', 'last_name'), column(2, 'Email', 'email')],
        records: [
          ['Ada', 'Lovelace', 'ada@example.com'],
          ['Grace', 'Hopper', 'grace@example.com'],
          ['Alan', 'Turing', 'alan@example.com'],
          ['Katherine', 'Johnson', 'kj@example.com'],
        ],
        rowCounts: [3, 1],
        firstLines: [2, 5],
      },
    ],
    [
      'a semicolon delimiter with commas in unquoted values',
      {
        file: 'semicolon.csv',
        options: { chunkRows: 2 },
        format: utf8(';'),
        columns: [
          column(0, 'First Name', 'first_name'),
          column(1, 'Last Name', 'last_name'),
          column(2, 'Email', 'email'),
          column(3, 'Company', 'company'),
          column(4, 'City', 'city'),
        ],
        records: [
          ['Ada', 'Lovelace', 'ada@example.com', 'Analytical Engines, Ltd.', 'London'],
          ['Grace', 'Hopper', 'grace@example.com', 'Navy; Reserve', 'Arlington'],
          ['Alan', 'Turing', 'alan@example.com', 'Bletchley, Park', 'Wilmslow'],
        ],
        rowCounts: [2, 1],
        firstLines: [2, 4],
      },
    ],
    [
      'blank lines before the header, between rows, at a chunk boundary and at the end',
      {
        file: 'blank-lines.csv',
        options: { chunkRows: 2 },
        format: utf8(),
        columns: [column(0, 'First Name', 'first_name'), column(1, 'Last Name', 'last_name'), column(2, 'Email', 'email')],
        records: [
          ['Ada', 'Lovelace', 'ada@example.com'],
          ['Grace', 'Hopper', 'grace@example.com'],
          ['Alan', 'Turing', 'alan@example.com'],
          ['Katherine', 'Johnson', 'kj@example.com'],
        ],
        rowCounts: [2, 2],
        // Blank lines between chunks belong to the next one: chunk 2 starts at the blank line 6.
        firstLines: [3, 6],
        trailingBytes: 2,
      },
    ],
    [
      'windows-1252 text, with the default chunk size (no chunkRows option)',
      {
        file: 'windows-1252.csv',
        options: {},
        format: { delimiter: ',', encoding: 'windows-1252', hasBom: false },
        columns: [
          column(0, 'First Name', 'first_name'),
          column(1, 'Last Name', 'last_name'),
          column(2, 'Email', 'email'),
          column(3, 'City', 'city'),
          column(4, 'Notes', null),
        ],
        records: [
          ['Jürgen', 'Müller', 'jm@example.de', 'Köln', 'owes 5 €'],
          ['Zoë', 'Åberg', 'zoe@example.se', 'Gävle', ''],
        ],
        rowCounts: [2],
        firstLines: [2],
      },
    ],
  ];

  it.each(cases)('plans contiguous byte ranges whose rows parse back to the whole file: %s', async (_name, expected) => {
    const file = sample(expected.file);
    await ports.objects.put(INPUT, file);

    const response = await deliver([submittedBody({ sizeBytes: file.length, options: expected.options })]);

    expect(response).toMatchObject({ batchItemFailures: [] });
    const count = expected.rowCounts.length;
    expect(types()).toEqual([...Array<string>(count).fill('chunk.planned.v1'), 'job.planned.v1']);
    const chunks = plannedChunks();

    // Contiguous: from just after the header to just after the last row, each range starting where the last ended.
    const dataStart = file.indexOf(0x0a, file.indexOf(Buffer.from(expected.columns[0]?.name ?? ''))) + 1;
    expect(chunks[0]?.range.start).toBe(dataStart);
    for (const [i, chunk] of chunks.slice(1).entries()) expect(chunk.range.start).toBe(chunks[i]?.range.end);
    expect(chunks.at(-1)?.range.end).toBe(file.length - (expected.trailingBytes ?? 0));

    expect(chunks.map((chunk) => chunk.chunk)).toEqual(expected.rowCounts.map((_, index) => ({ index, count })));
    const firstRows = expected.rowCounts.map((_, i) => expected.rowCounts.slice(0, i).reduce((sum, n) => sum + n, 0));
    expect(chunks.map((chunk) => chunk.rows)).toEqual(
      expected.rowCounts.map((rowCount, i) => ({ first: firstRows[i], count: rowCount, firstLine: expected.firstLines[i] })),
    );
    for (const chunk of chunks) {
      expect(chunk.input).toEqual(INPUT);
      expect(chunk.format).toEqual(expected.format);
      expect(chunk.columns).toEqual(expected.columns);
    }

    // Each range parses on its own to exactly its rows; together they are every record of the file, in order.
    const parsed = await recordsByChunk(chunks);
    expect(parsed.map((records) => records.length)).toEqual(expected.rowCounts);
    expect(parsed.flat()).toEqual(expected.records);

    expect(ports.publisher.ofType('job.planned.v1').map((event) => event.data)).toEqual([
      {
        input: INPUT,
        format: expected.format,
        columns: expected.columns,
        rows: { total: expected.records.length },
        chunks: { total: count },
        // Every sample is a small job.
        lane: 'express',
      },
    ]);
  });

  it.each([
    ['the default chunk size', {}, { defaultChunkRows: 1000 }],
    ["a job's chunkRows (an audience import asks for its page size)", { chunkRows: 1000 }, {}],
  ])('holds %s to maxChunkRows, the chunk a matcher invocation finishes in time', async (_what, options, config) => {
    start({ ...config, maxChunkRows: 2 });
    await ports.objects.put(INPUT, sample('multiline-quoted.csv'));

    await deliver([submittedBody({ options })]);

    expect(plannedChunks().map((chunk) => chunk.rows.count)).toEqual([2, 2, 1]);
  });

  it('closes a chunk early at maxChunkBytes, never splitting a row', async () => {
    // Rows of 41, 91, 70, 47 and 42 bytes: a chunk closes at the first row that takes it to 60 bytes or more.
    start({ maxChunkBytes: 60 });
    const file = sample('multiline-quoted.csv');
    await ports.objects.put(INPUT, file);

    await deliver([submittedBody({ options: { chunkRows: 1000 } })]);

    const chunks = plannedChunks();
    expect(chunks.map((chunk) => [chunk.range.start, chunk.range.end, chunk.rows.count])).toEqual([
      [file.indexOf('Ada,'), file.indexOf('Alan,'), 2],
      [file.indexOf('Alan,'), file.indexOf('Katherine,'), 1],
      [file.indexOf('Katherine,'), file.length, 2],
    ]);
    expect((await recordsByChunk(chunks)).map((records) => records.map((record) => record[0]))).toEqual([
      ['Ada', 'Grace'],
      ['Alan'],
      ['Katherine', 'Edsger'],
    ]);
    expect(ports.publisher.ofType('job.planned.v1')[0]?.data).toMatchObject({ rows: { total: 5 }, chunks: { total: 3 } });
  });

  it.each([
    ['with a line end', sample('header-only.csv')],
    ['without a line end', Buffer.from('First Name,Last Name,Email')],
  ])('plans a header-only file %s as zero chunks and job.planned.v1 with 0 rows', async (_name, file) => {
    await ports.objects.put(INPUT, file);

    const response = await deliver([submittedBody({ sizeBytes: file.length })]);

    expect(response).toMatchObject({ batchItemFailures: [] });
    expect(types()).toEqual(['job.planned.v1']);
    expect(ports.publisher.ofType('job.planned.v1')[0]?.data).toEqual({
      input: INPUT,
      format: utf8(),
      columns: [column(0, 'First Name', 'first_name'), column(1, 'Last Name', 'last_name'), column(2, 'Email', 'email')],
      rows: { total: 0 },
      chunks: { total: 0 },
      // No rows: a small job, all of it (the totals) on the merger's express queue.
      lane: 'express',
    });
  });

  describe('a file no retry can fix: stage.failed.v1 (retryable false), the message is done', () => {
    const unterminated = sample('unterminated-quote.csv');
    const cases: [string, Buffer, JobOptionsData, string][] = [
      [
        'a header that maps to no contact field',
        sample('unusable-header.csv'),
        { chunkRows: 2 },
        'no usable header: found "Product", "Price", "Quantity"; need ' +
          'an email or phone column, or a name column (first_name, last_name or a full name) with one of company, title, street, city, state, postcode, birth_date, or birth_date with street or postcode',
      ],
      [
        'binary content (a PNG image)',
        Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a, 0x00, 0x00, 0x00, 0x0d, 0x49, 0x48, 0x44, 0x52]),
        { chunkRows: 2 },
        'the file is not a usable CSV: not a CSV file: looks like a PNG image (starts with bytes 89 50 4e 47)',
      ],
      [
        'an unterminated quote (after a chunk was already closed)',
        unterminated,
        { chunkRows: 1 },
        `the file is not valid CSV: the data ends inside a quoted field opened at line 3 (byte ${unterminated.indexOf('"starts here')}): unterminated quote`,
      ],
      ['an empty file', Buffer.alloc(0), { chunkRows: 2 }, 'the file is not a usable CSV: the file is empty (0 bytes)'],
      [
        'a header of more columns than the limit (maxColumns)',
        Buffer.from(`First Name,Email,${Array.from({ length: 1000 }, (_, i) => `c${i}`).join(',')}\nBob,b@example.com\n`),
        { chunkRows: 2 },
        'the file is not a usable CSV: the header record at line 1 names 1,002 columns, over the limit of 1,000 columns',
      ],
      [
        'a header longer than the record limit (maxRowBytes), 4 MB without a line feed',
        Buffer.alloc(4 * 1024 * 1024, 'a'),
        { chunkRows: 2 },
        'the file is not a usable CSV: the header record starting at line 1 is longer than the 1 MiB limit for a record',
      ],
    ];

    it.each(cases)('%s', async (_name, file, options, reason) => {
      await ports.objects.put(INPUT, file);

      const response = await deliver([submittedBody({ sizeBytes: file.length, options })]);

      expect(response).toMatchObject({ batchItemFailures: [] });
      expect(types()).toEqual(['stage.failed.v1']);
      expect(ports.publisher.events()[0]).toEqual({
        type: 'stage.failed.v1',
        source: 'refinery.chunker',
        metadata: {
          eventId: STAGE_FAILED_ID,
          occurredAt: expect.any(String),
          tenantId: CAUSE.tenantId,
          jobId: CAUSE.jobId,
          correlationId: CAUSE.correlationId,
          causationId: CAUSE.eventId,
        },
        data: {
          service: 'chunker',
          subscription: 'jobs',
          eventType: 'job.submitted.v1',
          eventId: CAUSE.eventId,
          reason,
          retryable: false,
          attempts: 1,
        },
      });
    });
  });

  it('publishes the very same event ids when the same job.submitted.v1 is delivered again', async () => {
    await ports.objects.put(INPUT, sample('multiline-quoted.csv'));

    await deliver([SUBMITTED_BODY]);
    const first = ports.publisher.events();
    ports.publisher.clear();
    await deliver([SUBMITTED_BODY], { receiveCount: 2 });
    const again = ports.publisher.events();

    expect(first).toHaveLength(4);
    expect(new Set(first.map((event) => event.metadata.eventId)).size).toBe(4);
    expect(again.map((event) => [event.type, event.metadata.eventId])).toEqual(first.map((event) => [event.type, event.metadata.eventId]));
    expect(again.map((event) => event.data)).toEqual(first.map((event) => event.data));
  });

  describe('a transient failure (the input object is missing)', () => {
    const missing = `object not found: ${INPUT.bucket}/${INPUT.key}`;

    it.each([1, 2])('below maxReceiveCount 3 (receive %i) is only a batch item failure, to be retried', async (receiveCount) => {
      const response = await deliver([SUBMITTED_BODY], { receiveCount });

      expect(response).toMatchObject({ batchItemFailures: [{ itemIdentifier: 'message-1' }] });
      expect(ports.publisher.entries).toEqual([]);
    });

    it.each([3, 4])('at or past maxReceiveCount 3 (receive %i) also publishes stage.failed.v1 with retryable true', async (receiveCount) => {
      expect(chunker.subscriptions.jobs.queue.maxReceiveCount).toBe(3);
      const response = await deliver([SUBMITTED_BODY], { receiveCount });

      expect(response).toMatchObject({ batchItemFailures: [{ itemIdentifier: 'message-1' }] });
      expect(types()).toEqual(['stage.failed.v1']);
      const [failed] = ports.publisher.ofType('stage.failed.v1');
      expect(failed?.metadata).toMatchObject({ eventId: STAGE_FAILED_ID, jobId: CAUSE.jobId, causationId: CAUSE.eventId });
      expect(failed?.data).toEqual({
        service: 'chunker',
        subscription: 'jobs',
        eventType: 'job.submitted.v1',
        eventId: CAUSE.eventId,
        reason: `chunker gave up on job.submitted.v1 after ${receiveCount} attempts: ${missing}`,
        retryable: true,
        attempts: receiveCount,
      });
    });

    it('plans normally once the object is there on a later delivery', async () => {
      expect(await deliver([SUBMITTED_BODY], { receiveCount: 1 })).toMatchObject({ batchItemFailures: [{ itemIdentifier: 'message-1' }] });
      await ports.objects.put(INPUT, sample('multiline-quoted.csv'));

      expect(await deliver([SUBMITTED_BODY], { receiveCount: 2 })).toMatchObject({ batchItemFailures: [] });
      expect(types()).toEqual(['chunk.planned.v1', 'chunk.planned.v1', 'chunk.planned.v1', 'job.planned.v1']);
    });
  });

  it('retries (batch item failure) when the bus refuses the events, and the retry republishes the same ids', async () => {
    await ports.objects.put(INPUT, sample('multiline-quoted.csv'));
    ports.publisher.failWith = new Error('EventBridge unavailable');

    expect(await deliver([SUBMITTED_BODY])).toMatchObject({ batchItemFailures: [{ itemIdentifier: 'message-1' }] });
    expect(ports.publisher.entries).toEqual([]);

    ports.publisher.failWith = undefined;
    expect(await deliver([SUBMITTED_BODY], { receiveCount: 2 })).toMatchObject({ batchItemFailures: [] });
    expect(ports.publisher.events().map((event) => event.metadata.eventId)).toEqual([
      deriveEventId(CAUSE.eventId, 'chunk.planned.v1', 0),
      deriveEventId(CAUSE.eventId, 'chunk.planned.v1', 1),
      deriveEventId(CAUSE.eventId, 'chunk.planned.v1', 2),
      deriveEventId(CAUSE.eventId, 'job.planned.v1'),
    ]);
  });

  it('never drops an event type it does not subscribe to in silence: the job fails, saying the rule and the handler disagree', async () => {
    const response = await deliver([readFixture(join(FIXTURES, 'job-created.json'))]);

    expect(response).toMatchObject({ batchItemFailures: [] });
    expect(types()).toEqual(['stage.failed.v1']);
    expect(ports.publisher.ofType('stage.failed.v1')[0]?.data).toMatchObject({
      eventType: 'job.created.v1',
      retryable: false,
      reason: "chunker's jobs subscription received job.created.v1, which it does not subscribe to (it declares job.submitted.v1)",
    });
  });

  it('keeps a message that is not a valid job.submitted.v1 (kept for the dead-letter queue, nothing published)', async () => {
    const invalid = JSON.parse(SUBMITTED_BODY);
    delete invalid.detail.data.input.sizeBytes;

    const response = await deliver([JSON.stringify(invalid)], { receiveCount: 3 });

    expect(response).toMatchObject({ batchItemFailures: [{ itemIdentifier: 'message-1' }] });
    expect(ports.publisher.entries).toEqual([]);
  });
});
