import { parseServiceManifest, subscriptionOf, type ServiceDefinition } from '@refinery/runtime';
import manifestJson from '../service.json';
import type { IngestDeps } from './config';
import { createApiHandler } from './handlers/api';
import { createHistoryHandler } from './handlers/history';
import { createUploadsHandler, decodeUploadNotice, describeUploadNotice } from './handlers/uploads';

export const ingestManifest = parseServiceManifest(manifestJson, 'services/ingest/service.json');

export function createIngestService(deps: IngestDeps): ServiceDefinition {
  return {
    manifest: ingestManifest,
    subscriptions: {
      uploads: {
        handler: createUploadsHandler(deps, subscriptionOf(ingestManifest, 'uploads')),
        describe: (body) => describeUploadNotice(decodeUploadNotice(body)),
      },
      history: { handler: createHistoryHandler(deps, subscriptionOf(ingestManifest, 'history')) },
    },
    http: createApiHandler(deps),
  };
}

export * from './config';
