import { checkCsvLimits, DEFAULT_CSV_LIMITS } from '@refinery/csv';
import { DirectoryProvider } from '@refinery/directory-provider';
import type { ContactProvider } from '@refinery/matching';
import { buildProviderChain, CircuitRecorder, parseProviderChain } from '@refinery/providers';
import { implementService, type ServiceContext, type ServiceParts } from '@refinery/runtime';
import type { MatcherDeps } from './config';
import { matcher } from './definition';
import { loadNicknameTable } from './domain/nickname-store';
import { createEraseHandler } from './handlers/erase';
import { createMatchChunkHandler } from './handlers/match-chunk';

/** The matcher's handlers, from the ports they need (what the service is composed of, and what tests build). */
export function matcherHandlers(deps: MatcherDeps): ServiceParts<typeof matcher> {
  return {
    subscriptions: {
      chunks: createMatchChunkHandler(deps, matcher.subscriptions.chunks),
      expressChunks: createMatchChunkHandler(deps, matcher.subscriptions.expressChunks),
      erasure: createEraseHandler(deps),
    },
  };
}

/**
 * The matcher. Its provider chain is built from its settings (PROVIDERS) — the directory read from its one object (and
 * the nickname table from its store) once per container — unless one is given (the local mode builds it from files).
 */
export const matcherService = implementService(matcher, async (context, given: { readonly providers?: readonly ContactProvider[] }) =>
  matcherHandlers({
    ...context,
    config: {
      chunksBucket: context.buckets.chunks,
      defaultRegion: context.settings.defaultRegion,
      lookupBatchSize: context.settings.lookupBatchSize,
      limits: checkCsvLimits({
        maxRowBytes: context.settings.maxRowBytes,
        maxFieldBytes: context.settings.maxFieldBytes,
        maxColumns: DEFAULT_CSV_LIMITS.maxColumns,
      }),
    },
    providers: given.providers ?? (await providersFromSettings(context)),
    nicknames: context.tables.nicknames,
  }),
);

async function providersFromSettings(context: ServiceContext<typeof matcher>): Promise<readonly ContactProvider[]> {
  const { settings } = context;
  const chain = parseProviderChain(settings.providers, 'PROVIDERS');
  let directory: DirectoryProvider | undefined;
  if (chain.providers.some((provider) => provider.type === 'directory')) {
    const { directoryBucket: bucket, directoryKey: key } = settings;
    if (!bucket || !key)
      throw new Error('invalid configuration: PROVIDERS uses the directory, so DIRECTORY_BUCKET and DIRECTORY_KEY must name its CSV');
    directory = await DirectoryProvider.fromStream(await context.objects.get({ bucket, key }), `s3://${bucket}/${key}`, {
      defaultRegion: settings.defaultRegion,
      nicknames: await loadNicknameTable(context.tables.nicknames),
    });
  }
  return buildProviderChain(chain, {
    directory: () => directory as DirectoryProvider,
    // Only the provider secrets the deployment sets: a chain cannot name any other variable of the function's environment.
    env: settings.pdlApiKey ? { PDL_API_KEY: settings.pdlApiKey } : {},
    // Every container reaches this table, so a provider's requestsPerSecond holds for all of them together.
    rateTable: context.tables.providerLimits,
    metrics: context.metrics,
    // In the same table, each circuit's latest transition (any container's): what `refinery status --aws` shows.
    circuitObserver: new CircuitRecorder({ table: context.tables.providerLimits, logger: context.logger }).observe,
  });
}

export * from './config';
export { matcher } from './definition';
export { loadNicknameTable, StoredNicknames, seedNicknames } from './domain/nickname-store';
