import { implementService, SecretSealer, type ServiceParts } from '@refinery/runtime';
import { checkIngestConfig, deriveCursorSigningKey, INGEST_HTTP_TIMEOUT_SECONDS, type IngestDeps } from './config';
import { ingest } from './definition';
import { Jobs } from './domain/jobs';
import { createApiHandler } from './handlers/api';
import { createEraseHandler, createErasuresHandler, createRetentionHandler } from './handlers/erasure';
import { createHistoryHandler } from './handlers/history';
import { createSweepHandler } from './handlers/sweep';
import { createUploadsHandler } from './handlers/uploads';

/** ingest's handlers, from the ports they need (what the service is composed of, and what tests build). */
export function ingestHandlers(deps: IngestDeps): ServiceParts<typeof ingest> {
  checkIngestConfig(deps.config, INGEST_HTTP_TIMEOUT_SECONDS);
  return {
    subscriptions: {
      uploads: createUploadsHandler(deps),
      history: createHistoryHandler(deps),
      erasure: createEraseHandler(deps, new Jobs(deps)),
      erasures: createErasuresHandler(deps),
    },
    schedules: { sweep: createSweepHandler(deps), retention: createRetentionHandler(deps) },
    http: createApiHandler(deps),
  };
}

/**
 * `sleep`: how the progress publisher waits for a job's publishing slot (tests pass a fake clock's); `workPaused`: the
 * platform's pause, if it has one (the local mode's full or read-only data dir).
 */
export const ingestService = implementService(ingest, (context, given: Pick<IngestDeps, 'sleep' | 'workPaused'>) => {
  const { settings } = context;
  return ingestHandlers({
    ...context,
    config: {
      uploadsBucket: context.buckets.uploads,
      uploadUrlTtlSeconds: settings.uploadUrlTtlSeconds,
      resultUrlTtlSeconds: settings.resultUrlTtlSeconds,
      contactMatchDeadlineMs: settings.contactMatchDeadlineMs,
      progressIntervalMs: settings.progressIntervalMs,
      stuckJobMinutes: settings.stuckJobMinutes,
      maxRowBytes: settings.maxRowBytes,
      maxColumns: settings.maxColumns,
      retentionDays: settings.retentionDays,
      maxUploadBytes: settings.maxUploadBytes,
      minUploadPartBytes: settings.minUploadPartBytes,
      maxChunkRows: settings.maxChunkRows,
      maxJobsInFlight: settings.maxJobsInFlight,
      maxJobsPerMinute: settings.maxJobsPerMinute,
      maxWebhookSources: settings.maxWebhookSources,
      uploadExpiryMinutes: settings.uploadExpiryMinutes,
      cursorSigningKey: deriveCursorSigningKey(settings.keyEncryptionKey),
    },
    jobs: context.tables.jobs,
    tokens: settings.apiTokens,
    secrets: new SecretSealer(settings.keyEncryptionKey),
    ...(given.sleep ? { sleep: given.sleep } : {}),
    ...(given.workPaused ? { workPaused: given.workPaused } : {}),
  });
});

export * from './config';
export { ingest } from './definition';
export { ActiveJobs } from './domain/active-jobs';
export { type StuckJob, StuckJobs } from './domain/stuck-jobs';
