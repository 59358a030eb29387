import { chunkPlannedV1, createEvent, deriveEventId } from '@refinery/events';
import { eventBridgeBody } from '@refinery/test-support';
import { deadLetterReport, defineService, describeFailedMessage } from '../src';

// What a dead-lettered message was about, read from the subscription's declaration alone (the service's code may be
// the reason it is there), and the stage.failed.v1 that reports it.

const size = { queue: { visibilityTimeoutSeconds: 360, maxReceiveCount: 4, batchSize: 10 }, function: { timeoutSeconds: 60, memorySizeMb: 512 } };
const service = defineService({
  name: 'worker',
  description: 'test',
  buckets: { uploads: { description: 'u' } },
  subscriptions: {
    chunks: { description: 'chunks', events: [chunkPlannedV1], ...size },
    live: { description: 'best effort', events: [chunkPlannedV1], reportsStageFailures: false, ...size },
    uploads: {
      description: 'uploads',
      objectCreated: {
        bucket: 'uploads',
        jobOf: (key) => {
          const match = /^tenants\/([^/]+)\/jobs\/([^/]+)\/input\.csv$/.exec(key);
          return match ? { tenantId: match[1] as string, jobId: match[2] as string } : undefined;
        },
      },
      ...size,
    },
  },
});

const planned = createEvent(chunkPlannedV1, {
  service: 'chunker',
  metadata: { tenantId: 'acme', jobId: 'job_1', correlationId: 'job_1', causationId: 'job_1' },
  data: chunkPlannedV1.example,
});

function objectCreated(key: string): string {
  return JSON.stringify({
    version: '0',
    id: 'ev-1',
    'detail-type': 'Object Created',
    source: 'aws.s3',
    account: '123456789012',
    time: '2026-12-01T10:00:00Z',
    region: 'us-east-1',
    resources: [],
    detail: { bucket: { name: 'the-uploads' }, object: { key, size: 10 } },
  });
}

describe('describeFailedMessage', () => {
  it('reads one of our events: its job, chunk and rows; nothing for a subscription whose losses fail no job', () => {
    expect(describeFailedMessage(service.subscriptions.chunks, eventBridgeBody(planned))).toEqual({
      metadata: planned.metadata,
      eventType: 'chunk.planned.v1',
      chunk: { index: 2 },
      rows: { first: 2000, count: 1000 },
    });
    expect(describeFailedMessage(service.subscriptions.live, eventBridgeBody(planned))).toBeUndefined();
    expect(() => describeFailedMessage(service.subscriptions.chunks, 'not json')).toThrow('message body is not JSON');
  });

  it("reads an S3 notice's job from its (URL-encoded) key, as the declaration says; nothing for other objects", () => {
    expect(describeFailedMessage(service.subscriptions.uploads, objectCreated('tenants/acme%2Dco/jobs/job_9/input.csv'))).toEqual({
      metadata: {
        eventId: 'ev-1',
        occurredAt: '2026-12-01T10:00:00Z',
        tenantId: 'acme-co',
        jobId: 'job_9',
        correlationId: 'job_9',
        causationId: 'ev-1',
      },
      eventType: 'Object Created',
    });
    expect(describeFailedMessage(service.subscriptions.uploads, objectCreated('elsewhere/file+name.csv'))).toBeUndefined();
  });
});

describe('deadLetterReport', () => {
  it("fails the job, retryable, with the id the handler's own last-delivery report has (the two collapse)", () => {
    const report = deadLetterReport(service.subscriptions.chunks, eventBridgeBody(planned), {
      deadLetterQueue: 'refinery-worker-dev-chunks-dlq',
      cause: { kind: 'exhausted' },
    });
    expect(report?.source).toBe('refinery.worker');
    expect(report?.detailType).toBe('stage.failed.v1');
    const detail = JSON.parse(report?.detail ?? '{}');
    expect(detail.metadata).toMatchObject({
      eventId: deriveEventId(planned.metadata.eventId, 'stage.failed.v1', 'worker', 'chunks'),
      jobId: 'job_1',
      causationId: planned.metadata.eventId,
    });
    expect(detail.data).toEqual({
      service: 'worker',
      subscription: 'chunks',
      eventType: 'chunk.planned.v1',
      eventId: planned.metadata.eventId,
      reason:
        'worker gave up on chunk 3 (rows 2001-3000): it was received 4 times without being processed and was moved to the dead-letter ' +
        'queue refinery-worker-dev-chunks-dlq',
      retryable: true,
      attempts: 4,
      chunk: { index: 2 },
      rows: { first: 2000, count: 1000 },
    });
  });

  it("says when EventBridge could not deliver the event at all, with EventBridge's error", () => {
    const report = deadLetterReport(service.subscriptions.chunks, eventBridgeBody(planned), {
      deadLetterQueue: 'q-dlq',
      cause: { kind: 'undelivered', error: 'SQS.AccessDeniedException: not allowed' },
    });
    expect(JSON.parse(report?.detail ?? '{}').data).toMatchObject({
      reason:
        "EventBridge could not deliver chunk 3 (rows 2001-3000) to worker's chunks queue (SQS.AccessDeniedException: not allowed); it is in " +
        'the dead-letter queue q-dlq',
      attempts: 1,
    });
  });

  it('reports nothing for a loss that fails no job', () => {
    expect(
      deadLetterReport(service.subscriptions.live, eventBridgeBody(planned), { deadLetterQueue: 'q', cause: { kind: 'exhausted' } }),
    ).toBeUndefined();
  });
});
