import { type DimensionsOf, METRICS, type MetricName, type Metrics, type MetricUnit } from '@refinery/ports';

/**
 * The local mode's metrics: what the services record through their context's `metrics` (the same catalogue as
 * CloudWatch's on AWS, libs/ports/src/metrics.ts), kept in memory since `refinery dev` started and rendered in the
 * Prometheus text exposition format (version 0.0.4) at `/metrics`. Count metrics are counters
 * (`refinery_<name>_total`), durations are histograms (`refinery_<name>_milliseconds` or `_seconds`, by unit); the
 * labels are the metric's dimensions and the `service` that recorded it. Gauges (queue depths, running jobs) are read
 * when scraped, from whoever registered them.
 */

/** What each figure means, for the HELP lines: every catalogue entry has one, so a new metric cannot go unexplained. */
const HELP: Readonly<Record<MetricName, string>> = {
  rowsProcessed: 'Rows labeled, by outcome (status) and how they matched (method).',
  chunksProcessed: 'Chunks a stage finished.',
  stageDuration: 'How long a stage worked on one chunk.',
  jobsEnded: 'Jobs that ended, by outcome.',
  jobDuration: "A job's time from creation to its end.",
  jobRows: 'Rows of the jobs that ended (the sum over jobs).',
  providerCalls: 'Calls to a data provider, by outcome.',
  providerLatency: "A provider call's latency.",
  limiterWait: 'Time spent waiting for a rate limiter before a call.',
  webhookDeliveries: 'Webhook delivery attempts, by outcome.',
  deadLettered: 'Messages that reached a dead-letter queue and were reported.',
  stuckJobs: 'Jobs the stuck-job sweep found still running without progress.',
};

/**
 * Upper bounds of the histograms' buckets. Milliseconds: a provider call or a limiter wait takes a few ms to seconds, a
 * stage's chunk up to its function's timeout (15 minutes at most). Seconds: a job takes seconds to a few hours.
 */
const BUCKETS: Readonly<Record<Exclude<MetricUnit, 'Count'>, readonly number[]>> = {
  Milliseconds: [5, 10, 25, 50, 100, 250, 500, 1_000, 2_500, 5_000, 10_000, 30_000, 60_000, 300_000, 900_000],
  Seconds: [1, 5, 10, 30, 60, 120, 300, 600, 1_800, 3_600, 7_200, 21_600],
};

/** One gauge series read at scrape time. */
export interface GaugeSample {
  readonly labels: Readonly<Record<string, string>>;
  readonly value: number;
}

/** A gauge: its full name (`refinery_…`), what it means, and how to read its series now. */
export interface GaugeSource {
  readonly name: string;
  readonly help: string;
  readonly read: () => readonly GaugeSample[] | Promise<readonly GaugeSample[]>;
}

/** A record on its way from a worker thread's registry to the main thread's. */
export interface ForwardedRecord {
  readonly service: string;
  readonly name: MetricName;
  readonly value: number;
  readonly dimensions: Readonly<Record<string, string>>;
}

interface Counter {
  readonly labels: Readonly<Record<string, string>>;
  value: number;
}

interface Histogram {
  readonly labels: Readonly<Record<string, string>>;
  /** Observations at or below each bucket's bound (not cumulative: made cumulative when rendered). */
  readonly buckets: number[];
  count: number;
  sum: number;
}

export class LocalMetrics {
  private readonly counters = new Map<MetricName, Map<string, Counter>>();
  private readonly histograms = new Map<MetricName, Map<string, Histogram>>();
  private readonly gauges: GaugeSource[] = [];
  /** Set in a worker thread: its records go to the main thread's registry, which `/metrics` renders. */
  private forward: ((record: ForwardedRecord) => void) | undefined;

  /** What one service records: its figures labeled with its name. */
  forService(service: string): Metrics {
    return { record: (name, value, dimensions) => this.record(service, name, value, dimensions) };
  }

  /** Records one value of a metric for a service: a count to add, or one observation of a duration. */
  record<N extends MetricName>(service: string, name: N, value: number, dimensions: DimensionsOf<N>): void {
    // A figure that is not a number would make the whole page unreadable to a scraper: dropped, not thrown, since
    // counting must never fail the work it counts.
    if (!Number.isFinite(value)) return;
    if (this.forward) {
      this.forward({ service, name, value, dimensions: dimensions as Readonly<Record<string, string>> });
      return;
    }
    const definition = METRICS[name];
    const given = dimensions as Readonly<Record<string, string>>;
    const labels: Record<string, string> = { service };
    for (const dimension of definition.dimensions) labels[dimension] = given[dimension] ?? '';
    const key = JSON.stringify(labels);
    if (definition.unit === 'Count') {
      const series = mapOf(this.counters, name);
      const counter = series.get(key) ?? { labels, value: 0 };
      counter.value += value;
      series.set(key, counter);
      return;
    }
    const bounds = BUCKETS[definition.unit];
    const series = mapOf(this.histograms, name);
    const histogram = series.get(key) ?? { labels, buckets: bounds.map(() => 0), count: 0, sum: 0 };
    const bucket = bounds.findIndex((bound) => value <= bound);
    if (bucket >= 0) histogram.buckets[bucket] = (histogram.buckets[bucket] as number) + 1;
    histogram.count += 1;
    histogram.sum += value;
    series.set(key, histogram);
  }

