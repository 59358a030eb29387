import { type chunker, chunkerService } from '@refinery/chunker';
import { DirectoryProvider } from '@refinery/directory-provider';
import { ActiveJobs, type ingest, ingestService } from '@refinery/ingest';
import { labelerService } from '@refinery/labeler';
import { LocalHttpGateway, LocalRuntime, localPlatform, localResourceName, metricsEndpoint } from '@refinery/local-runtime';
import { type MailchimpSyncTuning, type mailchimpSync, mailchimpSyncService } from '@refinery/mailchimp-sync';
import { matcher, matcherService, seedNicknames } from '@refinery/matcher';
import type { ContactProvider } from '@refinery/matching';
import { mergerService } from '@refinery/merger';
import { loadBundledNicknames, NICKNAMES_CSV_PATH } from '@refinery/nicknames';
import { type notifier, notifierService } from '@refinery/notifier';
import type { Clock } from '@refinery/ports';
import { DEFAULT_PROVIDER_CHAIN, type ProviderChainConfig, sizeProviderChain } from '@refinery/providers';
import { composeService, type Logger, type SettingsOf, silentLogger, subscriptionQueueNames } from '@refinery/runtime';
import { webAppHandler } from '@refinery/web';
import { localProviderChainDeps, type ProviderChainDeps } from './provider-circuits';
import { localKeyEncryptionKey } from './secrets';
import { type ResolvedTokens, resolveTokens } from './tokens';
import { type WorkerThreadApp, workerThreadScript } from './worker-thread';

/** Settings of each service, as a deployment's parameters set them on AWS (unset: the declared defaults). */
export interface LocalSettings {
  readonly ingest?: Partial<SettingsOf<typeof ingest>>;
  readonly chunker?: Partial<SettingsOf<typeof chunker>>;
  readonly matcher?: Partial<SettingsOf<typeof matcher>>;
  readonly notifier?: Partial<SettingsOf<typeof notifier>>;
  readonly mailchimpSync?: Partial<SettingsOf<typeof mailchimpSync>>;
}

export interface LocalAppOptions {
  readonly dataDir: string;
  /** The provider: a directory CSV file, or a ready provider (tests). */
  readonly directory: string | ContactProvider;
  /**
   * The provider chain, asked in order (each only for the rows the ones before could not match); built from the
   * directory (see providersFromConfig), their calls counted with `metrics` (the matcher's) and their circuits' transitions
   * recorded in the data dir through `circuitObserver` (read by `refinery status`). Default: the directory alone.
   */
  readonly providers?: (directory: ContactProvider, deps: ProviderChainDeps) => readonly ContactProvider[];
  /**
   * The configuration `providers` was built from: it sizes the largest chunk (ingest's and the chunker's maxChunkRows,
   * unless `settings` give them) as a deployment's does. Default: the directory alone.
   */
  readonly providerChain?: ProviderChainConfig;
  /** REFINERY_API_TOKENS-style spec; default: a token for tenant `local` kept in the data dir. */
  readonly apiTokens?: string;
  readonly port?: number;
  readonly host?: string;
  readonly logger?: Logger;
  /** Settings of the services; mailchimp-sync's base URL defaults to $MAILCHIMP_BASE_URL (else each key's data centre). */
  readonly settings?: LocalSettings;
  /** How mailchimp-sync pages audiences and waits for Mailchimp's batches (tests shorten the waits). */
  readonly mailchimpTuning?: Partial<MailchimpSyncTuning>;
  /** Overrides every queue's visibility timeout (fast retries in tests). */
  readonly visibilityTimeoutMs?: number;
  readonly concurrency?: number | Readonly<Record<string, number>>;
  /** Fault injection for tests: deliver every message this many times. */
  readonly duplicateDeliveries?: number;
  /** Days a job's data is kept before the retention schedule erases it (every service's retentionDays); default 30. */
  readonly retentionDays?: number;
  /** The services' clock (tests move it past the retention period); default: the system's. */
  readonly clock?: Clock;
  /**
   * Worker threads that run the matcher's queue consumers (docs/local-mode.md, "Worker threads"); 0 (the default here):
   * every service on this thread. Each loads the directory, built into the chain from `providerChain` — so they need
   * `directory` as a file, and `providers` only as built from `providerChain` — and runs with the system clock.
   */
  readonly workerThreads?: number;
}

