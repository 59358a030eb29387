import { type LabeledRow, RESULT_COLUMNS, type ReviewItem } from '@refinery/chunk-records';
import { CANONICAL_FIELDS, type CanonicalField } from '@refinery/contacts';
import { createEvent, deriveEventId, type EventData, reviewDecidedV1 } from '@refinery/events';
import { priorModel } from '@refinery/matching';
import { noMetrics } from '@refinery/ports';
import { createTestPorts, eventBridgeBody, sqsEvent, type TestPorts, testContext } from '@refinery/test-support';
import { parse } from 'csv-parse/sync';
import { mergerHandlers } from '../src/service';
import {
  body,
  JOB_ID,
  LABELED_BUCKET,
  LABELED_CHUNKS,
  LEDGER_TABLE,
  labeledKey,
  labels,
  putLabeledChunk,
  RESULT_KEY,
  RESULTS_BUCKET,
} from './helpers';

// The review queue on the merger's side: review.ndjson and review-model.json written beside the result when rows wait
// in review (job.completed.v1 names the queue), and one result version per review.decided.v1, each from the one before.

const PLANNED = 'job-planned';
const chunk = (index: number) => `chunk-labeled-${index}`;
const JOB_DIR = `tenants/acme/jobs/${JOB_ID}`;
const REVIEW_REF = { bucket: RESULTS_BUCKET, key: `${JOB_DIR}/review.ndjson` };
const REVIEW_MODEL_REF = { bucket: RESULTS_BUCKET, key: `${JOB_DIR}/review-model.json` };
/** Where the matcher keeps the job's linkage model (what chunk.labeled.v1 names). */
const MODEL_REF = { bucket: 'matcher-chunks', key: `${JOB_DIR}/model.json` };
const versionRef = (version: number) => ({ bucket: RESULTS_BUCKET, key: version === 0 ? RESULT_KEY : `${JOB_DIR}/result.v${version}.csv` });

/** The comparison vector of a pair (13 comparisons; -1 where a field is missing). */
const LEVELS_ZEB = [0, 0, -1, 1, -1, -1, -1, 0, 0, -1, -1, -1, -1];
const LEVELS_DAVE = [1, 0, -1, 0, -1, -1, -1, -1, -1, -1, -1, -1, -1];
const LEVELS_MARLA = [0, 0, -1, 1, -1, -1, -1, 2, 0, -1, -1, -1, -1];

/** A row in review as the labeler writes it: labeled as unmatched, the candidate proposed with what a person needs. */
function inReview(
  row: number,
  cells: string[],
  proposal: {
    id: string;
    method: 'exact' | 'fuzzy' | 'nickname';
    score: number;
    contact: Record<string, string>;
    candidate: Record<string, string>;
    levels: number[];
  },
): LabeledRow {
  return {
    row,
    cells,
    status: 'review',
    method: proposal.method,
    score: proposal.score,
    matchId: proposal.id,
    reason: `probability ${proposal.score} of ${proposal.id}: first_name exact +7.09, last_name exact +8.16`,
    labels: labels(
      Object.fromEntries(Object.keys(proposal.contact).map((field) => [field, { status: 'unverified' as const }])) as Partial<
        Record<CanonicalField, { status: 'unverified' }>
      >,
    ),
    review: { contact: proposal.contact, candidate: proposal.candidate, comparison: { levels: proposal.levels, namesSwapped: false } },
  };
}

const ZEB = inReview(1, ['Zebediah', 'Quillfeather', 'zq@nowhere.example', '=1+1'], {
  id: 'dir-zeb-quill',
  method: 'fuzzy',
  score: 0.7018,
  contact: { first_name: 'Zebediah', last_name: 'Quillfeather', email: 'zq@nowhere.example' },
  // e-mail differs; phone, company and city only the candidate has (the phone is formula-like: it must be guarded once).
  candidate: {
    first_name: 'Zebediah',
    last_name: 'Quillfeather',
    email: 'zeb@quill.example',
    phone: '+1 415 555 0100',
    company: 'Quill & Co, Ltd',
    city: 'Springfield',
  },
  levels: LEVELS_ZEB,
});
const DAVE = inReview(3, ['Dave', 'Jones', 'dave@example.com', '-5 points'], {
  id: 'dir-david-jones',
  method: 'nickname',
  score: 0.55,
  contact: { first_name: 'Dave', last_name: 'Jones', email: 'dave@example.com' },
  candidate: { first_name: 'David', last_name: 'Jones', email: 'dave@example.com' },
  levels: LEVELS_DAVE,
});
const MARLA = inReview(4, ['Marla', 'Singer', 'marla@example.org', '@home'], {
  id: 'dir-marla-singer',
  method: 'exact',
  score: 0.8,
  contact: { first_name: 'Marla', last_name: 'Singer', email: 'marla@example.org' },
  candidate: { first_name: 'Marla', last_name: 'Singer', email: 'marla.singer@example.org' },
  levels: LEVELS_MARLA,
});

