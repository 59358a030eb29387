import { Metrics as PowertoolsMetrics } from '@aws-lambda-powertools/metrics';
import { type DimensionsOf, METRIC_NAMESPACE, METRICS, type MetricName, type Metrics } from '@refinery/ports';
import type { Logger } from '@refinery/runtime';

/** The metrics of one function, printed as CloudWatch embedded metric format (EMF) when an invocation ends. */
export interface FunctionMetrics extends Metrics {
  /** Prints what was recorded since the last flush (one EMF line per dimension set) and forgets it. */
  flush(): void;
  /** Counts this container's cold start (`ColdStart`, with the function's name), once per container. */
  captureColdStart(functionName: string | undefined): void;
}

export interface EmfMetricsOptions {
  /** The `service` dimension: the service's name. */
  readonly service: string;
  /** The `stage` dimension: the deployed stage (STAGE). */
  readonly stage: string;
  /** Told, once per dimension, when a value looks like an id and is replaced. */
  readonly logger?: Logger;
}

/**
 * Catalogue dimensions renamed in EMF because their name is taken by a dimension every figure carries: the catalogue's
 * `stage` is the pipeline's (matcher, labeler, merger), while on AWS `stage` is the deployed stage (dev, prod), which
 * alarms and dashboards filter on. CloudWatch would otherwise keep one of the two values.
 */
export const EMF_DIMENSION_NAMES: Readonly<Record<string, string>> = { stage: 'pipelineStage' };

/** A value longer than this, or shaped like our ids (`job_<ULID>`) or a UUID, is an id, not a dimension value. */
const MAX_DIMENSION_VALUE_LENGTH = 48;
const ID_SHAPED = /^([a-z]+_)?[0-9A-HJKMNP-TV-Z]{26}$|^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
/** What an id-shaped dimension value is replaced with, so the figure is kept and the metric count stays bounded. */
export const REPLACED_DIMENSION_VALUE = 'other';

/**
 * The Metrics port on Lambda, through Powertools for AWS Lambda's Metrics: every figure goes to the `ContactRefinery`
 * namespace with the dimensions `service` and `stage` (the deployed one) plus the metric's own from the catalogue
 * (the pipeline's `stage` as `pipelineStage`). An EMF object has one
 * set of dimension values, so figures are grouped by theirs (one Powertools instance per set, a handful per function)
 * and each group prints its own line on flush. One per container; the entry points flush it at the end of every
 * invocation, the failed ones included. CloudWatch Logs turns the lines into metrics: no API call, no IAM.
 */
export class EmfMetrics implements FunctionMetrics {
  private readonly groups = new Map<string, PowertoolsMetrics>();
  private readonly base: PowertoolsMetrics;
  private readonly warned = new Set<string>();

  constructor(private readonly options: EmfMetricsOptions) {
    this.base = this.powertools({});
  }

  record<N extends MetricName>(name: N, value: number, dimensions: DimensionsOf<N>): void {
    const allowed: readonly string[] = METRICS[name].dimensions;
    const own: Record<string, string> = {};
    for (const key of allowed) own[EMF_DIMENSION_NAMES[key] ?? key] = this.dimensionValue(name, key, (dimensions as Record<string, string>)[key]);
    const groupKey = JSON.stringify(own);
    let group = this.groups.get(groupKey);
    if (!group) {
      group = this.powertools(own);
      this.groups.set(groupKey, group);
    }
    group.addMetric(name, METRICS[name].unit, value);
  }

  flush(): void {
    for (const group of this.groups.values()) if (group.hasStoredMetrics()) group.publishStoredMetrics();
  }

  captureColdStart(functionName: string | undefined): void {
    this.base.captureColdStartMetric(functionName);
  }

  private powertools(dimensions: Record<string, string>): PowertoolsMetrics {
    return new PowertoolsMetrics({
      namespace: METRIC_NAMESPACE,
      serviceName: this.options.service,
      defaultDimensions: { stage: this.options.stage, ...dimensions },
    });
  }

  /** A dimension takes a few short values; an id (or nothing) there would make one metric per job, so it is replaced. */
  private dimensionValue(metric: MetricName, dimension: string, value: string | undefined): string {
    if (value && value.length <= MAX_DIMENSION_VALUE_LENGTH && !ID_SHAPED.test(value)) return value;
    if (!this.warned.has(`${metric}.${dimension}`)) {
      this.warned.add(`${metric}.${dimension}`);
      this.options.logger?.warn(
        { metric, dimension, value: value?.slice(0, 80) },
        `metric ${metric}: dimension ${dimension} takes short values from a small set, never an id or nothing; recorded as '${REPLACED_DIMENSION_VALUE}'`,
      );
    }
    return REPLACED_DIMENSION_VALUE;
  }
}

/**
 * Runs one invocation and flushes the metrics it recorded, whether it succeeds or throws: Lambda may freeze the
 * container right after, and what is not printed by then is lost (or lands in a later invocation's figures).
 */
export async function flushingMetrics<T>(metrics: FunctionMetrics, functionName: string | undefined, run: () => Promise<T>): Promise<T> {
  metrics.captureColdStart(functionName);
  try {
    return await run();
  } finally {
    metrics.flush();
  }
}
