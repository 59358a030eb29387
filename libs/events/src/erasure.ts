import type { PublishEntry } from '@refinery/ports';
import { type JobDataHolder, jobDataErasedV1, type jobErasureRequestedV1 } from './catalog';
import { createEvent, deriveEventId, toPublishEntry } from './codec';
import type { DomainEvent } from './event-type';

/** Where every bucket keeps a job's objects: `tenants/<tenant>/jobs/<job>/` (what erasure deletes, by prefix). */
export function jobObjectPrefix(tenantId: string, jobId: string): string {
  return `tenants/${tenantId}/jobs/${jobId}/`;
}

/**
 * A service's answer to `job-erasure.requested.v1`: what it deleted. Its id is derived from the request and the
 * service, so the answer of a retried erasure is recognisably the same event.
 */
export function jobDataErasedEntry(
  service: JobDataHolder,
  request: DomainEvent<typeof jobErasureRequestedV1>,
  counts: { readonly objects: number; readonly items: number },
  occurredAt: Date,
): PublishEntry {
  const { metadata } = request;
  return toPublishEntry(
    createEvent(jobDataErasedV1, {
      service,
      metadata: {
        eventId: deriveEventId(metadata.eventId, jobDataErasedV1.type, service),
        tenantId: metadata.tenantId,
        jobId: metadata.jobId,
        correlationId: metadata.correlationId,
        causationId: metadata.eventId,
        occurredAt: occurredAt.toISOString(),
      },
      data: { service, objects: counts.objects, items: counts.items },
    }),
  );
}
