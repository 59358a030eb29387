// npm run bench:fairness [-- --big 200000 --small 1000 --window 8 --chunk-rows 1000 --directory-size 100000 --seed 1
//                           --running-after 3 --express-max-rows N --out DIR] [--aws [--busy-loops N]]
//
// Does a small job wait behind a big one? Generates a big and a small synthetic book (libs/synthetic-data, the same
// directory for both), then, on the embedded runtime in this process (every service, one data dir, two tenants):
//
//   1. alone: a fresh data dir; the small job (tenant globex) twice, one after the other; the second is the figure
//      (the first warms the process up, as the big job warms it in step 2);
//   2. together: another fresh data dir; the big job (tenant acme, uploaded like `refinery enrich` does), and once it
//      is running (--running-after chunks matched) the small job; then both to the end.
//
// Times are the jobs' own, from the event log: job.created.v1 to job.completed.v1 (so the big job's upload is in its
// time, and the client's polling is in neither). Prints the small job's time alone and beside the big job, their
// ratio, the big job's time, and how many of the big job's chunks were matched when the small job was submitted and
// when it completed. --window sets the chunker's window (chunks of one job released to the matcher at a time);
// --window 100000 effectively turns it off (every chunk is published at once, as before windows existed).
// --express-max-rows sets the chunker's expressMaxRows (jobs of at most that many rows go to the matcher's express
// lane, all their chunks at once); 0 turns the express lane off, as before it existed. Default: the chunker's.
//
// --aws: the same on the AWS adapters — the packaged stacks on moto, every function run from its bundle (`refinery
// emulate`, bench/lib/emulated-stage.ts), the window as the chunker's CHUNK_WINDOW. One stage for both steps (starting
// one takes half a minute): the small job alone twice, then the big job and the small one beside it. The big job's
// chunks are counted from its history as ingest records it, which on AWS holds chunk.labeled.v1 and not
// chunk.matched.v1: there, "matched" in the report means labeled (before the small job's job.created.v1 and
// job.completed.v1). The small job's timeline alone is printed too, to compare stage by stage. Smaller books suit it:
// moto is slower than SQLite (docs/scale.md has the figures).
//
// --busy-loops N (with --aws): after the small job alone, runs it once more while N processes spin on this machine's
// cores, and reports that time too. On AWS each invocation has its own CPU; here every function, moto and the big job
// share two cores, so the small job beside the big one is slower for two reasons, the pipeline's queueing (what the
// target is about) and the CPU the big job takes. The busy loops take CPU and share no queue, so the small job's time
// beside them is what CPU contention alone costs it (docs/scale.md, "Fairness on the AWS adapters").
import { spawn } from 'node:child_process';
import { mkdirSync, readdirSync, readFileSync, rmSync, statSync } from 'node:fs';
import { cpus, totalmem } from 'node:os';
import { join, resolve } from 'node:path';
import { ApiClient, type HistoryEntry, type LocalApp, startLocalApp } from '@refinery/cli';
import { writeDataset } from '@refinery/synthetic-data';
import { jobTimes, startBenchStage, submitBook, waitForJob } from './lib/emulated-stage';

export interface FairnessOptions {
  big: number;
  small: number;
  window: number;
  chunkRows: number;
  directorySize: number;
  seed: number;
  /** The small job is submitted once this many of the big job's chunks are matched. */
  runningAfter: number;
  outDir: string;
  /** On the emulated AWS stage instead of the embedded local mode. */
  aws: boolean;
  /** The chunker's expressMaxRows; undefined: its default. */
  expressMaxRows: number | undefined;
  /** With aws: the small job once more while this many processes spin on the cores (0: not run). */
  busyLoops: number;
}

