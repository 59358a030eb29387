// Names of each service's own resources on the local mode (on AWS they come from each service's serverless.yml).
export const LOCAL_RESOURCES = {
  ingest: { uploadsBucket: 'ingest-uploads', jobsTable: 'ingest-jobs' },
  chunker: { plansTable: 'chunker-plans' },
  matcher: { chunksBucket: 'matcher-chunks', nicknamesTable: 'matcher-nicknames' },
  labeler: { chunksBucket: 'labeler-chunks' },
  merger: { resultsBucket: 'merger-results', ledgerTable: 'merger-ledger' },
  notifier: { subscriptionsTable: 'notifier-subscriptions' },
  mailchimpSync: { importsBucket: 'mailchimp-sync-imports', syncTable: 'mailchimp-sync-state', limitsTable: 'mailchimp-sync-limits' },
} as const;
