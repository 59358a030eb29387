import { createHash } from 'node:crypto';
import { createReadStream, promises as fs } from 'node:fs';
import { basename, dirname, resolve } from 'node:path';
import { ingest } from '@refinery/ingest';
import type { DataDirFaultError } from '@refinery/local-runtime';
import type { ContactProvider } from '@refinery/matching';
import type { ProviderChainConfig } from '@refinery/providers';
import type { Logger } from '@refinery/runtime';
import { SingleBar } from 'cli-progress';
import { ApiClient, type JobView } from './api-client';
import { type LocalApp, type LocalSettings, startLocalApp } from './local-app';
import { DEFAULT_MULTIPART_THRESHOLD_BYTES, uploadInParts } from './multipart-upload';
import type { ProviderChainDeps } from './provider-circuits';

export interface EnrichOptions {
  readonly input: string;
  readonly out: string;
  /** Where the job runs: every service on this machine, or a deployment's API. */
  readonly target: LocalTarget | ApiTarget;
  readonly chunkRows?: number;
  /** The job's match and review thresholds (docs/matching.md); the defaults when absent. */
  readonly thresholds?: { readonly match?: number; readonly review?: number };
  readonly stderr: NodeJS.WriteStream;
  readonly pollMs?: number;
  /** Files of at least this many bytes go up as a multipart upload (default DEFAULT_MULTIPART_THRESHOLD_BYTES, 64 MiB). */
  readonly multipartThresholdBytes?: number;
}

/** Every service started in this process, on a data dir. */
export interface LocalTarget {
  readonly kind: 'local';
  readonly dataDir: string;
  readonly directory: string;
  /** The provider chain built around the directory (default: the directory alone). */
  readonly providers?: ProviderChainOption;
  readonly logger: Logger;
  /** Worker threads that run the matcher (docs/local-mode.md, "Worker threads"); 0 or absent: one thread for everything. */
  readonly workerThreads?: number;
}

/** A deployment that is already running: `refinery dev`, `refinery emulate` or an AWS stage. */
export interface ApiTarget {
  readonly kind: 'api';
  readonly url: string;
  readonly token: string;
}

/** A provider chain from a `--providers` file: how to build it, and what identifies it (its configuration, secrets left out). */
export interface ProviderChainOption {
  /** The chain, its HTTP providers' calls counted with `metrics` and their circuits' transitions told to `circuitObserver`. */
  readonly build: (directory: ContactProvider, deps: ProviderChainDeps) => readonly ContactProvider[];
  /** Canonical JSON of the chain's configuration: a different chain is a different job. */
  readonly fingerprint: string;
  /** The configuration itself: it sizes the largest chunk, as a deployment's chain does (local-app.ts). */
  readonly config: ProviderChainConfig;
}

export interface EnrichSummary {
  readonly jobId: string;
  readonly status: 'completed' | 'failed';
  readonly rows: JobView['rows'];
  readonly byMethod?: JobView['byMethod'];
  readonly seconds: number;
  readonly reason?: string;
}

/**
 * The settings `refinery enrich` gives the services it runs on this machine. Ingest's upload limit (maxUploadBytes,
 * 200 MB by default) protects a shared API from what its clients send; here the one client is the user enriching
 * their own file, so the limit is raised to the file's size when it is larger (their disk is the limit, and a full
 * disk stops the command saying so).
 */
export function localEnrichSettings(inputBytes: number): LocalSettings {
  const limit = ingest.settings.maxUploadBytes.default;
  return inputBytes > limit ? { ingest: { maxUploadBytes: inputBytes } } : {};
}

export class InputError extends Error {
  override readonly name = 'InputError';
}

/**
 * `refinery enrich`: starts every service on the embedded runtime (or takes a deployment's API), then acts as any API
 * client would — creates the job with an Idempotency-Key derived from the input (so running the same command again
 * after a crash resumes the same job instead of starting over), uploads the file to its presigned URL, watches
 * progress, downloads the result.
 */
