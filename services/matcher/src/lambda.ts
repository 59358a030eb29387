// The matcher service's Lambda function (serverless.yml: handler src/lambda.chunks): the same handler the local mode
// runs, on the AWS adapters. At cold start it builds the provider chain (PROVIDERS) and, when the chain uses the
// directory, loads the nickname table from its store and the directory's people from S3, once per container.
import { z } from 'zod';
import type { ObjectRef, ObjectStore, Table } from '@refinery/ports';
import { DirectoryProvider } from '@refinery/directory-provider';
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
import { DEFAULT_PROVIDER_CHAIN, buildProviderChain, parseProviderChain } from '@refinery/providers';
import { loadConfig, type SqsBatchHandler } from '@refinery/runtime';
import { DEFAULT_MATCHER_CONFIG } from './config';
import { loadNicknameTable } from './domain/nickname-store';
import { createMatcherService } from './service';

const settingsSchema = commonSettingsSchema.extend({
  CHUNKS_BUCKET: resourceName('the matched-chunks bucket'),
  NICKNAMES_TABLE: resourceName('the nicknames table'),
  DIRECTORY_BUCKET: resourceName('the bucket holding the directory CSV'),
  DIRECTORY_KEY: z.string().min(1, 'the key of the directory CSV'),
  DEFAULT_REGION: z.string().regex(/^[A-Z]{2}$/, 'an ISO 3166 alpha-2 country code').default(DEFAULT_MATCHER_CONFIG.defaultRegion),
  LOOKUP_BATCH_SIZE: z.coerce.number().int().min(1).max(10_000).default(DEFAULT_MATCHER_CONFIG.lookupBatchSize),
  PROVIDERS: z.string().default(JSON.stringify(DEFAULT_PROVIDER_CHAIN)),
});

async function loadDirectory(objects: ObjectStore, ref: ObjectRef, defaultRegion: string, nicknames: Table): Promise<DirectoryProvider> {
  return DirectoryProvider.fromStream(await objects.get(ref), `s3://${ref.bucket}/${ref.key}`, {
    defaultRegion,
    nicknames: await loadNicknameTable(nicknames),
  });
}

export async function createMatcherLambda(env: NodeJS.ProcessEnv = process.env, clients: AwsClients = awsClients()) {
  const settings = loadConfig(settingsSchema, env);
  const objects = awsObjectStore(clients);
  const nicknames = awsTable(clients, settings.NICKNAMES_TABLE);
  const chain = parseProviderChain(settings.PROVIDERS, 'PROVIDERS');
  const directory = chain.providers.some((provider) => provider.type === 'directory')
    ? await loadDirectory(objects, { bucket: settings.DIRECTORY_BUCKET, key: settings.DIRECTORY_KEY }, settings.DEFAULT_REGION, nicknames)
    : undefined;
  const providers = buildProviderChain(chain, {
    directory: () => directory as DirectoryProvider,
    env,
  });
  const service = createMatcherService({
    ...awsCommonDeps('matcher', settings, clients),
    config: { chunksBucket: settings.CHUNKS_BUCKET, defaultRegion: settings.DEFAULT_REGION, lookupBatchSize: settings.LOOKUP_BATCH_SIZE },
    objects,
    providers,
    nicknames,
  });
  return { service, chunks: service.subscriptions.chunks!.handler };
}

const lambda = onColdStart(() => createMatcherLambda());

export const chunks: SqsBatchHandler = async (event, context) => (await lambda()).chunks(event, context);