export interface FairnessResult {
  readonly mode: 'local' | 'aws';
  readonly window: number;
  readonly smallAloneSeconds: number;
  /** The first run of the small job alone, in a cold process (for reference). */
  readonly smallAloneColdSeconds: number;
  /** The small job alone while --busy-loops processes spin (aws only; absent without --busy-loops). */
  readonly smallAloneBusySeconds?: number;
  readonly smallWithBigSeconds: number;
  readonly ratio: number;
  readonly bigSeconds: number;
  readonly bigChunks: number;
  /** Big-job chunks matched when the small job was submitted, and when it completed. */
  readonly bigMatchedAtSubmit: number;
  readonly bigMatchedAtSmallDone: number;
  /** The small job's way through the pipeline beside the big one: each of its events, when, and big chunks matched by then. */
  readonly smallTimeline: readonly { type: string; seconds: number; bigMatched: number }[];
}

const TOKENS = { acme: 'bench-token-acme-0001', globex: 'bench-token-globex-0002' };
const API_TOKENS = `acme:${TOKENS.acme},globex:${TOKENS.globex}`;

function parseArgs(argv: readonly string[]): FairnessOptions {
  const options: FairnessOptions = {
    big: 200_000,
    small: 1000,
    window: 8,
    chunkRows: 1000,
    directorySize: 100_000,
    seed: 1,
    runningAfter: 3,
    outDir: resolve(__dirname, 'out'),
    aws: false,
    expressMaxRows: undefined,
    busyLoops: 0,
  };
  const number = (flag: string, value: string | undefined, min: number): number => {
    const parsed = Number((value ?? '').replace(/_/g, ''));
    if (!Number.isSafeInteger(parsed) || parsed < min) throw new Error(`${flag} takes a whole number of at least ${min}, got "${value ?? ''}"`);
    return parsed;
  };
  for (let i = 0; i < argv.length; i += 2) {
    const flag = argv[i];
    const value = argv[i + 1];
    if (flag === '--aws') {
      options.aws = true;
      i -= 1; // a flag without a value
    } else if (flag === '--big') options.big = number(flag, value, 1);
    else if (flag === '--small') options.small = number(flag, value, 1);
    else if (flag === '--window') options.window = number(flag, value, 1);
    else if (flag === '--chunk-rows') options.chunkRows = number(flag, value, 1);
    else if (flag === '--directory-size') options.directorySize = number(flag, value, 1);
    else if (flag === '--seed') options.seed = number(flag, value, 0);
    else if (flag === '--running-after') options.runningAfter = number(flag, value, 1);
    else if (flag === '--express-max-rows') options.expressMaxRows = number(flag, value, 0);
    else if (flag === '--busy-loops') options.busyLoops = number(flag, value, 0);
    else if (flag === '--out') options.outDir = resolve(value ?? '');
    else throw new Error(`unknown option ${flag}`);
  }
  if (options.busyLoops > 0 && !options.aws) throw new Error('--busy-loops goes with --aws (the emulated stage)');
  return options;
}

