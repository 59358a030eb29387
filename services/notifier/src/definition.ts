import { jobCompletedV1, jobErasureRequestedV1, jobFailedV1, jobProgressedV1 } from '@refinery/events';
import { apiTokensSetting, defineService, keyEncryptionKeySetting, retentionDaysSetting, setting } from '@refinery/runtime';
import { z } from 'zod';

/** The notifier: signed webhooks to each tenant's subscriptions, and live job progress over a WebSocket API. */
export const notifier = defineService({
  name: 'notifier',
  description:
    "Tells users about their jobs: signed webhooks (Standard Webhooks) to each tenant's subscriptions, retried with backoff, every attempt recorded, a slow or failing receiver isolated by short timeouts, a circuit and a concurrency limit per subscription; and live job progress over a WebSocket API.",
  tables: {
    subscriptions: {
      description: 'Webhook subscriptions, deliveries and attempts; open WebSocket connections and the latest view of each job.',
      // WebSocket connections carry expiresAt (API Gateway closes them after 2 hours); delivery markers and attempts
      // too (retentionDays after they were written).
      timeToLiveAttribute: 'expiresAt',
    },
  },
  settings: {
    apiTokens: apiTokensSetting,
    // Seals the subscriptions' signing secrets in the subscriptions table.
    keyEncryptionKey: keyEncryptionKeySetting,
    retentionDays: retentionDaysSetting,
    webhookConnectTimeoutMs: setting(z.coerce.number().int().min(100).max(30_000), {
      description: 'how long connecting to a webhook receiver (TCP, and TLS for https) may take',
      default: 3_000,
    }),
    webhookTimeoutMs: setting(z.coerce.number().int().min(100).max(30_000), {
      description: 'how long one delivery attempt may take in all, from connecting to the end of the answer',
      default: 5_000,
    }),
    webhookConcurrencyPerSubscription: setting(z.coerce.number().int().min(1).max(10), {
      description: 'deliveries in flight to one subscription at once, across all invocations; more wait up to a second, then the queue retries them',
      default: 1,
    }),
    webhookCircuitFailures: setting(z.coerce.number().int().min(1).max(100), {
      description: "consecutive failed attempts that open a subscription's circuit (its deliveries are skipped and retried later)",
      default: 5,
    }),
    webhookCircuitCooldownMs: setting(z.coerce.number().int().min(1_000).max(3_600_000), {
      description: "how long an open circuit skips a subscription's deliveries before one is tried again",
      default: 60_000,
    }),
    maxSubscriptions: setting(z.coerce.number().int().min(1).max(1_000), {
      description: "a tenant's webhook subscriptions (POST /subscriptions); one more is refused with 409",
      default: 20,
    }),
  },
  subscriptions: {
    jobs: {
      description: "A job completed or failed (job.completed.v1, job.failed.v1): deliver it to the tenant's webhook subscriptions.",
      events: [jobCompletedV1, jobFailedV1],
      queue: { visibilityTimeoutSeconds: 600, maxReceiveCount: 8, batchSize: 5 },
      function: { timeoutSeconds: 90, memorySizeMb: 512 },
    },
    progress: {
      description: "A job's progress (job.progressed.v1): keep its latest view and push it to the tenant's open WebSocket connections.",
      events: [jobProgressedV1],
      // Live updates: a later snapshot supersedes a lost one, and a notifier hiccup must never fail the user's job.
      reportsStageFailures: false,
      redriveNote: 'live updates only; later snapshots supersede them',
      queue: { visibilityTimeoutSeconds: 180, maxReceiveCount: 5, batchSize: 10 },
      function: { timeoutSeconds: 30, memorySizeMb: 512 },
    },
    erasure: {
      description:
        "A job's data is to be erased (job-erasure.requested.v1): delete the job's webhook delivery records and attempts, and its latest view, then answer job-data.erased.v1.",
      events: [jobErasureRequestedV1],
      // Erasing never fails a job (its owner asked for it to go, or it expired): retried, then dead-lettered for an operator.
      reportsStageFailures: false,
      redriveNote: "erases what is left of the job's data and answers job-data.erased.v1",
      queue: { visibilityTimeoutSeconds: 540, maxReceiveCount: 5, batchSize: 1 },
      function: { timeoutSeconds: 90, memorySizeMb: 512 },
    },
  },
  http: {
    routes: ['POST /subscriptions', 'GET /subscriptions', 'DELETE /subscriptions/{id}', 'GET /subscriptions/{id}/deliveries'],
    function: { timeoutSeconds: 10, memorySizeMb: 512 },
  },
  websocket: {
    description: 'Contact Refinery live job updates (notifier)',
    routes: ['$connect', '$disconnect', '$default'],
    function: { timeoutSeconds: 10, memorySizeMb: 512 },
  },
});
