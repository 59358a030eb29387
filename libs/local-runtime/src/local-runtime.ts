import { randomBytes } from 'node:crypto';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { ObjectInfo, ObjectRef, PublishEntry } from '@refinery/ports';
import {
  deadLetterReport,
  type Logger,
  type RunnableService,
  type RunnableSubscription,
  type ScheduledHandler,
  type ServiceDeclaration,
  type Subscription,
  silentLogger,
  subscriptionPattern,
  subscriptionQueueNames,
} from '@refinery/runtime';
import { DataDirLock } from './data-dir-lock';
import { openDatabase, type SqliteDatabase } from './database';
import { LocalEventBus } from './local-event-bus';
import { LocalMetrics } from './local-metrics';
import { LocalObjectStore } from './local-object-store';
import { type DeadLetteredMessage, LocalQueues } from './local-queues';
import { LocalSocketConnections } from './local-socket-connections';
import { LocalTable } from './local-table';
import { ensurePrivateDir, PRIVATE_FILE_MODE } from './private-files';
import { QueuePoller } from './queue-poller';
import { ScheduleRunner } from './schedule-runner';
import { DataDirFaultError, explainWriteError, probeWritable, StorageHealth, storageFaultOf } from './storage-health';
import { WorkerThreads, type WorkerThreadsOptions } from './worker-threads';

export interface LocalRuntimeOptions {
  readonly dataDir: string;
  readonly logger?: Logger;
  /** Overrides every queue's declared visibility timeout (tests and demos that want fast retries). */
  readonly visibilityTimeoutMs?: number;
  /** Invocations per subscription running at once (default 2). */
  readonly concurrency?: number | Readonly<Record<string, number>>;
  readonly idlePollMs?: number;
  /** Overrides every schedule's declared interval (tests); 0 turns the timers off (runs only by `runSchedule`). */
  readonly scheduleIntervalMs?: number;
  /**
   * How soon a paused runtime (full or read-only data dir) tries to write again: `firstMs` (default 1 s), doubled
   * after every failed try up to `maxMs` (default 30 s).
   */
  readonly storageRetryMs?: { readonly firstMs?: number; readonly maxMs?: number };
}

export interface RegisteredSubscription {
  readonly service: string;
  readonly name: string;
  readonly queue: string;
  readonly deadLetterQueue: string;
}

/**
 * The embedded local mode: every service of Contact Refinery in one process, on durable state in one data dir
 * (SQLite for queues, tables and the event log; files for objects). Queues are fed by rules built from each service's
 * declared event patterns and drained by pollers that call the services' Lambda handlers with SQS-shaped batches.
 */
export class LocalRuntime {
  readonly queues: LocalQueues;
  readonly bus: LocalEventBus;
  readonly objects: LocalObjectStore;
  /** Whether the data dir takes writes: every write path reports to it, and work pauses while it does not. */
  readonly storage: StorageHealth;
  /** The connections of the WebSocket API the HTTP gateway serves at /socket (for the service that declares one). */
  readonly sockets = new LocalSocketConnections();
  /**
   * What the services count (each service's context records through `metrics.forService(name)`), and the queues' depths
   * read at every scrape: what `refinery dev` serves at `/metrics`.
   */
  readonly metrics = new LocalMetrics();
  readonly services = new Map<string, RunnableService>();
  readonly subscriptions = new Map<string, RegisteredSubscription & { subscription: Subscription }>();
  private readonly pollers: QueuePoller[] = [];
  /** Queues whose consumers run in worker threads (registerInWorkerThreads), and those threads once started. */
  private readonly inWorkerThreads = new Set<string>();
  private workerThreads: WorkerThreads | undefined;
  private readonly failureListeners = new Set<(error: Error) => void>();
  private readonly schedules = new Map<string, ScheduleRunner>();
  private readonly tables = new Map<string, LocalTable>();
  private readonly notifyingBuckets = new Set<string>();
  private readonly logger: Logger;
  private baseUrl = 'http://127.0.0.1';
  private started = false;

