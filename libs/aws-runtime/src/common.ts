import { z } from 'zod';
import { ApiGatewaySocketConnections, EventBridgePublisher, S3ObjectStore, DynamoTable } from '@refinery/aws-adapters';
import { systemClock, ulidIds, type ObjectStore, type SocketConnections, type Table } from '@refinery/ports';
import { TokenRegistry, createLogger, type CommonDeps } from '@refinery/runtime';
import type { AwsClients } from './clients';

/** Settings every service's functions have (serverless.yml sets them). */
export const commonSettingsSchema = z.object({
  EVENT_BUS_NAME: z.string().min(1, 'the name of the project event bus'),
  LOG_LEVEL: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'),
});

export type CommonSettings = z.infer<typeof commonSettingsSchema>;

/** A bucket or table name setting: S3/DynamoDB naming, so a typo fails at cold start rather than at first use. */
export const resourceName = (what: string) => z.string().regex(/^[a-zA-Z0-9._-]{3,255}$/, `the name of ${what}`);

export function awsCommonDeps(service: string, settings: CommonSettings, clients: AwsClients): CommonDeps {
  return {
    publisher: new EventBridgePublisher({ client: clients.eventBridge, eventBusName: settings.EVENT_BUS_NAME }),
    clock: systemClock,
    ids: ulidIds,
    logger: createLogger(service, { level: settings.LOG_LEVEL }),
  };
}

export function awsObjectStore(clients: AwsClients): ObjectStore {
  return new S3ObjectStore({ client: clients.s3 });
}

export function awsTable(clients: AwsClients, tableName: string): Table {
  return new DynamoTable({ client: clients.dynamodb, tableName });
}

/**
 * The connections of a WebSocket API, by its Management API endpoint (a WEBSOCKET_ENDPOINT setting). Created once per
 * cold start like the other clients; region and credentials come from the environment.
 */
export function awsSocketConnections(endpoint: string): SocketConnections {
  return ApiGatewaySocketConnections.forEndpoint(endpoint);
}

/** A WebSocket API's Management API endpoint: `https://{apiId}.execute-api.{region}.amazonaws.com/{stage}`. */
export const websocketEndpointSetting = z.url({ protocol: /^https?$/, error: 'the https URL of the WebSocket API stage, for posting to its connections' });

/** REFINERY_API_TOKENS ("tenant:token,..."), parsed into a registry; a malformed value is a configuration error. */
export const tokenRegistrySetting = z.string().transform((value, context) => {
  try {
    return TokenRegistry.parse(value);
  } catch (error) {
    context.addIssue({ code: 'custom', message: (error as Error).message.replace(/^REFINERY_API_TOKENS:? ?/, '') });
    return z.NEVER;
  }
});
