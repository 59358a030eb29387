import { DEFAULT_CSV_LIMITS } from '@refinery/csv';
import {
  chunkLabeledV1,
  JOB_DATA_HOLDERS,
  jobCompletedV1,
  jobCreatedV1,
  jobDataErasedV1,
  jobErasureRequestedV1,
  jobFailedV1,
  jobPlannedV1,
  jobSubmittedV1,
  stageFailedV1,
} from '@refinery/events';
import { MULTIPART_MAX_PART_BYTES, MULTIPART_MIN_PART_BYTES } from '@refinery/ports';
import { apiTokensSetting, defineService, keyEncryptionKeySetting, retentionDaysSetting, setting } from '@refinery/runtime';
import { z } from 'zod';
import { parseInputKey } from './input-key';

/** S3's largest object: 5 TiB. */
const MAX_OBJECT_BYTES = 5 * 1024 ** 4;

/** The API function's timeout, which bounds how long `POST /contacts/match` may wait. */
export const INGEST_HTTP_TIMEOUT_SECONDS = 29;

/**
 * What `POST /contacts/match` keeps of the API function's time for itself, besides the wait: creating the job before
 * and reading the result after it (and a cold start). API Gateway gives up on an integration after 30 s at most.
 */
export const CONTACT_MATCH_HEADROOM_MS = 4_000;

/** The longest contact-match deadline an API function with this timeout can honour. */
export function maxContactMatchDeadlineMs(httpTimeoutSeconds: number): number {
  return httpTimeoutSeconds * 1000 - CONTACT_MATCH_HEADROOM_MS;
}

/** The longest progress interval: a history batch may wait this long per job for the publishing slot. */
export const MAX_PROGRESS_INTERVAL_MS = 10_000;

const MAX_CONTACT_MATCH_DEADLINE_MS = maxContactMatchDeadlineMs(INGEST_HTTP_TIMEOUT_SECONDS);

