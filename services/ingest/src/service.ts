import { parseServiceManifest, subscriptionOf, type ServiceDefinition } from '@refinery/runtime';
import manifestJson from '../service.json';
import { checkIngestConfig, type IngestDeps } from './config';
import { createApiHandler } from './handlers/api';
import { createHistoryHandler } from './handlers/history';
import { createUploadsHandler, decodeUploadNotice, describeUploadNotice } from './handlers/uploads';

export const ingestManifest = parseServiceManifest(manifestJson, 'services/ingest/service.json');

/** The API function's timeout (service.json), which bounds how long `POST /contacts/match` may wait. */
export const INGEST_HTTP_TIMEOUT_SECONDS = ingestManifest.http?.function.timeoutSeconds ?? 29;

export function createIngestService(deps: IngestDeps): ServiceDefinition {
  checkIngestConfig(deps.config, INGEST_HTTP_TIMEOUT_SECONDS);
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
