// Names of each service's own resources on the local mode (on AWS they come from each service's serverless.yml).
export const LOCAL_RESOURCES = {
  ingest: { uploadsBucket: 'ingest-uploads', jobsTable: 'ingest-jobs' },
  matcher: { chunksBucket: 'matcher-chunks', nicknamesTable: 'matcher-nicknames' },
  labeler: { chunksBucket: 'labeler-chunks' },
  merger: { resultsBucket: 'merger-results', ledgerTable: 'merger-ledger' },
  notifier: { subscriptionsTable: 'notifier-subscriptions' },
} as const;