/** A synthetic book against the seed's directory, generated once and kept (books of the same size are reused). */
async function book(options: FairnessOptions, rows: number, log: (line: string) => void): Promise<{ bookPath: string; directoryPath: string }> {
  const dir = join(options.outDir, `book-${rows}-dir-${options.directorySize}-seed-${options.seed}`);
  const bookPath = join(dir, 'contacts.csv');
  const directoryPath = join(dir, 'directory.csv');
  try {
    statSync(bookPath);
    statSync(directoryPath);
  } catch {
    const started = Date.now();
    await writeDataset({ seed: options.seed, directorySize: options.directorySize, bookSize: rows, dir });
    log(`generated ${rows} rows x ${options.directorySize} people in ${((Date.now() - started) / 1000).toFixed(1)} s (${dir})`);
  }
  return { bookPath, directoryPath };
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** Reads one job's events from the local event log as they arrive. */
class JobWatch {
  private afterSeq = 0;
  matched = 0;
  createdAt: number | undefined;
  endedAt: number | undefined;
  ending: string | undefined;
  reason: string | undefined;

  constructor(
    private readonly app: LocalApp,
    readonly jobId: string,
  ) {}

  poll(): void {
    for (;;) {
      const events = this.app.runtime.bus.history({ jobId: this.jobId, afterSeq: this.afterSeq, limit: 1000 });
      for (const logged of events) {
        this.afterSeq = logged.seq;
        const detail = logged.event.detail as { metadata?: { occurredAt?: string }; data?: { reason?: string } };
        const at = Date.parse(detail.metadata?.occurredAt ?? '');
        if (logged.detailType === 'chunk.matched.v1') this.matched += 1;
        else if (logged.detailType === 'job.created.v1') this.createdAt = at;
        else if ((logged.detailType === 'job.completed.v1' || logged.detailType === 'job.failed.v1') && this.ending === undefined) {
          this.ending = logged.detailType;
          this.endedAt = at;
          this.reason = detail.data?.reason;
        }
      }
      if (events.length < 1000) return;
    }
  }

  async until(done: () => boolean, timeoutMs: number): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      this.poll();
      if (this.ending === 'job.failed.v1') throw new Error(`job ${this.jobId} failed: ${this.reason ?? 'no reason'}`);
      if (done()) return;
      if (Date.now() > deadline) throw new Error(`job ${this.jobId}: still waiting after ${timeoutMs} ms (${this.matched} chunks matched)`);
      await sleep(10);
    }
  }

  /** job.created.v1 -> job.completed.v1, in seconds. */
  get seconds(): number {
    if (this.createdAt === undefined || this.endedAt === undefined) throw new Error(`job ${this.jobId} has not ended`);
    return (this.endedAt - this.createdAt) / 1000;
  }
}

async function withApp<T>(options: FairnessOptions, directoryPath: string, name: string, run: (app: LocalApp) => Promise<T>): Promise<T> {
  const dataDir = join(options.outDir, `fairness-data-${name}-${process.pid}`);
  rmSync(dataDir, { recursive: true, force: true });
  mkdirSync(dataDir, { recursive: true });
  const app = await startLocalApp({
    dataDir,
    directory: directoryPath,
    port: 0,
    apiTokens: API_TOKENS,
    settings: {
      chunker: { chunkWindow: options.window, ...(options.expressMaxRows === undefined ? {} : { expressMaxRows: options.expressMaxRows }) },
    },
  });
  try {
    return await run(app);
  } finally {
    await app.close();
    rmSync(dataDir, { recursive: true, force: true });
  }
}

async function submitFile(app: LocalApp, client: ApiClient, path: string, chunkRows: number): Promise<JobWatch> {
  const created = await client.createUploadJob({ filename: 'contacts.csv', sizeBytes: statSync(path).size, chunkRows });
  if (!created.upload) throw new Error('no upload target');
  await client.upload(created.upload, path);
  return new JobWatch(app, created.jobId);
}

