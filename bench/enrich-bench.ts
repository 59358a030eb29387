// npm run bench [-- --rows 100000,1000000 --directory-size 100000 --chunk-rows 1000 --seed 1 --heap-cap MB --worker-threads N --json]
//
// Generates a synthetic book of N rows against a directory of people, runs `refinery enrich` on it in a child
// process (exactly as a user would), and prints rows per second, wall time per stage (from the job's events) and the
// child's peak memory (VmHWM). Several sizes side by side show whether memory grows with the file. V8 lets its heap
// grow lazily when it has room, so peak RSS alone overstates what a run needs: --heap-cap runs the child with
// --max-old-space-size=MB, and a size that completes under a cap needed no more than that.
//
// It prints issue 16's targets beside the figures: before each enrich, it streams the same contacts.csv through
// csv-parse (`columns: true`, the project's version) in this process and times it; the end-to-end rate is compared with
// that parse rate (at least 0.2 of it at 1,000,000 rows, 0.15 at 100,000), the peak RSS with 512 MB, and, when both
// 100,000 and 1,000,000 rows run, the larger run's peak with 1.2 times the smaller one's.
//
// It also prints the child's CPU time (user + system, from /proc), split into the main thread's and the busiest other
// thread's (with --worker-threads 1 that is the matcher's thread): which of the two is the critical path. --json prints
// one JSON object instead of the text: {"machine": ..., "results": [BenchResult, ...], "targets": ...}.
import { spawn } from 'node:child_process';
import { createReadStream, existsSync, mkdirSync, readdirSync, readFileSync, rmSync, statSync } from 'node:fs';
import { cpus, totalmem } from 'node:os';
import { join, resolve } from 'node:path';
import { writeDataset } from '@refinery/synthetic-data';
import Database from 'better-sqlite3';
import { parse } from 'csv-parse';

interface Options {
  rows: number[];
  directorySize: number;
  chunkRows: number;
  seed: number;
  outDir: string;
  heapCapMb?: number;
  /** `refinery enrich --worker-threads`: absent, the command's default. */
  workerThreads?: number;
  /** One JSON object on stdout instead of the text report. */
  json?: boolean;
}

function parseArgs(argv: readonly string[]): Options {
  const options: Options = { rows: [1_000_000], directorySize: 100_000, chunkRows: 1000, seed: 1, outDir: resolve(__dirname, 'out') };
  for (let i = 0; i < argv.length; i += 1) {
    const value = argv[i + 1] ?? '';
    switch (argv[i]) {
      case '--rows':
        options.rows = value.split(',').map((n) => Number(n.replace(/_/g, '')));
        i += 1;
        break;
      case '--directory-size':
        options.directorySize = Number(value);
        i += 1;
        break;
      case '--chunk-rows':
        options.chunkRows = Number(value);
        i += 1;
        break;
      case '--seed':
        options.seed = Number(value);
        i += 1;
        break;
      case '--heap-cap':
        options.heapCapMb = Number(value);
        i += 1;
        break;
      case '--worker-threads':
        options.workerThreads = Number(value);
        i += 1;
        break;
      case '--out':
        options.outDir = resolve(value);
        i += 1;
        break;
      case '--json':
        options.json = true;
        break;
      default:
        throw new Error(`unknown option ${argv[i]}`);
    }
  }
  if (options.rows.some((n) => !Number.isInteger(n) || n < 1)) throw new Error('--rows takes positive integers, e.g. 100000,1000000');
  return options;
}

