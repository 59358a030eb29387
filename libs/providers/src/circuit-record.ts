import { hostname } from 'node:os';
import { threadId } from 'node:worker_threads';
import { type Item, queryAll, type Table } from '@refinery/ports';
import type { CircuitState, CircuitTransition } from './circuit-breaker';

// A circuit's state lives in the memory of the process that calls the provider. So that an operator can read it from
// outside (`refinery status`), the matcher records each transition in the table its containers already share for the
// providers' rates (providerLimits: DynamoDB on AWS, the data dir's SQLite locally): one item per provider, in one
// partition so that a reader lists them all without knowing the chain. Each transition overwrites the item: the latest
// transition any process reported wins, which is what the reader says it shows.

export const CIRCUIT_PARTITION = 'provider-circuit';

/** Who wrote a record: enough to tell a running process's state from a stopped one's. */
export interface CircuitWriter {
  /** For people: `pid 4242 thread 1 on host-a`, or a Lambda container's log stream. */
  readonly description: string;
  readonly host: string;
  readonly pid: number;
}

/** A provider's latest recorded transition. */
export interface CircuitRecord {
  readonly provider: string;
  readonly state: CircuitState;
  readonly from: CircuitState;
  /** When it entered `state` (ISO 8601). */
  readonly since: string;
  readonly reason: string;
  readonly writer: CircuitWriter;
}

/** Where a log line about a failed write goes (a pino logger fits). */
export interface CircuitRecordLogger {
  warn(fields: Record<string, unknown>, message: string): void;
}

export interface CircuitRecorderOptions {
  readonly table: Table;
  /** Default: this process (thisCircuitWriter). */
  readonly writer?: CircuitWriter;
  /** Told of a write that failed; the provider call it came from goes on regardless. */
  readonly logger?: CircuitRecordLogger;
}

/**
 * This process as a record's writer: on Lambda its log stream names the container (one per execution environment);
 * elsewhere the process id, with the worker thread's id when it is not the main thread.
 */
export function thisCircuitWriter(env: Readonly<Record<string, string | undefined>> = process.env): CircuitWriter {
  const host = hostname();
  const container = env.AWS_LAMBDA_LOG_STREAM_NAME;
  const description =
    container !== undefined && container !== ''
      ? `container ${container}`
      : `pid ${process.pid}${threadId === 0 ? '' : ` thread ${threadId}`} on ${host}`;
  return { description, host, pid: process.pid };
}

/**
 * Records the transitions a CircuitBreaker reports (give `observe` as its observer). Writes happen only on transitions,
 * one at a time in the order they happened (so a quick open → half-open → closed cannot land out of order), off the
 * call's path: a failed write is logged as a warning and never reaches the provider call.
 */
export class CircuitRecorder {
  private readonly table: Table;
  private readonly writer: CircuitWriter;
  private readonly logger: CircuitRecordLogger | undefined;
  private pending: Promise<void> = Promise.resolve();

  constructor(options: CircuitRecorderOptions) {
    this.table = options.table;
    this.writer = options.writer ?? thisCircuitWriter();
    this.logger = options.logger;
  }

  readonly observe = (transition: CircuitTransition): void => {
    const item: Item = {
      pk: CIRCUIT_PARTITION,
      sk: transition.provider,
      provider: transition.provider,
      state: transition.to,
      from: transition.from,
      since: new Date(transition.at).toISOString(),
      reason: transition.reason,
      writer: this.writer.description,
      host: this.writer.host,
      pid: this.writer.pid,
    };
    this.pending = this.pending.then(async () => {
      try {
        await this.table.put(item);
      } catch (error) {
        this.logger?.warn(
          { provider: transition.provider, state: transition.to, err: error },
          `could not record that the ${transition.provider} circuit is ${transition.to} (refinery status will not show it)`,
        );
      }
    });
  };

  /** Resolves once every transition reported so far is written (or its failure logged). */
  settled(): Promise<void> {
    return this.pending;
  }
}

/** Every provider's latest recorded transition, by provider name. */
export async function readCircuitRecords(table: Table): Promise<CircuitRecord[]> {
  const records: CircuitRecord[] = [];
  for await (const item of queryAll(table, CIRCUIT_PARTITION)) {
    records.push({
      provider: String(item.provider ?? item.sk),
      state: item.state as CircuitState,
      from: item.from as CircuitState,
      since: String(item.since),
      reason: String(item.reason ?? ''),
      writer: { description: String(item.writer ?? 'unknown'), host: String(item.host ?? ''), pid: Number(item.pid ?? 0) },
    });
  }
  return records.sort((a, b) => (a.provider < b.provider ? -1 : a.provider > b.provider ? 1 : 0));
}
