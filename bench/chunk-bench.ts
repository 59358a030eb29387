// npm run bench:chunk -- [--chunks 20] [--chunk-rows 1000] [--directory-size 100000] [--seed 1] [--json] [--out DIR]
//
// What one chunk costs the matcher and the labeler on one vCPU, as on Lambda at up to 1,769 MB (issue 16: the durations
// of docs/deploy.md's cost model, "What a job costs"). One process plays one container of each function: the services
// are composed as their Lambda entry points compose them (composeService of matcherService and labelerService, the
// matcher's provider chain built from its settings: the directory CSV read from the object store and the nickname table
// loaded from its table, at cold start), on the local adapters — objects in files on disk, tables in SQLite. The
// chunker's real `jobs` handler plans a synthetic book into chunk.planned.v1 events; each chunk then goes, one after
// another, to the matcher's `chunks` handler and its chunk.matched.v1 to the labeler's `chunks` handler, each time as
// an SQS event carrying the EventBridge envelope, with a Lambda context whose deadline is the function's timeout.
//
// Reported: the cold start apart (each service's composition, then the first chunk: the job's linkage model is learnt,
// the nickname cache filled), then the warm chunks' wall and CPU time (process.cpuUsage, user + system) per chunk for
// each stage, median and p90, and the process's peak RSS. Not included: S3, DynamoDB and EventBridge round trips — the
// local object store and tables answer instead (the requests each stage made per warm chunk are counted and printed).
//
// The script re-executes itself under `taskset -c 0` when taskset is there (the first CPU it may use, where a cpuset
// leaves out CPU 0), so everything it runs (the main thread, the garbage collector's and libuv's threads) shares one
// core, and says whether it ran pinned. The matcher's 2,048 MB get a little more than one vCPU on Lambda; its one
// thread uses one. The labeler's 1,024 MB get about 0.58 of one: its CPU-bound time there is longer than here.
//
// Without --json: a readable table. With --json: exactly one JSON object on stdout (progress goes to stderr).
import { spawn, spawnSync } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { createReadStream, existsSync, readFileSync, rmSync, statSync } from 'node:fs';
import { availableParallelism, cpus, loadavg, totalmem } from 'node:os';
import { join, resolve } from 'node:path';
import { chunkerService } from '@refinery/chunker';
import { chunkMatchedV1, chunkPlannedV1, createEvent, jobSubmittedV1, toPublishEntry } from '@refinery/events';
import { labelerService } from '@refinery/labeler';
import { LOCAL_ACCOUNT, LOCAL_REGION, LocalRuntime, lambdaContext, localPlatform, localQueueArn, toSqsEvent } from '@refinery/local-runtime';
import { matcherService, seedNicknames } from '@refinery/matcher';
import { loadBundledNicknames, NICKNAMES_CSV_PATH } from '@refinery/nicknames';
import type { EventPublisher, ObjectRef, PublishEntry } from '@refinery/ports';
import {
  composeService,
  createLogger,
  type Platform,
  type RunnableService,
  type ServiceContext,
  type ServiceDeclaration,
  type SettingsOf,
  subscriptionQueueNames,
} from '@refinery/runtime';
import { writeDataset } from '@refinery/synthetic-data';
import { benchFlags } from './lib/args';

export interface ChunkBenchOptions {
  chunks: number;
  chunkRows: number;
  directorySize: number;
  seed: number;
  json: boolean;
  outDir: string;
}

/** Wall and CPU time of one piece of work, in milliseconds. */
export interface Timing {
  readonly wallMs: number;
  readonly cpuMs: number;
}

export interface Spread {
  readonly median: number;
  readonly p90: number;
}

export interface StageFigures {
  readonly wallMs: Spread;
  readonly cpuMs: Spread;
  /** The object store's and tables' calls per warm chunk (on AWS each one is a round trip), by port and method. */
  readonly requests: Record<string, number>;
}