/**
 * The job of helpers.ts (5 rows, chunks 0-1, 2-3, 4) with rows 1, 3 and 4 in review. Row 2's note holds a quote, a
 * comma and a line break: the revised files must write it back byte for byte.
 */
const REVIEW_CHUNKS: readonly (readonly LabeledRow[])[] = [
  [LABELED_CHUNKS[0]![0]!, ZEB],
  [{ ...LABELED_CHUNKS[1]![0]!, cells: ['Bob', 'Paulson', '', 'Likes "soap",\na lot'] }, DAVE],
  [MARLA],
];
const IN_REVIEW = [ZEB, DAVE, MARLA];

let ports: TestPorts;

beforeEach(() => {
  ports = createTestPorts();
});

afterEach(() => ports.cleanup());

async function putChunks(chunks: readonly (readonly LabeledRow[])[]): Promise<void> {
  for (const [index, rows] of chunks.entries()) {
    await ports.objects.put({ bucket: LABELED_BUCKET, key: labeledKey(index) }, rows.map((row) => `${JSON.stringify(row)}\n`).join(''), {
      contentType: 'application/x-ndjson',
    });
  }
}

function createService() {
  const service = mergerHandlers({
    publisher: ports.publisher,
    clock: ports.clock,
    ids: ports.ids,
    logger: ports.logger,
    metrics: noMetrics,
    config: { resultsBucket: RESULTS_BUCKET },
    objects: ports.objects,
    ledger: ports.table(LEDGER_TABLE),
  });
  return { progress: service.subscriptions.progress.handler, reviews: service.subscriptions.reviews.handler };
}

type LabeledData = { model?: { bucket: string; key: string } };

/** chunk.labeled.v1 of chunk `index`, naming the job's model unless told not to. */
function labeledBody(index: number, withModel = true): string {
  return body<LabeledData>(chunk(index), (event) => {
    if (withModel) event.detail.data.model = { ...MODEL_REF };
  });
}

/** Runs the progress subscription over the plan and the three chunks; expects every message to succeed. */
async function completeJob(options: { withModel?: boolean } = {}): Promise<void> {
  const { progress } = createService();
  const bodies = [body(PLANNED), ...[2, 0, 1].map((index) => labeledBody(index, options.withModel ?? true))];
  const response = await progress(sqsEvent(bodies), testContext());
  expect(response.batchItemFailures).toEqual([]);
}

async function putModel(): Promise<ReturnType<typeof priorModel>> {
  const model = { ...priorModel(), frequencies: { last_name: { paulson: 0.004, singer: 0.003 } } };
  await ports.objects.put(MODEL_REF, JSON.stringify(model), { contentType: 'application/json' });
  return model;
}

function completed() {
  const events = ports.publisher.ofType('job.completed.v1');
  expect(events).toHaveLength(1);
  return events[0]!;
}

async function text(ref: { bucket: string; key: string }): Promise<string> {
  return (await ports.objects.getBuffer(ref)).toString('utf8');
}

function records(csv: string): string[][] {
  return parse(csv, { relax_column_count: true }) as string[][];
}

/** The ReviewItem the merger must write for a row in review: exactly these fields. */
function itemOf(row: LabeledRow): ReviewItem {
  return {
    row: row.row,
    candidateId: row.matchId!,
    method: row.method!,
    score: row.score,
    reason: row.reason,
    contact: row.review!.contact,
    candidate: row.review!.candidate,
    comparison: row.review!.comparison,
  };
}