export async function fairnessBench(
  options: FairnessOptions,
  log: (line: string) => void = (line) => process.stdout.write(`${line}\n`),
): Promise<FairnessResult> {
  mkdirSync(options.outDir, { recursive: true });
  log(`machine: ${cpus().length} x ${cpus()[0]?.model ?? 'cpu'}, ${Math.round(totalmem() / 2 ** 30)} GiB, Node ${process.version}`);
  const big = await book(options, options.big, log);
  const small = await book(options, options.small, log);
  const timeout = 30 * 60_000;
  if (options.aws) return report(options, await fairnessOnAws(options, big.directoryPath, big.bookPath, small.bookPath, log), log);

  // 1. The small job alone, on a fresh data dir: a cold run, then the measured one.
  const alone = await withApp(options, big.directoryPath, 'alone', async (app) => {
    const globex = new ApiClient(app.url, TOKENS.globex);
    const runs: number[] = [];
    for (let i = 0; i < 2; i += 1) {
      const job = await submitFile(app, globex, small.bookPath, options.chunkRows);
      await job.until(() => job.ending !== undefined, timeout);
      runs.push(job.seconds);
    }
    return { cold: runs[0] as number, warm: runs[1] as number };
  });
  log(`small job alone (${options.small} rows): ${alone.warm.toFixed(2)} s (cold first run ${alone.cold.toFixed(2)} s)`);

  // 2. The big job, then the small one once the big one is running.
  const together = await withApp(options, big.directoryPath, 'together', async (app) => {
    const acme = new ApiClient(app.url, TOKENS.acme);
    const globex = new ApiClient(app.url, TOKENS.globex);
    const bigJob = await submitFile(app, acme, big.bookPath, options.chunkRows);
    await bigJob.until(() => bigJob.matched >= options.runningAfter, timeout);
    const atSubmit = bigJob.matched;
    const smallJob = await submitFile(app, globex, small.bookPath, options.chunkRows);
    await smallJob.until(() => smallJob.ending !== undefined, timeout);
    bigJob.poll();
    const atSmallDone = bigJob.matched;
    log(`small job beside the big one: ${smallJob.seconds.toFixed(2)} s (submitted with ${atSubmit} big chunks matched; done with ${atSmallDone})`);
    const smallTimeline = timeline(app, bigJob.jobId, smallJob.jobId);
    await bigJob.until(() => bigJob.ending !== undefined, timeout);
    return { small: smallJob.seconds, big: bigJob.seconds, bigChunks: bigJob.matched, atSubmit, atSmallDone, smallTimeline };
  });

  return report(
    options,
    {
      mode: 'local',
      window: options.window,
      smallAloneSeconds: round(alone.warm),
      smallAloneColdSeconds: round(alone.cold),
      smallWithBigSeconds: round(together.small),
      ratio: round(together.small / alone.warm),
      bigSeconds: round(together.big),
      bigChunks: together.bigChunks,
      bigMatchedAtSubmit: together.atSubmit,
      bigMatchedAtSmallDone: together.atSmallDone,
      smallTimeline: together.smallTimeline,
    },
    log,
  );
}

/** Prints the small job's timeline and the table row; returns the result. */
function report(options: FairnessOptions, result: FairnessResult, log: (line: string) => void): FairnessResult {
  log('');
  log('the small job beside the big one, event by event (seconds since its job.created; big chunks matched by then):');
  for (const step of result.smallTimeline)
    log(`  ${step.type.padEnd(18)} ${step.seconds.toFixed(2).padStart(7)} s  ${String(step.bigMatched).padStart(6)}`);
  log('');
  log(
    `| mode | window | express max rows | small alone | small beside big | ratio | big job (${options.big} rows, ${result.bigChunks} chunks) | big chunks matched: at submit / small done |`,
  );
  log('| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: |');
  log(
    `| ${result.mode} | ${options.window} | ${options.expressMaxRows ?? 'default'} | ${result.smallAloneSeconds.toFixed(2)} s | ${result.smallWithBigSeconds.toFixed(2)} s | ${result.ratio.toFixed(2)} | ` +
      `${result.bigSeconds.toFixed(1)} s | ${result.bigMatchedAtSubmit} / ${result.bigMatchedAtSmallDone} |`,
  );
  if (result.smallAloneBusySeconds !== undefined)
    log(
      `small job alone while ${options.busyLoops} processes spin on the cores: ${result.smallAloneBusySeconds.toFixed(2)} s ` +
        `(${(result.smallAloneBusySeconds / result.smallAloneSeconds).toFixed(2)} x alone): what CPU contention alone costs it here`,
    );
  return result;
}

const round = (value: number): number => Math.round(value * 100) / 100;