export interface ChunkBenchResult {
  readonly machine: {
    readonly cpuModel: string;
    readonly cpus: number;
    readonly memoryGiB: number;
    readonly node: string;
    readonly loadAverage: number[];
  };
  /** Whether the measuring process ran on one core only, and how. */
  readonly pinned: boolean;
  readonly pinning: string;
  readonly chunks: number;
  readonly chunkRows: number;
  readonly rows: number;
  readonly directorySize: number;
  readonly seed: number;
  readonly coldStart: {
    /** composeService of the matcher: its provider chain, the directory read and indexed, the nickname table loaded. */
    readonly matcherInit: Timing;
    readonly labelerInit: Timing;
    /** The first chunk: the job's linkage model learnt from its first rows, the nickname cache empty. */
    readonly firstChunk: { readonly matcher: Timing; readonly labeler: Timing };
    /** The object store's and tables' calls of the matcher's composition and its first chunk, by port and method. */
    readonly requests: { readonly matcherInit: Record<string, number>; readonly matcherFirstChunk: Record<string, number> };
  };
  /** Chunks 2..N, each after the one before it. */
  readonly warm: { readonly chunks: number; readonly matcher: StageFigures; readonly labeler: StageFigures };
  /** Median sizes per chunk: the matcher's ranged GET of the input, its PUT of the matched chunk, the labeler's PUT. */
  readonly bytesPerChunk: { readonly inputRange: number; readonly matched: number; readonly labeled: number };
  readonly peakRssMb: number;
  readonly notIncluded: string;
}

const USAGE =
  'bench:chunk takes [--chunks N] [--chunk-rows R] [--directory-size D] [--seed S] [--json] [--out DIR] (defaults: 20 chunks of 1000 rows, 100000 people, seed 1)';

export function parseChunkBenchArgs(argv: readonly string[]): ChunkBenchOptions {
  const flags = benchFlags(argv, ['--chunks', '--chunk-rows', '--directory-size', '--seed'], (flag) => `unknown option ${flag} (${USAGE})`);
  const options: ChunkBenchOptions = {
    chunks: flags.numbers['--chunks'] ?? 20,
    chunkRows: flags.numbers['--chunk-rows'] ?? 1000,
    directorySize: flags.numbers['--directory-size'] ?? 100_000,
    seed: flags.numbers['--seed'] ?? 1,
    json: flags.json,
    outDir: flags.outDir ?? resolve(__dirname, 'out'),
  };
  // The first chunk is the cold start: at least one more is needed for a warm figure.
  if (options.chunks < 2)
    throw new Error('--chunks takes a whole number of at least 2: the first chunk is the cold start, the others the warm figures');
  if (options.chunkRows < 1 || options.chunkRows > 100_000)
    throw new Error("--chunk-rows takes a whole number from 1 to 100000 (the chunker's limits)");
  if (options.directorySize < 1) throw new Error('--directory-size takes a whole number of at least 1');
  return options;
}

const TENANT = 'bench';
/** Marks the pinned child, so it measures instead of re-executing itself again. */
const CHILD_ENV = 'REFINERY_CHUNK_BENCH_PINNED_CHILD';

/** The CPUs this process may run on, from Linux's Cpus_allowed_list (undefined where /proc is not there). */
function allowedCpus(): string | undefined {
  try {
    return /Cpus_allowed_list:\s*(\S+)/.exec(readFileSync('/proc/self/status', 'utf8'))?.[1];
  } catch {
    return undefined;
  }
}

const round = (value: number, digits = 1) => Math.round(value * 10 ** digits) / 10 ** digits;

/** Nearest-rank percentile of a non-empty list. */
function percentile(values: readonly number[], p: number): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1))] as number;
}

function spread(values: readonly number[]): Spread {
  return { median: round(percentile(values, 50)), p90: round(percentile(values, 90)) };
}

async function timed<T>(work: () => Promise<T>): Promise<{ value: T; timing: Timing }> {
  const cpu = process.cpuUsage();
  const started = process.hrtime.bigint();
  const value = await work();
  const wallMs = Number(process.hrtime.bigint() - started) / 1e6;
  const used = process.cpuUsage(cpu);
  return { value, timing: { wallMs: round(wallMs), cpuMs: round((used.user + used.system) / 1000) } };
}

/** Counts the calls made to the ports, by the stage that is running (set before each invocation). */
class RequestTally {
  stage = 'setup';
  private readonly counts = new Map<string, Map<string, number>>();

  count(name: string): void {
    const stage = this.counts.get(this.stage) ?? new Map<string, number>();
    stage.set(name, (stage.get(name) ?? 0) + 1);
    this.counts.set(this.stage, stage);
  }

  /** A stage's calls, each divided by `per` (the number of invocations the stage was set for). */
  of(stage: string, per: number): Record<string, number> {
    return Object.fromEntries([...(this.counts.get(stage) ?? new Map<string, number>())].sort().map(([name, n]) => [name, round(n / per, 2)]));
  }
}