export interface BenchResult {
  readonly rows: number;
  readonly wallSeconds: number;
  readonly rowsPerSecond: number;
  readonly peakRssMb: number;
  readonly stages: Record<string, number>;
  readonly inputMb: number;
  readonly liveUpdates: LiveUpdates;
  /** csv-parse (`columns: true`) streaming the same contacts.csv in the bench process just before the enrich. */
  readonly parseRowsPerSecond: number;
  /** rowsPerSecond ÷ parseRowsPerSecond: the issue's measure of throughput. */
  readonly parseRatio: number;
  /** The issue's target for parseRatio at this size (0.2 from 1,000,000 rows, 0.15 from 100,000), null below. */
  readonly parseRatioTarget: number | null;
  /** The issue's ceiling for peakRssMb at default V8 settings. */
  readonly peakRssTargetMb: number;
  /** The refinery process's CPU time (user + system), as last sampled before it exited (every 100 ms). */
  readonly cpu: CpuSeconds;
}

/** CPU seconds of a process: all of it, its main thread, and its busiest other thread (a worker thread, if any runs). */
export interface CpuSeconds {
  readonly total: number;
  readonly mainThread: number;
  readonly busiestOtherThread: number;
}

/** Issue 16's targets. */
export const TARGETS = { peakRssMb: 512, peakGrowth: 1.2, parseRatioAt1M: 0.2, parseRatioAt100k: 0.15 } as const;

/** The parse-ratio target of a size: the issue names 1,000,000 and 100,000 rows; larger sizes get the larger one's. */
export function parseRatioTarget(rows: number): number | null {
  if (rows >= 1_000_000) return TARGETS.parseRatioAt1M;
  if (rows >= 100_000) return TARGETS.parseRatioAt100k;
  return null;
}

/** The 1,000,000-row run's peak RSS ÷ the 100,000-row run's, when both ran (the issue's growth target, at most 1.2). */
export function peakGrowth(results: readonly BenchResult[]): number | undefined {
  const small = results.find((r) => r.rows === 100_000);
  const large = results.find((r) => r.rows === 1_000_000);
  return small && large && small.peakRssMb > 0 ? Math.round((large.peakRssMb / small.peakRssMb) * 100) / 100 : undefined;
}

/** Rows per second of a csv-parse passthrough (`columns: true`, every record counted and dropped) of a CSV file. */
export async function parsePassthrough(path: string): Promise<{ rows: number; rowsPerSecond: number }> {
  const started = process.hrtime.bigint();
  let rows = 0;
  for await (const _record of createReadStream(path).pipe(parse({ columns: true }))) rows += 1;
  const seconds = Number(process.hrtime.bigint() - started) / 1e9;
  return { rows, rowsPerSecond: Math.round(rows / seconds) };
}

/** How often ingest published the job's state for the live updates (job.progressed.v1), against its chunk count. */
export interface LiveUpdates {
  readonly chunks: number;
  readonly published: number;
  /** The most published in any one-second window (ingest's throttle: one per 250 ms by default, so at most 4-5). */
  readonly maxPerSecond: number;
  /** The status of the last state published: the latest state must always be published, so `completed`. */
  readonly lastStatus: string;
}

/** Peak resident memory of a running process (Linux VmHWM), in MB; 0 where /proc is not available. */
function peakRssMb(pid: number): number {
  try {
    const status = readFileSync(`/proc/${pid}/status`, 'utf8');
    const match = /VmHWM:\s+(\d+) kB/.exec(status);
    return match ? Number(match[1]) / 1024 : 0;
  } catch {
    return 0;
  }
}

// Linux's USER_HZ: /proc's CPU times are in ticks of 1/100 s on every architecture Node.js runs on.
const TICKS_PER_SECOND = 100;

/** User + system CPU seconds of a /proc stat line (fields 14 and 15, counted after the parenthesized name). */
function statCpuSeconds(stat: string): number {
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return (Number(fields[11]) + Number(fields[12])) / TICKS_PER_SECOND;
}

/**
 * Samples a running process's CPU time and its threads'. A thread's figure is its last sample (a worker thread that
 * ended before the process is gone from /proc, but its time stays in the process's total).
 */
export class CpuSampler {
  private total = 0;
  private readonly threads = new Map<number, number>();

  constructor(private readonly pid: number) {}

