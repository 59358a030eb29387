import { RESULT_COLUMNS, type ReviewItem } from '@refinery/chunk-records';
import { formatCsvRecord } from '@refinery/csv';
import { deriveEventId } from '@refinery/events';
import { priorModel, probabilityOfWeight, ScoringModel } from '@refinery/matching';
import {
  ACME_TOKEN,
  type ApiAnswer,
  createHarness,
  FIRST_JOB_ID,
  fixture,
  GLOBEX_TOKEN,
  getJob,
  type IngestHarness,
  postCsv,
  sampleFile,
} from './helpers';

// The review queue on ingest's side: GET /jobs/{id}/review (pages, filters, pending pairs scored again by the job's
// model taught with the decisions), POST /jobs/{id}/review/{row} (review.decided.v1 appended and published, one result
// version per decision), the job's review figures, and GET /jobs/{id}/result|rows?version=N.

const CONTACTS = sampleFile('contacts.csv');
const RESULTS_BUCKET = 'merger-results';
const JOB_DIR = `tenants/acme/jobs/${FIRST_JOB_ID}`;
const REVIEW_REF = { bucket: RESULTS_BUCKET, key: `${JOB_DIR}/review.ndjson` };
const REVIEW_MODEL_REF = { bucket: RESULTS_BUCKET, key: `${JOB_DIR}/review-model.json` };
const versionRef = (version: number) => ({
  bucket: RESULTS_BUCKET,
  key: version === 0 ? `${JOB_DIR}/result.csv` : `${JOB_DIR}/result.v${version}.csv`,
});

/** A pair's comparison vector: first name, last name, birth date, e-mail, phone, street number, street name, city, ... */
const levels = (...given: number[]) => [...given, ...Array.from({ length: 13 - given.length }, () => -1)];

/** The job's queue as the merger writes it: rows 0, 2, 3 and 4 in review (row 1 is not). */
const ITEMS: readonly ReviewItem[] = [
  {
    row: 0,
    candidateId: 'P-ada',
    method: 'exact',
    score: 0.7018,
    reason: 'probability 0.7018: first_name exact, last_name exact, email different, city exact',
    contact: { first_name: 'Ada', last_name: 'Lovelace', email: 'ada@example.com', city: 'London' },
    candidate: { first_name: 'Ada', last_name: 'Lovelace', email: 'countess@example.org', city: 'London' },
    comparison: { levels: levels(0, 0, -1, 1, -1, -1, -1, 0), namesSwapped: false },
  },
  {
    row: 2,
    candidateId: 'P-bob',
    method: 'nickname',
    score: 0.61,
    reason: 'probability 0.61: first_name nickname, last_name exact, city exact',
    contact: { first_name: 'Bob', last_name: 'Jones', city: 'Leeds' },
    candidate: { first_name: 'Robert', last_name: 'Jones', city: 'Leeds', phone: '+44 113 496 0000' },
    comparison: { levels: levels(1, 0, -1, -1, -1, -1, -1, 0), namesSwapped: false },
  },
  {
    row: 3,
    candidateId: 'P-carol',
    method: 'fuzzy',
    score: 0.55,
    reason: 'probability 0.55: first_name exact, last_name similar, email different, city exact',
    contact: { first_name: 'Carol', last_name: 'Smyth', email: 'carol@example.com', city: 'York' },
    candidate: { first_name: 'Carol', last_name: 'Smith', email: 'csmith@example.net', city: 'York' },
    comparison: { levels: levels(0, 2, -1, 1, -1, -1, -1, 0), namesSwapped: false },
  },
  {
    row: 4,
    candidateId: 'P-dan',
    method: 'exact',
    score: 0.83,
    reason: 'probability 0.83: first_name exact, last_name exact, email different, city exact',
    contact: { first_name: 'Dan', last_name: 'Brown', email: 'dan@example.com', city: 'Bath' },
    candidate: { first_name: 'Dan', last_name: 'Brown', email: 'dbrown@example.org', city: 'Bath' },
    comparison: { levels: levels(0, 0, -1, 1, -1, -1, -1, 0, 0), namesSwapped: false },
  },
];

