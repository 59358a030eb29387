import { deriveEventId } from '@refinery/events';
import { createTestPorts, sqsEvent, type TestPorts, testContext } from '@refinery/test-support';
import { body, createMerger, fixture, JOB_ID, putLabeledChunk } from './helpers';

const MATCHER_FAILURE = 'stage-failed-matcher';
const LABELER_FAILURE = 'stage-failed-labeler';

let ports: TestPorts;

beforeEach(() => {
  ports = createTestPorts();
});

afterEach(() => ports.cleanup());

type Handler = ReturnType<typeof createMerger>['failures'];

async function deliver(handler: Handler, names: readonly string[], receiveCount = 1): Promise<void> {
  const response = await handler(
    sqsEvent(
      names.map((name) => body(name)),
      { receiveCount },
    ),
    testContext(),
  );
  expect(response.batchItemFailures).toEqual([]);
}

async function completeJob(progress: ReturnType<typeof createMerger>['progress']): Promise<void> {
  for (const index of [0, 1, 2]) await putLabeledChunk(ports, index);
  const response = await progress(
    sqsEvent(['job-planned', 'chunk-labeled-0', 'chunk-labeled-1', 'chunk-labeled-2'].map((name) => body(name))),
    testContext(),
  );
  expect(response.batchItemFailures).toEqual([]);
  expect(ports.publisher.ofType('job.completed.v1')).toHaveLength(1);
}

describe('merger failures: stage.failed.v1', () => {
  it('ends the job failed (job.failed.v1) with the reason, the failed stage and the affected rows', async () => {
    const { failures } = createMerger(ports);

    await deliver(failures, [MATCHER_FAILURE]);

    const cause = fixture(MATCHER_FAILURE).detail;
    const [failed] = ports.publisher.ofType('job.failed.v1');
    expect(ports.publisher.entries).toHaveLength(1);
    expect(failed!.source).toBe('refinery.merger');
    expect(failed!.metadata).toMatchObject({
      eventId: deriveEventId(JOB_ID, 'job.failed.v1'),
      tenantId: 'acme',
      jobId: JOB_ID,
      correlationId: cause.metadata.correlationId,
      causationId: cause.metadata.eventId,
    });
    expect(failed!.data).toEqual({
      reason: 'matcher gave up on chunk 2 (rows 3-4) after 5 attempts: provider unavailable: connect ECONNREFUSED 10.0.0.7:443',
      stage: { service: 'matcher', subscription: 'chunks', eventType: 'chunk.planned.v1', eventId: 'd3b07384-d9a0-4c9b-8f1e-2a3b4c5d6e7f' },
      chunk: { index: 1 },
      rows: { first: 2, count: 2 },
    });
  });

  it('does not publish a second job.failed.v1 for a second, different failure of the same job', async () => {
    const { failures } = createMerger(ports);

    await deliver(failures, [MATCHER_FAILURE]);
    await deliver(failures, [LABELER_FAILURE]);

    const failed = ports.publisher.ofType('job.failed.v1');
    expect(failed).toHaveLength(1);
    expect(failed[0]!.data.stage.service).toBe('matcher');
  });

  it('keeps the first failure when both arrive in one batch', async () => {
    const { failures } = createMerger(ports);

    await deliver(failures, [LABELER_FAILURE, MATCHER_FAILURE]);

    const failed = ports.publisher.ofType('job.failed.v1');
    expect(failed).toHaveLength(1);
    expect(failed[0]!.data).toMatchObject({ reason: 'matched chunk 3 holds 0 rows, its event says 1', stage: { service: 'labeler' } });
  });

  it('republishes job.failed.v1 with the same event id for a repeat of the same failure (a crash between record and publish)', async () => {
    const { failures } = createMerger(ports);

    await deliver(failures, [MATCHER_FAILURE]);
    await deliver(failures, [MATCHER_FAILURE], 2);

    const failed = ports.publisher.ofType('job.failed.v1');
    expect(failed).toHaveLength(2);
    expect(failed[1]!.metadata.eventId).toBe(failed[0]!.metadata.eventId);
    expect(failed[1]!.data).toEqual(failed[0]!.data);
  });

  it('publishes job.failed.v1 on the redelivery when the bus was down the first time', async () => {
    const { failures } = createMerger(ports);
    ports.publisher.failWith = new Error('EventBridge unavailable');

    const response = await failures(sqsEvent([body(MATCHER_FAILURE)]), testContext());
    expect(response.batchItemFailures).toEqual([{ itemIdentifier: 'message-1' }]);

    ports.publisher.failWith = undefined;
    await deliver(failures, [MATCHER_FAILURE], 2);
    expect(ports.publisher.ofType('job.failed.v1')).toHaveLength(1);
  });

  it('leaves a completed job completed: no job.failed.v1', async () => {
    const { progress, failures } = createMerger(ports);
    await completeJob(progress);

    await deliver(failures, [MATCHER_FAILURE]);

    expect(ports.publisher.ofType('job.failed.v1')).toEqual([]);
  });

  it('still completes a failed job whose chunks all finish later (a redriven chunk): completion wins', async () => {
    const { progress, failures } = createMerger(ports);
    await deliver(failures, [MATCHER_FAILURE]);

    await completeJob(progress);

    expect(ports.publisher.ofType('job.failed.v1')).toHaveLength(1);
    // And a late repeat of the failure does not fail it again.
    await deliver(failures, [MATCHER_FAILURE], 2);
    expect(ports.publisher.ofType('job.failed.v1')).toHaveLength(1);
  });

  it('keeps jobs apart: a failure of another job does not stop this one from failing', async () => {
    const { failures } = createMerger(ports);
    const otherJob = body(LABELER_FAILURE, (event) => {
      event.detail.metadata.jobId = 'job_01JDZOTHER000000000000000';
    });
    const response = await failures(sqsEvent([otherJob]), testContext());
    expect(response.batchItemFailures).toEqual([]);

    await deliver(failures, [MATCHER_FAILURE]);

    expect(ports.publisher.ofType('job.failed.v1').map((event) => event.metadata.jobId)).toEqual(['job_01JDZOTHER000000000000000', JOB_ID]);
  });
});