export interface LocalApp {
  readonly runtime: LocalRuntime;
  readonly url: string;
  readonly tokens: ResolvedTokens;
  /** The directory provider the matcher asks; undefined when the matcher runs in worker threads (each loads its own). */
  readonly provider: ContactProvider | undefined;
  close(): Promise<void>;
}

/**
 * Handlers per queue on this machine (the local runtime's default is 2). Audience pages wait on Mailchimp, not on the
 * CPU: enough of them run at once that Mailchimp's 10 connections per key (the limiter's job) are the bound. Webhook
 * deliveries wait on receivers: a hanging receiver holds at most its subscription's limit of workers (one by default)
 * for one timeout, so a few spare ones keep every other tenant's webhooks going meanwhile.
 */
const LOCAL_CONCURRENCY: Readonly<Record<string, number>> = {
  [subscriptionQueueNames('mailchimp-sync', 'pages').queue]: 24,
  [subscriptionQueueNames('notifier', 'jobs').queue]: 6,
};

function localConcurrency(option: LocalAppOptions['concurrency']): number | Readonly<Record<string, number>> {
  if (typeof option === 'number') return option;
  return { ...LOCAL_CONCURRENCY, ...option };
}

/** The local runtime's handlers per queue when nothing says otherwise. */
const LOCAL_RUNTIME_DEFAULT_CONCURRENCY = 2;

/**
 * The largest chunk, as on AWS (docs/deploy.md, "Matcher concurrency and chunk size"): what one matcher invocation looks
 * up within its timeout at the chain's rates, shared by the matcher's workers on this machine (of both its lanes).
 */
function localMaxChunkRows(chain: ProviderChainConfig, concurrency: number | Readonly<Record<string, number>>, threads: number): number {
  // Each worker thread runs the matcher's pollers with the same concurrency.
  const workersOf = (subscription: string): number => {
    const queue = subscriptionQueueNames('matcher', subscription).queue;
    return Math.max(1, threads) * (typeof concurrency === 'number' ? concurrency : (concurrency[queue] ?? LOCAL_RUNTIME_DEFAULT_CONCURRENCY));
  };
  const workers = workersOf('chunks') + workersOf('expressChunks');
  return sizeProviderChain(chain, { timeoutSeconds: matcher.subscriptions.chunks.function.timeoutSeconds, maximumConcurrency: workers }).maxChunkRows;
}

