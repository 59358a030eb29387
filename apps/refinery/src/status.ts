import { existsSync } from 'node:fs';
import { hostname } from 'node:os';
import { join } from 'node:path';
import type { StuckJob } from '@refinery/ingest';
import type { Table } from '@refinery/ports';
import { type CircuitRecord, type CircuitState, readCircuitRecords } from '@refinery/providers';
import { type DeadLetterSummary, listDeadLetters, OperatorError, openQueues, type QueueLocation, subscriptionQueues } from './dlq';
import { openStuckJobs } from './jobs';
import { LOCAL_PROVIDER_LIMITS_TABLE, stageProviderLimitsTable } from './provider-circuits';

// `refinery status`: the system's state at a glance, on a local data dir or a deployed stage — per subscription its
// queue (waiting, in flight, age of the oldest message) and dead letters, the jobs in the pipeline with their progress,
// and each provider circuit's latest recorded transition. It reads what `refinery dlq list` and `refinery jobs stuck`
// read, adds the oldest message's age (the SQLite queues' sent times locally, CloudWatch's
// ApproximateAgeOfOldestMessage on AWS, where SQS itself has no such attribute) and the circuits the matcher records in
// its providerLimits table (libs/providers circuit-record.ts), and never writes anything.

export interface QueueStatus extends DeadLetterSummary {
  /** Age of the oldest message still in the queue (waiting or in flight); 0 when empty; null when it cannot be known. */
  readonly oldestAgeMs: number | null;
  /** The same for the dead-letter queue. */
  readonly deadLetterOldestAgeMs: number | null;
}

export interface RunningJobStatus {
  readonly jobId: string;
  readonly tenantId: string;
  readonly status: string;
  readonly submittedAt: string;
  /** Since it was submitted. */
  readonly ageMs: number;
  readonly rows: { readonly done: number; readonly total: number };
  readonly chunks: { readonly done: number; readonly total: number };
  /** Since its history last grew. */
  readonly idleMs: number;
  /** Idle for the stuck period or longer: ingest's sweep fails it (or has). */
  readonly stuck: boolean;
  readonly waitingFor: string;
}

/** A provider's circuit as last recorded: the state it entered, when, why, and who recorded it. */
export interface ProviderCircuitStatus {
  readonly provider: string;
  readonly state: CircuitState;
  /** When it entered the state (ISO 8601). */
  readonly since: string;
  /** Since then, at the time of reading. */
  readonly ageMs: number;
  readonly reason: string;
  /** The process (locally) or matcher container (on AWS) that recorded it. */
  readonly recordedBy: string;
  /**
   * Locally, whether that process still runs (known only on the machine that wrote it): false means the state is what
   * a stopped run left, not a live one. Undefined when it cannot be told (AWS, another machine).
   */
  readonly writerRunning?: boolean;
}

export interface ProvidersStatus {
  /** Every provider with a recorded transition; any other provider's circuit never opened. Null when unreadable. */
  readonly circuits: readonly ProviderCircuitStatus[] | null;
  /** Where the states come from and what they mean. */
  readonly source: string;
}

export interface SystemStatus {
  readonly location:
    | { readonly kind: 'local'; readonly dataDir: string }
    | { readonly kind: 'aws'; readonly stage: string; readonly region?: string };
  readonly readAt: string;
  readonly stuckAfterMinutes: number;
  readonly queues: readonly QueueStatus[];
  readonly jobs: readonly RunningJobStatus[];
  readonly providers: ProvidersStatus;
  /** What needs someone's attention, one item per concern; empty when nothing does. */
  readonly attention: readonly string[];
  /** What could not be read, and why (the figures concerned show as n/a). */
  readonly notes: readonly string[];
}

/** Where the circuits come from, as the status says it. */
const CIRCUIT_SOURCES: Record<QueueLocation['kind'], string> = {
  local: "each provider's latest circuit transition recorded in the data dir by the processes that call the providers",
  aws: "each provider's latest circuit transition any matcher container reported (the last writer wins)",
};

