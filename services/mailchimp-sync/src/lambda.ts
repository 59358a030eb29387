// The mailchimp-sync service's Lambda functions (serverless.yml: handlers src/lambda.imports, .pages, .writeback and
// .api): the same handlers the local mode runs, on the AWS adapters, with settings checked at cold start. Every
// container of every function shares Mailchimp's per-key connection limit through the limits table's leases.
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
import { TableKeyedLimiter } from '@refinery/keyed-limiter';
import { MailchimpClient } from '@refinery/mailchimp';
import { loadConfig, type HttpApiHandler, type SqsBatchHandler } from '@refinery/runtime';
import { DEFAULT_MAILCHIMP_SYNC_CONFIG } from './config';
import { KeyVault } from './domain/key-vault';
import { createMailchimpSyncService } from './service';

const settingsSchema = commonSettingsSchema.extend({
  IMPORTS_BUCKET: resourceName('the imports bucket'),
  STATE_TABLE: resourceName('the state table'),
  LIMITS_TABLE: resourceName('the connection-limit table'),
  REFINERY_API_TOKENS: tokenRegistrySetting,
  KEY_ENCRYPTION_KEY: z
    .string()
    .refine((value) => Buffer.from(value, 'base64').length === 32, 'base64 of 32 random bytes (openssl rand -base64 32)'),
  MAILCHIMP_BASE_URL: z.url().or(z.literal('')).default(''),
  MAILCHIMP_MAX_CONNECTIONS: z.coerce.number().int().min(1).max(10).default(DEFAULT_MAILCHIMP_SYNC_CONFIG.maxConnectionsPerKey),
});

export async function createMailchimpSyncLambda(env: NodeJS.ProcessEnv = process.env, clients: AwsClients = awsClients()) {
  const settings = loadConfig(settingsSchema, env);
  const common = awsCommonDeps('mailchimp-sync', settings, clients);
  const state = awsTable(clients, settings.STATE_TABLE);
  const limiter = new TableKeyedLimiter({ table: awsTable(clients, settings.LIMITS_TABLE), limit: settings.MAILCHIMP_MAX_CONNECTIONS, logger: common.logger });
  const baseUrl = settings.MAILCHIMP_BASE_URL || undefined;
  const service = createMailchimpSyncService({
    ...common,
    config: {
      ...DEFAULT_MAILCHIMP_SYNC_CONFIG,
      importsBucket: settings.IMPORTS_BUCKET,
      maxConnectionsPerKey: settings.MAILCHIMP_MAX_CONNECTIONS,
      ...(baseUrl ? { baseUrl } : {}),
    },
    objects: awsObjectStore(clients),
    table: state,
    keys: new KeyVault(state, Buffer.from(settings.KEY_ENCRYPTION_KEY, 'base64'), common.ids),
    limiter,
    mailchimp: (apiKey) => new MailchimpClient({ apiKey, gate: limiter, ...(baseUrl ? { baseUrl } : {}) }),
    tokens: settings.REFINERY_API_TOKENS,
  });
  return {
    service,
    imports: service.subscriptions.imports!.handler,
    pages: service.subscriptions.pages!.handler,
    writeback: service.subscriptions.writeback!.handler,
    api: service.http!,
  };
}

const lambda = onColdStart(() => createMailchimpSyncLambda());

export const imports: SqsBatchHandler = async (event, context) => (await lambda()).imports(event, context);
export const pages: SqsBatchHandler = async (event, context) => (await lambda()).pages(event, context);
export const writeback: SqsBatchHandler = async (event, context) => (await lambda()).writeback(event, context);
export const api: HttpApiHandler = async (event, context) => (await lambda()).api(event, context);
