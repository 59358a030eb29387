import { isMainThread, parentPort, Worker, workerData } from 'node:worker_threads';
import type { Logger } from '@refinery/runtime';
import pino from 'pino';
import type { LocalRule } from './local-event-bus';
import type { ForwardedRecord } from './local-metrics';
import { LocalRuntime, type LocalRuntimeOptions } from './local-runtime';

/**
 * Queue consumers in worker threads of the process that holds the data dir (docs/local-mode.md, "Worker threads").
 *
 * SQLite stays the one durable truth: a worker opens its own connection to the same WAL database, receives from the
 * queues of the services it runs (a receive is one IMMEDIATE transaction, so two consumers never take the same
 * message), publishes through its own event bus — the event log and every matching queue in one transaction, with
 * the main thread's rules — and deletes a message only after its handler returned. A SIGKILL of the process kills
 * every thread at once, and the next start releases whatever was in flight, as for the main thread. Nothing but wake-ups
 * (queues that got a message), log lines, a storage fault and the stop go between the threads.
 */

/** What the main thread gives a worker: the runtime's options, the bus's rules, and the app's own part. */
export interface WorkerThreadData {
  readonly refineryWorkerThread: true;
  readonly runtime: {
    readonly dataDir: string;
    readonly visibilityTimeoutMs?: number;
    readonly concurrency?: number | Readonly<Record<string, number>>;
    readonly idlePollMs?: number;
    readonly storageRetryMs?: LocalRuntimeOptions['storageRetryMs'];
    readonly rules: readonly LocalRule[];
    readonly objectCreatedBuckets: readonly string[];
    readonly publicBaseUrl: string;
    readonly duplicateDeliveries: number;
    readonly logLevel: string;
  };
  /** What the script needs to compose its services (settings, the directory's path): structured-cloneable. */
  readonly app: unknown;
}

type ToWorker = { readonly type: 'wake'; readonly queues: readonly string[] } | { readonly type: 'stop' };

type FromWorker =
  | { readonly type: 'ready'; readonly queues: readonly string[] }
  | { readonly type: 'log'; readonly line: string }
  | { readonly type: 'wake'; readonly queues: readonly string[] }
  | { readonly type: 'storage-fault'; readonly code: string; readonly message: string }
  | { readonly type: 'metric'; readonly record: ForwardedRecord };

/** True in a worker thread started by `startWorkerThreads` (its script runs `serveWorkerThread` then). */
export function isRefineryWorkerThread(): boolean {
  return !isMainThread && (workerData as Partial<WorkerThreadData> | null)?.refineryWorkerThread === true;
}

/** The app's part of what the main thread gave this worker. */
export function workerThreadAppData<T>(): T {
  return (workerData as WorkerThreadData).app as T;
}

/**
 * The worker's side: attaches a runtime to the main thread's data dir (its own SQLite connection, the main thread's
 * rules), calls `compose` to register the services this thread runs, starts their pollers, and says it is ready. A
 * `compose` that throws ends the thread with that error, which the main thread's `startWorkerThreads` rejects with.
 */
export async function serveWorkerThread(compose: (runtime: LocalRuntime, logger: Logger) => Promise<void>): Promise<void> {
  const port = parentPort;
  if (!port || !isRefineryWorkerThread()) throw new Error('serveWorkerThread runs only in a worker thread started by startWorkerThreads');
  const data = workerData as WorkerThreadData;
  const post = (message: FromWorker): void => port.postMessage(message);
  // Log lines go to the main thread, which writes them where its own go (a file, stdout), with this thread's id.
  const logger = pino({ level: data.runtime.logLevel }, { write: (line: string) => post({ type: 'log', line }) });
  const runtime = await LocalRuntime.attach({
    dataDir: data.runtime.dataDir,
    logger,
    ...(data.runtime.visibilityTimeoutMs !== undefined ? { visibilityTimeoutMs: data.runtime.visibilityTimeoutMs } : {}),
    ...(data.runtime.concurrency !== undefined ? { concurrency: data.runtime.concurrency } : {}),
    ...(data.runtime.idlePollMs !== undefined ? { idlePollMs: data.runtime.idlePollMs } : {}),
    ...(data.runtime.storageRetryMs !== undefined ? { storageRetryMs: data.runtime.storageRetryMs } : {}),
  });
  runtime.queues.duplicateDeliveries = data.runtime.duplicateDeliveries;
  // The figures of this thread's handlers are shown by the main thread's `/metrics`, with everyone else's.
  runtime.metrics.forwardTo((record) => post({ type: 'metric', record }));
  runtime.setPublicBaseUrl(data.runtime.publicBaseUrl);
  for (const bucket of data.runtime.objectCreatedBuckets) runtime.enableObjectCreatedEvents(bucket);
  await compose(runtime, logger);
  // Every rule of the main thread (after this thread's own, which are the same): what the handlers here publish reaches
  // every queue it would reach from the main thread.
  for (const rule of data.runtime.rules) runtime.bus.putRule(rule);
  // Queues this thread does not consume got a message: the main thread wakes their pollers, once the send committed
  // (a wake-up that arrived before the commit would find nothing and the poller would sleep its idle interval).
  const pending = new Set<string>();
  runtime.queues.onAnyMessage((queue) => {
    if (runtime.subscriptions.has(queue)) return;
    if (pending.size === 0)
      setImmediate(() => {
        post({ type: 'wake', queues: [...pending] });
        pending.clear();
      });
    pending.add(queue);
  });
  runtime.storage.onChange((fault) => {
    if (fault) post({ type: 'storage-fault', code: fault.code, message: fault.error.message });
  });
  port.on('message', (message: ToWorker) => {
    if (message.type === 'wake') for (const queue of message.queues) runtime.queues.wake(queue);
    else if (message.type === 'stop') {
      // The running handlers finish (their messages are deleted), then the connection closes and the thread ends.
      void runtime.close().then(
        () => process.exit(0),
        (error: unknown) => {
          logger.error({ err: error }, 'worker thread could not close its runtime');
          process.exit(1);
        },
      );
    }
  });
  runtime.start();
  post({ type: 'ready', queues: [...runtime.subscriptions.keys()] });
}

