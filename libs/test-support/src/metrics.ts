import type { DimensionsOf, MetricName, Metrics } from '@refinery/ports';
import parsePrometheusTextFormat from 'parse-prometheus-text-format';

/** One value a service recorded. */
export interface RecordedMetric {
  readonly name: MetricName;
  readonly value: number;
  readonly dimensions: Readonly<Record<string, string>>;
}

/** A Metrics that keeps what it is given, for tests that check a call site records its figure. */
export class RecordingMetrics implements Metrics {
  readonly records: RecordedMetric[] = [];

  record<N extends MetricName>(name: N, value: number, dimensions: DimensionsOf<N>): void {
    this.records.push({ name, value, dimensions: { ...(dimensions as Readonly<Record<string, string>>) } });
  }

  /** The records of one metric. */
  of(name: MetricName): RecordedMetric[] {
    return this.records.filter((record) => record.name === name);
  }

  /** The sum of a metric's values whose dimensions include `where`. */
  total(name: MetricName, where: Readonly<Record<string, string>> = {}): number {
    return this.of(name)
      .filter((record) => Object.entries(where).every(([key, value]) => record.dimensions[key] === value))
      .reduce((sum, record) => sum + record.value, 0);
  }
}

/** One series of a scraped page: its labels and value. */
export interface ScrapedSample {
  readonly labels: Readonly<Record<string, string>>;
  readonly value: number;
}

/**
 * A Prometheus text-format page, read by a real parser (parse-prometheus-text-format): `types` maps each family to its
 * declared TYPE and `samples(name)` gives every series of one sample name (`x_total`, `x_bucket`, `x_count`) with its
 * labels. The parser merges a histogram's labeled series into one (it supports unlabeled histograms only), so series
 * are read from a second parse without the TYPE lines, where every sample name is a family of its own.
 */
export function scrapePrometheus(text: string): {
  readonly types: ReadonlyMap<string, string>;
  readonly help: ReadonlyMap<string, string>;
  samples(name: string): ScrapedSample[];
} {
  const typed = parsePrometheusTextFormat(text);
  const untyped = parsePrometheusTextFormat(
    text
      .split('\n')
      .filter((line) => !line.startsWith('# TYPE '))
      .join('\n'),
  );
  return {
    types: new Map(typed.map((family) => [family.name, family.type])),
    help: new Map(typed.map((family) => [family.name, family.help])),
    // A histogram's series come one after the other (buckets, sum, count of each), so a sample name recurs as a family.
    samples: (name) =>
      untyped
        .filter((family) => family.name === name)
        .flatMap((family) => family.metrics)
        .map((sample) => ({ labels: { ...sample.labels }, value: Number(sample.value) })),
  };
}