  sample(): void {
    try {
      this.total = statCpuSeconds(readFileSync(`/proc/${this.pid}/stat`, 'utf8'));
      for (const tid of readdirSync(`/proc/${this.pid}/task`)) {
        try {
          this.threads.set(Number(tid), statCpuSeconds(readFileSync(`/proc/${this.pid}/task/${tid}/stat`, 'utf8')));
        } catch {
          // the thread ended between the listing and the read
        }
      }
    } catch {
      // no /proc, or the process has exited: the last sample stands
    }
  }

  get seconds(): CpuSeconds {
    let busiestOtherThread = 0;
    for (const [tid, seconds] of this.threads) if (tid !== this.pid) busiestOtherThread = Math.max(busiestOtherThread, seconds);
    return { total: this.total, mainThread: this.threads.get(this.pid) ?? 0, busiestOtherThread };
  }
}

export async function runEnrich(args: string[], heapCapMb?: number): Promise<{ seconds: number; peakMb: number; cpu: CpuSeconds; stdout: string }> {
  const bin = resolve(__dirname, '../apps/refinery/bin/refinery.js');
  const started = process.hrtime.bigint();
  const execArgv = heapCapMb ? [`--max-old-space-size=${heapCapMb}`] : [];
  const child = spawn(process.execPath, [...execArgv, bin, ...args], {
    stdio: ['ignore', 'pipe', 'inherit'],
    env: { ...process.env, LOG_LEVEL: 'warn' },
  });
  let stdout = '';
  child.stdout.on('data', (chunk) => (stdout += chunk));
  let peak = 0;
  const cpu = new CpuSampler(child.pid as number);
  const sampler = setInterval(() => {
    peak = Math.max(peak, peakRssMb(child.pid as number));
    cpu.sample();
  }, 100);
  const code = await new Promise<number | null>((done) => child.on('close', done));
  clearInterval(sampler);
  if (code !== 0) throw new Error(`refinery enrich exited with ${code}`);
  return { seconds: Number(process.hrtime.bigint() - started) / 1e9, peakMb: peak, cpu: cpu.seconds, stdout };
}

type LoggedEvent = { type: string; detail: { metadata?: { occurredAt?: string }; data?: { job?: { status: string; version: number } } } };

/** Every event of the data dir's event log, in the order the bus took them. */
function loggedEvents(dataDir: string): LoggedEvent[] {
  const db = new Database(join(dataDir, 'refinery.db'), { readonly: true });
  try {
    const rows = db.prepare('SELECT detail_type AS type, body FROM events ORDER BY seq').all() as { type: string; body: string }[];
    return rows.map((row) => ({ type: row.type, detail: (JSON.parse(row.body) as { detail: LoggedEvent['detail'] }).detail }));
  } finally {
    db.close();
  }
}

function liveUpdates(events: readonly LoggedEvent[]): LiveUpdates {
  const progressed = events.filter((event) => event.type === 'job.progressed.v1');
  const times = progressed.map((event) => Date.parse(event.detail.metadata?.occurredAt ?? '')).sort((a, b) => a - b);
  let maxPerSecond = 0;
  for (let first = 0, last = 0; first < times.length; first++) {
    while (last < times.length && (times[last] as number) - (times[first] as number) < 1000) last++;
    maxPerSecond = Math.max(maxPerSecond, last - first);
  }
  const latest = progressed.reduce<LoggedEvent | undefined>(
    (a, b) => ((b.detail.data?.job?.version ?? 0) > (a?.detail.data?.job?.version ?? -1) ? b : a),
    undefined,
  );
  return {
    chunks: events.filter((event) => event.type === 'chunk.labeled.v1').length,
    published: progressed.length,
    maxPerSecond,
    lastStatus: latest?.detail.data?.job?.status ?? 'none',
  };
}