/** The same measurement on the emulated AWS stage (see --aws above). */
async function fairnessOnAws(
  options: FairnessOptions,
  directoryPath: string,
  bigBook: string,
  smallBook: string,
  log: (line: string) => void,
): Promise<FairnessResult> {
  const timeout = 60 * 60_000;
  log('starting the emulated AWS stage');
  const stage = await startBenchStage({
    directory: directoryPath,
    apiTokens: API_TOKENS,
    metered: false,
    environment: {
      'refinery-chunker-': {
        CHUNK_WINDOW: String(options.window),
        ...(options.expressMaxRows === undefined ? {} : { EXPRESS_MAX_ROWS: String(options.expressMaxRows) }),
      },
    },
  });
  try {
    const acme = stage.client(TOKENS.acme);
    const globex = stage.client(TOKENS.globex);
    const runSmall = async (): Promise<{ jobId: string; events: HistoryEntry[] }> => {
      const jobId = await submitBook(globex, smallBook, options.chunkRows);
      await waitForJob(stage, TOKENS.globex, jobId, timeout, 2000);
      return { jobId, events: await globex.events(jobId) };
    };
    // 1. The small job alone: a cold run, then the measured one.
    const cold = await runSmall();
    const warm = await runSmall();
    const alone = { cold: jobTimes(cold.jobId, cold.events).jobSeconds, warm: jobTimes(warm.jobId, warm.events).jobSeconds };
    log(`small job alone (${options.small} rows): ${alone.warm.toFixed(2)} s (cold first run ${alone.cold.toFixed(2)} s)`);
    let aloneBusy: number | undefined;
    if (options.busyLoops > 0) {
      const busy = await withBusyLoops(options.busyLoops, runSmall);
      aloneBusy = jobTimes(busy.jobId, busy.events).jobSeconds;
      log(`small job alone while ${options.busyLoops} processes spin on the cores: ${aloneBusy.toFixed(2)} s`);
    }
    log('the small job alone, event by event (seconds since its job.created):');
    const warmCreated = Date.parse((warm.events[0] as HistoryEntry).occurredAt);
    for (const event of warm.events)
      log(`  ${event.type.padEnd(18)} ${((Date.parse(event.occurredAt) - warmCreated) / 1000).toFixed(2).padStart(7)} s`);

    // 2. The big job, then the small one once the big one is running (its chunks done, as GET /jobs/{id} says).
    const bigJobId = await submitBook(acme, bigBook, options.chunkRows);
    for (const deadline = Date.now() + timeout; (await acme.job(bigJobId)).chunks.done < options.runningAfter; ) {
      if (Date.now() > deadline) throw new Error(`big job ${bigJobId}: fewer than ${options.runningAfter} chunks done after ${timeout / 1000} s`);
      await new Promise((resolve) => setTimeout(resolve, 250));
    }
    const beside = await runSmall();
    await waitForJob(stage, TOKENS.acme, bigJobId, timeout, 5000);
    const bigEvents = await acme.events(bigJobId);
    const matchedAt = bigEvents.filter((event) => event.type === 'chunk.labeled.v1').map((event) => Date.parse(event.occurredAt));
    const matchedBy = (time: number) => matchedAt.filter((at) => at <= time).length;
    const at = (event: HistoryEntry) => Date.parse(event.occurredAt);
    const smallCreated = at(beside.events[0] as HistoryEntry);
    const smallEnded = at(beside.events.find((event) => event.type === 'job.completed.v1') as HistoryEntry);
    const besideSeconds = jobTimes(beside.jobId, beside.events).jobSeconds;
    log(
      `small job beside the big one: ${besideSeconds.toFixed(2)} s (submitted with ${matchedBy(smallCreated)} big chunks matched; done with ${matchedBy(smallEnded)})`,
    );
    // Where its time went, from the functions' logs (the history holds no chunk.matched.v1 on AWS): each of its
    // chunks matched and labeled, and the job merged, each by which lane, alone and beside the big job.
    for (const [name, run] of [
      ['alone', warm],
      ['beside the big one', beside],
    ] as const) {
      const created = at(run.events[0] as HistoryEntry);
      log(`the small job ${name}, its chunks by function (seconds since its job.created):`);
      for (const [fn, times] of chunkLogTimes(stage.emulator.dataDir, run.jobId))
        log(`  ${fn.padEnd(36)} ${times.map((time) => ((time - created) / 1000).toFixed(1)).join(', ')}`);
    }
    return {
      mode: 'aws',
      window: options.window,
      smallAloneSeconds: round(alone.warm),
      smallAloneColdSeconds: round(alone.cold),
      ...(aloneBusy === undefined ? {} : { smallAloneBusySeconds: round(aloneBusy) }),
      smallWithBigSeconds: round(besideSeconds),
      ratio: round(besideSeconds / alone.warm),
      bigSeconds: round(jobTimes(bigJobId, bigEvents).jobSeconds),
      bigChunks: matchedAt.length,
      bigMatchedAtSubmit: matchedBy(smallCreated),
      bigMatchedAtSmallDone: matchedBy(smallEnded),
      smallTimeline: beside.events.map((event) => ({
        type: event.type,
        seconds: round((at(event) - smallCreated) / 1000),
        bigMatched: matchedBy(at(event)),
      })),
    };
  } finally {
    await stage.stop();
  }
}

