import { type JobDataHolder, jobDataErasedEntry, jobObjectPrefix } from '@refinery/events';
import { deletePartition } from '@refinery/ports';
import {
  type ApiRequest,
  type ApiResponse,
  createEventSubscriptionHandler,
  HttpError,
  json,
  type ScheduledHandler,
  type SubscriptionBinding,
} from '@refinery/runtime';
import type { IngestDeps } from '../config';
import { ingest } from '../definition';
import { AwaitingUploads } from '../domain/awaiting-uploads';
import { JobErasure } from '../domain/job-erasure';
import { summaryKey } from '../domain/job-progress';
import type { Jobs } from '../domain/jobs';
import { releaseInFlight } from '../domain/tenant-quotas';

/** Jobs whose erasure one run of the retention schedule requests at most (the rest on the next run). */
const RETENTION_BATCH = 500;

export function jobErasure(deps: IngestDeps): JobErasure {
  return new JobErasure({ table: deps.jobs, publisher: deps.publisher, clock: deps.clock, retentionDays: deps.config.retentionDays });
}

/**
 * `DELETE /jobs/{id}`: the job's data is erased everywhere, asynchronously (each service erases its own part). Answers
 * 202 with the erasure's status and `Location: /jobs/{id}/erasure` to poll until `erased`. A job still in the pipeline
 * is refused (409): its stages would write again what was erased; it is erasable once completed or failed (a job that
 * stopped moving is failed by the sweep schedule). Asking again is harmless: the same erasure answers.
 */
export async function requestJobErasure(deps: IngestDeps, jobs: Jobs, request: ApiRequest): Promise<ApiResponse> {
  const jobId = request.pathParameters.id ?? '';
  const erasure = jobErasure(deps);
  const location = { location: `/jobs/${jobId}/erasure` };
  const existing = await erasure.statusFor(request.tenantId, jobId);
  if (existing) return json(202, existing, location);
  const found = await jobs.stateFor(request.tenantId, jobId);
  if (!found) throw new HttpError(404, 'not_found', `no job ${jobId}`);
  if (found.state.status === 'running') {
    throw new HttpError(
      409,
      'job_running',
      `job ${jobId} is running: it can be erased once it has completed or failed (a job that stops moving is failed after ${deps.config.stuckJobMinutes} minutes)`,
    );
  }
  return json(202, await erasure.request(request.tenantId, jobId, 'request', request.requestId), location);
}

/** `GET /jobs/{id}/erasure`: how the erasure of a job stands (`erasing`, then `erased`), service by service. */
export async function jobErasureStatus(deps: IngestDeps, request: ApiRequest): Promise<ApiResponse> {
  const jobId = request.pathParameters.id ?? '';
  const status = await jobErasure(deps).statusFor(request.tenantId, jobId);
  if (!status) throw new HttpError(404, 'not_found', `no erasure of job ${jobId}`);
  return json(200, status);
}

/**
 * ingest's own part of an erasure (job-erasure.requested.v1): the upload, the job's history (every event, with what it
 * carried: review decisions hold the contact and candidate), its summary, its place in the pipeline's and the retention
 * lists, and its Idempotency-Key. Only the erasure record stays, which holds nothing personal.
 */
export function createEraseHandler(deps: IngestDeps, jobs: Jobs): SubscriptionBinding {
  const erasure = jobErasure(deps);
  return createEventSubscriptionHandler({
    subscription: ingest.subscriptions.erasure,
    publisher: deps.publisher,
    logger: deps.logger,
    handle: async (event, { logger }) => {
      const { tenantId, jobId } = event.metadata;
      const objects = await deps.objects.deletePrefix(deps.config.uploadsBucket, jobObjectPrefix(tenantId, jobId));
      let items = 0;
      const created = (await jobs.history.summary(jobId))?.created?.event;
      if (created) await erasure.forgetCreated(jobId, created.occurredAt);
      const idempotency = await jobs.idempotencyKeyOf(jobId);
      if (idempotency) {
        await deps.jobs.delete(idempotency);
        items += 1;
      }
      await jobs.history.active.remove(jobId);
      // A job erased while waiting for its upload never ends in its history (an erased job's late events are dropped):
      // its place in the uploads' expiry list and among the tenant's jobs in flight is given back here.
      await new AwaitingUploads(deps.jobs).remove(jobId);
      await releaseInFlight(deps.jobs, tenantId, jobId);
      await deps.jobs.delete(summaryKey(tenantId, jobId));
      items += await deletePartition(deps.jobs, jobs.history.partitionOf(jobId));
      await deps.publisher.publish([jobDataErasedEntry('ingest', event, { objects, items }, deps.clock.now())]);
      logger.info({ objects, items }, "job's upload and history erased");
    },
  });
}

/** job-data.erased.v1 from every holder: recorded; the last one completes the erasure. */
export function createErasuresHandler(deps: IngestDeps): SubscriptionBinding {
  const erasure = jobErasure(deps);
  return createEventSubscriptionHandler({
    subscription: ingest.subscriptions.erasures,
    publisher: deps.publisher,
    logger: deps.logger,
    handle: async (event, { logger }) => {
      const service = event.data.service as JobDataHolder;
      const outcome = await erasure.recordErased(event, service);
      if (outcome === 'unknown') logger.warn({ service }, 'a service erased a job whose erasure ingest has no record of');
      else logger.info({ service, outcome }, 'job data erased');
    },
  });
}

/** Every hour (the declared schedule): requests the erasure of the jobs created more than retentionDays ago. */
export function createRetentionHandler(deps: IngestDeps): ScheduledHandler {
  const erasure = jobErasure(deps);
  return async () => {
    const requested = await erasure.requestExpired(RETENTION_BATCH);
    deps.logger.info({ requested, retentionDays: deps.config.retentionDays }, 'requested the erasure of jobs past retention');
  };
}
