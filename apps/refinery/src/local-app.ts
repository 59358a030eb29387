import { createChunkerService, DEFAULT_CHUNKER_CONFIG, type ChunkerConfig } from '@refinery/chunker';
import { DirectoryProvider } from '@refinery/directory-provider';
import { createIngestService, DEFAULT_INGEST_CONFIG } from '@refinery/ingest';
import { createLabelerService } from '@refinery/labeler';
import { LocalHttpGateway, LocalRuntime } from '@refinery/local-runtime';
import { createMatcherService, DEFAULT_MATCHER_CONFIG, seedNicknames } from '@refinery/matcher';
import type { ContactProvider } from '@refinery/matching';
import { createMergerService } from '@refinery/merger';
import { loadBundledNicknames, NICKNAMES_CSV_PATH } from '@refinery/nicknames';
import { createNotifierService, DEFAULT_NOTIFIER_CONFIG, type NotifierConfig } from '@refinery/notifier';
import { TableKeyedLimiter } from '@refinery/keyed-limiter';
import { MailchimpClient } from '@refinery/mailchimp';
import { createMailchimpSyncService, DEFAULT_MAILCHIMP_SYNC_CONFIG, KeyVault, type MailchimpSyncConfig } from '@refinery/mailchimp-sync';
import { localKeyEncryptionKey } from './secrets';
import { systemClock, ulidIds } from '@refinery/ports';
import { webAppHandler } from '@refinery/web';
import { silentLogger, subscriptionQueueNames, type Logger } from '@refinery/runtime';
import { LOCAL_RESOURCES } from './resources';
import { resolveTokens, type ResolvedTokens } from './tokens';

export interface LocalAppOptions {
  readonly dataDir: string;
  /** The provider: a directory CSV file, or a ready provider (tests). */
  readonly directory: string | ContactProvider;
  /**
   * The provider chain, asked in order (each only for the rows the ones before could not match); built from the
   * directory (see providersFromConfig). Default: the directory alone.
   */
  readonly providers?: (directory: ContactProvider) => readonly ContactProvider[];
  /** REFINERY_API_TOKENS-style spec; default: a token for tenant `local` kept in the data dir. */
  readonly apiTokens?: string;
  readonly port?: number;
  readonly host?: string;
  readonly logger?: Logger;
  readonly chunker?: Partial<ChunkerConfig>;
  readonly notifier?: Partial<NotifierConfig>;
  /** mailchimp-sync settings; `baseUrl` defaults to $MAILCHIMP_BASE_URL (else each key's data centre). */
  readonly mailchimpSync?: Partial<Omit<MailchimpSyncConfig, 'importsBucket'>>;
  /** Overrides every queue's visibility timeout (fast retries in tests). */
  readonly visibilityTimeoutMs?: number;
  readonly concurrency?: number | Readonly<Record<string, number>>;
  /** Fault injection for tests: deliver every message this many times. */
  readonly duplicateDeliveries?: number;
}

export interface LocalApp {
  readonly runtime: LocalRuntime;
  readonly url: string;
  readonly tokens: ResolvedTokens;
  readonly provider: ContactProvider;
  close(): Promise<void>;
}

/**
 * Handlers per queue on this machine (the local runtime's default is 2). Audience pages wait on Mailchimp, not on the
 * CPU: enough of them run at once that Mailchimp's 10 connections per key (the limiter's job) are the bound.
 */
const LOCAL_CONCURRENCY: Readonly<Record<string, number>> = { [subscriptionQueueNames('mailchimp-sync', 'pages').queue]: 24 };

function localConcurrency(option: LocalAppOptions['concurrency']): number | Readonly<Record<string, number>> {
  if (typeof option === 'number') return option;
  return { ...LOCAL_CONCURRENCY, ...option };
}

