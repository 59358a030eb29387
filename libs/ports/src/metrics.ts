/**
 * What the system counts, one catalogue for every platform: on AWS each figure is a CloudWatch metric in the
 * `ContactRefinery` namespace (embedded metric format, through Powertools for AWS Lambda), locally the same figure is a
 * Prometheus series at `refinery dev`'s `/metrics`. Every figure carries the service that recorded it and the stage
 * it runs on (the adapters add both); the dimensions below are the only others allowed, and each takes a handful of
 * values. Job and tenant ids are never dimensions (they would make a metric per job): tenant-level figures go to logs.
 */
export const METRICS = {
  /**
   * Rows labeled, by outcome (`status`: matched, unmatched, invalid, review) and how they matched (`method`: exact,
   * fuzzy, nickname, or none).
   */
  rowsProcessed: { unit: 'Count', dimensions: ['status', 'method'] },
  /** Chunks a stage finished (`stage`: matcher, labeler, merger). */
  chunksProcessed: { unit: 'Count', dimensions: ['stage'] },
  /** How long a stage worked on one chunk. */
  stageDuration: { unit: 'Milliseconds', dimensions: ['stage'] },
  /** Jobs that ended, by `outcome` (completed, failed). */
  jobsEnded: { unit: 'Count', dimensions: ['outcome'] },
  /** A job's time from creation to its end. */
  jobDuration: { unit: 'Seconds', dimensions: ['outcome'] },
  /** A job's rows, when it ends. */
  jobRows: { unit: 'Count', dimensions: ['outcome'] },
  /**
   * Calls to a data provider (each HTTP attempt), by `outcome`: ok (an answer, a refusal included), error (5xx or a
   * network failure), timeout, throttled (429).
   */
  providerCalls: { unit: 'Count', dimensions: ['provider', 'outcome'] },
  /** A provider call's latency. */
  providerLatency: { unit: 'Milliseconds', dimensions: ['provider'] },
  /**
   * Time spent waiting for a rate limiter before a call (`limiter`: mailchimp — the connections per API key; provider —
   * a data provider's rate and concurrency; webhook — a webhook subscription's deliveries in flight).
   */
  limiterWait: { unit: 'Milliseconds', dimensions: ['limiter'] },
  /**
   * Webhook delivery attempts, by `outcome` (delivered; failed: the receiver answered an error or none; skipped: not
   * attempted, its circuit open or its deliveries in flight at their limit). A delivery the queue gave up on is a
   * dead-lettered message of the notifier.
   */
  webhookDeliveries: { unit: 'Count', dimensions: ['outcome'] },
  /** Messages that reached a dead-letter queue and were reported. */
  deadLettered: { unit: 'Count', dimensions: [] },
  /** Jobs the stuck-job sweep found still running without progress. */
  stuckJobs: { unit: 'Count', dimensions: [] },
} as const satisfies Record<string, { readonly unit: MetricUnit; readonly dimensions: readonly MetricDimension[] }>;

export type MetricUnit = 'Count' | 'Milliseconds' | 'Seconds';
export type MetricDimension = 'status' | 'method' | 'stage' | 'outcome' | 'provider' | 'limiter';
export type MetricName = keyof typeof METRICS;

/** The dimensions a metric takes, each a short value from a small set (never an id). */
export type DimensionsOf<N extends MetricName> = { readonly [K in (typeof METRICS)[N]['dimensions'][number]]: string };

/** The namespace of every metric on AWS. */
export const METRIC_NAMESPACE = 'ContactRefinery';

export interface Metrics {
  /** Records one value of a metric (a count to add, or one observation of a duration). */
  record<N extends MetricName>(name: N, value: number, dimensions: DimensionsOf<N>): void;
}

/** Records nothing: for tests and tools that do not observe. */
export const noMetrics: Metrics = { record: () => undefined };
