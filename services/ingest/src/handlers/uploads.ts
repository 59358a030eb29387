import { eventBridgeEventSchema } from '@refinery/events';
import { createSubscriptionHandler, type FailureSubject, type SubscriptionBinding } from '@refinery/runtime';
import { z } from 'zod';
import { type IngestDeps, parseInputKey } from '../config';
import { ingest } from '../definition';
import { Jobs } from '../domain/jobs';

// What S3 sends to EventBridge for a new object (detail-type "Object Created", source "aws.s3"); we read only this.
const objectCreatedSchema = eventBridgeEventSchema.extend({
  source: z.literal('aws.s3'),
  'detail-type': z.literal('Object Created'),
  detail: z.object({
    bucket: z.object({ name: z.string() }),
    object: z.object({ key: z.string(), size: z.number().optional() }),
  }),
});

export interface UploadNotice {
  readonly eventId: string;
  readonly time: string;
  readonly bucket: string;
  readonly key: string;
  readonly job: { tenantId: string; jobId: string } | undefined;
}

export function decodeUploadNotice(body: string): UploadNotice {
  const event = objectCreatedSchema.parse(JSON.parse(body));
  // S3 event keys arrive URL-encoded (spaces as '+').
  const key = decodeURIComponent(event.detail.object.key.replace(/\+/g, ' '));
  return { eventId: event.id, time: event.time, bucket: event.detail.bucket.name, key, job: parseInputKey(key) };
}

export function describeUploadNotice(notice: UploadNotice): FailureSubject | undefined {
  if (!notice.job) return undefined;
  return {
    metadata: {
      eventId: notice.eventId,
      occurredAt: notice.time,
      tenantId: notice.job.tenantId,
      jobId: notice.job.jobId,
      correlationId: notice.job.jobId,
      causationId: notice.eventId,
    },
    eventType: 'Object Created',
  };
}

/**
 * An input landed in the uploads bucket: check it and submit its job (once, however often S3 tells us), then publish
 * the job's progress (job.submitted.v1 is in its history now, whether this handler or the request that stored the
 * input submitted it).
 */
export function createUploadsHandler(deps: IngestDeps): SubscriptionBinding {
  const jobs = new Jobs(deps);
  const submitted = new WeakSet<UploadNotice>();
  return createSubscriptionHandler({
    subscription: ingest.subscriptions.uploads,
    publisher: deps.publisher,
    logger: deps.logger,
    decode: decodeUploadNotice,
    describe: describeUploadNotice,
    handle: async (notice, { logger }) => {
      if (notice.bucket !== deps.config.uploadsBucket || !notice.job) {
        logger.warn({ bucket: notice.bucket, key: notice.key }, 'ignoring an object that is not a job input');
        return;
      }
      const outcome = await jobs.submit(notice.job.jobId);
      if (outcome !== 'no-input') submitted.add(notice);
      logger.info({ jobId: notice.job.jobId, outcome }, 'upload handled');
    },
    afterBatch: (handled, { logger }) =>
      jobs.progress.publishForBatch(
        handled.flatMap(({ messageId, message }) => (message.job && submitted.has(message) ? [{ messageId, ...message.job }] : [])),
        logger,
      ),
  });
}
