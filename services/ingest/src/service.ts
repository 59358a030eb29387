import { parseServiceManifest, type ServiceDefinition } from '@refinery/runtime';
import manifestJson from '../service.json';
import type { IngestDeps } from './config';
import { createApiHandler } from './handlers/api';
import { createHistoryHandler } from './handlers/history';
import { createUploadsHandler, decodeUploadNotice, describeUploadNotice } from './handlers/uploads';

export const ingestManifest = parseServiceManifest(manifestJson, 'services/ingest/service.json');

export function createIngestService(deps: IngestDeps): ServiceDefinition {
  const { subscriptions } = ingestManifest;
  return {
    manifest: ingestManifest,
    subscriptions: {
      uploads: {
        handler: createUploadsHandler(deps, { maxReceiveCount: subscriptions.uploads!.queue.maxReceiveCount }),
        describe: (body) => describeUploadNotice(decodeUploadNotice(body)),
      },
      history: { handler: createHistoryHandler(deps, { maxReceiveCount: subscriptions.history!.queue.maxReceiveCount }) },
    },
    http: createApiHandler(deps),
  };
}

export * from './config';
