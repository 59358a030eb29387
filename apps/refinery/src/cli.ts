import { existsSync, readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { DEFAULT_INGEST_CONFIG, type StuckJobs } from '@refinery/ingest';
import { DataDirFaultError, describeStorageFault, storageFaultAdvice } from '@refinery/local-runtime';
import type { ContactProvider } from '@refinery/matching';
import type { Queues } from '@refinery/ports';
import { buildProviderChain, type ProviderChainConfig, parseProviderChain } from '@refinery/providers';
import { Command, InvalidArgumentError } from 'commander';
import {
  describeDeadLetter,
  formatDeadLetters,
  formatSummaries,
  listDeadLetters,
  OperatorError,
  openQueues,
  type QueueLocation,
  subscriptionQueues,
} from './dlq';
import { type EnrichOptions, enrich, formatSummary, InputError, type ProviderChainOption } from './enrich';
import { moderateHeapGrowth } from './heap-growth';
import { formatStuckJobs, openStuckJobs, stuckJobView } from './jobs';
import { startLocalApp } from './local-app';
import { fileLogger, serverLogger } from './logging';
import { collectSetting, settingsFromOptions } from './setting-options';
import { serveUntilSignalled } from './shutdown';

const DEFAULT_DATA_DIR = '.refinery';
/**
 * The exit status of a command stopped by a full or read-only data dir: sysexits' EX_TEMPFAIL ("a temporary failure;
 * the user is invited to retry"). Nothing is lost: the same command run again resumes the job.
 */
export const EXIT_STORAGE_FAULT = 75;
/** What ingest's sweep waits by default before it fails a job (its stuckJobMinutes setting). */
const DEFAULT_STUCK_JOB_MINUTES = DEFAULT_INGEST_CONFIG.stuckJobMinutes;
const REPO_ROOT = resolve(__dirname, '../../..');
const BUNDLED_DIRECTORY = join(REPO_ROOT, 'examples', 'directory.csv');

function integerOption(name: string, min: number, max: number) {
  return (value: string): number => {
    const n = Number(value);
    if (!Number.isInteger(n) || n < min || n > max) throw new InvalidArgumentError(`${name} must be an integer from ${min} to ${max}`);
    return n;
  };
}

const positiveInteger = (name: string, max: number) => integerOption(name, 1, max);

/** --directory, else REFINERY_DIRECTORY, else the example directory shipped with the project. */
function resolveDirectory(option: string | undefined): string {
  const path = resolve(option ?? process.env.REFINERY_DIRECTORY ?? BUNDLED_DIRECTORY);
  if (!existsSync(path)) throw new InputError(`the directory file ${path} does not exist (pass --directory FILE or set REFINERY_DIRECTORY)`);
  return path;
}

const PROVIDERS_OPTION = 'the provider chain, JSON (default: $REFINERY_PROVIDERS, else the directory alone; see docs/matching.md)';

/**
 * Worker threads that run the matcher beside the thread that runs every other service (docs/local-mode.md, "Worker
 * threads"; measured in docs/performance.md): on two cores one keeps both busy.
 */
export const DEFAULT_WORKER_THREADS = 1;
const WORKER_THREADS_OPTION = `worker threads that run the matcher, each with its own copy of the directory (0: every service on one thread; default ${DEFAULT_WORKER_THREADS})`;

/** The chain from --providers or REFINERY_PROVIDERS, checked now so a bad file fails before any work starts. */
function resolveProviders(option: string | undefined): ProviderChainOption | undefined {
  const file = option ?? process.env.REFINERY_PROVIDERS;
  if (file === undefined || file === '') return undefined;
  const path = resolve(file);
  if (!existsSync(path)) throw new InputError(`the provider chain file ${path} does not exist (--providers FILE or REFINERY_PROVIDERS)`);
  let config: ProviderChainConfig;
  try {
    config = parseProviderChain(readFileSync(path, 'utf8'), path);
  } catch (error) {
    throw new InputError((error as Error).message);
  }
  // Secrets are read now too (the directory stands in until it is loaded): a missing API key stops the command
  // with its name, not a job halfway.
  const placeholder: ContactProvider = { name: 'directory', inMemory: true, findCandidates: async (contacts) => contacts.map(() => []) };
  try {
    buildProviderChain(config, { directory: () => placeholder, env: process.env });
  } catch (error) {
    throw new InputError((error as Error).message);
  }
  return {
    build: (directory, deps) => buildProviderChain(config, { directory: () => directory, env: process.env, ...deps }),
    // The configuration as written (secrets stay \${NAME} references), keys sorted: the same chain, the same print.
    fingerprint: canonicalJson(config),
    config,
  };
}

/** JSON with every object's keys sorted, so equal values always give equal text. */
function canonicalJson(value: unknown): string {
  return JSON.stringify(value, (_key, item: unknown) =>
    item && typeof item === 'object' && !Array.isArray(item)
      ? Object.fromEntries(Object.entries(item as Record<string, unknown>).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)))
      : item,
  );
}