/** How to start the worker threads: the script that calls serveWorkerThread, and what it needs. */
export interface WorkerThreadsOptions {
  /** How many threads; each runs every subscription of the services declared with registerInWorkerThreads. */
  readonly count: number;
  readonly script: string;
  readonly execArgv?: readonly string[];
  readonly app: unknown;
}

/** The main thread's side of the worker threads of one runtime. */
export class WorkerThreads {
  private readonly workers: { worker: Worker; queues: Set<string>; exited: Promise<number> }[] = [];
  private stopping = false;
  private readonly pending = new Set<string>();
  private unsubscribe: (() => void) | undefined;

  constructor(
    private readonly runtime: LocalRuntime,
    private readonly logger: Logger,
    private readonly failed: (error: Error) => void,
  ) {}

  /** Starts the threads and resolves once each has composed its services and polls; rejects with the first failure. */
  async start(options: WorkerThreadsOptions, runtime: WorkerThreadData['runtime']): Promise<void> {
    this.unsubscribe = this.runtime.queues.onAnyMessage((queue) => this.wake(queue));
    const data: WorkerThreadData = { refineryWorkerThread: true, runtime, app: options.app };
    const starting: Promise<void>[] = [];
    for (let i = 0; i < options.count; i += 1) {
      const worker = new Worker(options.script, { workerData: data, execArgv: [...(options.execArgv ?? [])] });
      const queues = new Set<string>();
      let ready = false;
      let failed = false;
      const fail = (error: Error): void => {
        if (failed || this.stopping) return;
        failed = true;
        this.fail(worker.threadId, error);
      };
      const exited = new Promise<number>((resolve) => worker.once('exit', resolve));
      this.workers.push({ worker, queues, exited });
      const log = this.logger.child({ threadId: worker.threadId });
      starting.push(
        new Promise<void>((resolve, reject) => {
          worker.on('message', (message: FromWorker) => {
            if (message.type === 'log') relog(log, message.line);
            else if (message.type === 'wake') for (const queue of message.queues) this.runtime.queues.wake(queue);
            else if (message.type === 'metric') this.runtime.metrics.recordForwarded(message.record);
            else if (message.type === 'storage-fault') this.runtime.storage.report(Object.assign(new Error(message.message), { code: message.code }));
            else if (message.type === 'ready') {
              for (const queue of message.queues) queues.add(queue);
              ready = true;
              resolve();
            }
          });
          worker.on('error', (error) => {
            if (!ready) reject(error);
            else fail(error);
          });
          void exited.then((code) => {
            if (!ready) reject(new Error(`worker thread ${worker.threadId} exited with code ${code} before it was ready`));
            else fail(new Error(`worker thread ${worker.threadId} exited with code ${code}`));
          });
        }),
      );
    }
    try {
      await Promise.all(starting);
    } catch (error) {
      await this.stop();
      throw error;
    }
  }

  /** Lets each thread finish its running handlers, then waits for it to end. */
  async stop(): Promise<void> {
    this.stopping = true;
    this.unsubscribe?.();
    for (const { worker } of this.workers) worker.postMessage({ type: 'stop' } satisfies ToWorker);
    await Promise.all(this.workers.map(({ exited }) => exited));
  }

  private wake(queue: string): void {
    if (!this.workers.some(({ queues }) => queues.has(queue))) return;
    if (this.pending.size === 0)
      setImmediate(() => {
        const queues = [...this.pending];
        this.pending.clear();
        for (const { worker, queues: own } of this.workers) {
          const wanted = queues.filter((name) => own.has(name));
          if (wanted.length > 0) worker.postMessage({ type: 'wake', queues: wanted } satisfies ToWorker);
        }
      });
    this.pending.add(queue);
  }

  private fail(thread: number, error: Error): void {
    // Its in-flight messages stay hidden until their visibility timeout (the process still holds the lock): the work
    // cannot go on without them, so the app stops and the next start releases them (crash safety).
    this.logger.error({ err: error, threadId: thread }, 'a worker thread failed; the work in flight resumes on the next start');
    this.failed(error);
  }
}

/** A worker's JSON log line, written again through the main thread's logger (its level, time and process fields are the main thread's). */
function relog(logger: Logger, line: string): void {
  let record: Record<string, unknown>;
  try {
    record = JSON.parse(line) as Record<string, unknown>;
  } catch {
    logger.warn({ line }, 'a worker thread wrote a log line that is not JSON');
    return;
  }
  const { level, time: _time, pid: _pid, hostname: _hostname, msg, ...fields } = record;
  const label = pino.levels.labels[level as number] ?? 'info';
  (logger[label as 'info'] as (fields: object, msg?: string) => void).call(logger, fields, typeof msg === 'string' ? msg : undefined);
}