/** The result header: the input columns of job-planned.json, then the result columns. */
const HEADER = ['First Name', 'Last Name', 'Email', 'Phone', 'Zip', ...RESULT_COLUMNS];

/** A result file whose rows have the given match_status and match_id (row i: input cells "P<i>"). */
function resultCsv(statuses: readonly [string, string][]): string {
  const rows = statuses.map(([status, id], index) => [
    `P${index}`,
    'Doe',
    '',
    '',
    '',
    status,
    '',
    '0.500',
    id,
    `${status} row`,
    ...RESULT_COLUMNS.slice(5).map((column) => (column.endsWith('_status') ? 'empty' : '')),
  ]);
  return [HEADER, ...rows].map((row) => formatCsvRecord(row)).join('');
}

const VERSION_0: [string, string][] = [
  ['review', 'P-ada'],
  ['unmatched', ''],
  ['review', 'P-bob'],
  ['review', 'P-carol'],
  ['review', 'P-dan'],
];
const VERSION_1: [string, string][] = [['matched', 'P-ada'], ...VERSION_0.slice(1)];
const VERSION_2: [string, string][] = [VERSION_1[0]!, VERSION_1[1]!, ['unmatched', ''], ...VERSION_1.slice(3)];

/** job-completed.json with 4 rows in review and the queue named. */
function completedWithReview(): string {
  const event = JSON.parse(fixture('job-completed.json'));
  event.detail.data.rows = { total: 5, matched: 0, unmatched: 5, invalid: 0, review: 4 };
  event.detail.data.byMethod = { exact: 0, fuzzy: 0, nickname: 0 };
  event.detail.data.review = { items: REVIEW_REF, count: ITEMS.length };
  return JSON.stringify(event);
}

const PIPELINE = ['job-planned.json', 'chunk-labeled-0.json', 'chunk-labeled-1.json'].map(fixture);