  /** Sends every record to `sink` instead of keeping it (a worker thread's registry, to the main thread's). */
  forwardTo(sink: (record: ForwardedRecord) => void): void {
    this.forward = sink;
  }

  /** Keeps a record another registry forwarded (structured-cloneable, from a worker thread). */
  recordForwarded(record: ForwardedRecord): void {
    if (!(record.name in METRICS)) return;
    this.record(record.service, record.name, record.value, record.dimensions as DimensionsOf<MetricName>);
  }

  /** Adds gauges read at every scrape (a name may be given once). */
  addGauge(source: GaugeSource): void {
    if (!/^[a-zA-Z_:][a-zA-Z0-9_:]*$/.test(source.name)) throw new Error(`gauge name "${source.name}" is not a Prometheus metric name`);
    if (this.gauges.some((gauge) => gauge.name === source.name)) throw new Error(`gauge ${source.name} is already registered`);
    this.gauges.push(source);
  }

  /** Every metric in the Prometheus text exposition format (version 0.0.4). */
  async render(): Promise<string> {
    const lines: string[] = [];
    for (const name of Object.keys(METRICS) as MetricName[]) {
      const definition = METRICS[name];
      if (definition.unit === 'Count') {
        const metric = `${prometheusName(name)}_total`;
        lines.push(`# HELP ${metric} ${escapeHelp(HELP[name])}`, `# TYPE ${metric} counter`);
        for (const counter of this.counters.get(name)?.values() ?? []) lines.push(`${metric}${labelSet(counter.labels)} ${number(counter.value)}`);
        continue;
      }
      const metric = `${prometheusName(name)}_${definition.unit.toLowerCase()}`;
      const bounds = BUCKETS[definition.unit];
      lines.push(`# HELP ${metric} ${escapeHelp(HELP[name])}`, `# TYPE ${metric} histogram`);
      for (const histogram of this.histograms.get(name)?.values() ?? []) {
        let cumulative = 0;
        bounds.forEach((bound, index) => {
          cumulative += histogram.buckets[index] as number;
          lines.push(`${metric}_bucket${labelSet({ ...histogram.labels, le: number(bound) })} ${cumulative}`);
        });
        lines.push(`${metric}_bucket${labelSet({ ...histogram.labels, le: '+Inf' })} ${histogram.count}`);
        lines.push(`${metric}_sum${labelSet(histogram.labels)} ${number(histogram.sum)}`);
        lines.push(`${metric}_count${labelSet(histogram.labels)} ${histogram.count}`);
      }
    }
    for (const gauge of this.gauges) {
      const samples = await gauge.read();
      lines.push(`# HELP ${gauge.name} ${escapeHelp(gauge.help)}`, `# TYPE ${gauge.name} gauge`);
      for (const sample of samples) lines.push(`${gauge.name}${labelSet(sample.labels)} ${number(sample.value)}`);
    }
    return `${lines.join('\n')}\n`;
  }
}

/** The content type of the text exposition format. */
export const PROMETHEUS_CONTENT_TYPE = 'text/plain; version=0.0.4; charset=utf-8';

/** `rowsProcessed` → `refinery_rows_processed`. */
export function prometheusName(name: MetricName): string {
  return `refinery_${name.replace(/([a-z0-9])([A-Z])/g, '$1_$2').toLowerCase()}`;
}

function mapOf<V>(maps: Map<MetricName, Map<string, V>>, name: MetricName): Map<string, V> {
  let series = maps.get(name);
  if (!series) {
    series = new Map();
    maps.set(name, series);
  }
  return series;
}

function labelSet(labels: Readonly<Record<string, string>>): string {
  const pairs = Object.entries(labels).map(([label, value]) => `${label}="${escapeLabelValue(value)}"`);
  return pairs.length === 0 ? '' : `{${pairs.join(',')}}`;
}

/** Label values escape backslash, double quote and line feed (the format's rule). */
function escapeLabelValue(value: string): string {
  return value.replace(/\\/g, '\\\\').replace(/"/g, '\\"').replace(/\n/g, '\\n');
}

/** HELP text escapes backslash and line feed. */
function escapeHelp(text: string): string {
  return text.replace(/\\/g, '\\\\').replace(/\n/g, '\\n');
}

function number(value: number): string {
  if (value === Number.POSITIVE_INFINITY) return '+Inf';
  if (value === Number.NEGATIVE_INFINITY) return '-Inf';
  return String(value);
}
