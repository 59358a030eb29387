// The pipeline as deployed, for benchmarks: the packaged stacks on moto with every function run from its bundle
// (`refinery emulate`, apps/refinery/src/emulate.ts), jobs submitted through the HTTP API as a client would.
import { statSync } from 'node:fs';
import { resolve } from 'node:path';
import { type MeteringProxy, MOTO_REGION, startMeteringProxy } from '@refinery/aws-emulator';
import { ApiClient, type HistoryEntry } from '@refinery/cli';
import { type EmulateOptions, emulate, type RefineryEmulator } from '@refinery/cli/src/emulate';
import WebSocket from 'ws';

export const REPO_ROOT = resolve(__dirname, '..', '..');

export interface InvocationTally {
  count: number;
  gbSeconds: number;
  byFunction: Record<string, number>;
}

export interface BenchStage {
  readonly emulator: RefineryEmulator;
  /** Present when the stage was started metered. */
  readonly proxy: MeteringProxy | undefined;
  readonly invocations: InvocationTally;
  client(token: string): ApiClient;
  stop(): Promise<void>;
}

const emptyTally = (): InvocationTally => ({ count: 0, gbSeconds: 0, byFunction: {} });

/**
 * Starts the emulated stage with `directory` as the directory provider's CSV (the matcher's fast local provider).
 * `metered`: every AWS request goes through a request meter (libs/aws-emulator request-meter.ts) and every invocation
 * is counted with its GB-seconds.
 */
export async function startBenchStage(options: {
  directory: string;
  apiTokens: string;
  metered: boolean;
  /** Environment variables of the functions whose name starts with a prefix (a setting's variable, e.g. CHUNK_WINDOW). */
  environment?: EmulateOptions['environment'];
}): Promise<BenchStage> {
  let proxy: MeteringProxy | undefined;
  const invocations = emptyTally();
  const emulator = await emulate({
    repoRoot: REPO_ROOT,
    port: 0,
    awsPort: 0,
    directory: options.directory,
    apiTokens: options.apiTokens,
    ...(options.environment ? { environment: options.environment } : {}),
    ...(options.metered
      ? {
          observe: {
            interpose: async (moto) => {
              proxy = await startMeteringProxy({ target: moto.endpoint, region: MOTO_REGION });
              return proxy;
            },
            onInvocation: ({ functionName, memoryMb, durationMs }) => {
              invocations.count += 1;
              invocations.gbSeconds += (memoryMb / 1024) * (durationMs / 1000);
              invocations.byFunction[functionName] = (invocations.byFunction[functionName] ?? 0) + 1;
            },
          },
        }
      : {}),
  });
  return {
    emulator,
    proxy,
    invocations,
    client: (token) => new ApiClient(emulator.url, token),
    stop: () => emulator.stop(),
  };
}

/** Starts counting afresh: what the stage did while starting (deploying, seeding) is not the job's. */
export function resetCounts(stage: BenchStage): void {
  stage.proxy?.meter.reset();
  Object.assign(stage.invocations, emptyTally());
}

/** Creates an upload job for the file and PUTs it to the presigned URL, as `refinery enrich --api` does. */
export async function submitBook(client: ApiClient, path: string, chunkRows: number): Promise<string> {
  const created = await client.createUploadJob({ filename: 'contacts.csv', sizeBytes: statSync(path).size, chunkRows });
  if (!created.upload) throw new Error(`job ${created.jobId}: the API gave no upload URL`);
  await client.upload(created.upload, path);
  return created.jobId;
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/**
 * Waits for the job to end, told by the WebSocket API (the notifier pushes each state to the tenant's sockets, so
 * waiting adds no request to what is measured); asks `GET /jobs/{id}` only every `pollMs` in case a push is lost.
 * Fails when the job fails or `timeoutMs` passes.
 */
export async function waitForJob(stage: BenchStage, token: string, jobId: string, timeoutMs: number, pollMs = 60_000): Promise<void> {
  const client = stage.client(token);
  const socket = new WebSocket(`${stage.emulator.url.replace(/^http/, 'ws')}/socket`, { headers: { authorization: `Bearer ${token}` } });
  let ended: string | undefined;
  socket.on('message', (data) => {
    const message = JSON.parse(String(data)) as { type?: string; job?: { jobId?: string; status?: string } };
    if (message.type === 'job' && message.job?.jobId === jobId && (message.job.status === 'completed' || message.job.status === 'failed'))
      ended = message.job.status;
  });
  socket.on('error', () => undefined); // the poll below still ends the wait
  try {
    const deadline = Date.now() + timeoutMs;
    let nextPoll = Date.now() + pollMs;
    while (ended === undefined) {
      if (Date.now() > deadline) throw new Error(`job ${jobId} did not end within ${Math.round(timeoutMs / 1000)} s`);
      if (Date.now() >= nextPoll) {
        nextPoll = Date.now() + pollMs;
        try {
          const job = await client.job(jobId);
          if (job.status === 'completed' || job.status === 'failed') ended = job.status;
        } catch (error) {
          // One failed poll must not end a run of an hour: the next poll, or the socket, tells the job's end.
          process.stderr.write(`poll of job ${jobId} failed (${error instanceof Error ? error.message : String(error)}); polling on\n`);
        }
      }
      await sleep(100);
    }
    if (ended === 'failed') throw new Error(`job ${jobId} failed: ${JSON.stringify((await client.job(jobId)).error)}`);
  } finally {
    socket.terminate();
  }
}

/** Waits until the meter has seen no work for `quietMs` (the tail of a job: notifications, last deliveries), at most `maxMs`. */
export async function settle(stage: BenchStage, quietMs = 3000, maxMs = 60_000): Promise<void> {
  const meter = stage.proxy?.meter;
  if (!meter) return;
  const deadline = Date.now() + maxMs;
  while (Date.now() - meter.lastWorkAt < quietMs && Date.now() < deadline) await sleep(200);
}

export interface JobTimes {
  /** job.created.v1 -> job.completed.v1. */
  readonly jobSeconds: number;
  /** The last chunk.labeled.v1 -> job.completed.v1: the merge, as the job's history shows it. */
  readonly mergeSeconds: number;
  readonly chunksLabeled: number;
}

/** A job's times from its history (each event's occurredAt, stamped by the service that published it). */
export function jobTimes(jobId: string, events: readonly HistoryEntry[]): JobTimes {
  const at = (type: string, last = false) => {
    const matching = events.filter((event) => event.type === type);
    const event = last ? matching.at(-1) : matching[0];
    if (!event) throw new Error(`job ${jobId} has no ${type} in its history`);
    return Date.parse(event.occurredAt);
  };
  const labeled = events.filter((event) => event.type === 'chunk.labeled.v1');
  const lastLabeled = Math.max(...labeled.map((event) => Date.parse(event.occurredAt)));
  const completed = at('job.completed.v1');
  return { jobSeconds: (completed - at('job.created.v1')) / 1000, mergeSeconds: (completed - lastLabeled) / 1000, chunksLabeled: labeled.length };
}
