// The ingest service's Lambda functions (serverless.yml: handler src/lambda.<name>): the same handlers the local mode
// runs, on the AWS adapters, with settings from the environment checked at cold start.
import { z } from 'zod';
import {
  awsClients,
  awsCommonDeps,
  awsObjectStore,
  awsTable,
  commonSettingsSchema,
  onColdStart,
  resourceName,
  tokenRegistrySetting,
  type AwsClients,
} from '@refinery/aws-runtime';
import { loadConfig, type HttpApiHandler, type SqsBatchHandler } from '@refinery/runtime';
import { CONTACT_MATCH_HEADROOM_MS, DEFAULT_INGEST_CONFIG, MAX_PROGRESS_INTERVAL_MS, maxContactMatchDeadlineMs } from './config';
import { createIngestService, INGEST_HTTP_TIMEOUT_SECONDS } from './service';

const MAX_CONTACT_MATCH_DEADLINE_MS = maxContactMatchDeadlineMs(INGEST_HTTP_TIMEOUT_SECONDS);

const settingsSchema = commonSettingsSchema.extend({
  UPLOADS_BUCKET: resourceName('the uploads bucket'),
  JOBS_TABLE: resourceName('the jobs table'),
  REFINERY_API_TOKENS: tokenRegistrySetting,
  UPLOAD_URL_TTL_SECONDS: z.coerce.number().int().min(60).max(604_800).default(DEFAULT_INGEST_CONFIG.uploadUrlTtlSeconds),
  RESULT_URL_TTL_SECONDS: z.coerce.number().int().min(60).max(604_800).default(DEFAULT_INGEST_CONFIG.resultUrlTtlSeconds),
  CONTACT_MATCH_DEADLINE_MS: z.coerce
    .number()
    .int()
    .min(1)
    .max(
      MAX_CONTACT_MATCH_DEADLINE_MS,
      `at most ${MAX_CONTACT_MATCH_DEADLINE_MS} ms: the API function times out after ${INGEST_HTTP_TIMEOUT_SECONDS} s ` +
        `(service.json http.function.timeoutSeconds) and needs ${CONTACT_MATCH_HEADROOM_MS} ms besides the wait`,
    )
    .default(DEFAULT_INGEST_CONFIG.contactMatchDeadlineMs),
  PROGRESS_INTERVAL_MS: z.coerce.number().int().min(0).max(MAX_PROGRESS_INTERVAL_MS).default(DEFAULT_INGEST_CONFIG.progressIntervalMs),
});

export async function createIngestLambda(env: NodeJS.ProcessEnv = process.env, clients: AwsClients = awsClients()) {
  const settings = loadConfig(settingsSchema, env);
  const service = createIngestService({
    ...awsCommonDeps('ingest', settings, clients),
    config: {
      uploadsBucket: settings.UPLOADS_BUCKET,
      uploadUrlTtlSeconds: settings.UPLOAD_URL_TTL_SECONDS,
      resultUrlTtlSeconds: settings.RESULT_URL_TTL_SECONDS,
      contactMatchDeadlineMs: settings.CONTACT_MATCH_DEADLINE_MS,
      progressIntervalMs: settings.PROGRESS_INTERVAL_MS,
    },
    objects: awsObjectStore(clients),
    jobs: awsTable(clients, settings.JOBS_TABLE),
    tokens: settings.REFINERY_API_TOKENS,
  });
  return { service, uploads: service.subscriptions.uploads!.handler, history: service.subscriptions.history!.handler, api: service.http! };
}

const lambda = onColdStart(() => createIngestLambda());

export const uploads: SqsBatchHandler = async (event, context) => (await lambda()).uploads(event, context);
export const history: SqsBatchHandler = async (event, context) => (await lambda()).history(event, context);
export const api: HttpApiHandler = async (event, context) => (await lambda()).api(event, context);