/** Every service on the local runtime, wired to local adapters, serving the HTTP API. */
export async function startLocalApp(options: LocalAppOptions): Promise<LocalApp> {
  const threads = options.workerThreads ?? 0;
  const threadApp = threads > 0 ? workerThreadApp(options) : undefined;
  const concurrency = localConcurrency(options.concurrency);
  const chunkRowsCap = { maxChunkRows: localMaxChunkRows(options.providerChain ?? DEFAULT_PROVIDER_CHAIN, concurrency, threads) };
  const logger = options.logger ?? silentLogger;
  const runtime = await LocalRuntime.open({
    dataDir: options.dataDir,
    logger,
    ...(options.visibilityTimeoutMs !== undefined ? { visibilityTimeoutMs: options.visibilityTimeoutMs } : {}),
    concurrency,
  });
  let gateway: LocalHttpGateway | undefined;
  try {
    if (options.duplicateDeliveries) runtime.queues.duplicateDeliveries = options.duplicateDeliveries;
    const tokens = resolveTokens(options.apiTokens, options.dataDir);
    // With worker threads only they match: this thread does not hold the directory too.
    const provider = threadApp
      ? undefined
      : typeof options.directory === 'string'
        ? await DirectoryProvider.fromFile(options.directory)
        : options.directory;
    const platform = localPlatform(runtime, { logger, ...(options.clock ? { clock: options.clock } : {}) });
    const settings = options.settings ?? {};
    // One retention period for every service that keeps or erases jobs' data.
    const retention = options.retentionDays === undefined ? {} : { retentionDays: options.retentionDays };
    // One key-encryption key seals every stored secret: Mailchimp keys, webhook sources' and subscriptions' secrets.
    const keyEncryptionKey = [localKeyEncryptionKey(options.dataDir)];
    const nicknames = runtime.table(localResourceName('matcher', 'nicknames'));
    await seedNicknames(nicknames, loadBundledNicknames(), NICKNAMES_CSV_PATH);
    const services = [
      await composeService(ingestService, platform, {
        settings: { apiTokens: tokens.registry, keyEncryptionKey, ...retention, ...chunkRowsCap, ...settings.ingest },
        // GET /jobs/{id} tells why nothing moves while the data dir is full or read-only.
        given: { workPaused: () => workPause(runtime) },
      }),
      await composeService(chunkerService, platform, { settings: { ...retention, ...chunkRowsCap, ...settings.chunker } }),
      threadApp
        ? matcher
        : await composeService(matcherService, platform, {
            settings: { ...settings.matcher },
            given: {
              providers: options.providers?.(provider as ContactProvider, localProviderChainDeps(runtime, logger)) ?? [provider as ContactProvider],
            },
          }),
      await composeService(labelerService, platform),
      await composeService(mergerService, platform, { settings: retention }),
      // Local webhooks usually go to local receivers: plain http is fine here. Live job updates go to the sockets the
      // gateway serves at /socket on the API's port.
      await composeService(notifierService, platform, {
        settings: { apiTokens: tokens.registry, keyEncryptionKey, ...retention, ...settings.notifier },
        given: { allowHttp: true },
      }),
      await composeService(mailchimpSyncService, platform, {
        settings: {
          apiTokens: tokens.registry,
          keyEncryptionKey,
          ...retention,
          ...(process.env.MAILCHIMP_BASE_URL ? { mailchimpBaseUrl: process.env.MAILCHIMP_BASE_URL } : {}),
          ...settings.mailchimpSync,
        },
        given: { ...options.mailchimpTuning },
      }),
    ];
    for (const service of services) {
      if ('declaration' in service) runtime.register(service);
      else runtime.registerInWorkerThreads(service);
    }

    gateway = new LocalHttpGateway(runtime, { logger });
    gateway.use(async (request, response) => {
      if (request.method !== 'GET' || request.url !== '/health') return false;
      response.writeHead(200, { 'content-type': 'application/json' });
      response.end(JSON.stringify({ status: 'ok' }));
      return true;
    });
    // The figures of every service and the queues' depths, for Prometheus or a look with curl (docs/operations.md).
    const activeJobs = new ActiveJobs(runtime.table(localResourceName('ingest', 'jobs')));
    runtime.metrics.addGauge({
      name: 'refinery_jobs_running',
      help: 'Jobs in the pipeline: submitted, not yet completed or failed.',
      read: async () => [{ labels: {}, value: await countOf(activeJobs.list()) }],
    });
    gateway.use(metricsEndpoint(runtime.metrics, { tokenValid: (authorization) => tokens.registry.tenantFor(authorization) !== undefined }));
    gateway.use(webAppHandler());
    const url = await gateway.listen(options.port ?? 8080, options.host ?? '127.0.0.1');
    // Once every rule exists and the API's URL is known: each thread publishes with this thread's rules.
    if (threadApp) await runtime.startWorkerThreads({ count: threads, ...workerThreadScript(), app: threadApp });
    runtime.start();
    const started = gateway;
    return {
      runtime,
      url,
      tokens,
      provider,
      close: async () => {
        await started.close();
        await runtime.close();
      },
    };
  } catch (error) {
    await gateway?.close();
    await runtime.close();
    throw error;
  }
}

/** What a worker thread needs to compose the matcher as this thread would; refuses what cannot cross to a thread. */
function workerThreadApp(options: LocalAppOptions): WorkerThreadApp {
  if (typeof options.directory !== 'string') throw new Error('worker threads load the directory from its file: give `directory` as a path');
  if (options.providers && !options.providerChain)
    throw new Error('worker threads build the provider chain from its configuration: give `providerChain` with `providers`');
  if (options.clock) throw new Error("worker threads run with the system's clock: give no `clock` with `workerThreads`");
  return {
    directory: options.directory,
    ...(options.providerChain ? { providerChain: options.providerChain } : {}),
    settings: { ...(options.settings?.matcher ? { matcher: options.settings.matcher } : {}) },
  };
}

async function countOf(items: AsyncIterable<unknown>): Promise<number> {
  let count = 0;
  for await (const _ of items) count += 1;
  return count;
}

/** The runtime's pause, as ingest shows it on a job: what is wrong with the data dir and what to do, since when. */
function workPause(runtime: LocalRuntime): { reason: string; since: Date } | undefined {
  const fault = runtime.storage.fault;
  return fault ? { reason: fault.error.message, since: fault.since } : undefined;
}