/** `target` with each method call counted in `tally` as `<port>.<method>`. */
function counted<T extends object>(target: T, port: string, tally: RequestTally): T {
  return new Proxy(target, {
    get(object, property) {
      const value = Reflect.get(object, property, object) as unknown;
      if (typeof value !== 'function') return value;
      return (...args: unknown[]) => {
        tally.count(`${port}.${String(property)}`);
        return (value as (...a: unknown[]) => unknown).apply(object, args);
      };
    },
  });
}

/** What EventBridge would deliver to SQS for a published entry. */
function envelopeOf(entry: PublishEntry): string {
  return JSON.stringify({
    version: '0',
    id: randomUUID(),
    'detail-type': entry.detailType,
    source: entry.source,
    account: LOCAL_ACCOUNT,
    time: new Date().toISOString().replace(/\.\d{3}Z$/, 'Z'),
    region: LOCAL_REGION,
    resources: [],
    detail: JSON.parse(entry.detail) as unknown,
  });
}

/** An SQS event of one message, as Lambda's event source mapping hands it to the subscription's function. */
function sqsEventOf(service: string, subscription: string, entry: PublishEntry) {
  const now = Date.now();
  return toSqsEvent(
    [{ id: randomUUID(), receiptHandle: randomUUID(), body: envelopeOf(entry), receiveCount: 1, sentAt: now, firstReceivedAt: now }],
    {
      queueArn: localQueueArn(subscriptionQueueNames(service, subscription).queue),
      region: LOCAL_REGION,
    },
  );
}

/**
 * The local platform with what a Lambda container would not do locally taken out of the measured path: events are
 * kept in memory (on AWS a PutEvents call; the local bus would write them to SQLite and route them), and every call
 * to the object store and the tables is counted.
 */
function benchPlatform(base: Platform, publisher: EventPublisher, tally: RequestTally): Platform {
  return {
    context<D extends ServiceDeclaration>(declaration: D, settings: Partial<SettingsOf<D>>): ServiceContext<D> {
      const context = base.context(declaration, settings);
      const tables = Object.fromEntries(
        Object.entries(context.tables as Record<string, object>).map(([name, table]) => [name, counted(table, `${declaration.name}.${name}`, tally)]),
      ) as unknown as ServiceContext<D>['tables'];
      return { ...context, publisher, objects: counted(context.objects, 'objects', tally), tables };
    },
    bucketName: base.bucketName,
  };
}

/** One invocation of a subscription's function; fails unless it published exactly one event of `expected`. */
async function invoke(
  service: RunnableService,
  subscription: string,
  entry: PublishEntry,
  published: PublishEntry[],
  expected: string,
): Promise<{ event: PublishEntry; timing: Timing }> {
  const declared = (service.declaration.subscriptions as Record<string, { function: { timeoutSeconds: number; memorySizeMb: number } }>)[
    subscription
  ];
  const runnable = (service.subscriptions as Record<string, RunnableService['subscriptions'][string]>)[subscription];
  if (!declared || !runnable) throw new Error(`${service.declaration.name} has no subscription "${subscription}"`);
  const sqsEvent = sqsEventOf(service.declaration.name, subscription, entry);
  const context = lambdaContext(
    `${service.declaration.name}-${subscription}`,
    declared.function.timeoutSeconds * 1000,
    declared.function.memorySizeMb,
  );
  published.length = 0;
  const { value: response, timing } = await timed(() => runnable.handler(sqsEvent, context));
  const events = [...published];
  const event = events.find((candidate) => candidate.detailType === expected);
  if (response.batchItemFailures.length > 0 || events.length !== 1 || !event) {
    throw new Error(
      `${service.declaration.name}'s ${subscription} handler did not publish one ${expected} for ${entry.detailType} ` +
        `(batch item failures: ${response.batchItemFailures.length}; published: ${events.map((e) => `${e.detailType} ${e.detail}`).join('; ') || 'nothing'})`,
    );
  }
  return { event, timing };
}

