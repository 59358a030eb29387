// The notifier service's Lambda functions (serverless.yml: handlers src/lambda.jobs, src/lambda.progress, src/lambda.api
// and src/lambda.socket): the same handlers the local mode runs, on the AWS adapters, with settings from the environment
// checked at cold start.
import { z } from 'zod';
import {
  awsClients,
  awsCommonDeps,
  awsSocketConnections,
  awsTable,
  commonSettingsSchema,
  onColdStart,
  resourceName,
  tokenRegistrySetting,
  websocketEndpointSetting,
  type AwsClients,
} from '@refinery/aws-runtime';
import { loadConfig, type HttpApiHandler, type SqsBatchHandler, type WebSocketHandler } from '@refinery/runtime';
import type { SocketConnections } from '@refinery/ports';
import { DEFAULT_NOTIFIER_CONFIG } from './config';
import { createNotifierService } from './service';

const settingsSchema = commonSettingsSchema.extend({
  SUBSCRIPTIONS_TABLE: resourceName('the subscriptions table'),
  REFINERY_API_TOKENS: tokenRegistrySetting,
  // The WebSocket API's Management API (https://{apiId}.execute-api.{region}.amazonaws.com/{stage}): where the
  // progress and socket functions post to connections.
  WEBSOCKET_ENDPOINT: websocketEndpointSetting,
  WEBHOOK_RETRY_DELAYS_MS: z
    .string()
    .regex(/^\d+(,\d+)*$/, 'comma-separated milliseconds, e.g. 1000,5000,15000')
    .transform((value) => value.split(',').map(Number))
    .optional(),
  WEBHOOK_TIMEOUT_MS: z.coerce.number().int().min(100).max(60_000).default(DEFAULT_NOTIFIER_CONFIG.deliveryTimeoutMs),
});

/**
 * `sockets` makes the connections' client for the WebSocket API's endpoint: by default the Management API client with
 * Lambda's region and credentials; tests pass one with the emulators' (the endpoint still comes from the settings).
 */
export async function createNotifierLambda(
  env: NodeJS.ProcessEnv = process.env,
  clients: AwsClients = awsClients(),
  sockets: (endpoint: string) => SocketConnections = awsSocketConnections,
) {
  const settings = loadConfig(settingsSchema, env);
  const service = createNotifierService({
    ...awsCommonDeps('notifier', settings, clients),
    config: {
      ...DEFAULT_NOTIFIER_CONFIG,
      ...(settings.WEBHOOK_RETRY_DELAYS_MS ? { retryDelaysMs: settings.WEBHOOK_RETRY_DELAYS_MS } : {}),
      deliveryTimeoutMs: settings.WEBHOOK_TIMEOUT_MS,
    },
    subscriptions: awsTable(clients, settings.SUBSCRIPTIONS_TABLE),
    tokens: settings.REFINERY_API_TOKENS,
    sockets: sockets(settings.WEBSOCKET_ENDPOINT),
  });
  return {
    service,
    jobs: service.subscriptions.jobs!.handler,
    progress: service.subscriptions.progress!.handler,
    api: service.http!,
    socket: service.websocket!,
  };
}

const lambda = onColdStart(() => createNotifierLambda());

export const jobs: SqsBatchHandler = async (event, context) => (await lambda()).jobs(event, context);
export const progress: SqsBatchHandler = async (event, context) => (await lambda()).progress(event, context);
export const api: HttpApiHandler = async (event, context) => (await lambda()).api(event, context);
export const socket: WebSocketHandler = async (event, context) => (await lambda()).socket(event, context);