export async function enrich(options: EnrichOptions): Promise<EnrichSummary> {
  const input = resolve(options.input);
  const out = resolve(options.out);
  const inputBytes = await checkPaths(input, out);
  const started = Date.now();
  const { target } = options;
  const multipart = inputBytes >= (options.multipartThresholdBytes ?? DEFAULT_MULTIPART_THRESHOLD_BYTES);
  // Hashed while the services start: reading both files takes this thread a few tenths of a second, and starting them
  // mostly waits for the worker thread to load the directory. Awaited (and its failure thrown) where it is used.
  const key = idempotencyKey({
    input,
    multipart,
    // A deployment's providers are its own: only what this command chooses is part of the key.
    directory: target.kind === 'local' ? target.directory : null,
    providers: target.kind === 'local' ? (target.providers?.fingerprint ?? null) : null,
    chunkRows: options.chunkRows ?? null,
    thresholds: options.thresholds ?? null,
  });
  // Not awaited when the services fail to start.
  key.catch(() => undefined);
  const app =
    target.kind === 'local'
      ? await startLocalApp({
          dataDir: target.dataDir,
          directory: target.directory,
          ...(target.providers ? { providers: target.providers.build, providerChain: target.providers.config } : {}),
          port: 0,
          logger: target.logger,
          ...(target.workerThreads ? { workerThreads: target.workerThreads } : {}),
          settings: localEnrichSettings(inputBytes),
        })
      : undefined;
  const interrupt = (): void => {
    options.stderr.write('\nrefinery: interrupted; run the same command again to resume this job\n');
    void (app?.close() ?? Promise.resolve()).finally(() => process.exit(130));
  };
  process.once('SIGINT', interrupt);
  // A full or read-only data dir stops the command at once, saying so (the job resumes when it is run again); the
  // runtime has paused its work and spent no retry on it. So does a worker thread that failed: its messages stay in
  // flight until the next start releases them.
  let stopFault: (fault: DataDirFaultError | Error) => void = () => undefined;
  const faulted = new Promise<never>((_resolve, reject) => {
    stopFault = reject;
  });
  faulted.catch(() => undefined);
  const stopListening = app?.runtime.storage.onChange((fault) => {
    if (fault) stopFault(fault.error);
  });
  // A fault met while the app started (a rerun on a disk still full: the worker thread, or the release of the last
  // run's messages, wrote first) was reported before anyone listened: without this, the command sat paused for good.
  const faultAtStart = app?.runtime.storage.fault;
  if (faultAtStart) stopFault(faultAtStart.error);
  const stopHearingFailures = app?.runtime.onFailure((error) =>
    stopFault(new Error(`a worker thread failed (${error.message}); run the same command again to resume this job`, { cause: error })),
  );
  const stopping = new AbortController();
  const running = run(app, options, { input, inputBytes, multipart, key, out, started }, stopping.signal);
  // Settled here or, when a fault stops the command first, ignored: the watch loop ends with the abort.
  running.catch(() => undefined);
  try {
    return await Promise.race([running, faulted]);
  } catch (error) {
    // Whatever failed while the data dir could not be written (a 503 from the upload, a refused write) failed for that.
    throw app?.runtime.storage.fault?.error ?? error;
  } finally {
    stopping.abort();
    stopListening?.();
    stopHearingFailures?.();
    process.off('SIGINT', interrupt);
    await app?.close();
  }
}

/** Creates (or finds) the job, uploads the file when it never landed, waits for the outcome, downloads the result. */
async function run(
  app: LocalApp | undefined,
  options: EnrichOptions,
  paths: { input: string; inputBytes: number; multipart: boolean; key: Promise<string>; out: string; started: number },
  signal: AbortSignal,
): Promise<EnrichSummary> {
  const { target } = options;
  const { input, inputBytes: sizeBytes, multipart, out, started } = paths;
  const client = app
    ? new ApiClient(app.url, app.tokens.clientToken)
    : new ApiClient((target as ApiTarget).url.replace(/\/+$/, ''), (target as ApiTarget).token);
  const key = await paths.key;
  const created = await client.createUploadJob(
    {
      filename: basename(input),
      sizeBytes,
      ...(options.chunkRows ? { chunkRows: options.chunkRows } : {}),
      ...(options.thresholds ? { thresholds: options.thresholds } : {}),
      ...(multipart ? { upload: 'multipart' as const } : {}),
    },
    key,
  );
  if (created.upload && 'kind' in created.upload) {
    // A run after a broken one gets the same job and upload (same key) and sends only the parts storage lacks.
    const parts = await uploadInParts(client, created.jobId, created.upload, input);
    if (parts.resumed > 0) {
      options.stderr.write(
        `refinery: upload resumed: ${parts.resumed} of ${created.upload.partCount} parts were uploaded already, ${parts.sent} sent now\n`,
      );
    }
  } else if (created.upload) {
    await client.upload(created.upload, input);
  }
  const job = await watch(client, created.jobId, options, signal);
  const seconds = (Date.now() - started) / 1000;
  if (job.status === 'failed') {
    return { jobId: job.jobId, status: 'failed', rows: job.rows, seconds, reason: job.error?.reason ?? 'unknown reason' };
  }
  await client.downloadResult(job.jobId, out);
  return { jobId: job.jobId, status: 'completed', rows: job.rows, seconds, byMethod: job.byMethod };
}

