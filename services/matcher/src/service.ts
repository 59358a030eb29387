import { parseServiceManifest, subscriptionOf, type ServiceDefinition } from '@refinery/runtime';
import manifestJson from '../service.json';
import type { MatcherDeps } from './config';
import { createMatchChunkHandler } from './handlers/match-chunk';

export const matcherManifest = parseServiceManifest(manifestJson, 'services/matcher/service.json');

export function createMatcherService(deps: MatcherDeps): ServiceDefinition {
  return {
    manifest: matcherManifest,
    subscriptions: {
      chunks: { handler: createMatchChunkHandler(deps, subscriptionOf(matcherManifest, 'chunks')) },
    },
  };
}

export * from './config';
export { loadNicknameTable, seedNicknames, StoredNicknames } from './domain/nickname-store';