  private constructor(
    readonly options: LocalRuntimeOptions,
    readonly db: SqliteDatabase,
    /** Undefined in a worker thread: the process it belongs to holds the lock. */
    private readonly lock: DataDirLock | undefined,
  ) {
    this.logger = options.logger ?? silentLogger;
    this.storage = new StorageHealth({
      dataDir: options.dataDir,
      // A worker thread's faults are said by the main thread, which it tells (one line per episode in the log).
      logger: lock ? this.logger : silentLogger,
      probe: () => probeDataDir(options.dataDir, db),
      ...(options.storageRetryMs?.firstMs !== undefined ? { firstRetryMs: options.storageRetryMs.firstMs } : {}),
      ...(options.storageRetryMs?.maxMs !== undefined ? { maxRetryMs: options.storageRetryMs.maxMs } : {}),
    });
    this.queues = new LocalQueues(db);
    this.bus = new LocalEventBus(db, this.queues, { storage: this.storage });
    this.objects = new LocalObjectStore({
      root: join(options.dataDir, 'objects'),
      db,
      signingSecret: readOrCreateSecret(join(options.dataDir, 'signing-secret')),
      publicBaseUrl: () => this.baseUrl,
      onObjectCreated: (ref, info) => this.objectCreated(ref, info),
      storage: this.storage,
    });
    this.queues.onDeadLetter((message) => this.deadLettered(message));
    this.addQueueGauges();
    this.bus.onPublished((events) => {
      for (const event of events) if (event.detailType === ERASURE_COMPLETED) this.purgeErasedJob(event.event);
    });
  }

  /**
   * Opens the data dir. One that cannot be written (read-only, no permission, no space at all) is refused at once with a
   * DataDirFaultError that says so and what to do, not with whatever SQLite makes of it.
   */
  static async open(options: LocalRuntimeOptions): Promise<LocalRuntime> {
    try {
      ensurePrivateDir(options.dataDir);
      probeWritable(options.dataDir, STARTUP_PROBE_BYTES);
    } catch (error) {
      const fault = storageFaultOf(explainWriteError(error, options.dataDir));
      if (fault) throw new DataDirFaultError(fault.kind, fault.code, options.dataDir, { cause: error });
      throw error;
    }
    const lock = DataDirLock.acquire(options.dataDir);
    try {
      const db = openDatabase(join(options.dataDir, 'refinery.db'));
      const runtime = new LocalRuntime(options, db, lock);
      await runtime.objects.removeIncompleteWrites();
      // We hold the lock, so whoever received the in-flight messages is dead: release them now.
      const released = runtime.queues.releaseInFlight();
      if (released > 0) runtime.logger.info({ released }, 'released messages left in flight by a previous run');
      return runtime;
    } catch (error) {
      lock.release();
      const fault = storageFaultOf(explainWriteError(error, options.dataDir));
      if (fault) throw new DataDirFaultError(fault.kind, fault.code, options.dataDir, { cause: error });
      throw error;
    }
  }

  /**
   * A runtime for a worker thread of the process that holds the data dir (serveWorkerThread): its own connection to the
   * same database, without the lock, and without start-up's clean-up — in-flight messages and unfinished object writes
   * may be the main thread's, which are alive.
   */
  static async attach(options: LocalRuntimeOptions): Promise<LocalRuntime> {
    try {
      return new LocalRuntime(options, openDatabase(join(options.dataDir, 'refinery.db')), undefined);
    } catch (error) {
      const fault = storageFaultOf(explainWriteError(error, options.dataDir));
      if (fault) throw new DataDirFaultError(fault.kind, fault.code, options.dataDir, { cause: error });
      throw error;
    }
  }

  table(name: string): LocalTable {
    let table = this.tables.get(name);
    if (!table) {
      table = new LocalTable(this.db, name, this.storage);
      this.tables.set(name, table);
    }
    return table;
  }

  /** Emits S3-style "Object Created" events to the bus for objects written to this bucket (S3 -> EventBridge). */
  enableObjectCreatedEvents(bucket: string): void {
    this.notifyingBuckets.add(bucket);
  }

  setPublicBaseUrl(url: string): void {
    this.baseUrl = url.replace(/\/$/, '');
  }

  get publicBaseUrl(): string {
    return this.baseUrl;
  }