describe('ingest: the review queue', () => {
  let harness: IngestHarness;

  beforeEach(() => {
    harness = createHarness();
  });
  afterEach(() => harness.ports.cleanup());

  /** job_TEST000001 of acme, completed with ITEMS in review (and the merger's review-model.json unless told not to). */
  async function reviewJob(options: { model?: boolean } = {}): Promise<void> {
    expect((await postCsv(harness, CONTACTS, { query: { filename: 'customers.csv' } })).json.jobId).toBe(FIRST_JOB_ID);
    await harness.history([...PIPELINE, completedWithReview()]);
    // Decisions come after the completion (12:10 in the fixture).
    harness.ports.clock.advance(15 * 60_000);
    const { objects } = harness.ports;
    await objects.put(REVIEW_REF, ITEMS.map((item) => `${JSON.stringify(item)}\n`).join(''), { contentType: 'application/x-ndjson' });
    await objects.put(versionRef(0), resultCsv(VERSION_0), { contentType: 'text/csv; charset=utf-8' });
    if (options.model ?? true) {
      await objects.put(REVIEW_MODEL_REF, JSON.stringify({ ...priorModel(), frequencies: {} }), { contentType: 'application/json' });
    }
  }

  function queue(query: Record<string, string> = {}, token = ACME_TOKEN): Promise<ApiAnswer> {
    return harness.http({ routeKey: 'GET /jobs/{id}/review', pathParameters: { id: FIRST_JOB_ID }, token, query });
  }

  function decide(row: number | string, body: unknown, token = ACME_TOKEN): Promise<ApiAnswer> {
    return harness.http({
      routeKey: 'POST /jobs/{id}/review/{row}',
      pathParameters: { id: FIRST_JOB_ID, row: String(row) },
      token,
      headers: { 'content-type': 'application/json' },
      body: typeof body === 'string' ? body : JSON.stringify(body),
    });
  }

  async function decideOk(row: number, decision: 'accept' | 'reject', version: number): Promise<void> {
    const answer = await decide(row, { decision });
    expect(answer.status).toBe(202);
    expect(answer.json).toEqual({ row, decision, version });
  }

  const rowsOf = (answer: ApiAnswer) => answer.json.items.map((item: { row: number }) => item.row);
  const decisions = () => harness.ports.publisher.ofType('review.decided.v1');
  async function historyDecisions(): Promise<{ id: string; data: { row: number; decision: string; version: number } }[]> {
    const events = (await getJob(harness, FIRST_JOB_ID, '/events')).json.events as { id: string; type: string; data: never }[];
    return events.filter((event) => event.type === 'review.decided.v1').map(({ id, data }) => ({ id, data }));
  }

  describe('GET /jobs/{id}/review', () => {
    it('answers 409 before the job completes, and 404 no_review for a job completed without rows in review', async () => {
      await postCsv(harness, CONTACTS);

      const early = await queue();
      expect(early.status).toBe(409);
      expect(early.json.error).toEqual({
        code: 'not_completed',
        message: `job ${FIRST_JOB_ID} is accepted; its review queue exists once it has completed`,
      });
      expect((await decide(0, { decision: 'accept' })).status).toBe(409);

      await harness.history([...PIPELINE, fixture('job-completed.json')]);
      const none = await queue();
      expect(none.status).toBe(404);
      expect(none.json.error.code).toBe('no_review');
      expect(none.json.error.message).toContain('has no rows in review');
      const post = await decide(0, { decision: 'accept' });
      expect(post.status).toBe(404);
      expect(post.json.error.code).toBe('no_review');
      expect(decisions()).toEqual([]);
    });

    it('answers the pending items with the candidate proposed, in row order, and the figures', async () => {
      await reviewJob();

      const answer = await queue();

      expect(answer.status).toBe(200);
      expect(answer.headers['cache-control']).toBe('no-store');
      expect(answer.json).toEqual({
        review: { total: 4, pending: 4, accepted: 0, rejected: 0, version: 0 },
        items: ITEMS.map((item) => ({ ...item, status: 'pending' })),
        next: null,
      });
    });

    it('pages with limit, after and next', async () => {
      await reviewJob();

      const first = await queue({ limit: '2' });
      const second = await queue({ limit: '2', after: String(first.json.next) });

      expect(rowsOf(first)).toEqual([0, 2]);
      expect(first.json.next).toBe(2);
      expect(rowsOf(second)).toEqual([3, 4]);
      expect(second.json.next).toBeNull();
      expect(rowsOf(await queue({ after: '0' }))).toEqual([2, 3, 4]);
      expect(rowsOf(await queue({ after: '1', limit: '1' }))).toEqual([2]);
      expect((await queue({ after: '1', limit: '1' })).json.next).toBe(2);
      expect(await queue({ after: '4' })).toMatchObject({ status: 200, json: { items: [], next: null } });
      // A page that ends on the last item says so.
      expect((await queue({ limit: '4' })).json.next).toBeNull();
    });

    it.each([
      [{ limit: '0' }, 'limit must be an integer from 1 to 100, got "0"'],
      [{ limit: '101' }, 'limit must be an integer from 1 to 100, got "101"'],
      [{ limit: 'ten' }, 'limit must be an integer from 1 to 100, got "ten"'],
      [{ after: '-1' }, 'after must be an integer from 0'],
      [{ after: 'x' }, 'after must be an integer from 0'],
      [{ status: 'accepted' }, 'status must be one of pending, decided, all, got "accepted"'],
    ])('refuses %p with 400 invalid_option', async (query, message) => {
      await reviewJob();

      const answer = await queue(query);

      expect(answer.status).toBe(400);
      expect(answer.json.error.code).toBe('invalid_option');
      expect(answer.json.error.message).toContain(message);
    });

    it('filters pending, decided and all, with each decided row’s decision and version', async () => {
      await reviewJob();
      await decideOk(2, 'accept', 1);
      await decideOk(4, 'reject', 2);

      const pending = await queue({ status: 'pending' });
      const decided = await queue({ status: 'decided' });
      const all = await queue({ status: 'all' });

      expect(rowsOf(pending)).toEqual([0, 3]);
      expect(rowsOf(await queue())).toEqual([0, 3]);
      expect(decided.json.items).toEqual([
        { ...ITEMS[1], status: 'accepted', version: 1 },
        { ...ITEMS[3], status: 'rejected', version: 2 },
      ]);
      expect(all.json.items.map((item: { row: number; status: string; version?: number }) => [item.row, item.status, item.version])).toEqual([
        [0, 'pending', undefined],
        [2, 'accepted', 1],
        [3, 'pending', undefined],
        [4, 'rejected', 2],
      ]);
      expect(all.json.review).toEqual({ total: 4, pending: 2, accepted: 1, rejected: 1, version: 2 });
      // Filters and pages together: the decided rows after row 2.
      expect(rowsOf(await queue({ status: 'decided', after: '2' }))).toEqual([4]);
      const firstDecided = await queue({ status: 'decided', limit: '1' });
      expect(rowsOf(firstDecided)).toEqual([2]);
      expect(firstDecided.json.next).toBe(2);
    });

    it('answers 404 to another tenant, as for a missing job, and takes no decision from it', async () => {
      await reviewJob();

      const stranger = await queue({}, GLOBEX_TOKEN);
      expect(stranger.status).toBe(404);
      expect(stranger.json.error).toEqual({ code: 'not_found', message: `no job ${FIRST_JOB_ID}` });
      const post = await decide(0, { decision: 'accept' }, GLOBEX_TOKEN);
      expect(post.status).toBe(404);
      expect(post.json.error.code).toBe('not_found');
      expect(decisions()).toEqual([]);
      expect(await historyDecisions()).toEqual([]);
      expect((await queue({}, '')).status).toBe(401);
    });
  });

  describe('POST /jobs/{id}/review/{row}', () => {
    it.each([['abc'], ['-1'], ['1.5'], ['1e3'], [' 2']])('refuses row %p with 400 invalid_row', async (row) => {
      await reviewJob();

      const answer = await decide(row, { decision: 'accept' });

      expect(answer.status).toBe(400);
      expect(answer.json.error).toEqual({ code: 'invalid_row', message: `row must be a 0-based row number, got "${row}"` });
    });

    it('answers 404 not_in_review for a row that is not in the queue', async () => {
      await reviewJob();

      for (const row of [1, 5, 999]) {
        const answer = await decide(row, { decision: 'accept' });
        expect(answer.status).toBe(404);
        expect(answer.json.error).toEqual({ code: 'not_in_review', message: `row ${row} of job ${FIRST_JOB_ID} is not in its review queue` });
      }
      expect(decisions()).toEqual([]);
    });

    it.each([
      ['{"decision":"maybe"}', 'send {"decision":"accept"} or {"decision":"reject"}'],
      ['{}', 'send {"decision":"accept"} or {"decision":"reject"}'],
      ['["accept"]', 'send {"decision":"accept"} or {"decision":"reject"}'],
      ['accept', 'the request body is not valid JSON'],
      ['', 'the request body is empty'],
    ])('refuses the body %p with 400 invalid_body', async (body, message) => {
      await reviewJob();

      const answer = await decide(0, body);

      expect(answer.status).toBe(400);
      expect(answer.json.error.code).toBe('invalid_body');
      expect(answer.json.error.message).toContain(message);
      expect(decisions()).toEqual([]);
      expect(await historyDecisions()).toEqual([]);
    });

    it('accept: 202 with version 1, review.decided.v1 published with the pair from the queue and appended to the history', async () => {
      await reviewJob();

      const answer = await decide(2, { decision: 'accept' });

      expect(answer.status).toBe(202);
      expect(answer.json).toEqual({ row: 2, decision: 'accept', version: 1 });
      expect(answer.headers.location).toBe(`/jobs/${FIRST_JOB_ID}/review`);
      const [event] = decisions();
      expect(decisions()).toHaveLength(1);
      const item = ITEMS[1]!;
      expect(event!.source).toBe('refinery.ingest');
      expect(event!.metadata).toMatchObject({ eventId: deriveEventId(FIRST_JOB_ID, 'review.decided.v1', 1), tenantId: 'acme', jobId: FIRST_JOB_ID });
      expect(event!.data).toEqual({
        row: 2,
        decision: 'accept',
        version: 1,
        candidateId: item.candidateId,
        method: item.method,
        score: item.score,
        contact: item.contact,
        candidate: item.candidate,
        comparison: item.comparison,
      });
      expect(await historyDecisions()).toEqual([{ id: event!.metadata.eventId, data: event!.data }]);
      // The job's progress says so at once.
      expect(harness.progressed().at(-1)!.review).toEqual({ total: 4, pending: 3, accepted: 1, rejected: 0, version: 1 });
    });

    it('the same decision again answers the same version and republishes the same event, without a new version', async () => {
      await reviewJob();
      await decideOk(2, 'accept', 1);

      await decideOk(2, 'accept', 1);

      const [first, second] = decisions();
      expect(decisions()).toHaveLength(2);
      expect(second!.metadata.eventId).toBe(first!.metadata.eventId);
      expect(second!.data).toEqual(first!.data);
      expect(await historyDecisions()).toHaveLength(1);
      expect((await getJob(harness, FIRST_JOB_ID)).json.review).toEqual({ total: 4, pending: 3, accepted: 1, rejected: 0, version: 1 });
      // The next decision makes version 2, not 3.
      await decideOk(3, 'reject', 2);
    });

    it('a decision recorded but never published (the bus was down) goes out again with the next one', async () => {
      await reviewJob();
      harness.ports.publisher.failWith = new Error('bus unavailable');
      expect((await decide(0, { decision: 'accept' })).status).toBe(500);
      harness.ports.publisher.failWith = undefined;
      expect(decisions()).toEqual([]);
      // Version 1 is in the history but was never published; the merger would wait for it forever.
      await decideOk(2, 'reject', 2);
      expect(decisions().map((event) => [event.data.row, event.data.decision, event.data.version])).toEqual([
        [0, 'accept', 1],
        [2, 'reject', 2],
      ]);
    });

    it('a different decision on the same row makes a new version, and the row follows the latest', async () => {
      await reviewJob();
      await decideOk(2, 'accept', 1);

      await decideOk(2, 'reject', 2);

      // Each decision goes out with those the result has not caught up with (no merger runs here): version 1 twice.
      expect(decisions().map((event) => [event.data.row, event.data.decision, event.data.version])).toEqual([
        [2, 'accept', 1],
        [2, 'accept', 1],
        [2, 'reject', 2],
      ]);
      expect((await historyDecisions()).map(({ data }) => [data.row, data.decision, data.version])).toEqual([
        [2, 'accept', 1],
        [2, 'reject', 2],
      ]);
      const all = await queue({ status: 'all' });
      expect(all.json.items[1]).toMatchObject({ row: 2, status: 'rejected', version: 2 });
      expect(all.json.review).toEqual({ total: 4, pending: 3, accepted: 0, rejected: 1, version: 2 });

      // And back: accepting again is a third version (the row's latest decision was a reject).
      await decideOk(2, 'accept', 3);
      expect((await queue({ status: 'decided' })).json.items).toEqual([{ ...ITEMS[1], status: 'accepted', version: 3 }]);
      expect((await getJob(harness, FIRST_JOB_ID)).json.review).toEqual({ total: 4, pending: 3, accepted: 1, rejected: 0, version: 3 });
    });
  });

  describe('GET /jobs/{id}', () => {
    it('shows the review figures of a completed job with a queue, and none without one', async () => {
      await postCsv(harness, CONTACTS);
      await harness.history([...PIPELINE, fixture('job-completed.json')]);
      expect((await getJob(harness, FIRST_JOB_ID)).json).not.toHaveProperty('review');
      harness.ports.cleanup();

      harness = createHarness();
      await reviewJob();
      const view = (await getJob(harness, FIRST_JOB_ID)).json;
      expect(view.review).toEqual({ total: 4, pending: 4, accepted: 0, rejected: 0, version: 0 });
      expect(view.rows).toMatchObject({ total: 5, unmatched: 5, review: 4 });

      await decideOk(0, 'accept', 1);
      await decideOk(3, 'reject', 2);
      expect((await getJob(harness, FIRST_JOB_ID)).json.review).toEqual({ total: 4, pending: 2, accepted: 1, rejected: 1, version: 2 });
    });
  });

  describe("pending pairs scored again by the job's model taught with the decisions", () => {
    const priorProbability = (item: ReviewItem) =>
      probabilityOfWeight(new ScoringModel(priorModel()).weightOf(Int8Array.from(item.comparison.levels)));

    it('adds probabilityNow, in (0, 1), to the pending items once a decision was made and review-model.json exists', async () => {
      await reviewJob();
      const before = await queue({ status: 'all' });
      expect(before.json).not.toHaveProperty('model');
      for (const item of before.json.items) expect(item).not.toHaveProperty('probabilityNow');

      await decideOk(0, 'accept', 1);
      const after = await queue({ status: 'all' });

      expect(after.json.model).toEqual({ labelledPairs: 1 });
      const [accepted, ...pending] = after.json.items as (ReviewItem & { status: string; probabilityNow?: number })[];
      expect(accepted).toMatchObject({ row: 0, status: 'accepted' });
      expect(accepted).not.toHaveProperty('probabilityNow');
      expect(pending.map((item) => item.row)).toEqual([2, 3, 4]);
      for (const item of pending) {
        expect(item.status).toBe('pending');
        expect(typeof item.probabilityNow).toBe('number');
        expect(item.probabilityNow).toBeGreaterThan(0);
        expect(item.probabilityNow).toBeLessThan(1);
      }
      // Taught by an accepted pair that agreed on names and city: pairs agreeing as it did are now more likely than
      // the priors say.
      const dan = pending.find((item) => item.row === 4)!;
      expect(dan.probabilityNow).toBeGreaterThan(priorProbability(ITEMS[3]!));
      expect(rowsOf(await queue())).toEqual([2, 3, 4]);
      expect((await queue()).json.items.every((item: { probabilityNow?: number }) => typeof item.probabilityNow === 'number')).toBe(true);
    });

    it('answers the queue without probabilityNow when the job has no review-model.json', async () => {
      await reviewJob({ model: false });
      await decideOk(0, 'accept', 1);

      const answer = await queue({ status: 'all' });

      expect(answer.status).toBe(200);
      expect(answer.json).not.toHaveProperty('model');
      for (const item of answer.json.items) expect(item).not.toHaveProperty('probabilityNow');
      expect(answer.json.items.map((item: { status: string }) => item.status)).toEqual(['accepted', 'pending', 'pending', 'pending']);
    });
  });

  describe('GET /jobs/{id}/result and /rows with ?version=', () => {
    function result(query: Record<string, string> = {}): Promise<ApiAnswer> {
      return harness.http({
        routeKey: 'GET /jobs/{id}/result',
        pathParameters: { id: FIRST_JOB_ID },
        token: ACME_TOKEN,
        headers: { accept: 'application/json' },
        query,
      });
    }

    function rows(query: Record<string, string> = {}): Promise<ApiAnswer> {
      return harness.http({ routeKey: 'GET /jobs/{id}/rows', pathParameters: { id: FIRST_JOB_ID }, token: ACME_TOKEN, query });
    }

    /** Where a presigned result URL points: the version whose object it verifies against. */
    function signedVersion(answer: ApiAnswer): number | undefined {
      const url = new URL(answer.json.url);
      return [0, 1, 2, 3].find((version) => harness.ports.objects.verifyPresigned('GET', versionRef(version), url.searchParams, {}).ok);
    }

    const statuses = (answer: ApiAnswer) => answer.json.rows.map((row: { values: string[] }) => row.values[5]);

    it('serves version 0 before any decision, and refuses a version not written with 400', async () => {
      await reviewJob();

      const answer = await result();
      expect(answer.status).toBe(200);
      expect(answer.json).toMatchObject({ version: 0, filename: 'customers-refined.csv' });
      expect(signedVersion(answer)).toBe(0);
      expect((await rows()).json.version).toBe(0);

      const beyond = await result({ version: '1' });
      expect(beyond.status).toBe(400);
      expect(beyond.json.error).toEqual({
        code: 'invalid_option',
        message: 'version must be an integer from 0 to 0 (the versions written so far), got "1"',
      });
    });

    it('defaults to the newest version written, serves every version asked for, and refuses one beyond the latest', async () => {
      await reviewJob();
      await decideOk(0, 'accept', 1);
      await decideOk(2, 'reject', 2);
      // The merger has written version 1 so far, not yet version 2.
      await harness.ports.objects.put(versionRef(1), resultCsv(VERSION_1), { contentType: 'text/csv; charset=utf-8' });

      const latest = await result();
      expect(latest.json).toMatchObject({ version: 1, filename: 'customers-refined-v1.csv' });
      expect(signedVersion(latest)).toBe(1);
      const first = await result({ version: '0' });
      expect(first.json).toMatchObject({ version: 0, filename: 'customers-refined.csv' });
      expect(signedVersion(first)).toBe(0);
      expect(signedVersion(await result({ version: '1' }))).toBe(1);

      for (const version of ['2', '3', '-1', '1.5', 'latest', '']) {
        const answer = await result({ version });
        expect(answer.status).toBe(400);
        expect(answer.json.error.code).toBe('invalid_option');
        expect(answer.json.error.message).toBe(`version must be an integer from 0 to 1 (the versions written so far), got "${version}"`);
      }

      const rowsNow = await rows();
      expect(rowsNow.json.version).toBe(1);
      expect(statuses(rowsNow)).toEqual(['matched', 'unmatched', 'review', 'review', 'review']);
      const rows0 = await rows({ version: '0' });
      expect(rows0.json.version).toBe(0);
      expect(statuses(rows0)).toEqual(['review', 'unmatched', 'review', 'review', 'review']);
      expect((await rows({ version: '2' })).status).toBe(400);
      // The status filter knows rows in review.
      expect((await rows({ version: '1', status: 'review' })).json.rows.map((row: { row: number }) => row.row)).toEqual([3, 4, 5]);

      // Once version 2 is written it is the default.
      await harness.ports.objects.put(versionRef(2), resultCsv(VERSION_2), { contentType: 'text/csv; charset=utf-8' });
      const newest = await result();
      expect(newest.json).toMatchObject({ version: 2, filename: 'customers-refined-v2.csv' });
      expect(signedVersion(newest)).toBe(2);
      expect(statuses(await rows())).toEqual(['matched', 'unmatched', 'unmatched', 'review', 'review']);
      expect(statuses(await rows({ version: '1' }))).toEqual(['matched', 'unmatched', 'review', 'review', 'review']);
    });
  });
});
