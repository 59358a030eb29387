import { jobCompletedV1, jobErasureRequestedV1, mailchimpImportRequestedV1, mailchimpPageRequestedV1 } from '@refinery/events';
import { apiTokensSetting, defineService, keyEncryptionKeySetting, retentionDaysSetting, setting } from '@refinery/runtime';
import { z } from 'zod';

/** mailchimp-sync: audiences imported page by page under Mailchimp's per-key connection limit, results written back. */
export const mailchimpSync = defineService({
  name: 'mailchimp-sync',
  description:
    "Imports Mailchimp audiences page by page under Mailchimp's 10-connections-per-key limit (shared by every job, tenant and instance), writes results back, and turns audience webhooks into jobs.",
  buckets: {
    imports: {
      description: 'Bucket of audience files and single-contact webhook files (chunker and matcher read them).',
      expireAfterDays: 'retentionDays',
    },
  },
  tables: {
    state: { description: 'Imports, pages done, webhook registrations, duplicate markers and the encrypted API keys.' },
    limits: { description: "Leases of Mailchimp's connections per API key, shared by every container." },
  },
  reads: {
    results: { description: "the merger's result files, for the write-back", ownedBy: { service: 'merger', bucket: 'results' } },
  },
  settings: {
    apiTokens: apiTokensSetting,
    keyEncryptionKey: keyEncryptionKeySetting,
    mailchimpBaseUrl: setting(z.url().or(z.literal('')), {
      description: "overrides the data-centre URL of each key (a proxy); '' for Mailchimp itself",
      default: '',
    }),
    retentionDays: retentionDaysSetting,
    mailchimpMaxConnections: setting(z.coerce.number().int().min(1).max(10), {
      description: 'concurrent requests per API key across every job, tenant and container (Mailchimp allows 10)',
      default: 10,
    }),
  },
  subscriptions: {
    imports: {
      description: 'An audience import was accepted (mailchimp-import.requested.v1): count the audience and plan its page ranges.',
      events: [mailchimpImportRequestedV1],
      queue: { visibilityTimeoutSeconds: 540, maxReceiveCount: 5, batchSize: 1 },
      function: { timeoutSeconds: 90, memorySizeMb: 512 },
    },
    pages: {
      description: 'One page range to fetch (mailchimp-page.requested.v1); the last page assembles the audience CSV and submits the job.',
      events: [mailchimpPageRequestedV1],
      queue: { visibilityTimeoutSeconds: 5400, maxReceiveCount: 8, batchSize: 1 },
      function: { timeoutSeconds: 900, memorySizeMb: 1024 },
    },
    writeback: {
      description:
        'A job completed (job.completed.v1): if it is an import with writeBack, write the results back to Mailchimp in batch operations, one at a time.',
      events: [jobCompletedV1],
      queue: { visibilityTimeoutSeconds: 5400, maxReceiveCount: 5, batchSize: 1 },
      function: { timeoutSeconds: 900, memorySizeMb: 1024 },
    },
    erasure: {
      description:
        "A job's data is to be erased (job-erasure.requested.v1): delete its audience pages and file, webhook contact file and write-back report, and its import's state, then answer job-data.erased.v1.",
      events: [jobErasureRequestedV1],
      // Erasing never fails a job (its owner asked for it to go, or it expired): retried, then dead-lettered for an operator.
      reportsStageFailures: false,
      redriveNote: "erases what is left of the job's data and answers job-data.erased.v1",
      queue: { visibilityTimeoutSeconds: 5400, maxReceiveCount: 5, batchSize: 1 },
      function: { timeoutSeconds: 900, memorySizeMb: 512 },
    },
  },
  http: {
    routes: [
      'POST /integrations/mailchimp/imports',
      'POST /integrations/mailchimp/webhooks',
      'GET /webhooks/mailchimp/{secret}',
      'POST /webhooks/mailchimp/{secret}',
    ],
    function: { timeoutSeconds: 10, memorySizeMb: 512 },
  },
});
