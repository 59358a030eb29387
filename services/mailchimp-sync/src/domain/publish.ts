import { createEvent, deriveEventId, type JobOptionsData, jobCreatedV1, jobSubmittedV1, toPublishEntry } from '@refinery/events';
import type { ObjectRef } from '@refinery/ports';
import type { MailchimpSyncDeps } from '../config';

export interface NewJob {
  readonly tenantId: string;
  readonly jobId: string;
  readonly correlationId: string;
  readonly causationId: string;
  readonly filename: string;
  readonly input: ObjectRef;
  readonly options: JobOptionsData;
}

/** job.created.v1 for a job mailchimp-sync runs: ingest records it in the job's history, so it reads like any job. */
export async function publishJobCreated(deps: MailchimpSyncDeps, job: NewJob): Promise<void> {
  const event = createEvent(jobCreatedV1, {
    service: 'mailchimp-sync',
    metadata: {
      eventId: deriveEventId(job.jobId, jobCreatedV1.type),
      tenantId: job.tenantId,
      jobId: job.jobId,
      correlationId: job.correlationId,
      causationId: job.causationId,
      occurredAt: deps.clock.now().toISOString(),
    },
    data: { filename: job.filename, upload: 'mailchimp', input: job.input, options: job.options },
  });
  await deps.publisher.publish([toPublishEntry(event)]);
}

/** job.submitted.v1 once the job's CSV is in place: from here on the chunker and the rest treat it like an upload. */
export async function publishJobSubmitted(deps: MailchimpSyncDeps, job: NewJob & { sizeBytes: number }): Promise<void> {
  const event = createEvent(jobSubmittedV1, {
    service: 'mailchimp-sync',
    metadata: {
      eventId: deriveEventId(job.jobId, jobSubmittedV1.type),
      tenantId: job.tenantId,
      jobId: job.jobId,
      correlationId: job.correlationId,
      causationId: job.causationId,
      occurredAt: deps.clock.now().toISOString(),
    },
    data: { filename: job.filename, input: { ...job.input, sizeBytes: job.sizeBytes }, options: job.options },
  });
  await deps.publisher.publish([toPublishEntry(event)]);
}

export function jobObject(deps: MailchimpSyncDeps, tenantId: string, jobId: string, name: string): ObjectRef {
  return { bucket: deps.config.importsBucket, key: `tenants/${tenantId}/jobs/${jobId}/${name}` };
}