interface DlqOptions {
  dataDir: string;
  aws?: boolean;
  stage: string;
  region?: string;
  subscription?: string;
}

async function withQueues(options: DlqOptions, use: (queues: Queues, location: QueueLocation) => Promise<void>): Promise<void> {
  const location: QueueLocation = options.aws
    ? { kind: 'aws', stage: options.stage, ...(options.region ? { region: options.region } : {}) }
    : { kind: 'local', dataDir: resolve(options.dataDir) };
  if (location.kind === 'local' && !existsSync(join(location.dataDir, 'refinery.db'))) {
    throw new OperatorError(`${location.dataDir} is not a data dir (no refinery.db); pass --data-dir, or --aws for a deployed stage`);
  }
  const { queues, close } = await openQueues(location);
  try {
    await use(queues, location);
  } finally {
    await close();
  }
}

async function withStuckJobs(options: DlqOptions, use: (jobs: StuckJobs) => Promise<void>): Promise<void> {
  const location: QueueLocation = options.aws
    ? { kind: 'aws', stage: options.stage, ...(options.region ? { region: options.region } : {}) }
    : { kind: 'local', dataDir: resolve(options.dataDir) };
  if (location.kind === 'local' && !existsSync(join(location.dataDir, 'refinery.db'))) {
    throw new OperatorError(`${location.dataDir} is not a data dir (no refinery.db); pass --data-dir, or --aws for a deployed stage`);
  }
  const { jobs, close } = await openStuckJobs(location);
  try {
    await use(jobs);
  } finally {
    await close();
  }
}

interface EnrichCommandOptions {
  out: string;
  directory?: string;
  dataDir: string;
  chunkRows?: number;
  providers?: string;
  api?: string;
  token?: string;
  matchThreshold?: number;
  reviewThreshold?: number;
  multipartThreshold?: number;
  workerThreads: number;
}

/** A probability strictly between 0 and 1, for a threshold option. */
function probability(flag: string): (value: string) => number {
  return (value) => {
    const number = Number(value);
    if (value.trim() === '' || !(number > 0 && number < 1))
      throw new InputError(`${flag} must be a probability strictly between 0 and 1, got "${value}"`);
    return number;
  };
}

/** Where `refinery enrich` runs its job: a deployment's API (--api), else every service on this machine. */
function enrichTarget(options: EnrichCommandOptions): EnrichOptions['target'] {
  if (options.api === undefined) {
    const dataDir = resolve(options.dataDir);
    const providers = resolveProviders(options.providers);
    return {
      kind: 'local',
      dataDir,
      directory: resolveDirectory(options.directory),
      ...(providers ? { providers } : {}),
      logger: fileLogger(dataDir),
      workerThreads: options.workerThreads,
    };
  }
  if (options.directory !== undefined || options.providers !== undefined) {
    throw new InputError("--directory and --providers choose this machine's providers; with --api the deployment's own providers match");
  }
  if (!URL.canParse(options.api) || !/^https?:$/.test(new URL(options.api).protocol))
    throw new InputError(`--api must be an http(s) URL, got ${options.api}`);
  const token = options.token ?? process.env.REFINERY_TOKEN;
  if (!token) throw new InputError('--api needs a token: --token TOKEN or REFINERY_TOKEN');
  return { kind: 'api', url: options.api, token };
}