describe('merger: the review queue beside the result', () => {
  it('writes review.ndjson with exactly the rows in review, in row order, and names it in job.completed.v1', async () => {
    await putChunks(REVIEW_CHUNKS);
    await putModel();

    await completeJob();

    const lines = (await text(REVIEW_REF)).split('\n');
    expect(lines.pop()).toBe('');
    const items = lines.map((line) => JSON.parse(line) as Record<string, unknown>);
    expect(items).toEqual(IN_REVIEW.map(itemOf));
    // Nothing of the result row leaks into the queue (cells, labels, status).
    for (const item of items) {
      expect(Object.keys(item).sort()).toEqual(['candidate', 'candidateId', 'comparison', 'contact', 'method', 'reason', 'row', 'score']);
    }
    expect((await ports.objects.head(REVIEW_REF))!.contentType).toBe('application/x-ndjson');

    const { data } = completed();
    expect(data.review).toEqual({ items: REVIEW_REF, count: 3 });
    expect(data.rows).toEqual({ total: 5, matched: 2, unmatched: 3, invalid: 0, review: 3 });
    expect(data.byMethod).toEqual({ exact: 1, fuzzy: 0, nickname: 1 });

    // The result file has the rows in review as such, with the candidate proposed, labeled as unmatched.
    const [, ...rows] = records(await text(versionRef(0)));
    expect(rows.map((row) => row.slice(4, 8))).toEqual([
      ['matched', 'exact', '0.980', 'dir-robert-paulson'],
      ['review', 'fuzzy', '0.702', 'dir-zeb-quill'],
      ['matched', 'nickname', '0.910', 'dir-robert-paulson'],
      ['review', 'nickname', '0.550', 'dir-david-jones'],
      ['review', 'exact', '0.800', 'dir-marla-singer'],
    ]);
  });

  it('writes no review.ndjson, no review-model.json and no review in job.completed.v1 when no row is in review', async () => {
    for (const index of [0, 1, 2]) await putLabeledChunk(ports, index);
    await putModel();

    await completeJob();

    expect(await ports.objects.head(REVIEW_REF)).toBeUndefined();
    expect(await ports.objects.head(REVIEW_MODEL_REF)).toBeUndefined();
    const { data } = completed();
    expect(data).not.toHaveProperty('review');
    expect(data.rows).toEqual({ total: 5, matched: 3, unmatched: 1, invalid: 1 });
  });

  it("copies the job's model to review-model.json without its value frequencies", async () => {
    await putChunks(REVIEW_CHUNKS);
    const model = await putModel();

    await completeJob();

    const kept = JSON.parse(await text(REVIEW_MODEL_REF));
    expect(kept).toEqual({ ...model, frequencies: {} });
    expect(kept.comparisons).toEqual(priorModel().comparisons);
    // The matcher's own model is left as it was.
    expect(JSON.parse(await text(MODEL_REF)).frequencies).toEqual(model.frequencies);
  });

  it('writes no review-model.json when the chunks name no model, and the queue all the same', async () => {
    await putChunks(REVIEW_CHUNKS);
    await putModel();

    await completeJob({ withModel: false });

    expect(await ports.objects.head(REVIEW_MODEL_REF)).toBeUndefined();
    expect(completed().data.review).toEqual({ items: REVIEW_REF, count: 3 });
  });

  it('completes the job when the model the chunks name is missing: the queue without a model', async () => {
    await putChunks(REVIEW_CHUNKS);

    await completeJob();

    expect(await ports.objects.head(REVIEW_MODEL_REF)).toBeUndefined();
    expect(completed().data.review).toEqual({ items: REVIEW_REF, count: 3 });
    expect(await ports.objects.head(REVIEW_REF)).toBeDefined();
  });

  it('completes the job when the model the chunks name is not JSON: the queue without a model', async () => {
    await putChunks(REVIEW_CHUNKS);
    await ports.objects.put(MODEL_REF, '{ not json', { contentType: 'application/json' });

    await completeJob();

    expect(await ports.objects.head(REVIEW_MODEL_REF)).toBeUndefined();
    expect(completed().data.review).toEqual({ items: REVIEW_REF, count: 3 });
  });
});