/** Ages of the oldest messages, by queue name: a number, or null with a note saying why it is not known. */
interface OldestAges {
  read(queues: readonly { name: string; empty: boolean }[]): Promise<{ ages: Map<string, number | null>; notes: string[] }>;
  close(): void;
}

export async function readStatus(location: QueueLocation, options: { stuckAfterMinutes: number; now?: () => number }): Promise<SystemStatus> {
  const now = options.now ?? Date.now;
  if (location.kind === 'local' && !existsSync(join(location.dataDir, 'refinery.db'))) {
    throw new OperatorError(`${location.dataDir} is not a data dir (no refinery.db); pass --data-dir, or --aws for a deployed stage`);
  }
  const where = location.kind === 'aws' ? `stage ${location.stage}${location.region ? ` in ${location.region}` : ''}` : location.dataDir;
  const entries = subscriptionQueues(location);
  const { queues, close } = await openQueues(location);
  let summaries: DeadLetterSummary[];
  try {
    summaries = await listDeadLetters(queues, entries);
  } catch (error) {
    throw new OperatorError(`cannot read the queues of ${where}: ${(error as Error).message}${deployedHint(location)}`);
  } finally {
    await close();
  }

  const ages = openOldestAges(location, now);
  let oldest: Awaited<ReturnType<OldestAges['read']>>;
  try {
    oldest = await ages.read(
      summaries.flatMap((s) => [
        { name: s.queue, empty: s.waiting + s.inFlight === 0 },
        { name: s.deadLetterQueue, empty: s.deadLettered === 0 },
      ]),
    );
  } finally {
    ages.close();
  }

  const stuckAfterMs = options.stuckAfterMinutes * 60_000;
  let found: StuckJob[];
  const jobs = await openStuckJobs(location);
  try {
    // Every job in the pipeline (idle for 0 ms or more), as `refinery jobs stuck --for 0` lists them.
    found = await jobs.jobs.find(0);
  } catch (error) {
    throw new OperatorError(`cannot read the jobs of ${where}: ${(error as Error).message}${deployedHint(location)}`);
  } finally {
    await jobs.close();
  }

  const circuits = await readProviderCircuits(location, now());

  const queueStatuses = summaries.map((summary) => ({
    ...summary,
    oldestAgeMs: oldest.ages.get(summary.queue) ?? null,
    deadLetterOldestAgeMs: oldest.ages.get(summary.deadLetterQueue) ?? null,
  }));
  const readAt = now();
  const running = found.map((job) => ({
    jobId: job.jobId,
    tenantId: job.tenantId,
    status: job.status,
    submittedAt: job.submittedAt,
    ageMs: Math.max(0, readAt - Date.parse(job.submittedAt)),
    rows: job.rows,
    chunks: job.chunks,
    idleMs: job.idleMs,
    stuck: job.idleMs >= stuckAfterMs,
    waitingFor: job.waitingFor,
  }));
  return {
    location: location.kind === 'local' ? { kind: 'local', dataDir: location.dataDir } : location,
    readAt: new Date(readAt).toISOString(),
    stuckAfterMinutes: options.stuckAfterMinutes,
    queues: queueStatuses,
    jobs: running,
    providers: { circuits: circuits.circuits, source: CIRCUIT_SOURCES[location.kind] },
    attention: attentionOf(queueStatuses, running, circuits.circuits ?? []),
    notes: [...oldest.notes, ...circuits.notes],
  };
}

/**
 * The circuits the matcher recorded in its providerLimits table: the data dir's SQLite, or the stage's DynamoDB table.
 * A table that cannot be read makes the circuits n/a with a note; the rest of the status stands.
 */