/** Runs the CLI; resolves to the exit code. */
export async function main(argv: readonly string[]): Promise<number> {
  let exitCode = 0;
  const program = new Command()
    .name('refinery')
    .description('Contact Refinery: validate, standardize, match and label contact books — every service on this machine.')
    .showHelpAfterError()
    .exitOverride();

  program
    .command('enrich')
    .description('enrich a CSV contact book through the whole event-driven pipeline and write the result CSV')
    .argument('<input>', 'the contact book (CSV)')
    .requiredOption('--out <file>', 'where to write the result CSV')
    .option('--directory <file>', 'the directory provider CSV (default: $REFINERY_DIRECTORY or examples/directory.csv)')
    .option('--data-dir <dir>', 'durable local state (queues, tables, objects)', DEFAULT_DATA_DIR)
    .option('--chunk-rows <n>', 'rows per chunk', positiveInteger('--chunk-rows', 100_000))
    .option('--providers <file>', PROVIDERS_OPTION)
    .option('--api <url>', "a deployment's API to run the job on (`refinery dev`, `refinery emulate`, an AWS stage) instead of this machine")
    .option('--token <token>', 'the API token, with --api (default: $REFINERY_TOKEN)')
    .option('--match-threshold <p>', 'match probability at or above which a row is matched (default 0.9)', probability('--match-threshold'))
    .option(
      '--review-threshold <p>',
      'match probability at or above which a row goes to the review queue (default 0.5)',
      probability('--review-threshold'),
    )
    .option(
      '--multipart-threshold <bytes>',
      'files of at least this many bytes go up in parts, a few at a time, each retried, resumed by running the same command again (default 67108864, 64 MiB)',
      positiveInteger('--multipart-threshold', Number.MAX_SAFE_INTEGER),
    )
    .option('--worker-threads <n>', WORKER_THREADS_OPTION, integerOption('--worker-threads', 0, 16), DEFAULT_WORKER_THREADS)
    .action(async (input: string, options: EnrichCommandOptions) => {
      if (!options.api) moderateHeapGrowth();
      if (options.matchThreshold !== undefined && options.reviewThreshold !== undefined && options.reviewThreshold > options.matchThreshold) {
        throw new InputError(`--review-threshold (${options.reviewThreshold}) must not be above --match-threshold (${options.matchThreshold})`);
      }
      const thresholds = {
        ...(options.matchThreshold !== undefined ? { match: options.matchThreshold } : {}),
        ...(options.reviewThreshold !== undefined ? { review: options.reviewThreshold } : {}),
      };
      const summary = await enrich({
        input,
        out: options.out,
        target: enrichTarget(options),
        ...(options.chunkRows ? { chunkRows: options.chunkRows } : {}),
        ...(Object.keys(thresholds).length > 0 ? { thresholds } : {}),
        ...(options.multipartThreshold ? { multipartThresholdBytes: options.multipartThreshold } : {}),
        stderr: process.stderr,
      });
      if (summary.status === 'failed') {
        const where = options.api ? `on ${options.api}` : `logs in ${resolve(options.dataDir)}/logs`;
        process.stderr.write(`refinery: the job failed: ${summary.reason}\n(job ${summary.jobId}; ${where})\n`);
        exitCode = 1;
        return;
      }
      process.stdout.write(`${formatSummary(summary, resolve(options.out))}\n`);
    });

  program
    .command('dev')
    .description('serve the HTTP API, the live-updates WebSocket and the web page, with every service running on this machine')
    .option('--port <n>', 'port on 127.0.0.1', positiveInteger('--port', 65_535), 8080)
    .option('--data-dir <dir>', 'durable local state (queues, tables, objects)', DEFAULT_DATA_DIR)
    .option('--directory <file>', 'the directory provider CSV (default: $REFINERY_DIRECTORY or examples/directory.csv)')
    .option('--providers <file>', PROVIDERS_OPTION)
    .option(
      '--setting <service.name=value>',
      "a service's setting, as a deployment sets it (repeatable; e.g. ingest.maxJobsInFlight=20: docs/deploy.md lists them)",
      collectSetting,
      [],
    )
    .option('--worker-threads <n>', WORKER_THREADS_OPTION, integerOption('--worker-threads', 0, 16), DEFAULT_WORKER_THREADS)
    .action(async (options: { port: number; dataDir: string; directory?: string; providers?: string; setting: string[]; workerThreads: number }) => {
      moderateHeapGrowth();
      const dataDir = resolve(options.dataDir);
      const providers = resolveProviders(options.providers);
      const settings = settingsFromOptions(options.setting);
      const app = await startLocalApp({
        dataDir,
        directory: resolveDirectory(options.directory),
        settings,
        ...(providers ? { providers: providers.build, providerChain: providers.config } : {}),
        port: options.port,
        logger: serverLogger(dataDir),
        ...(process.env.REFINERY_API_TOKENS ? { apiTokens: process.env.REFINERY_API_TOKENS } : {}),
        workerThreads: options.workerThreads,
      });
      // A worker thread that ended holds its messages in flight until the next start releases them: stop now, as a crash
      // would, rather than serve jobs that cannot finish (a supervisor restarts the server; nothing is lost).
      app.runtime.onFailure((error) => {
        process.stderr.write(`refinery dev: a worker thread failed (${error.message}); exiting: the work in flight resumes on the next start\n`);
        process.exit(1);
      });
      const tokenLine = app.tokens.localTokenFile
        ? `token (tenant local): ${app.tokens.clientToken}${app.tokens.generated ? ' (new, saved in ' : ' (from '}${app.tokens.localTokenFile})`
        : 'tokens: from REFINERY_API_TOKENS';
      // A full or read-only data dir pauses the work and resumes it by itself: the operator hears of both here (the log
      // has the same, once), and GET /jobs/{id} shows the pause on each job.
      let saidPaused = false;
      app.runtime.storage.onChange((fault, repeated) => {
        // A fault back soon after a resume (a probe fitted, a larger write did not) is the same pause: said once.
        if (fault && !repeated && !saidPaused) {
          saidPaused = true;
          process.stderr.write(
            `refinery dev: ${describeStorageFault(fault.kind, fault.code, fault.dataDir)}; ${storageFaultAdvice(fault.kind, 'paused')}\n`,
          );
        }
        if (!fault && saidPaused) {
          saidPaused = false;
          process.stderr.write(`refinery dev: the data dir ${dataDir} takes writes again; work resumed\n`);
        }
      });
      process.stderr.write(
        `refinery dev: listening on ${app.url}\nweb page: ${app.url}/\nlive updates: ${app.url.replace(/^http/, 'ws')}/socket\n${tokenLine}\ndata dir: ${dataDir}\n`,
      );
      await serveUntilSignalled('refinery dev', () => app.close(), { stderr: process.stderr });
    });

  program
    .command('emulate')
    .description(
      "AWS in a box: every packaged stack deployed into moto, every function run from its package with Lambda's semantics, the APIs served here",
    )
    .option('--port <n>', 'where the HTTP APIs and the WebSocket API are served, on 127.0.0.1', positiveInteger('--port', 65_535), 8080)
    .option('--aws-port <n>', "moto's port (AWS_ENDPOINT_URL for your tools)", positiveInteger('--aws-port', 65_535), 4566)
    .option('--data-dir <dir>', "the functions' packages and logs", '.refinery-emulator')
    .option('--directory <file>', 'the directory provider CSV (default: $REFINERY_DIRECTORY or examples/directory.csv)')
    .option('--providers <file>', 'the provider chain the matcher runs with (JSON; default: the deployed one, the directory alone)')
    .option('--short-timeouts', 'a stage for tests: queue-fed functions time out in seconds, their queues retry as fast (ratios kept)')
    .action(async (options: { port: number; awsPort: number; dataDir: string; directory?: string; providers?: string; shortTimeouts?: boolean }) => {
      // Loaded only here: the AWS SDK's CloudFormation and Lambda clients are for this command alone.
      const { emulate } = require('./emulate') as typeof import('./emulate');
      if (options.providers) resolveProviders(options.providers);
      const dataDir = resolve(options.dataDir);
      const emulator = await emulate({
        repoRoot: REPO_ROOT,
        port: options.port,
        awsPort: options.awsPort,
        dataDir,
        directory: resolveDirectory(options.directory),
        ...(options.providers ? { providers: resolve(options.providers) } : {}),
        ...(options.shortTimeouts ? { shortTimeouts: true } : {}),
        progress: (line) => process.stderr.write(`refinery emulate: ${line}\n`),
      });
      process.stderr.write(
        `refinery emulate: listening on ${emulator.url}\nlive updates: ${emulator.url.replace(/^http/, 'ws')}/socket\n` +
          `token (tenant ${emulator.tenant}): ${emulator.token}\nAWS (moto): ${emulator.aws.endpoint}\nfunctions' logs: ${dataDir}/logs\n`,
      );
      await new Promise<void>((resolveStop) => {
        const stop = (): void => {
          process.stderr.write('refinery emulate: stopping\n');
          resolveStop();
        };
        process.once('SIGINT', stop);
        process.once('SIGTERM', stop);
      });
      await emulator.stop();
    });

  const dlq = program.command('dlq').description('inspect and redrive dead-letter queues, on the local mode (--data-dir) or on AWS (--aws --stage)');
  const withLocation = (command: Command): Command =>
    withDataDirOrStage(command, 'the queues of a deployed stage on AWS (credentials and region from the environment)').option(
      '--subscription <name>',
      "one of the service's subscriptions",
    );
  withLocation(dlq.command('list').description('every subscription: messages waiting, in flight, and dead-lettered'))
    .argument('[service]', 'only this service')
    .option('--json', 'machine-readable output')
    .action(async (service: string | undefined, options: DlqOptions & { json?: boolean }) => {
      await withQueues(options, async (queues, location) => {
        const summaries = await listDeadLetters(queues, subscriptionQueues(location, service, options.subscription));
        process.stdout.write(`${options.json ? JSON.stringify(summaries, null, 2) : formatSummaries(summaries)}\n`);
      });
    });
  withLocation(dlq.command('show').description("a service's dead-lettered messages, without consuming them"))
    .argument('<service>', 'the service')
    .option('--limit <n>', 'at most this many messages per queue', positiveInteger('--limit', 1000), 20)
    .option('--json', 'machine-readable output, message bodies included')
    .action(async (service: string, options: DlqOptions & { limit: number; json?: boolean }) => {
      await withQueues(options, async (queues, location) => {
        const views = [];
        for (const entry of subscriptionQueues(location, service, options.subscription)) {
          for (const message of await queues.peek(entry.deadLetterQueue, options.limit))
            views.push({ subscription: entry.subscription, ...describeDeadLetter(message) });
        }
        process.stdout.write(`${options.json ? JSON.stringify(views, null, 2) : formatDeadLetters(views)}\n`);
      });
    });
  withLocation(dlq.command('redrive').description("move a service's dead-lettered messages back to their queues"))
    .argument('<service>', 'the service')
    .option('--message <id...>', 'only these messages (ids from `dlq show`)')
    .action(async (service: string, options: DlqOptions & { message?: string[] }) => {
      await withQueues(options, async (queues, location) => {
        for (const entry of subscriptionQueues(location, service, options.subscription)) {
          const moved = await queues.redrive(entry.deadLetterQueue, entry.queue, options.message ? { messageIds: options.message } : {});
          process.stdout.write(`${entry.service}/${entry.subscription}: ${moved} message(s) moved back to ${entry.queue}\n`);
        }
      });
    });

  const jobs = program
    .command('jobs')
    .description("jobs that stopped moving (ingest's sweep), on the local mode (--data-dir) or on AWS (--aws --stage)");
  const withJobsLocation = (command: Command): Command =>
    withDataDirOrStage(command, "a deployed stage's jobs (credentials and region from the environment)");
  withJobsLocation(jobs.command('stuck').description('jobs in the pipeline whose history has not grown for a while, and what each waits for'))
    .option(
      '--for <minutes>',
      'without progress for at least this many minutes (0: every job in the pipeline)',
      integerOption('--for', 0, 10_080),
      DEFAULT_STUCK_JOB_MINUTES,
    )
    .option('--json', 'machine-readable output')
    .action(async (options: DlqOptions & { for: number; json?: boolean }) => {
      await withStuckJobs(options, async (stuck) => {
        const views = (await stuck.find(options.for * 60_000)).map(stuckJobView);
        process.stdout.write(`${options.json ? JSON.stringify(views, null, 2) : formatStuckJobs(views, options.for)}\n`);
      });
    });
  withJobsLocation(jobs.command('fail').description('end a job failed, with your reason (webhooks and live updates tell its owner)'))
    .argument('<jobId>', 'the job')
    .requiredOption('--reason <text>', 'why, for the job owner')
    .action(async (jobId: string, options: DlqOptions & { reason: string }) => {
      if (options.reason.trim() === '') throw new InputError('--reason must say why');
      await withStuckJobs(options, async (stuck) => {
        try {
          await stuck.failByOperator(jobId, options.reason.trim());
        } catch (error) {
          throw new OperatorError((error as Error).message);
        }
        process.stdout.write(
          `${jobId}: stage.failed.v1 published; the merger ends the job failed ("failed by an operator: ${options.reason.trim()}")\n`,
        );
      });
    });

  withDataDirOrStage(
    program
      .command('status')
      .description('the state at a glance: queues, running jobs, provider circuits, on the local mode (--data-dir) or on AWS (--aws --stage)'),
    'a deployed stage (credentials and region from the environment)',
  )
    .option(
      '--stuck-for <minutes>',
      'a job idle this many minutes or more is stuck',
      integerOption('--stuck-for', 0, 10_080),
      DEFAULT_STUCK_JOB_MINUTES,
    )
    .option('--json', 'machine-readable output, one object')
    .action(async (options: DlqOptions & { stuckFor: number; json?: boolean }) => {
      const { formatStatus, readStatus } = require('./status') as typeof import('./status');
      const location: QueueLocation = options.aws
        ? { kind: 'aws', stage: options.stage, ...(options.region ? { region: options.region } : {}) }
        : { kind: 'local', dataDir: resolve(options.dataDir) };
      const status = await readStatus(location, { stuckAfterMinutes: options.stuckFor });
      process.stdout.write(`${options.json ? JSON.stringify(status, null, 2) : formatStatus(status)}\n`);
    });

  try {
    await program.parseAsync([...argv]);
  } catch (error) {
    const code = (error as { code?: string }).code;
    if (code === 'commander.helpDisplayed' || code === 'commander.version' || code === 'commander.help') return 0;
    if (code?.startsWith('commander.')) return 2;
    if (error instanceof InputError || error instanceof OperatorError) {
      process.stderr.write(`refinery: ${error.message}\n`);
      return 2;
    }
    if (error instanceof DataDirFaultError) {
      process.stderr.write(`refinery: ${describeStorageFault(error.kind, error.code, error.dataDir)}; ${storageFaultAdvice(error.kind, 'rerun')}\n`);
      return EXIT_STORAGE_FAULT;
    }
    throw error;
  }
  return exitCode;
}

/** Where a command looks: a local data dir, or a deployed stage on AWS (`awsDescription` says what of it). */
function withDataDirOrStage(command: Command, awsDescription: string): Command {
  return command
    .option('--data-dir <dir>', 'the local mode data dir', DEFAULT_DATA_DIR)
    .option('--aws', awsDescription)
    .option('--stage <stage>', 'the deployed stage (with --aws)', 'dev')
    .option('--region <region>', 'the AWS region (with --aws; default from the environment)');
}