/** ingest: the jobs HTTP API, uploads, and each job's event-sourced history. */
export const ingest = defineService({
  name: 'ingest',
  description:
    "Accepts contact books (CSV in the request body or by presigned upload) and single contacts (matched as one-row jobs, answered synchronously within a deadline, or sent by a CRM as signed webhooks), records each job's history, publishes its progress (job.progressed.v1) and answers for its jobs, status, history, result and result rows.",
  buckets: {
    uploads: {
      description: 'Bucket of job inputs (read by reference by the chunker and the matcher).',
      expireAfterDays: 'retentionDays',
      // The web page PUTs inputs straight to presigned URLs.
      browserUploads: {
        originParam: 'webOrigin',
        defaultOrigin: '*',
        description:
          "the web page's origin, allowed to PUT to presigned upload URLs (CORS); '*' allows any (the presigned URL is the credential either way)",
      },
    },
  },
  tables: {
    jobs: {
      description: 'Job histories, summaries and idempotency keys; webhook sources and the webhook ids seen.',
      // Webhook ids seen carry expiresAt (7 days on); so do job histories, erasure records and retention items (the
      // retention period on). Job summaries and idempotency keys have none: a job's erasure deletes them.
      timeToLiveAttribute: 'expiresAt',
    },
  },
  reads: {
    // GET /jobs/{id}/result presigns downloads of results; POST /contacts/match reads its one-row result itself. The
    // merger depends (through labeler and matcher) on this service's uploads bucket, so the deployment cannot pass
    // the results bucket's name here (a cycle): it is the merger's by convention.
    results: { description: "the merger's result files", ownedBy: { service: 'merger', bucket: 'results' } },
  },
  settings: {
    apiTokens: apiTokensSetting,
    retentionDays: retentionDaysSetting,
    // Seals the webhook sources' signing secrets in the jobs table.
    keyEncryptionKey: keyEncryptionKeySetting,
    uploadUrlTtlSeconds: setting(z.coerce.number().int().min(60).max(604_800), { description: 'lifetime of presigned upload URLs', default: 3600 }),
    resultUrlTtlSeconds: setting(z.coerce.number().int().min(60).max(604_800), { description: 'lifetime of presigned result URLs', default: 900 }),
    contactMatchDeadlineMs: setting(
      z.coerce
        .number()
        .int()
        .min(1)
        .max(
          MAX_CONTACT_MATCH_DEADLINE_MS,
          `at most ${MAX_CONTACT_MATCH_DEADLINE_MS} ms: the API function times out after ${INGEST_HTTP_TIMEOUT_SECONDS} s ` +
            `and needs ${CONTACT_MATCH_HEADROOM_MS} ms besides the wait`,
        ),
      { description: 'how long POST /contacts/match waits for its one-row job before answering 202', default: 10_000 },
    ),
    stuckJobMinutes: setting(z.coerce.number().int().min(1).max(10_080), {
      description:
        'how long a job in the pipeline may go without any progress in its history before the sweep schedule fails it, naming what it was waiting for',
      default: 120,
    }),
    // Up to S3's largest object (5 TiB); above 5 GiB (one PUT's limit) only as a multipart upload.
    maxUploadBytes: setting(z.coerce.number().int().min(1).max(MAX_OBJECT_BYTES), {
      description:
        'the largest input file: POST /jobs asks for its size (sizeBytes) and the presigned upload URL (or each part URL) is signed for exactly that many bytes, so storage refuses any other body',
      default: 209_715_200,
    }),
    minUploadPartBytes: setting(z.coerce.number().int().min(1).max(MULTIPART_MAX_PART_BYTES), {
      description:
        'the part size of multipart uploads (POST /jobs with {"upload": "multipart"}) unless the file needs larger parts to fit in 10,000; S3 refuses parts under 5 MiB but the last, so lower only for the local mode',
      default: MULTIPART_MIN_PART_BYTES,
    }),
    // The largest chunk the matcher finishes within its timeout at the providers' rate (the matcher's sizing of its
    // provider chain, docs/deploy.md); the chunker declares the same setting. 100,000: the chunk size's own ceiling.
    maxChunkRows: setting(z.coerce.number().int().min(1).max(100_000), {
      description:
        "the largest chunkRows a job may ask for: the rows one matcher invocation looks up within its timeout at the providers' rate; a job asking more is refused with 400",
      default: 100_000,
    }),
    maxJobsInFlight: setting(z.coerce.number().int().min(1).max(10_000), {
      description: "a tenant's jobs created and not yet completed or failed; one more is refused with 429 and Retry-After",
      default: 10,
    }),
    maxJobsPerMinute: setting(z.coerce.number().int().min(1).max(100_000), {
      description:
        'jobs a tenant may create per clock minute (POST /jobs, POST /contacts/match, CRM webhooks); more are refused with 429 and Retry-After',
      default: 30,
    }),
    maxWebhookSources: setting(z.coerce.number().int().min(1).max(1_000), {
      description: "a tenant's CRM webhook sources (POST /webhook-sources); one more is refused with 409",
      default: 20,
    }),
    uploadExpiryMinutes: setting(z.coerce.number().int().min(1).max(43_200), {
      description:
        'how long a job waits for its presigned upload before the sweep schedule fails it (its upload never arrived); at least the upload URL lifetime',
      default: 1_440,
    }),
    progressIntervalMs: setting(z.coerce.number().int().min(0).max(MAX_PROGRESS_INTERVAL_MS), {
      description: 'the shortest time between two job.progressed.v1 of one job (the latest state is always published)',
      default: 250,
    }),
    // The CSV limits (libs/csv CsvLimits): ingest refuses a header over them, inline (400) or uploaded (the job fails).
    // The chunker and the matcher declare the same settings; give them the same values.
    maxRowBytes: setting(
      z.coerce
        .number()
        .int()
        .min(1024)
        .max(64 * 1024 * 1024),
      {
        description: 'the most bytes one CSV record may take, the header included (a data row over it is an invalid row)',
        default: DEFAULT_CSV_LIMITS.maxRowBytes,
      },
    ),
    maxColumns: setting(z.coerce.number().int().min(2).max(100_000), {
      description: 'the most columns a CSV header may name; a file with more is refused',
      default: DEFAULT_CSV_LIMITS.maxColumns,
    }),
  },
  subscriptions: {
    uploads: {
      description: 'An upload landed in the uploads bucket (S3 Object Created via EventBridge): check it and submit the job.',
      objectCreated: { bucket: 'uploads', keyPrefix: 'tenants/', jobOf: parseInputKey },
      queue: { visibilityTimeoutSeconds: 180, maxReceiveCount: 5, batchSize: 10 },
      function: { timeoutSeconds: 30, memorySizeMb: 512 },
    },
    history: {
      description:
        "Job events from the other services, appended to each job's history (the source of truth of its status); mailchimp-sync's jobs arrive here from their job.created.v1 on.",
      events: [jobCreatedV1, jobSubmittedV1, jobPlannedV1, chunkLabeledV1, jobCompletedV1, jobFailedV1, stageFailedV1],
      // Not ingest itself: it records its own events as it publishes them. `operator`: `refinery jobs fail`.
      from: ['chunker', 'labeler', 'merger', 'matcher', 'notifier', 'mailchimp-sync', 'operator'],
      queue: { visibilityTimeoutSeconds: 180, maxReceiveCount: 5, batchSize: 10 },
      function: { timeoutSeconds: 30, memorySizeMb: 512 },
    },
    erasure: {
      description:
        "A job's data is to be erased (job-erasure.requested.v1, ingest's own): delete its upload, history, summary and Idempotency-Key, then answer job-data.erased.v1.",
      events: [jobErasureRequestedV1],
      // Erasing never fails a job (its owner asked for it to go, or it expired): retried, then dead-lettered for an operator.
      reportsStageFailures: false,
      redriveNote: "erases what is left of the job's data and answers job-data.erased.v1",
      queue: { visibilityTimeoutSeconds: 5400, maxReceiveCount: 5, batchSize: 1 },
      function: { timeoutSeconds: 900, memorySizeMb: 512 },
    },
    erasures: {
      description: "Each service's answer to an erasure (job-data.erased.v1): recorded; the last one completes it (job-erasure.completed.v1).",
      events: [jobDataErasedV1],
      from: [...JOB_DATA_HOLDERS],
      reportsStageFailures: false,
      redriveNote: "records the service's part of the erasure as done",
      queue: { visibilityTimeoutSeconds: 180, maxReceiveCount: 5, batchSize: 10 },
      function: { timeoutSeconds: 30, memorySizeMb: 256 },
    },
  },
  schedules: {
    sweep: {
      description:
        'Fails the jobs in the pipeline whose history has not grown for stuckJobMinutes (stage.failed.v1), naming what each was waiting for.',
      everyMinutes: 5,
      function: { timeoutSeconds: 120, memorySizeMb: 512 },
    },
    retention: {
      description: 'Requests the erasure (job-erasure.requested.v1) of every job created more than retentionDays ago.',
      everyMinutes: 60,
      function: { timeoutSeconds: 300, memorySizeMb: 512 },
    },
  },
  http: {
    routes: [
      'DELETE /jobs/{id}',
      'GET /jobs/{id}/erasure',
      'POST /jobs',
      'GET /jobs',
      'GET /jobs/{id}',
      'GET /jobs/{id}/events',
      'GET /jobs/{id}/upload/part-urls',
      'GET /jobs/{id}/upload/parts',
      'POST /jobs/{id}/upload/complete',
      'GET /jobs/{id}/result',
      'GET /jobs/{id}/rows',
      'GET /jobs/{id}/review',
      'POST /jobs/{id}/review/{row}',
      'POST /column-mappings/preview',
      'POST /contacts/match',
      'POST /webhook-sources',
      'GET /webhook-sources',
      'DELETE /webhook-sources/{source}',
      // CRMs call it without a bearer token: it checks the Standard Webhooks signature instead.
      'POST /webhooks/{source}',
    ],
    function: { timeoutSeconds: INGEST_HTTP_TIMEOUT_SECONDS, memorySizeMb: 1024 },
  },
});