  /** Runs a service as Lambda would: a queue, dead-letter queue and rule per declared subscription, the same handlers. */
  register(service: RunnableService): void {
    const { declaration } = service;
    if (this.subscriptionsOf(declaration.name)) throw new Error(`service ${declaration.name} is already registered`);
    for (const [name, binding] of Object.entries(service.subscriptions as Record<string, RunnableSubscription>)) {
      const subscription = binding.declaration;
      const { queue } = this.addSubscription(declaration, name, subscription, binding.pattern);
      if (binding.objectCreatedBucket) this.enableObjectCreatedEvents(binding.objectCreatedBucket);
      this.pollers.push(
        new QueuePoller(this.queues, {
          queue,
          functionName: `${declaration.name}-${name}`,
          handler: binding.handler,
          batchSize: subscription.queue.batchSize,
          concurrency: this.concurrencyOf(queue),
          functionTimeoutMs: subscription.function.timeoutSeconds * 1000,
          logger: this.logger,
          storage: this.storage,
          ...(this.options.idlePollMs ? { idlePollMs: this.options.idlePollMs } : {}),
        }),
      );
    }
    for (const [name, schedule] of Object.entries(declaration.schedules)) {
      this.schedules.set(
        `${declaration.name}-${name}`,
        new ScheduleRunner({
          functionName: `${declaration.name}-${name}`,
          handler: (service.schedules as Record<string, ScheduledHandler>)[name] as ScheduledHandler,
          intervalMs: this.options.scheduleIntervalMs ?? schedule.everyMinutes * 60_000,
          functionTimeoutMs: schedule.function.timeoutSeconds * 1000,
          logger: this.logger,
          storage: this.storage,
        }),
      );
    }
    this.services.set(declaration.name, service);
  }

  /**
   * A service whose handlers run in worker threads (startWorkerThreads): its queues, dead-letter queues and rules are
   * made here, as `register` makes them, but no poller of this thread consumes them. Only services of event
   * subscriptions alone can: schedules, HTTP routes and S3 notifications stay with the thread that serves them.
   */
  registerInWorkerThreads(declaration: ServiceDeclaration): void {
    if (this.subscriptionsOf(declaration.name)) throw new Error(`service ${declaration.name} is already registered`);
    if (Object.keys(declaration.schedules).length > 0 || declaration.http || declaration.websocket)
      throw new Error(`service ${declaration.name} has schedules or an API: it runs on the main thread`);
    for (const [name, subscription] of Object.entries(declaration.subscriptions as Record<string, Subscription>)) {
      if (subscription.kind !== 'events') throw new Error(`service ${declaration.name} subscribes to S3 notifications: it runs on the main thread`);
      const { queue } = this.addSubscription(declaration, name, subscription, subscriptionPattern(subscription));
      this.inWorkerThreads.add(queue);
    }
  }

  /**
   * Starts `count` worker threads running `script`, which calls serveWorkerThread to register the services declared
   * with registerInWorkerThreads; resolves once every thread polls. Call it after every service is registered: each
   * thread publishes with this thread's rules as they are now.
   */
  async startWorkerThreads(options: WorkerThreadsOptions): Promise<void> {
    if (this.workerThreads) throw new Error('worker threads are already started');
    if (this.inWorkerThreads.size === 0) throw new Error('no service is registered to run in worker threads');
    const threads = new WorkerThreads(this, this.logger, (error) => {
      for (const listener of this.failureListeners) listener(error);
    });
    this.workerThreads = threads;
    await threads.start(options, {
      dataDir: this.options.dataDir,
      ...(this.options.visibilityTimeoutMs !== undefined ? { visibilityTimeoutMs: this.options.visibilityTimeoutMs } : {}),
      ...(this.options.concurrency !== undefined ? { concurrency: this.options.concurrency } : {}),
      ...(this.options.idlePollMs !== undefined ? { idlePollMs: this.options.idlePollMs } : {}),
      ...(this.options.storageRetryMs !== undefined ? { storageRetryMs: this.options.storageRetryMs } : {}),
      rules: this.bus.listRules(),
      objectCreatedBuckets: [...this.notifyingBuckets],
      publicBaseUrl: this.baseUrl,
      duplicateDeliveries: this.queues.duplicateDeliveries,
      logLevel: this.logger.level,
    });
  }

  /** Hears of a worker thread that ended unexpectedly: the work it held cannot go on until the next start. */
  onFailure(listener: (error: Error) => void): () => void {
    this.failureListeners.add(listener);
    return () => this.failureListeners.delete(listener);
  }