async function datasetFor(
  options: ChunkBenchOptions,
  log: (line: string) => void,
): Promise<{ dir: string; bookPath: string; directoryPath: string }> {
  const rows = options.chunks * options.chunkRows;
  // The naming of `npm run bench`'s datasets: the same generator and options write the same files, so either reuses them.
  const dir = join(options.outDir, `book-${rows}-dir-${options.directorySize}-seed-${options.seed}`);
  const bookPath = join(dir, 'contacts.csv');
  const directoryPath = join(dir, 'directory.csv');
  // The book is written after the directory: a book there means both are whole.
  if (!existsSync(bookPath) || !existsSync(directoryPath)) {
    const started = Date.now();
    await writeDataset({ seed: options.seed, directorySize: options.directorySize, bookSize: rows, dir });
    log(`generated ${rows} rows against ${options.directorySize} people in ${((Date.now() - started) / 1000).toFixed(1)} s (${dir})`);
  } else log(`reusing ${dir}`);
  return { dir, bookPath, directoryPath };
}

export async function chunkBench(options: ChunkBenchOptions, log: (line: string) => void): Promise<ChunkBenchResult> {
  const cpuList = allowedCpus();
  const pinnedBy = process.env[CHILD_ENV];
  const pinned = availableParallelism() === 1;
  const pinning = pinnedBy
    ? `${pinnedBy}; allowed CPUs: ${cpuList ?? 'unknown'}`
    : pinned
      ? `one CPU available; allowed CPUs: ${cpuList ?? 'unknown'}`
      : `not pinned: taskset was not found, the process may use ${availableParallelism()} CPUs`;
  const machine = {
    cpuModel: cpus()[0]?.model ?? 'unknown',
    cpus: cpus().length,
    memoryGiB: Math.round(totalmem() / 2 ** 30),
    node: process.version,
    loadAverage: loadavg().map((load) => round(load, 2)),
  };
  log(
    `machine: ${machine.cpus} x ${machine.cpuModel}, ${machine.memoryGiB} GiB, Node ${machine.node}, load average ${machine.loadAverage.join(' ')}`,
  );
  log(`pinning: ${pinning}`);
  const { dir, bookPath, directoryPath } = await datasetFor(options, log);

  const dataDir = join(dir, 'chunk-bench-data');
  rmSync(dataDir, { recursive: true, force: true });
  const runtime = await LocalRuntime.open({ dataDir });
  try {
    const tally = new RequestTally();
    const published: PublishEntry[] = [];
    const publisher: EventPublisher = { publish: async (entries) => void published.push(...entries) };
    const logger = createLogger('chunk-bench', { level: 'warn', destination: process.stderr });
    const platform = benchPlatform(localPlatform(runtime, { logger }), publisher, tally);

    // What a deployment has in place before any container starts: the directory's one object, the seeded nickname
    // table, the job's uploaded input.
    const directory: ObjectRef = { bucket: 'bench-directory', key: 'directory.csv' };
    await runtime.objects.put(directory, createReadStream(directoryPath), { contentType: 'text/csv' });
    await seedNicknames(runtime.table('matcher-nicknames'), loadBundledNicknames(), NICKNAMES_CSV_PATH);
    const jobId = `job_bench${randomUUID().replace(/-/g, '')}`;
    const input = { bucket: 'ingest-uploads', key: `tenants/${TENANT}/jobs/${jobId}/input.csv` };
    await runtime.objects.put(input, createReadStream(bookPath), { contentType: 'text/csv' });

    // The chunker plans every chunk on the bulk lane (the `chunks` queues, whatever the job's size) and releases them
    // all at once, so one invocation of its `jobs` handler gives every chunk.planned.v1.
    const chunker = await composeService(chunkerService, platform, {
      settings: { expressMaxRows: 0, chunkWindow: options.chunks, defaultChunkRows: options.chunkRows },
    });
    const submitted = createEvent(jobSubmittedV1, {
      service: 'ingest',
      metadata: { tenantId: TENANT, jobId, correlationId: `bench-${jobId}`, causationId: randomUUID() },
      data: { filename: 'contacts.csv', input: { ...input, sizeBytes: statSync(bookPath).size }, options: { chunkRows: options.chunkRows } },
    });
    published.length = 0;
    const response = await chunker.subscriptions.jobs.handler(
      sqsEventOf('chunker', 'jobs', toPublishEntry(submitted)),
      lambdaContext('chunker-jobs', 900_000),
    );
    const planned = published.filter((entry) => entry.detailType === chunkPlannedV1.type);
    if (response.batchItemFailures.length > 0 || planned.length !== options.chunks) {
      throw new Error(
        `the chunker planned ${planned.length} chunks of the ${options.chunks * options.chunkRows}-row book, ${options.chunks} expected ` +
          `(batch item failures: ${response.batchItemFailures.length}; published: ${published.map((entry) => entry.detailType).join(', ')})`,
      );
    }
    log(`planned ${planned.length} chunks of ${options.chunkRows} rows`);

    // Cold start: each container composes its service, as its Lambda entry point does (the matcher's chain from its
    // settings: the directory from the object store, the nickname table from its table).
    tally.stage = 'matcher-init';
    const matcherInit = await timed(() =>
      composeService(matcherService, platform, { settings: { directoryBucket: directory.bucket, directoryKey: directory.key } }),
    );
    tally.stage = 'labeler-init';
    const labelerInit = await timed(() => composeService(labelerService, platform));
    log(`cold start: matcher composed in ${matcherInit.timing.wallMs} ms, labeler in ${labelerInit.timing.wallMs} ms`);

    const matcherTimes: Timing[] = [];
    const labelerTimes: Timing[] = [];
    const results: { matched: ObjectRef; labeled: ObjectRef }[] = [];
    for (const [index, chunk] of planned.entries()) {
      const stage = index === 0 ? 'first' : 'warm';
      tally.stage = `matcher-${stage}`;
      const matched = await invoke(matcherInit.value, 'chunks', chunk, published, chunkMatchedV1.type);
      tally.stage = `labeler-${stage}`;
      const labeled = await invoke(labelerInit.value, 'chunks', matched.event, published, 'chunk.labeled.v1');
      matcherTimes.push(matched.timing);
      labelerTimes.push(labeled.timing);
      results.push({
        matched: (JSON.parse(matched.event.detail) as { data: { result: ObjectRef } }).data.result,
        labeled: (JSON.parse(labeled.event.detail) as { data: { result: ObjectRef } }).data.result,
      });
      log(
        `chunk ${index + 1}/${planned.length}: matcher ${matched.timing.wallMs} ms (CPU ${matched.timing.cpuMs}), labeler ${labeled.timing.wallMs} ms (CPU ${labeled.timing.cpuMs})`,
      );
    }
    const peakRssMb = round(process.resourceUsage().maxRSS / 1024);

    tally.stage = 'after';
    const sizeOf = async (ref: ObjectRef) => (await runtime.objects.head(ref))?.sizeBytes ?? 0;
    const median = (values: readonly number[]) => percentile(values, 50);
    const warmCount = planned.length - 1;
    const stageFigures = (times: Timing[], name: string): StageFigures => ({
      wallMs: spread(times.slice(1).map((t) => t.wallMs)),
      cpuMs: spread(times.slice(1).map((t) => t.cpuMs)),
      requests: tally.of(`${name}-warm`, warmCount),
    });
    return {
      machine,
      pinned: pinned,
      pinning,
      chunks: planned.length,
      chunkRows: options.chunkRows,
      rows: planned.length * options.chunkRows,
      directorySize: options.directorySize,
      seed: options.seed,
      coldStart: {
        matcherInit: matcherInit.timing,
        labelerInit: labelerInit.timing,
        firstChunk: { matcher: matcherTimes[0] as Timing, labeler: labelerTimes[0] as Timing },
        requests: { matcherInit: tally.of('matcher-init', 1), matcherFirstChunk: tally.of('matcher-first', 1) },
      },
      warm: { chunks: warmCount, matcher: stageFigures(matcherTimes, 'matcher'), labeler: stageFigures(labelerTimes, 'labeler') },
      bytesPerChunk: {
        inputRange: median(
          planned.map((entry) => {
            const { range } = (JSON.parse(entry.detail) as { data: { range: { start: number; end: number } } }).data;
            return range.end - range.start;
          }),
        ),
        matched: median(await Promise.all(results.map((r) => sizeOf(r.matched)))),
        labeled: median(await Promise.all(results.map((r) => sizeOf(r.labeled)))),
      },
      peakRssMb,
      notIncluded:
        "S3's, DynamoDB's and EventBridge's round trips: the local object store (files on disk) and tables (SQLite) answer instead, " +
        'and published events are kept in memory. Per chunk and stage that is about a ranged GET and a PUT of about 1 MB each ' +
        "(each stage's requests are counted), plus one PutEvents.",
    };
  } finally {
    await runtime.close();
    rmSync(dataDir, { recursive: true, force: true });
  }
}

