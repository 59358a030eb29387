import type { LocalRuntime } from '@refinery/local-runtime';
import type { Metrics } from '@refinery/ports';
import { type CircuitObserver, CircuitRecorder } from '@refinery/providers';
import type { Logger } from '@refinery/runtime';

// Where the matcher's provider circuits are recorded (libs/providers circuit-record.ts) and `refinery status` reads
// them: the matcher's providerLimits table, beside the providers' shared rate schedules.

/**
 * The matcher's providerLimits table in a data dir, by the name the local runtime gives it (localResourceName: spelt
 * out so that `refinery status` need not load the local runtime to know it; a test holds the two equal).
 */
export const LOCAL_PROVIDER_LIMITS_TABLE = 'matcher-provider-limits';

/** The same table of a deployed stage, by the name the generated configuration gives it (libs/serverless-config). */
export function stageProviderLimitsTable(stage: string): string {
  return `refinery-matcher-${stage}-provider-limits`;
}

/** What the local mode gives the provider chain it builds: where its calls are counted and its circuits recorded. */
export interface ProviderChainDeps {
  readonly metrics: Metrics;
  readonly circuitObserver: CircuitObserver;
}

/**
 * The provider chain's dependencies in a process (or worker thread) of the local mode: the matcher's metrics, and a
 * recorder writing each circuit transition to the data dir's SQLite through this runtime's own connection, where a
 * separate `refinery status --data-dir` reads it while `refinery dev` runs.
 */
export function localProviderChainDeps(runtime: LocalRuntime, logger: Logger): ProviderChainDeps {
  return {
    metrics: runtime.metrics.forService('matcher'),
    circuitObserver: new CircuitRecorder({ table: runtime.table(LOCAL_PROVIDER_LIMITS_TABLE), logger }).observe,
  };
}
