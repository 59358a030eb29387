import { DirectoryProvider } from '@refinery/directory-provider';
import { isRefineryWorkerThread, type LocalRuntime, localPlatform, serveWorkerThread, workerThreadAppData } from '@refinery/local-runtime';
import { matcherService } from '@refinery/matcher';
import { buildProviderChain, type ProviderChainConfig } from '@refinery/providers';
import { composeService, type Logger } from '@refinery/runtime';
import type { LocalSettings } from './local-app';
import { localProviderChainDeps } from './provider-circuits';

/**
 * The matcher's queue consumers in a worker thread of `refinery enrich` and `refinery dev` (docs/local-mode.md, "Worker
 * threads"): the service composed here exactly as the main thread would compose it — the same handlers, from the same
 * settings, the directory read from the same file and the chain built from the same configuration.
 */
export interface WorkerThreadApp {
  /** The directory provider's CSV file. */
  readonly directory: string;
  /** The provider chain's configuration (as `--providers` gives it); undefined: the directory alone. */
  readonly providerChain?: ProviderChainConfig;
  readonly settings: Pick<LocalSettings, 'matcher'>;
}

/**
 * The file a worker thread runs: this module. From the bundle (dist/refinery.js) that is the bundle itself, which starts
 * the thread's services below when it finds itself in one; from the TypeScript sources (tests), tsx compiles it.
 */
export function workerThreadScript(): { script: string; execArgv: string[] } {
  return __filename.endsWith('.ts')
    ? { script: __filename, execArgv: ['--require', require.resolve('tsx/cjs')] }
    : { script: __filename, execArgv: [] };
}

async function composeWorkerThread(runtime: LocalRuntime, logger: Logger): Promise<void> {
  const app = workerThreadAppData<WorkerThreadApp>();
  const platform = localPlatform(runtime, { logger });
  const directory = await DirectoryProvider.fromFile(app.directory);
  // As the command builds it (cli.ts resolveProviders): secrets from the environment, which a worker thread shares.
  const providers = app.providerChain
    ? buildProviderChain(app.providerChain, { directory: () => directory, env: process.env, ...localProviderChainDeps(runtime, logger) })
    : [directory];
  runtime.register(await composeService(matcherService, platform, { settings: { ...app.settings.matcher }, given: { providers } }));
}

if (isRefineryWorkerThread()) {
  serveWorkerThread(composeWorkerThread).catch((error: unknown) => {
    // Thrown out of the promise chain, it ends the thread with an 'error' the main thread's startWorkerThreads rejects with.
    process.nextTick(() => {
      throw error;
    });
  });
}