async function readProviderCircuits(location: QueueLocation, at: number): Promise<{ circuits: ProviderCircuitStatus[] | null; notes: string[] }> {
  let table: Table;
  let close: () => void;
  let where: string;
  if (location.kind === 'local') {
    const { LocalTable, openDatabase } = require('@refinery/local-runtime') as typeof import('@refinery/local-runtime');
    const db = openDatabase(join(location.dataDir, 'refinery.db'));
    table = new LocalTable(db, LOCAL_PROVIDER_LIMITS_TABLE);
    close = () => db.close();
    where = `the data dir's ${LOCAL_PROVIDER_LIMITS_TABLE} table`;
  } else {
    // require, not import(): the CLI runs as CommonJS through tsx, whose hooks only see require.
    const { DynamoDBClient } = require('@aws-sdk/client-dynamodb') as typeof import('@aws-sdk/client-dynamodb');
    const { DynamoTable } = require('@refinery/aws-adapters') as typeof import('@refinery/aws-adapters');
    const client = new DynamoDBClient({ maxAttempts: 2, ...(location.region ? { region: location.region } : {}) });
    const tableName = stageProviderLimitsTable(location.stage);
    table = new DynamoTable({ client, tableName });
    close = () => client.destroy();
    where = `DynamoDB table ${tableName}`;
  }
  let records: CircuitRecord[];
  try {
    records = await readCircuitRecords(table);
  } catch (error) {
    return { circuits: null, notes: [`provider circuits: n/a (cannot read ${where}: ${(error as Error).message})`] };
  } finally {
    close();
  }
  const circuits = records.map((record) => {
    const running = location.kind === 'local' ? writerRunning(record.writer) : undefined;
    return {
      provider: record.provider,
      state: record.state,
      since: record.since,
      ageMs: Math.max(0, at - Date.parse(record.since)),
      reason: record.reason,
      recordedBy: record.writer.description,
      ...(running === undefined ? {} : { writerRunning: running }),
    };
  });
  return { circuits, notes: [] };
}