/** Runs `work` while `count` child processes spin (a CPU each while the cores last), then stops them. */
async function withBusyLoops<T>(count: number, work: () => Promise<T>): Promise<T> {
  const loops = Array.from({ length: count }, () => spawn(process.execPath, ['-e', 'for (;;) {}'], { stdio: 'ignore' }));
  try {
    return await work();
  } finally {
    for (const loop of loops) loop.kill('SIGKILL');
  }
}

/**
 * When each chunk of a job was matched and labeled, and the job merged, on the emulated stage, from the functions' log
 * files (one per function, pino lines; the file names the lane): function name -> epoch milliseconds, in order.
 */
function chunkLogTimes(emulatorDataDir: string, jobId: string): [string, number[]][] {
  const logs = join(emulatorDataDir, 'logs');
  const found: [string, number[]][] = [];
  for (const file of readdirSync(logs).sort()) {
    if (!/-(matcher|labeler|merger)-/.test(file)) continue;
    const times: number[] = [];
    for (const line of readFileSync(join(logs, file), 'utf8').split('\n')) {
      if (!line.includes(jobId) || !/"msg":"(chunk (matched|labeled)|job merged)"/.test(line)) continue;
      const time = (JSON.parse(line) as { time?: number }).time;
      if (typeof time === 'number') times.push(time);
    }
    if (times.length > 0) found.push([file.replace(/\.log$/, ''), times.sort((a, b) => a - b)]);
  }
  return found;
}

/** Every event of the small job in log order, with its time since job.created and the big job's chunks matched before it. */
function timeline(app: LocalApp, bigJobId: string, smallJobId: string): FairnessResult['smallTimeline'] {
  const small = app.runtime.bus.history({ jobId: smallJobId, limit: 1000 });
  const bigMatchedSeqs: number[] = [];
  for (let afterSeq = 0; ; ) {
    const page = app.runtime.bus.history({ jobId: bigJobId, afterSeq, limit: 1000 });
    for (const logged of page) if (logged.detailType === 'chunk.matched.v1') bigMatchedSeqs.push(logged.seq);
    if (page.length < 1000) break;
    afterSeq = page.at(-1)!.seq;
  }
  const at = (logged: (typeof small)[number]) =>
    Date.parse((logged.event.detail as { metadata?: { occurredAt?: string } }).metadata?.occurredAt ?? '');
  const start = small[0] ? at(small[0]) : 0;
  return small.map((logged) => ({
    type: logged.detailType,
    seconds: round((at(logged) - start) / 1000),
    bigMatched: bigMatchedSeqs.filter((seq) => seq < logged.seq).length,
  }));
}

if (require.main === module) {
  fairnessBench(parseArgs(process.argv.slice(2))).catch((error: unknown) => {
    process.stderr.write(`${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
    process.exit(1);
  });
}