describe('merger reviews: review.decided.v1 -> result version N from version N - 1', () => {
  type Decision = EventData<typeof reviewDecidedV1>;

  function decision(row: LabeledRow, kind: 'accept' | 'reject', version: number): string {
    const item = itemOf(row);
    const data: Decision = {
      row: item.row,
      decision: kind,
      version,
      candidateId: item.candidateId,
      method: item.method,
      score: item.score,
      contact: item.contact as Record<string, string>,
      candidate: item.candidate as Record<string, string>,
      comparison: { levels: [...item.comparison.levels], namesSwapped: item.comparison.namesSwapped },
    };
    const event = createEvent(reviewDecidedV1, {
      service: 'ingest',
      metadata: {
        eventId: deriveEventId(JOB_ID, reviewDecidedV1.type, version),
        tenantId: 'acme',
        jobId: JOB_ID,
        correlationId: 'request-1',
        causationId: 'request-1',
        occurredAt: '2026-11-28T13:00:00.000Z',
      },
      data,
    });
    return eventBridgeBody(event);
  }

  async function decide(bodies: readonly string[], receiveCount = 1) {
    const { reviews } = createService();
    return reviews(sqsEvent(bodies, { receiveCount }), testContext());
  }

  /** The result columns of a row: status, method, score, id, reason, then status and latest per canonical field. */
  function resultColumns(
    values: { status: string; method: string; score: string; id: string; reason: string },
    fields: Record<string, [string, string]>,
  ) {
    return [
      values.status,
      values.method,
      values.score,
      values.id,
      values.reason,
      ...CANONICAL_FIELDS.flatMap((field) => fields[field] ?? ['empty', '']),
    ];
  }

  /** Expects `next` to be `previous` but for the lines listed (by index), and returns those lines of `next`. */
  function changedLines(previous: string, next: string, expected: readonly number[]): string[] {
    const before = previous.split('\n');
    const after = next.split('\n');
    expect(after).toHaveLength(before.length);
    const changed = after.flatMap((line, index) => (line === before[index] ? [] : [index]));
    expect(changed).toEqual(expected);
    return expected.map((index) => after[index]!);
  }

  const lineOf = (csv: string, start: string) => csv.split('\n').findIndex((line) => line.startsWith(start));

  beforeEach(async () => {
    await putChunks(REVIEW_CHUNKS);
    await putModel();
    await completeJob();
  });

  it('accept: version 1 is version 0 with only that row matched to the candidate, labels recomputed against it', async () => {
    const response = await decide([decision(ZEB, 'accept', 1)]);

    expect(response.batchItemFailures).toEqual([]);
    const v0 = await text(versionRef(0));
    const v1 = await text(versionRef(1));
    const zebLine = lineOf(v0, 'Zebediah,');
    expect(zebLine).toBe(2);
    const [line] = changedLines(v0, v1, [zebLine]);

    const [header, ...rows] = records(v1);
    expect(header).toEqual(['First Name', 'Last Name', 'Email', 'Notes', ...RESULT_COLUMNS]);
    const zeb = rows[1]!;
    // The input cells as they were: the formula guard written once, not twice.
    expect(zeb.slice(0, 4)).toEqual(['Zebediah', 'Quillfeather', 'zq@nowhere.example', "'=1+1"]);
    expect(line).toContain(",'=1+1,");
    expect(line).not.toContain("''");
    expect(zeb[8]).toMatch(/^accepted in review/);
    expect(zeb.slice(4)).toEqual(
      resultColumns(
        { status: 'matched', method: 'fuzzy', score: '0.702', id: 'dir-zeb-quill', reason: zeb[8]! },
        {
          first_name: ['confirmed', 'Zebediah'],
          last_name: ['confirmed', 'Quillfeather'],
          email: ['old', 'zeb@quill.example'],
          // Only the candidate has them: new, with its value (a formula-like value guarded like every result cell).
          phone: ['new', "'+1 415 555 0100"],
          company: ['new', 'Quill & Co, Ltd'],
          city: ['new', 'Springfield'],
        },
      ),
    );
    // Every other row is what version 0 says, in all its columns.
    const [, ...before] = records(v0);
    expect(rows.filter((_, index) => index !== 1)).toEqual(before.filter((_, index) => index !== 1));
    expect(rows[2]![3]).toBe('Likes "soap",\na lot');
    expect((await ports.objects.head(versionRef(1)))!.contentType).toBe('text/csv; charset=utf-8');
    // Version 0 stays as it was.
    expect(records(await text(versionRef(0)))[2]![4]).toBe('review');
    // Deciding publishes nothing: the version is the answer.
    expect(ports.publisher.ofType('stage.failed.v1')).toEqual([]);
  });

  it('reject: version 2 is version 1 with only that row unmatched, and the earlier decision kept', async () => {
    expect((await decide([decision(ZEB, 'accept', 1)])).batchItemFailures).toEqual([]);
    const response = await decide([decision(DAVE, 'reject', 2)]);

    expect(response.batchItemFailures).toEqual([]);
    const v1 = await text(versionRef(1));
    const v2 = await text(versionRef(2));
    const daveLine = lineOf(v1, 'Dave,');
    // Row 2's note spans two lines: row 3 starts on line 5.
    expect(daveLine).toBe(5);
    const [line] = changedLines(v1, v2, [daveLine]);

    const [, ...rows] = records(v2);
    const dave = rows[3]!;
    expect(dave.slice(0, 4)).toEqual(['Dave', 'Jones', 'dave@example.com', "'-5 points"]);
    expect(line).not.toContain("''");
    expect(dave[8]).toMatch(/^rejected in review/);
    expect(dave[8]).toContain('dir-david-jones');
    expect(dave.slice(4)).toEqual(
      resultColumns(
        { status: 'unmatched', method: '', score: '0.550', id: '', reason: dave[8]! },
        { first_name: ['unverified', ''], last_name: ['unverified', ''], email: ['unverified', ''] },
      ),
    );
    // The accepted row of version 1 is still accepted in version 2.
    expect(rows[1]!.slice(4, 8)).toEqual(['matched', 'fuzzy', '0.702', 'dir-zeb-quill']);
    // Version 1 stays as it was.
    expect(records(v1)[4]![4]).toBe('review');
  });

  it('retries a decision whose previous version is not written yet, and applies it once that version exists', async () => {
    const early = await decide([decision(DAVE, 'reject', 2)]);

    expect(early.batchItemFailures).toEqual([{ itemIdentifier: 'message-1' }]);
    expect(await ports.objects.head(versionRef(2))).toBeUndefined();
    expect(ports.publisher.ofType('stage.failed.v1')).toEqual([]);

    expect((await decide([decision(ZEB, 'accept', 1)])).batchItemFailures).toEqual([]);
    const again = await decide([decision(DAVE, 'reject', 2)], 2);

    expect(again.batchItemFailures).toEqual([]);
    const [, ...rows] = records(await text(versionRef(2)));
    expect(rows.map((row) => row[4])).toEqual(['matched', 'matched', 'matched', 'unmatched', 'review']);
  });

  it('is done with a decision for a job it never planned (nothing to revise, now or later)', async () => {
    const { reviews } = createService();
    const body = decision(REVIEW_CHUNKS[0]![1]!, 'accept', 1).replaceAll(JOB_ID, 'job_never_planned');
    const response = await reviews(sqsEvent([body], { receiveCount: 1 }), testContext());
    expect(response.batchItemFailures).toEqual([]);
  });

  it('changes nothing when a decision is redelivered after its version was written', async () => {
    expect((await decide([decision(ZEB, 'accept', 1)])).batchItemFailures).toEqual([]);
    const written = await text(versionRef(1));
    const info = await ports.objects.head(versionRef(1));

    // The same event again, and even a different decision claiming the same version: version 1 is done.
    const response = await decide([decision(ZEB, 'accept', 1), decision(ZEB, 'reject', 1)], 2);

    expect(response.batchItemFailures).toEqual([]);
    expect(await text(versionRef(1))).toBe(written);
    expect(await ports.objects.head(versionRef(1))).toEqual(info);
    expect(await ports.objects.head(versionRef(2))).toBeUndefined();
  });

  it('keeps formula-like cells guarded exactly once through several versions', async () => {
    expect((await decide([decision(ZEB, 'accept', 1)])).batchItemFailures).toEqual([]);
    expect((await decide([decision(DAVE, 'reject', 2)])).batchItemFailures).toEqual([]);
    expect((await decide([decision(MARLA, 'accept', 3)])).batchItemFailures).toEqual([]);
    expect((await decide([decision(ZEB, 'reject', 4)])).batchItemFailures).toEqual([]);

    const v4 = await text(versionRef(4));
    expect(v4).not.toContain("''");
    const [, ...rows] = records(v4);
    expect(rows.map((row) => row[3])).toEqual(["'=1+1", "'=1+1", 'Likes "soap",\na lot', "'-5 points", "'@home"]);
    expect(rows.map((row) => row.slice(4, 8))).toEqual([
      ['matched', 'exact', '0.980', 'dir-robert-paulson'],
      ['unmatched', '', '0.702', ''],
      ['matched', 'nickname', '0.910', 'dir-robert-paulson'],
      ['unmatched', '', '0.550', ''],
      ['matched', 'exact', '0.800', 'dir-marla-singer'],
    ]);
    // Row 0's input cells and result columns are version 0's, byte for byte.
    expect(v4.split('\n')[1]).toBe((await text(versionRef(0))).split('\n')[1]);
  });
});
