import { z } from 'zod';

// Every event, whatever its type, travels in this envelope: EventBridge carries `source` and `detail-type`,
// and `detail` is always `{ metadata, data }` so consumers find tracing and tenancy in the same place.
export const eventMetadataSchema = z
  .object({
    eventId: z.string().min(1).describe('Unique id of this event; duplicates of the same event share it.'),
    occurredAt: z.iso.datetime({ offset: true }).describe('When the producer emitted the event (ISO 8601).'),
    tenantId: z.string().min(1).describe('The tenant that owns the job.'),
    jobId: z.string().min(1).describe('The job this event belongs to.'),
    correlationId: z.string().min(1).describe('Shared by every event of one job run, from the request that started it.'),
    causationId: z.string().min(1).describe('The eventId (or request id) that directly caused this event.'),
  })
  .describe('Envelope metadata common to every Contact Refinery event.');

export type EventMetadata = z.infer<typeof eventMetadataSchema>;

// The JSON that EventBridge delivers to an SQS target: the whole event, `detail` included.
export const eventBridgeEventSchema = z.object({
  version: z.string(),
  id: z.string(),
  'detail-type': z.string().min(1),
  source: z.string().min(1),
  account: z.string(),
  time: z.string(),
  region: z.string(),
  resources: z.array(z.string()),
  detail: z.unknown(),
});

export type EventBridgeEvent = z.infer<typeof eventBridgeEventSchema>;

export const EVENT_SOURCE_PREFIX = 'refinery.';

/** `source` of events produced by one of our services, e.g. `refinery.chunker`. */
export function serviceSource(service: string): string {
  return `${EVENT_SOURCE_PREFIX}${service}`;
}