/** Whether the process that recorded a circuit still runs; undefined when it ran on another machine. */
function writerRunning(writer: CircuitRecord['writer']): boolean | undefined {
  if (writer.host !== hostname() || !(writer.pid > 0)) return undefined;
  try {
    process.kill(writer.pid, 0);
    return true;
  } catch (error) {
    // EPERM: it runs, as another user.
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}

function deployedHint(location: QueueLocation): string {
  return location.kind === 'aws' ? ' (is the stage deployed, in this region, with these credentials?)' : '';
}

function openOldestAges(location: QueueLocation, now: () => number): OldestAges {
  return location.kind === 'local' ? localOldestAges(location.dataDir, now) : cloudWatchOldestAges(location);
}

/** Locally the queues' table has each message's sent time. */
function localOldestAges(dataDir: string, now: () => number): OldestAges {
  const { LocalQueues, openDatabase } = require('@refinery/local-runtime') as typeof import('@refinery/local-runtime');
  const db = openDatabase(join(dataDir, 'refinery.db'));
  const queues = new LocalQueues(db);
  return {
    read: async (names) => {
      const at = now();
      const ages = new Map<string, number | null>();
      for (const { name } of names) {
        const sentAt = queues.oldestSentAt(name);
        ages.set(name, sentAt === undefined ? 0 : Math.max(0, at - sentAt));
      }
      return { ages, notes: [] };
    },
    close: () => db.close(),
  };
}

/** SQS's metrics come in one-minute points: the latest point within this window is the age shown. */
const CLOUDWATCH_WINDOW_MS = 15 * 60_000;

/**
 * On AWS: CloudWatch's ApproximateAgeOfOldestMessage, the latest one-minute maximum (SQS has no attribute for it). An
 * empty queue is 0 without asking. When CloudWatch cannot answer (no permission, no points yet, an emulator without
 * it), the age is n/a and a note says why: the rest of the status stands.
 */
function cloudWatchOldestAges(location: Extract<QueueLocation, { kind: 'aws' }>): OldestAges {
  // require, not import(): the CLI runs as CommonJS through tsx, whose hooks only see require.
  const { CloudWatchClient, GetMetricDataCommand } = require('@aws-sdk/client-cloudwatch') as typeof import('@aws-sdk/client-cloudwatch');
  // One retry at most: a missing figure must not hold the whole status up.
  const client = new CloudWatchClient({ maxAttempts: 2, ...(location.region ? { region: location.region } : {}) });
  return {
    read: async (queues) => {
      const ages = new Map<string, number | null>();
      const asked = queues.filter((queue) => !queue.empty);
      for (const queue of queues) if (queue.empty) ages.set(queue.name, 0);
      if (asked.length === 0) return { ages, notes: [] };
      const end = new Date();
      const values = new Map<string, number>();
      try {
        // 500 queries per request is GetMetricData's limit; a stage has a few dozen queues.
        for (let first = 0; first < asked.length; first += 500) {
          const batch = asked.slice(first, first + 500);
          let nextToken: string | undefined;
          do {
            const page = await client.send(
              new GetMetricDataCommand({
                StartTime: new Date(end.getTime() - CLOUDWATCH_WINDOW_MS),
                EndTime: end,
                ScanBy: 'TimestampDescending',
                NextToken: nextToken,
                MetricDataQueries: batch.map((queue, index) => ({
                  Id: `q${first + index}`,
                  ReturnData: true,
                  MetricStat: {
                    Metric: {
                      Namespace: 'AWS/SQS',
                      MetricName: 'ApproximateAgeOfOldestMessage',
                      Dimensions: [{ Name: 'QueueName', Value: queue.name }],
                    },
                    Period: 60,
                    Stat: 'Maximum',
                  },
                })),
              }),
            );
            for (const result of page.MetricDataResults ?? []) {
              const index = Number(result.Id?.slice(1));
              const latest = result.Values?.[0];
              const name = asked[index]?.name;
              if (name !== undefined && latest !== undefined && !values.has(name)) values.set(name, latest * 1000);
            }
            nextToken = page.NextToken;
          } while (nextToken);
        }
      } catch (error) {
        for (const queue of asked) ages.set(queue.name, null);
        return { ages, notes: [`oldest message ages: n/a (CloudWatch GetMetricData failed: ${(error as Error).message})`] };
      }
      const missing = asked.filter((queue) => !values.has(queue.name));
      for (const queue of asked) ages.set(queue.name, values.get(queue.name) ?? null);
      const notes =
        missing.length > 0
          ? [
              `oldest message age: n/a for ${missing.map((queue) => queue.name).join(', ')} ` +
                `(CloudWatch has no ApproximateAgeOfOldestMessage point in the last ${CLOUDWATCH_WINDOW_MS / 60_000} minutes)`,
            ]
          : [];
      return { ages, notes };
    },
    close: () => client.destroy(),
  };
}

export function attentionOf(
  queues: readonly QueueStatus[],
  jobs: readonly RunningJobStatus[],
  circuits: readonly ProviderCircuitStatus[] = [],
): string[] {
  const attention: string[] = [];
  const dead = queues.filter((queue) => queue.deadLettered > 0);
  const deadCount = dead.reduce((sum, queue) => sum + queue.deadLettered, 0);
  if (deadCount > 0) {
    attention.push(
      `${deadCount} dead-lettered message${deadCount === 1 ? '' : 's'} (${dead.map((queue) => `${queue.service}/${queue.subscription}`).join(', ')})`,
    );
  }
  const stuck = jobs.filter((job) => job.stuck);
  if (stuck.length === 1) attention.push(`1 job stuck for ${formatAge(stuck[0]?.idleMs ?? 0)} (${stuck[0]?.jobId})`);
  if (stuck.length > 1) attention.push(`${stuck.length} jobs stuck, the longest for ${formatAge(Math.max(...stuck.map((job) => job.idleMs)))}`);
  // A circuit a stopped run left open says nothing of the provider now.
  const open = circuits.filter((circuit) => circuit.state !== 'closed' && circuit.writerRunning !== false);
  if (open.length > 0) {
    attention.push(
      `provider circuit${open.length === 1 ? '' : 's'} not closed: ${open.map((circuit) => `${circuit.provider} ${circuit.state} for ${formatAge(circuit.ageMs)}`).join(', ')}`,
    );
  }
  return attention;
}

/** 45s, 12m 5s, 2h 10m, 3d 4h: short enough for a table cell. */
export function formatAge(ms: number): string {
  const seconds = Math.floor(ms / 1000);
  if (seconds < 60) return `${seconds}s`;
  const minutes = Math.floor(seconds / 60);
  if (minutes < 60) return `${minutes}m ${seconds % 60}s`;
  const hours = Math.floor(minutes / 60);
  if (hours < 48) return `${hours}h ${minutes % 60}m`;
  return `${Math.floor(hours / 24)}d ${hours % 24}h`;
}

export function formatStatus(status: SystemStatus): string {
  const where = status.location.kind === 'local' ? `data dir ${status.location.dataDir}` : `AWS stage ${status.location.stage}`;
  const age = (ms: number | null, count: number): string => (ms === null ? 'n/a' : count === 0 ? '-' : formatAge(ms));
  const queueRows = status.queues.map((queue) => [
    `${queue.service}/${queue.subscription}`,
    String(queue.waiting),
    String(queue.inFlight),
    age(queue.oldestAgeMs, queue.waiting + queue.inFlight),
    String(queue.deadLettered),
    age(queue.deadLetterOldestAgeMs, queue.deadLettered),
  ]);
  const jobLines =
    status.jobs.length === 0
      ? ['  none']
      : table(
          ['job', 'tenant', 'status', 'rows', 'chunks', 'age', 'idle'],
          status.jobs.map((job) => [
            job.jobId,
            job.tenantId,
            job.stuck ? `${job.status}, STUCK` : job.status,
            `${job.rows.done}/${job.rows.total}`,
            `${job.chunks.done}/${job.chunks.total}`,
            formatAge(job.ageMs),
            formatAge(job.idleMs),
          ]),
        ).concat(status.jobs.filter((job) => job.stuck).map((job) => `  ${job.jobId}: ${job.waitingFor}`));
  return [
    `refinery status of ${where}, read at ${status.readAt}`,
    status.attention.length > 0
      ? `attention: ${status.attention.join('; ')}`
      : `attention: none (nothing dead-lettered, no job idle for ${status.stuckAfterMinutes} minutes or more)`,
    '',
    'Queues',
    ...table(['subscription', 'waiting', 'in flight', 'oldest', 'dead-lettered', 'oldest dead-lettered'], queueRows),
    '',
    `Running jobs (stuck: idle for ${status.stuckAfterMinutes} minutes or more)`,
    ...jobLines,
    '',
    `Providers (${status.providers.source})`,
    ...circuitLines(status.providers.circuits),
    ...(status.notes.length > 0 ? ['', ...status.notes.map((note) => `note: ${note}`)] : []),
  ].join('\n');
}

function circuitLines(circuits: readonly ProviderCircuitStatus[] | null): string[] {
  if (circuits === null) return ['  circuit states: n/a (see the note below)'];
  if (circuits.length === 0) return ['  every provider: closed (no failure recorded)'];
  return [
    ...table(
      ['provider', 'circuit', 'since', 'for', 'recorded by', 'last reason'],
      circuits.map((circuit) => [
        circuit.provider,
        circuit.state,
        circuit.since,
        formatAge(circuit.ageMs),
        circuit.writerRunning === false ? `${circuit.recordedBy} (stopped)` : circuit.recordedBy,
        circuit.reason,
      ]),
    ),
    ...circuits
      .filter((circuit) => circuit.writerRunning === false && circuit.state !== 'closed')
      .map(
        (circuit) =>
          `  ${circuit.provider}: ${circuit.state} ${formatAge(circuit.ageMs)} ago by a run that has stopped (${circuit.recordedBy} no longer runs): ` +
          'what that run saw, not the provider now; its next call starts closed',
      ),
    '  any other provider: closed (no failure recorded)',
  ];
}

/** Indented columns, each as wide as its widest cell. */
function table(header: readonly string[], rows: readonly (readonly string[])[]): string[] {
  const widths = header.map((title, i) => Math.max(title.length, ...rows.map((row) => (row[i] ?? '').length)));
  const line = (cells: readonly string[]): string =>
    `  ${cells
      .map((cell, i) => cell.padEnd(widths[i] as number))
      .join('  ')
      .trimEnd()}`;
  return [line(header), ...rows.map(line)];
}
