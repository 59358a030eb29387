// npm run bench:scale -- --chunks N [--rows-per-chunk 10] [--json] [--directory-size 500] [--seed 1] [--out DIR]
//
// What one chunk costs on AWS, and whether it stays the same as a job grows (docs/scale.md). Runs ONE job of N chunks
// through the pipeline as deployed — the packaged stacks on moto, every function run from its packaged bundle
// (`refinery emulate`) — with the directory provider on a small synthetic directory (fast: the matcher's work is not
// what is measured here), and counts every AWS request at one place, a metering proxy in front of moto
// (libs/aws-emulator/src/request-meter.ts: DynamoDB read and write units as on-demand bills them, S3 requests by kind,
// EventBridge entries, SQS requests) and every Lambda invocation with its GB-seconds (the emulator's durations, on this
// machine). Counting starts once the stage is up and ends when the job has completed and the stage is quiet again, so
// the job's whole tail (notifications) is in it; scheduled sweeps that happen to run meanwhile are too.
//
// mergeSeconds: the last chunk.labeled.v1 to job.completed.v1, from the job's history (each event's occurredAt).
//
// Without --json: a readable table. With --json: exactly one JSON object on stdout (progress goes to stderr).
import { statSync } from 'node:fs';
import { cpus, totalmem } from 'node:os';
import { join, resolve } from 'node:path';
import type { MeterTotals } from '@refinery/aws-emulator';
import { writeDataset } from '@refinery/synthetic-data';
import { benchFlags } from './lib/args';
import { type ChunkCost, chunkCost } from './lib/aws-prices';
import { type InvocationTally, jobTimes, resetCounts, settle, startBenchStage, submitBook, waitForJob } from './lib/emulated-stage';

export interface ScaleOptions {
  chunks: number;
  rowsPerChunk: number;
  directorySize: number;
  seed: number;
  json: boolean;
  outDir: string;
}

/** The figures every run reports (totals and per chunk); more are allowed beside them. */
export const PER_CHUNK_FIGURES = [
  'dynamodbReadUnits',
  'dynamodbWriteUnits',
  's3Requests',
  'eventBridgeEntries',
  'sqsRequests',
  'invocations',
] as const;

export type Figures = Record<(typeof PER_CHUNK_FIGURES)[number] | 's3Tier1Requests' | 's3Tier2Requests' | 'lambdaGbSeconds', number>;

export interface ScaleResult {
  readonly chunks: number;
  readonly rows: number;
  readonly rowsPerChunk: number;
  readonly totals: Figures & {
    readonly s3ByKind: Record<string, number>;
    readonly dynamodbRequests: Record<string, number>;
    /** By operation and table ("GetItem refinery-matcher-<stage>-nicknames"). */
    readonly dynamodbRequestsByTable: Record<string, number>;
    readonly sqsCalls: Record<string, number>;
    /** Receives that brought nothing: idle polling, counted apart (it depends on time, not on work). */
    readonly sqsEmptyReceives: number;
    readonly invocationsByFunction: Record<string, number>;
    readonly otherRequests: Record<string, number>;
  };
  readonly perChunk: Figures;
  /** The per-chunk figures at us-east-1 list prices (bench/lib/aws-prices.ts), in US dollars. */
  readonly costPerChunkUsd: ChunkCost;
  readonly mergeSeconds: number;
  /** job.created.v1 -> job.completed.v1. */
  readonly jobSeconds: number;
  readonly machine: string;
}

const TOKEN = 'bench-scale-token-0001';

export function parseScaleArgs(argv: readonly string[]): ScaleOptions {
  const flags = benchFlags(
    argv,
    ['--chunks', '--rows-per-chunk', '--directory-size', '--seed'],
    (flag) => `unknown option ${flag} (bench:scale takes --chunks N [--rows-per-chunk R] [--json] [--directory-size D] [--seed S] [--out DIR])`,
  );
  const options: ScaleOptions = {
    chunks: flags.numbers['--chunks'] ?? 0,
    rowsPerChunk: flags.numbers['--rows-per-chunk'] ?? 10,
    directorySize: flags.numbers['--directory-size'] ?? 500,
    seed: flags.numbers['--seed'] ?? 1,
    json: flags.json,
    outDir: flags.outDir ?? resolve(__dirname, 'out'),
  };
  if (options.chunks < 1) throw new Error('bench:scale needs --chunks N (at least 1): the number of chunks of the one job it runs');
  if (options.rowsPerChunk < 1) throw new Error('--rows-per-chunk takes a whole number of at least 1');
  if (options.directorySize < 1) throw new Error('--directory-size takes a whole number of at least 1');
  return options;
}

/** The run's figures from what the meter and the invocations counted. */
export function scaleFigures(meter: MeterTotals, invocations: InvocationTally): ScaleResult['totals'] {
  return {
    dynamodbReadUnits: meter.dynamodb.readUnits,
    dynamodbWriteUnits: meter.dynamodb.writeUnits,
    s3Requests: meter.s3.tier1 + meter.s3.tier2,
    s3Tier1Requests: meter.s3.tier1,
    s3Tier2Requests: meter.s3.tier2,
    eventBridgeEntries: meter.eventBridge.entries,
    sqsRequests: meter.sqs.requests,
    invocations: invocations.count,
    lambdaGbSeconds: invocations.gbSeconds,
    s3ByKind: meter.s3.requests,
    dynamodbRequests: meter.dynamodb.requests,
    dynamodbRequestsByTable: meter.dynamodb.requestsByTable,
    sqsCalls: meter.sqs.calls,
    sqsEmptyReceives: meter.sqs.emptyReceives,
    invocationsByFunction: invocations.byFunction,
    otherRequests: meter.other,
  };
}