/** Every service on the local runtime, wired to local adapters, serving the HTTP API. */
export async function startLocalApp(options: LocalAppOptions): Promise<LocalApp> {
  const logger = options.logger ?? silentLogger;
  const runtime = await LocalRuntime.open({
    dataDir: options.dataDir,
    logger,
    ...(options.visibilityTimeoutMs !== undefined ? { visibilityTimeoutMs: options.visibilityTimeoutMs } : {}),
    concurrency: localConcurrency(options.concurrency),
  });
  let gateway: LocalHttpGateway | undefined;
  try {
    if (options.duplicateDeliveries) runtime.queues.duplicateDeliveries = options.duplicateDeliveries;
    const tokens = resolveTokens(options.apiTokens, options.dataDir);
    const provider = typeof options.directory === 'string' ? await DirectoryProvider.fromFile(options.directory) : options.directory;
    const common = { publisher: runtime.bus, clock: systemClock, ids: ulidIds };
    const nicknames = runtime.table(LOCAL_RESOURCES.matcher.nicknamesTable);
    await seedNicknames(nicknames, loadBundledNicknames(), NICKNAMES_CSV_PATH);

    runtime.enableObjectCreatedEvents(LOCAL_RESOURCES.ingest.uploadsBucket);
    runtime.register(
      createIngestService({
        ...common,
        logger: logger.child({ service: 'ingest' }),
        config: { ...DEFAULT_INGEST_CONFIG, uploadsBucket: LOCAL_RESOURCES.ingest.uploadsBucket },
        objects: runtime.objects,
        jobs: runtime.table(LOCAL_RESOURCES.ingest.jobsTable),
        tokens: tokens.registry,
      }),
    );
    runtime.register(
      createChunkerService({
        ...common,
        logger: logger.child({ service: 'chunker' }),
        config: { ...DEFAULT_CHUNKER_CONFIG, ...options.chunker },
        objects: runtime.objects,
        plans: runtime.table(LOCAL_RESOURCES.chunker.plansTable),
      }),
    );
    runtime.register(
      createMatcherService({
        ...common,
        logger: logger.child({ service: 'matcher' }),
        config: { ...DEFAULT_MATCHER_CONFIG, chunksBucket: LOCAL_RESOURCES.matcher.chunksBucket },
        objects: runtime.objects,
        providers: options.providers?.(provider) ?? [provider],
        nicknames,
      }),
    );
    runtime.register(
      createLabelerService({
        ...common,
        logger: logger.child({ service: 'labeler' }),
        config: { chunksBucket: LOCAL_RESOURCES.labeler.chunksBucket },
        objects: runtime.objects,
      }),
    );
    runtime.register(
      createMergerService({
        ...common,
        logger: logger.child({ service: 'merger' }),
        config: { resultsBucket: LOCAL_RESOURCES.merger.resultsBucket },
        objects: runtime.objects,
        ledger: runtime.table(LOCAL_RESOURCES.merger.ledgerTable),
      }),
    );
    runtime.register(
      createNotifierService({
        ...common,
        logger: logger.child({ service: 'notifier' }),
        // Local webhooks usually go to local receivers: plain http is fine here.
        config: { ...DEFAULT_NOTIFIER_CONFIG, allowHttp: true, ...options.notifier },
        subscriptions: runtime.table(LOCAL_RESOURCES.notifier.subscriptionsTable),
        tokens: tokens.registry,
        // Live job updates: the sockets the gateway serves at /socket on the API's port.
        sockets: runtime.sockets,
      }),
    );
    const mailchimpState = runtime.table(LOCAL_RESOURCES.mailchimpSync.syncTable);
    const mailchimpConfig: MailchimpSyncConfig = {
      ...DEFAULT_MAILCHIMP_SYNC_CONFIG,
      importsBucket: LOCAL_RESOURCES.mailchimpSync.importsBucket,
      ...(process.env.MAILCHIMP_BASE_URL ? { baseUrl: process.env.MAILCHIMP_BASE_URL } : {}),
      ...options.mailchimpSync,
    };
    // One limiter over the data dir's table: every job and tenant of this machine shares each key's 10 connections.
    const mailchimpLimiter = new TableKeyedLimiter({ table: runtime.table(LOCAL_RESOURCES.mailchimpSync.limitsTable), limit: mailchimpConfig.maxConnectionsPerKey });
    runtime.register(
      createMailchimpSyncService({
        ...common,
        logger: logger.child({ service: 'mailchimp-sync' }),
        config: mailchimpConfig,
        objects: runtime.objects,
        table: mailchimpState,
        keys: new KeyVault(mailchimpState, localKeyEncryptionKey(options.dataDir), ulidIds),
        limiter: mailchimpLimiter,
        mailchimp: (apiKey) => new MailchimpClient({ apiKey, gate: mailchimpLimiter, ...(mailchimpConfig.baseUrl ? { baseUrl: mailchimpConfig.baseUrl } : {}) }),
        tokens: tokens.registry,
      }),
    );

    gateway = new LocalHttpGateway(runtime, { logger });
    gateway.use(async (request, response) => {
      if (request.method !== 'GET' || request.url !== '/health') return false;
      response.writeHead(200, { 'content-type': 'application/json' });
      response.end(JSON.stringify({ status: 'ok' }));
      return true;
    });
    gateway.use(webAppHandler());
    const url = await gateway.listen(options.port ?? 8080, options.host ?? '127.0.0.1');
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
