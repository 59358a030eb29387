// The chunker service's Lambda function (serverless.yml: handler src/lambda.jobs): the same handler the local mode
// runs, on the AWS adapters, with settings from the environment checked at cold start.
import { z } from 'zod';
import { awsClients, awsCommonDeps, awsObjectStore, commonSettingsSchema, onColdStart, type AwsClients } from '@refinery/aws-runtime';
import { loadConfig, type SqsBatchHandler } from '@refinery/runtime';
import { DEFAULT_CHUNKER_CONFIG } from './config';
import { createChunkerService } from './service';

const settingsSchema = commonSettingsSchema.extend({
  DEFAULT_CHUNK_ROWS: z.coerce.number().int().min(1).max(100_000).default(DEFAULT_CHUNKER_CONFIG.defaultChunkRows),
  MAX_CHUNK_BYTES: z.coerce.number().int().min(65_536).default(DEFAULT_CHUNKER_CONFIG.maxChunkBytes),
});

export async function createChunkerLambda(env: NodeJS.ProcessEnv = process.env, clients: AwsClients = awsClients()) {
  const settings = loadConfig(settingsSchema, env);
  const service = createChunkerService({
    ...awsCommonDeps('chunker', settings, clients),
    config: { ...DEFAULT_CHUNKER_CONFIG, defaultChunkRows: settings.DEFAULT_CHUNK_ROWS, maxChunkBytes: settings.MAX_CHUNK_BYTES },
    objects: awsObjectStore(clients),
  });
  return { service, jobs: service.subscriptions.jobs!.handler };
}

const lambda = onColdStart(() => createChunkerLambda());

export const jobs: SqsBatchHandler = async (event, context) => (await lambda()).jobs(event, context);