/** The readable report. */
export function chunkBenchTable(result: ChunkBenchResult): string {
  const { machine } = result;
  const kb = (bytes: number) => `${round(bytes / 1024)} KB`;
  const row = (name: string, figures: StageFigures) =>
    `| ${name} | ${figures.wallMs.median} | ${figures.wallMs.p90} | ${figures.cpuMs.median} | ${figures.cpuMs.p90} |`;
  const requests = (counts: Record<string, number>) =>
    Object.entries(counts)
      .map(([name, n]) => `${name} ${n}`)
      .join(', ') || 'none';
  const cold = result.coldStart;
  return [
    `matcher and labeler per chunk: ${result.chunks} chunks of ${result.chunkRows} rows (${result.rows} rows), directory of ${result.directorySize} people, seed ${result.seed}`,
    `machine: ${machine.cpus} x ${machine.cpuModel}, ${machine.memoryGiB} GiB, Node ${machine.node}, load average at start ${machine.loadAverage.join(' ')}`,
    `pinned to one core: ${result.pinned ? 'yes' : 'no'} (${result.pinning})`,
    '',
    'cold start (one container of each):',
    `| what | wall ms | CPU ms |`,
    '| --- | ---: | ---: |',
    `| matcher composed (directory read and indexed, nickname table loaded) | ${cold.matcherInit.wallMs} | ${cold.matcherInit.cpuMs} |`,
    `| labeler composed | ${cold.labelerInit.wallMs} | ${cold.labelerInit.cpuMs} |`,
    `| matcher, first chunk (the job's linkage model learnt, nickname cache empty) | ${cold.firstChunk.matcher.wallMs} | ${cold.firstChunk.matcher.cpuMs} |`,
    `| labeler, first chunk | ${cold.firstChunk.labeler.wallMs} | ${cold.firstChunk.labeler.cpuMs} |`,
    '',
    `warm chunks (${result.warm.chunks}), per chunk:`,
    '| stage | wall ms median | wall ms p90 | CPU ms median | CPU ms p90 |',
    '| --- | ---: | ---: | ---: | ---: |',
    row('matcher (`chunks`)', result.warm.matcher),
    row('labeler (`chunks`)', result.warm.labeler),
    '',
    `peak RSS of the process: ${result.peakRssMb} MB`,
    `per chunk (median): input range ${kb(result.bytesPerChunk.inputRange)}, matched chunk ${kb(result.bytesPerChunk.matched)}, labeled chunk ${kb(result.bytesPerChunk.labeled)}`,
    `requests per warm chunk, matcher: ${requests(result.warm.matcher.requests)}`,
    `requests per warm chunk, labeler: ${requests(result.warm.labeler.requests)}`,
    `requests of the matcher's cold start: composition ${requests(cold.requests.matcherInit)}; first chunk ${requests(cold.requests.matcherFirstChunk)}`,
    `not included: ${result.notIncluded}`,
    'Lambda gives CPU in proportion to memory, one vCPU at 1,769 MB: the matcher (2,048 MB) has a little more than the one core its thread uses, the labeler (1,024 MB) about 0.58 of one.',
  ].join('\n');
}