/** Checks the input is a readable file and the output's folder exists; returns the input's size. */
async function checkPaths(input: string, out: string): Promise<number> {
  const stat = await fs.stat(input).catch(() => undefined);
  if (!stat) throw new InputError(`cannot read ${input}: no such file`);
  if (!stat.isFile()) throw new InputError(`${input} is not a file`);
  await fs.access(input).catch(() => {
    throw new InputError(`cannot read ${input}: permission denied`);
  });
  if (input === out) throw new InputError('--out must not be the input file');
  await fs.mkdir(dirname(out), { recursive: true });
  return stat.size;
}

/**
 * Same input bytes, directory bytes, provider chain and options => same key => the same job, resumed. Anything that can
 * change the result changes the key: content is hashed (a directory rewritten in place with the same size and time is
 * still another directory), and the chain's configuration is part of it.
 */
async function idempotencyKey(parts: {
  input: string;
  multipart: boolean;
  directory: string | null;
  providers: string | null;
  chunkRows: number | null;
  thresholds: { readonly match?: number; readonly review?: number } | null;
}): Promise<string> {
  const hash = createHash('sha256');
  hash.update(`input\u0000${await contentDigest(parts.input)}\u0000`);
  hash.update(`directory\u0000${parts.directory === null ? "the deployment's" : await contentDigest(parts.directory)}\u0000`);
  hash.update(`providers\u0000${parts.providers ?? 'directory only'}\u0000`);
  hash.update(`chunkRows\u0000${parts.chunkRows ?? 'default'}`);
  // Unchanged when absent, so a job started before thresholds existed is still resumed.
  // Unchanged for a single upload, so a job started before multipart uploads existed is still resumed.
  if (parts.multipart) hash.update('\u0000upload\u0000multipart');
  if (parts.thresholds) hash.update(`\u0000thresholds\u0000${parts.thresholds.match ?? 'default'}\u0000${parts.thresholds.review ?? 'default'}`);
  return `enrich-${hash.digest('hex')}`;
}

async function contentDigest(path: string): Promise<string> {
  const hash = createHash('sha256');
  for await (const chunk of createReadStream(path)) hash.update(chunk as Buffer);
  return hash.digest('hex');
}

async function watch(client: ApiClient, jobId: string, options: EnrichOptions, signal: AbortSignal): Promise<JobView> {
  const interactive = options.stderr.isTTY === true;
  const bar = interactive
    ? new SingleBar({ format: 'enriching [{bar}] {percentage}% | {value}/{total} rows | {status}', hideCursor: true, stream: options.stderr })
    : undefined;
  let barStarted = false;
  let lastReported = -1;
  let pausedSaid = false;
  for (;;) {
    signal.throwIfAborted();
    const job = await client.job(jobId);
    // A deployment whose storage cannot be written pauses the job and resumes it by itself: say so, once, and wait.
    if (job.paused && !pausedSaid) options.stderr.write(`${interactive ? '\n' : ''}enriching: paused: ${job.paused.reason}\n`);
    else if (!job.paused && pausedSaid) options.stderr.write(`${interactive ? '\n' : ''}enriching: resumed\n`);
    pausedSaid = job.paused !== undefined;
    const total = Math.max(job.rows.total, job.rows.done);
    if (bar) {
      if (!barStarted) {
        bar.start(total || 1, job.rows.done, { status: job.status });
        barStarted = true;
      }
      bar.setTotal(total || 1);
      bar.update(job.rows.done, { status: job.status });
    } else {
      // Not a terminal: a line per tenth of the way instead of redrawing a bar.
      const tenth = total ? Math.floor((10 * job.rows.done) / total) : 0;
      if (tenth !== lastReported && (total || job.status !== 'accepted')) {
        lastReported = tenth;
        options.stderr.write(
          `enriching: ${total ? Math.round((100 * job.rows.done) / total) : 0}% (${job.rows.done}/${total} rows, ${job.status})\n`,
        );
      }
    }
    if (job.status === 'completed' || job.status === 'failed') {
      bar?.stop();
      return job;
    }
    await new Promise((resolveSleep) => setTimeout(resolveSleep, options.pollMs ?? 200));
  }
}

export function formatSummary(summary: EnrichSummary, out: string): string {
  const { rows } = summary;
  const methods = summary.byMethod
    ? ` (exact ${summary.byMethod.exact}, fuzzy ${summary.byMethod.fuzzy}, nickname ${summary.byMethod.nickname})`
    : '';
  return [
    `rows:      ${rows.total}`,
    `matched:   ${rows.matched}${methods}`,
    `unmatched: ${rows.unmatched}${rows.review ? ` (${rows.review} of them in the review queue: docs/matching.md, "Review queue")` : ''}`,
    `invalid:   ${rows.invalid}`,
    `time:      ${summary.seconds.toFixed(1)} s (${summary.seconds > 0 ? Math.round(rows.total / summary.seconds) : rows.total} rows/s)`,
    `result:    ${out}`,
    `job:       ${summary.jobId}`,
  ].join('\n');
}
