import { parseServiceManifest, subscriptionOf, type ServiceDefinition } from '@refinery/runtime';
import manifestJson from '../service.json';
import type { LabelerDeps } from './config';
import { createLabelChunkHandler } from './handlers/label-chunk';

export const labelerManifest = parseServiceManifest(manifestJson, 'services/labeler/service.json');

export function createLabelerService(deps: LabelerDeps): ServiceDefinition {
  return {
    manifest: labelerManifest,
    subscriptions: {
      chunks: { handler: createLabelChunkHandler(deps, subscriptionOf(labelerManifest, 'chunks')) },
    },
  };
}

export * from './config';