/**
 * Runs the bench in a child pinned with taskset to CPU 0 (or the first CPU this process may use); undefined when
 * taskset is not there (then the bench runs unpinned, and says so).
 */
async function runPinned(argv: readonly string[]): Promise<number | undefined> {
  if (spawnSync('taskset', ['-V'], { stdio: 'ignore' }).error) return undefined;
  const cpu = /^\d+/.exec(allowedCpus() ?? '')?.[0] ?? '0';
  // The same Node.js with the same loader flags (tsx's), the same script and arguments.
  const child = spawn('taskset', ['-c', cpu, process.execPath, ...process.execArgv, process.argv[1] as string, ...argv], {
    stdio: 'inherit',
    env: { ...process.env, [CHILD_ENV]: `taskset -c ${cpu}` },
  });
  return new Promise((done, fail) => {
    child.on('error', fail);
    child.on('close', (code, signal) => done(code ?? (signal ? 1 : 0)));
  });
}

if (require.main === module) {
  const argv = process.argv.slice(2);
  const main = async (): Promise<number> => {
    const options = parseChunkBenchArgs(argv);
    if (!process.env[CHILD_ENV]) {
      const code = await runPinned(argv);
      if (code !== undefined) return code;
    }
    const result = await chunkBench(options, (line) => process.stderr.write(`${line}\n`));
    process.stdout.write(options.json ? `${JSON.stringify(result)}\n` : `${chunkBenchTable(result)}\n`);
    return 0;
  };
  main()
    .then((code) => process.exit(code))
    .catch((error: unknown) => {
      process.stderr.write(`bench:chunk: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
      process.exit(1);
    });
}