/** Wall time of each stage, from the first to the last event of it in the job's event log. */
function stageTimes(events: readonly LoggedEvent[]): Record<string, number> {
  const times = new Map<string, number[]>();
  for (const event of events) {
    const at = Date.parse(event.detail.metadata?.occurredAt ?? '');
    if (Number.isNaN(at)) continue;
    times.set(event.type, [...(times.get(event.type) ?? []), at]);
  }
  const first = (type: string): number => Math.min(...(times.get(type) ?? [NaN]));
  const last = (type: string): number => Math.max(...(times.get(type) ?? [NaN]));
  const seconds = (from: number, to: number): number => Math.round(to - from) / 1000;
  return {
    'ingest (created -> submitted)': seconds(first('job.created.v1'), first('job.submitted.v1')),
    'chunker (submitted -> planned)': seconds(first('job.submitted.v1'), first('job.planned.v1')),
    'matcher (first chunk planned -> last chunk matched)': seconds(first('chunk.planned.v1'), last('chunk.matched.v1')),
    'labeler (first matched -> last labeled)': seconds(first('chunk.matched.v1'), last('chunk.labeled.v1')),
    'merger (last labeled -> completed)': seconds(last('chunk.labeled.v1'), first('job.completed.v1')),
    'pipeline (submitted -> completed)': seconds(first('job.submitted.v1'), first('job.completed.v1')),
  };
}

export async function bench(options: Options, print: (line: string) => void = (line) => process.stdout.write(`${line}\n`)): Promise<BenchResult[]> {
  mkdirSync(options.outDir, { recursive: true });
  // With --json the text report is not printed, only one object at the end (the command's progress goes to stderr).
  const log = options.json ? () => undefined : print;
  const machine = `${cpus().length} x ${cpus()[0]?.model ?? 'cpu'}, ${Math.round(totalmem() / 2 ** 30)} GiB, Node ${process.version}`;
  log(`machine: ${machine}`);
  const results: BenchResult[] = [];
  for (const rows of options.rows) {
    const dir = join(options.outDir, `book-${rows}-dir-${options.directorySize}-seed-${options.seed}`);
    const bookPath = join(dir, 'contacts.csv');
    if (!existsSync(bookPath)) {
      const t = Date.now();
      await writeDataset({ seed: options.seed, directorySize: options.directorySize, bookSize: rows, dir });
      log(`generated ${rows} rows x ${options.directorySize} people in ${((Date.now() - t) / 1000).toFixed(1)} s (${dir})`);
    }
    const dataDir = join(dir, 'data');
    rmSync(dataDir, { recursive: true, force: true });
    const parsed = await parsePassthrough(bookPath);
    if (parsed.rows !== rows) throw new Error(`${bookPath}: csv-parse read ${parsed.rows} rows, expected ${rows}`);
    const run = await runEnrich(
      [
        'enrich',
        bookPath,
        '--out',
        join(dir, 'result.csv'),
        '--directory',
        join(dir, 'directory.csv'),
        '--data-dir',
        dataDir,
        '--chunk-rows',
        String(options.chunkRows),
        ...(options.workerThreads !== undefined ? ['--worker-threads', String(options.workerThreads)] : []),
      ],
      options.heapCapMb,
    );
    const events = loggedEvents(dataDir);
    const result: BenchResult = {
      rows,
      wallSeconds: Math.round(run.seconds * 10) / 10,
      rowsPerSecond: Math.round(rows / run.seconds),
      peakRssMb: Math.round(run.peakMb),
      stages: stageTimes(events),
      inputMb: Math.round(statSync(bookPath).size / 2 ** 20),
      liveUpdates: liveUpdates(events),
      parseRowsPerSecond: parsed.rowsPerSecond,
      parseRatio: Math.round((rows / run.seconds / parsed.rowsPerSecond) * 1000) / 1000,
      parseRatioTarget: parseRatioTarget(rows),
      peakRssTargetMb: TARGETS.peakRssMb,
      cpu: { total: round1(run.cpu.total), mainThread: round1(run.cpu.mainThread), busiestOtherThread: round1(run.cpu.busiestOtherThread) },
    };
    results.push(result);
    const cap = `${options.heapCapMb ? `, old generation capped at ${options.heapCapMb} MB` : ''}${options.workerThreads !== undefined ? `, ${options.workerThreads} worker thread(s)` : ''}`;
    log(`\n${rows} rows (${result.inputMb} MB), directory ${options.directorySize}, chunks of ${options.chunkRows}${cap}:`);
    log(`  wall time (command, incl. start-up): ${result.wallSeconds} s  ->  ${result.rowsPerSecond} rows/s`);
    log(`  peak memory (VmHWM of the refinery process): ${result.peakRssMb} MB`);
    log(
      `  CPU (user + system): ${result.cpu.total} s, of which main thread ${result.cpu.mainThread} s, busiest other thread ${result.cpu.busiestOtherThread} s`,
    );
    log(`  csv-parse passthrough of the same file (columns: true, in the bench process): ${result.parseRowsPerSecond} rows/s`);
    for (const [stage, seconds] of Object.entries(result.stages)) log(`  ${stage}: ${seconds} s`);
    const live = result.liveUpdates;
    log(
      `  live updates: ${live.published} job.progressed.v1 for ${live.chunks} chunks, at most ${live.maxPerSecond} in any second, the last one ${live.lastStatus}`,
    );
  }
  if (results.length > 1) {
    log('\nsummary');
    log('| rows | input MB | wall s | rows/s | peak MB |');
    log('| ---: | ---: | ---: | ---: | ---: |');
    for (const r of results) log(`| ${r.rows} | ${r.inputMb} | ${r.wallSeconds} | ${r.rowsPerSecond} | ${r.peakRssMb} |`);
  }
  for (const line of targetLines(results, options.heapCapMb !== undefined)) log(line);
  if (options.json) print(JSON.stringify({ machine, results, targets: TARGETS, peakGrowth: peakGrowth(results) ?? null }));
  return results;
}