  private subscriptionsOf(service: string): boolean {
    return this.services.has(service) || [...this.subscriptions.values()].some((subscription) => subscription.service === service);
  }

  /** A subscription's queue, dead-letter queue and rule. */
  private addSubscription(
    declaration: ServiceDeclaration,
    name: string,
    subscription: Subscription,
    pattern: RunnableSubscription['pattern'],
  ): RegisteredSubscription {
    const { queue, deadLetterQueue } = subscriptionQueueNames(declaration.name, name);
    const visibilityTimeoutMs = this.options.visibilityTimeoutMs ?? subscription.queue.visibilityTimeoutSeconds * 1000;
    this.queues.createQueue(deadLetterQueue, { visibilityTimeoutMs });
    this.queues.createQueue(queue, { visibilityTimeoutMs, maxReceiveCount: subscription.queue.maxReceiveCount, deadLetterQueue });
    this.bus.putRule({ name: `${queue}-rule`, pattern, targetQueue: queue });
    const registered = { service: declaration.name, name, queue, deadLetterQueue };
    this.subscriptions.set(queue, { ...registered, subscription });
    return registered;
  }

  /** Runs a service's schedule once now (`<service>-<schedule>`), as its timer would. */
  async runSchedule(service: string, schedule: string): Promise<void> {
    const runner = this.schedules.get(`${service}-${schedule}`);
    if (!runner) throw new Error(`no schedule ${schedule} of service ${service} is registered`);
    await runner.runOnce();
  }

  start(): void {
    if (this.started) return;
    this.started = true;
    for (const poller of this.pollers) poller.start();
    if (this.options.scheduleIntervalMs !== 0) for (const runner of this.schedules.values()) runner.start();
  }

  async stop(): Promise<void> {
    await Promise.all([
      ...this.pollers.map((poller) => poller.stop()),
      ...[...this.schedules.values()].map((runner) => runner.stop()),
      this.workerThreads?.stop(),
    ]);
    this.workerThreads = undefined;
    this.started = false;
  }

  async close(): Promise<void> {
    this.storage.stop();
    await this.stop();
    this.db.close();
    this.lock?.release();
  }

  /** True when no subscription queue holds a message and no handler is running. */
  isIdle(): boolean {
    if (this.pollers.some((poller) => poller.busy)) return false;
    for (const subscription of this.subscriptions.values()) {
      const depth = this.queues.depth(subscription.queue);
      if (depth.visible + depth.inFlight > 0) return false;
    }
    return true;
  }

  /**
   * A job's erasure is complete (every service erased its part): what the platform itself kept of it goes too — its
   * events in the event log (the stand-in for EventBridge's archive) and any message about it still in a queue (a
   * dead-lettered review decision holds a contact), except the erasure's own messages, which carry nothing personal
   * and are being handled. Then the write-ahead log is checkpointed and truncated, so no copy of a deleted page stays
   * in it (secure_delete zeroes the deleted rows in the database file itself).
   */
  private purgeErasedJob(event: Record<string, unknown>): void {
    const jobId = (event.detail as { metadata?: { jobId?: unknown } } | undefined)?.metadata?.jobId;
    if (typeof jobId !== 'string' || jobId === '') return;
    const purged = this.db.transaction(() => {
      const events = this.db.prepare('DELETE FROM events WHERE job_id = ?').run(jobId).changes;
      const messages = this.db
        .prepare(
          `DELETE FROM messages WHERE json_valid(body) AND json_extract(body, '$.detail.metadata.jobId') = ?
             AND json_extract(body, '$."detail-type"') NOT IN (${ERASURE_EVENT_TYPES.map(() => '?').join(', ')})`,
        )
        .run(jobId, ...ERASURE_EVENT_TYPES).changes;
      return { events, messages };
    })();
    const [checkpoint] = this.db.pragma('wal_checkpoint(TRUNCATE)') as { busy: number; log: number; checkpointed: number }[];
    this.logger.info({ jobId, ...purged, walBusy: checkpoint?.busy ?? 0 }, "erased job's events purged from the local event log");
  }

