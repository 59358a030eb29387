// The chunker service's Lambda functions (serverless.yml: handlers src/lambda.jobs and src/lambda.progress): the same
// handlers the local mode runs, on the AWS adapters, with settings from the environment checked at cold start.
import { z } from 'zod';
import {
  awsClients,
  awsCommonDeps,
  awsObjectStore,
  awsTable,
  commonSettingsSchema,
  onColdStart,
  resourceName,
  type AwsClients,
} from '@refinery/aws-runtime';
import { loadConfig, type SqsBatchHandler } from '@refinery/runtime';
import { DEFAULT_CHUNKER_CONFIG } from './config';
import { createChunkerService } from './service';

const settingsSchema = commonSettingsSchema.extend({
  PLANS_TABLE: resourceName('the plans table'),
  DEFAULT_CHUNK_ROWS: z.coerce.number().int().min(1).max(100_000).default(DEFAULT_CHUNKER_CONFIG.defaultChunkRows),
  MAX_CHUNK_BYTES: z.coerce.number().int().min(65_536).default(DEFAULT_CHUNKER_CONFIG.maxChunkBytes),
  CHUNK_WINDOW: z.coerce.number().int().min(1).max(100_000).default(DEFAULT_CHUNKER_CONFIG.chunkWindow),
});

export async function createChunkerLambda(env: NodeJS.ProcessEnv = process.env, clients: AwsClients = awsClients()) {
  const settings = loadConfig(settingsSchema, env);
  const service = createChunkerService({
    ...awsCommonDeps('chunker', settings, clients),
    config: {
      ...DEFAULT_CHUNKER_CONFIG,
      defaultChunkRows: settings.DEFAULT_CHUNK_ROWS,
      maxChunkBytes: settings.MAX_CHUNK_BYTES,
      chunkWindow: settings.CHUNK_WINDOW,
    },
    objects: awsObjectStore(clients),
    plans: awsTable(clients, settings.PLANS_TABLE),
  });
  return { service, jobs: service.subscriptions.jobs!.handler, progress: service.subscriptions.progress!.handler };
}

const lambda = onColdStart(() => createChunkerLambda());

export const jobs: SqsBatchHandler = async (event, context) => (await lambda()).jobs(event, context);
export const progress: SqsBatchHandler = async (event, context) => (await lambda()).progress(event, context);