const round1 = (value: number): number => Math.round(value * 10) / 10;

const verdict = (met: boolean): string => (met ? 'met' : 'NOT met');

/** The issue's targets against this run's figures, one line each. */
function targetLines(results: readonly BenchResult[], capped: boolean): string[] {
  const lines = ['\ntargets (issue 16)'];
  for (const r of results) {
    const ratio = `${r.rows} rows: ${r.rowsPerSecond} rows/s ÷ csv-parse ${r.parseRowsPerSecond} rows/s = ${r.parseRatio}`;
    lines.push(
      r.parseRatioTarget === null
        ? `  ${ratio} (no target below 100,000 rows)`
        : `  ${ratio}, target >= ${r.parseRatioTarget}: ${verdict(r.parseRatio >= r.parseRatioTarget)}`,
    );
    // The memory target is for default V8 settings: a run with --heap-cap is not one.
    const peak = `${r.rows} rows: peak RSS ${r.peakRssMb} MB, target <= ${r.peakRssTargetMb} MB at default V8 settings`;
    lines.push(capped ? `  ${peak}: not judged (--heap-cap)` : `  ${peak}: ${verdict(r.peakRssMb <= r.peakRssTargetMb)}`);
  }
  const growth = peakGrowth(results);
  lines.push(
    growth === undefined
      ? '  peak growth: needs both 100000 and 1000000 rows in one run (--rows 100000,1000000)'
      : `  peak growth: 1000000 rows' peak ÷ 100000 rows' = ${growth}, target <= ${TARGETS.peakGrowth}: ${verdict(growth <= TARGETS.peakGrowth)}`,
  );
  return lines;
}

if (require.main === module) {
  bench(parseArgs(process.argv.slice(2))).catch((error: unknown) => {
    process.stderr.write(`bench: ${(error as Error).message}\n`);
    process.exit(1);
  });
}