  /** Per subscription: messages waiting, in flight and dead-lettered, as `refinery dlq list` counts them. */
  private addQueueGauges(): void {
    const gauge = (name: string, help: string, count: (queue: RegisteredSubscription) => number): void =>
      this.metrics.addGauge({
        name,
        help,
        read: () =>
          [...this.subscriptions.values()].map((subscription) => ({
            labels: { service: subscription.service, subscription: subscription.name },
            value: count(subscription),
          })),
      });
    gauge('refinery_queue_messages_waiting', "Messages in a subscription's queue waiting to be received.", (s) => this.queues.depth(s.queue).visible);
    gauge(
      'refinery_queue_messages_in_flight',
      "Messages of a subscription's queue being handled (received, not yet deleted).",
      (s) => this.queues.depth(s.queue).inFlight,
    );
    gauge('refinery_queue_messages_dead_lettered', "Messages in a subscription's dead-letter queue.", (s) => {
      const depth = this.queues.depth(s.deadLetterQueue);
      return depth.visible + depth.inFlight;
    });
  }

  private concurrencyOf(queue: string): number {
    const setting = this.options.concurrency;
    if (typeof setting === 'number') return setting;
    return setting?.[queue] ?? 2;
  }

  private objectCreated(ref: ObjectRef, info: ObjectInfo): void {
    if (!this.notifyingBuckets.has(ref.bucket)) return;
    // The shape S3 sends to EventBridge for a PutObject (detail-type "Object Created", source "aws.s3").
    this.bus.publishSync([
      {
        source: 'aws.s3',
        detailType: 'Object Created',
        detail: JSON.stringify({
          version: '0',
          bucket: { name: ref.bucket },
          object: { key: ref.key, size: info.sizeBytes, etag: info.etag.replace(/"/g, ''), sequencer: Date.now().toString(16).toUpperCase() },
          'request-id': randomBytes(8).toString('hex').toUpperCase(),
          requester: '000000000000',
          reason: 'PutObject',
        }),
      },
    ]);
  }

  /**
   * A message has just been moved to a dead-letter queue (inside the receive transaction). Report it as a failed stage
   * so the job ends `failed` even when the handler never got to say so (a crash or timeout on the last delivery).
   */
  private deadLettered(message: DeadLetteredMessage): void {
    const subscription = this.subscriptions.get(message.sourceQueue);
    if (!subscription) return;
    // Counted whether or not it fails a job: a growing dead-letter queue is what an operator must hear of.
    this.metrics.record(subscription.service, 'deadLettered', 1, {});
    let report: PublishEntry | undefined;
    try {
      report = deadLetterReport(subscription.subscription, message.body, {
        deadLetterQueue: message.deadLetterQueue,
        cause: { kind: 'exhausted' },
      });
    } catch (error) {
      this.logger.error({ err: error, queue: message.sourceQueue }, 'a dead-lettered message could not be decoded; nothing to report');
      return;
    }
    this.logger.warn({ queue: message.sourceQueue, reported: report !== undefined }, 'message moved to the dead-letter queue');
    if (report) this.bus.publishSync([report]);
  }
}

/** Bytes a data dir must take at start-up: enough to tell a read-only or completely full one at once. */
const STARTUP_PROBE_BYTES = 4096;

/** Whether the data dir takes writes again: a file in each place objects go, and a SQLite write transaction. */
function probeDataDir(dataDir: string, db: SqliteDatabase): void {
  probeWritable(dataDir);
  // Inserting and deleting a row in one transaction still writes its pages: SQLite says SQLITE_FULL or SQLITE_READONLY
  // when it cannot.
  db.transaction(() => {
    db.prepare("INSERT OR REPLACE INTO items (tbl, pk, sk, body) VALUES ('.write-probe', 'probe', 'probe', '{}')").run();
    db.prepare("DELETE FROM items WHERE tbl = '.write-probe'").run();
  }).immediate();
}

/** The event that says a job's erasure is complete (libs/events: job-erasure.completed.v1). */
const ERASURE_COMPLETED = 'job-erasure.completed.v1';
/** The erasure's own events: no personal data, and their messages are being handled while the purge runs. */
const ERASURE_EVENT_TYPES = ['job-erasure.requested.v1', 'job-data.erased.v1', ERASURE_COMPLETED];

function readOrCreateSecret(path: string): string {
  if (existsSync(path)) return readFileSync(path, 'utf8').trim();
  const secret = randomBytes(32).toString('hex');
  writeFileSync(path, secret, { mode: PRIVATE_FILE_MODE });
  return secret;
}