const round = (value: number, digits = 3) => Math.round(value * 10 ** digits) / 10 ** digits;

export async function scaleBench(options: ScaleOptions, log: (line: string) => void): Promise<ScaleResult> {
  const rows = options.chunks * options.rowsPerChunk;
  const dir = join(options.outDir, `scale-book-${rows}-dir-${options.directorySize}-seed-${options.seed}`);
  const bookPath = join(dir, 'contacts.csv');
  const directoryPath = join(dir, 'directory.csv');
  try {
    statSync(bookPath);
    statSync(directoryPath);
  } catch {
    await writeDataset({ seed: options.seed, directorySize: options.directorySize, bookSize: rows, dir });
    log(`generated ${rows} rows against ${options.directorySize} people (${dir})`);
  }
  const machine = `${cpus().length} x ${cpus()[0]?.model ?? 'cpu'}, ${Math.round(totalmem() / 2 ** 30)} GiB, Node ${process.version}`;
  log(`starting the emulated stage (${machine})`);
  const stage = await startBenchStage({ directory: directoryPath, apiTokens: `bench:${TOKEN}`, metered: true });
  try {
    const meter = stage.proxy?.meter;
    if (!meter) throw new Error('the stage started without its request meter');
    await settle(stage, 2000);
    resetCounts(stage);
    const started = Date.now();
    const client = stage.client(TOKEN);
    const jobId = await submitBook(client, bookPath, options.rowsPerChunk);
    log(`job ${jobId}: ${rows} rows in ${options.chunks} chunks of ${options.rowsPerChunk}`);
    // Generous: about 3 s a chunk on a busy 2-core machine, and half an hour on top.
    await waitForJob(stage, TOKEN, jobId, 30 * 60_000 + options.chunks * 3000);
    await settle(stage);
    const totals = scaleFigures(meter.snapshot(), stage.invocations);
    log(`job ${jobId} completed in ${((Date.now() - started) / 1000).toFixed(1)} s; reading its history`);
    const times = jobTimes(jobId, await client.events(jobId));
    if (times.chunksLabeled !== options.chunks) throw new Error(`job ${jobId}: ${times.chunksLabeled} chunks labeled, ${options.chunks} expected`);
    const perChunk = Object.fromEntries(
      (Object.keys(totals) as (keyof ScaleResult['totals'])[])
        .filter((name) => typeof totals[name] === 'number')
        .map((name) => [name, round((totals[name] as number) / options.chunks)]),
    ) as Figures;
    return {
      chunks: options.chunks,
      rows,
      rowsPerChunk: options.rowsPerChunk,
      totals: { ...totals, lambdaGbSeconds: round(totals.lambdaGbSeconds) },
      perChunk,
      costPerChunkUsd: chunkCost(perChunk),
      mergeSeconds: round(times.mergeSeconds),
      jobSeconds: round(times.jobSeconds),
      machine,
    };
  } finally {
    await stage.stop();
  }
}

/** The readable report: one line per figure, total and per chunk. */
export function scaleTable(result: ScaleResult): string {
  const lines = [
    `one job of ${result.chunks} chunks (${result.rows} rows, ${result.rowsPerChunk} a chunk) on the emulated stage; ${result.machine}`,
    '',
    '| figure | total | per chunk |',
    '| --- | ---: | ---: |',
  ];
  for (const name of Object.keys(result.perChunk) as (keyof Figures)[]) {
    lines.push(`| ${name} | ${round(result.totals[name])} | ${result.perChunk[name]} |`);
  }
  lines.push('');
  const cost = result.costPerChunkUsd;
  const micro = (usd: number) => `$${(usd * 1e6).toFixed(2)}`;
  lines.push(
    `per chunk at us-east-1 list prices, in millionths of a dollar: DynamoDB ${micro(cost.dynamodb)}, S3 ${micro(cost.s3)}, ` +
      `EventBridge ${micro(cost.eventBridge)}, SQS ${micro(cost.sqs)}, Lambda requests ${micro(cost.lambdaRequests)}, ` +
      `Lambda duration ${micro(cost.lambdaDuration)} (this machine's durations); all ${micro(cost.total)}`,
  );
  lines.push(`merge (last chunk.labeled -> job.completed): ${result.mergeSeconds} s; job (created -> completed): ${result.jobSeconds} s`);
  lines.push(`S3 by kind: ${JSON.stringify(result.totals.s3ByKind)}`);
  lines.push(`DynamoDB requests: ${JSON.stringify(result.totals.dynamodbRequests)}`);
  lines.push(`SQS calls: ${JSON.stringify(result.totals.sqsCalls)} (empty receives, not in sqsRequests: ${result.totals.sqsEmptyReceives})`);
  lines.push(`invocations by function: ${JSON.stringify(result.totals.invocationsByFunction)}`);
  lines.push(`other AWS requests: ${JSON.stringify(result.totals.otherRequests)}`);
  return lines.join('\n');
}

if (require.main === module) {
  const options = parseScaleArgs(process.argv.slice(2));
  scaleBench(options, (line) => process.stderr.write(`${line}\n`))
    .then((result) => {
      process.stdout.write(options.json ? `${JSON.stringify(result)}\n` : `${scaleTable(result)}\n`);
      process.exit(0);
    })
    .catch((error: unknown) => {
      process.stderr.write(`${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
      process.exit(1);
    });
}
