import { eventBridgeEventSchema } from '@refinery/events';
import { z } from 'zod';
import type { ObjectCreatedSubscription } from './declaration';
import type { FailureSubject } from './sqs';

/** The job an object belongs to, read from its key (an `objectCreated` subscription declares how). */
export interface JobRef {
  readonly tenantId: string;
  readonly jobId: string;
}

// What S3 sends to EventBridge for a new object (detail-type "Object Created", source "aws.s3"); we read only this.
const objectCreatedSchema = eventBridgeEventSchema.extend({
  source: z.literal('aws.s3'),
  'detail-type': z.literal('Object Created'),
  detail: z.object({
    bucket: z.object({ name: z.string() }),
    object: z.object({ key: z.string(), size: z.number().optional() }),
  }),
});

/** An S3 "Object Created" event as a subscription reads it: which object, and whose job it is. */
export interface ObjectCreatedNotice {
  readonly eventId: string;
  readonly time: string;
  readonly bucket: string;
  /** Decoded: S3 event keys arrive URL-encoded, spaces as '+'. */
  readonly key: string;
  readonly job: JobRef | undefined;
}

export function decodeObjectCreated(body: string, subscription: Pick<ObjectCreatedSubscription, 'jobOf'>): ObjectCreatedNotice {
  const event = objectCreatedSchema.parse(JSON.parse(body));
  const key = decodeURIComponent(event.detail.object.key.replace(/\+/g, ' '));
  return { eventId: event.id, time: event.time, bucket: event.detail.bucket.name, key, job: subscription.jobOf(key) };
}

/** What a failed notice was about: the job of its object, when it has one. */
export function describeObjectCreated(notice: ObjectCreatedNotice): FailureSubject | undefined {
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
