import { deriveEventId } from '@refinery/events';
import { testContext } from '@refinery/test-support';
import { StuckJobs } from '../src/service';
import { createHarness, FIRST_JOB_ID, fixture, type IngestHarness, postCsv, SCHEDULED_EVENT, sampleFile } from './helpers';

const CONTACTS_FILE = sampleFile('contacts.csv');

// The sweep schedule: a job in the pipeline whose history has not grown for stuckJobMinutes is failed (stage.failed.v1
// from ingest's sweep), naming what it was waiting for and the rows concerned; the merger then ends it.

const PLANNED = fixture('job-planned.json');
const LABELED_0 = fixture('chunk-labeled-0.json');
const LABELED_1 = fixture('chunk-labeled-1.json');
const COMPLETED = fixture('job-completed.json');
const STUCK_MINUTES = 30;
const MINUTE = 60_000;

const harnesses: IngestHarness[] = [];
afterEach(() => {
  for (const harness of harnesses.splice(0)) harness.ports.cleanup();
});

/** ingest with acme's job_TEST000001 created and submitted (its CSV in the request body, then S3's notice of it). */
async function submittedJob(): Promise<IngestHarness> {
  const harness = createHarness({ stuckJobMinutes: STUCK_MINUTES });
  harnesses.push(harness);
  expect((await postCsv(harness, CONTACTS_FILE, { query: { filename: 'contacts.csv' } })).json.jobId).toBe(FIRST_JOB_ID);
  await harness.uploads([fixture('s3-object-created.json')]);
  expect(harness.publishedTypes()).toContain('job.submitted.v1');
  return harness;
}

const scheduled = SCHEDULED_EVENT;

async function sweep(harness: IngestHarness): Promise<void> {
  await harness.service.schedules.sweep(scheduled, testContext('ingest-sweep'));
}

function stageFailures(harness: IngestHarness) {
  return harness.ports.publisher.ofType('stage.failed.v1');
}

function stuckJobs(harness: IngestHarness): StuckJobs {
  const { ports } = harness;
  return new StuckJobs({ table: ports.table('ingest-jobs'), clock: ports.clock, publisher: ports.publisher, logger: ports.logger });
}

describe('the sweep schedule', () => {
  it('fails a job whose chunks stopped coming, naming the chunks and rows never labeled, once per stuck period', async () => {
    const harness = await submittedJob();
    await harness.history([PLANNED, LABELED_0]);
    harness.ports.clock.advance((STUCK_MINUTES - 1) * MINUTE);
    await sweep(harness);
    expect(stageFailures(harness)).toEqual([]);

    harness.ports.clock.advance(2 * MINUTE);
    await sweep(harness);
    // Each sweep says how many stuck jobs it found: none the first time, this one now.
    expect(harness.metrics.of('stuckJobs').map((record) => record.value)).toEqual([0, 1]);
    const [failure] = stageFailures(harness);
    expect(failure?.source).toBe('refinery.ingest');
    const labeled = JSON.parse(LABELED_0).detail;
    expect(failure?.metadata).toMatchObject({
      tenantId: 'acme',
      jobId: FIRST_JOB_ID,
      eventId: deriveEventId(labeled.metadata.eventId, 'stage.failed.v1', 'ingest', 'sweep'),
    });
    expect(failure?.data).toEqual({
      service: 'ingest',
      subscription: 'sweep',
      eventType: 'chunk.labeled.v1',
      eventId: labeled.metadata.eventId,
      reason: 'no progress for 30 minutes (jobs may stay still for 30 minutes): 1 of 2 chunks were labeled; chunk 2 (rows 4-5) never was',
      retryable: true,
      attempts: 1,
      chunk: { index: 1 },
      rows: { first: 3, count: 2 },
    });

    // Reported: not again until another stuck period has passed (the report may have been lost), and then the same event.
    harness.ports.clock.advance(5 * MINUTE);
    await sweep(harness);
    expect(stageFailures(harness)).toHaveLength(1);
    harness.ports.clock.advance(STUCK_MINUTES * MINUTE);
    await sweep(harness);
    expect(stageFailures(harness).map((event) => event.metadata.eventId)).toEqual([failure?.metadata.eventId, failure?.metadata.eventId]);
  });

  it('leaves a job alone while its history grows, and forgets it once it has its outcome', async () => {
    const harness = await submittedJob();
    harness.ports.clock.advance(20 * MINUTE);
    await harness.history([PLANNED]);
    harness.ports.clock.advance(20 * MINUTE);
    await harness.history([LABELED_0]);
    harness.ports.clock.advance(20 * MINUTE);
    await sweep(harness);
    expect(stageFailures(harness)).toEqual([]);
    expect(await stuckJobs(harness).find(10 * MINUTE)).toHaveLength(1);

    await harness.history([LABELED_1, COMPLETED]);
    harness.ports.clock.advance(10 * STUCK_MINUTES * MINUTE);
    await sweep(harness);
    expect(stageFailures(harness)).toEqual([]);
    expect(await stuckJobs(harness).find(0)).toEqual([]);
  });

  it('says when a job was never planned, and when every chunk was labeled but it never completed', async () => {
    const unplanned = await submittedJob();
    unplanned.ports.clock.advance(3 * 60 * MINUTE);
    const [never] = await stuckJobs(unplanned).find(STUCK_MINUTES * MINUTE);
    expect(never?.waitingFor).toMatch(/^its input was submitted at .* but it was never planned \(the chunker reported nothing\)$/);
    expect(never?.subject.rows).toBeUndefined();
    expect(never?.rows).toEqual({ done: 0, total: 0 });

    const unmerged = await submittedJob();
    await unmerged.history([PLANNED, LABELED_0, LABELED_1]);
    unmerged.ports.clock.advance(2 * 60 * MINUTE);
    const [merged] = await stuckJobs(unmerged).find(STUCK_MINUTES * MINUTE);
    expect(merged).toMatchObject({
      chunks: { done: 2, total: 2 },
      rows: { done: 5, total: 5 },
      waitingFor: 'all 2 chunks were labeled, but the merger never completed it',
    });
  });

  it('lets an operator fail a job with their reason, and refuses a job that has its outcome or does not exist', async () => {
    const harness = await submittedJob();
    await harness.history([PLANNED]);
    const entry = await stuckJobs(harness).failByOperator(FIRST_JOB_ID, 'the provider contract ended');
    expect(entry.source).toBe('refinery.operator');
    expect(JSON.parse(entry.detail).data).toMatchObject({
      service: 'operator',
      reason: 'failed by an operator: the provider contract ended',
      retryable: false,
      rows: { first: 0, count: 5 },
    });
    await expect(stuckJobs(harness).failByOperator('job_NOPE', 'x')).rejects.toThrow('there is no job job_NOPE');
    await harness.history([LABELED_0, LABELED_1, COMPLETED]);
    await expect(stuckJobs(harness).failByOperator(FIRST_JOB_ID, 'x')).rejects.toThrow(/has already completed/);
  });
});
