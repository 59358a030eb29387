import { ApiGatewayManagementApiClient } from '@aws-sdk/client-apigatewaymanagementapi';
import { ApiGatewaySocketConnections, DynamoTable, EventBridgePublisher, S3ObjectStore } from '@refinery/aws-adapters';
import { type Metrics, noMetrics, type SocketConnections, systemClock, ulidIds } from '@refinery/ports';
import {
  bucketEnvName,
  type Logger,
  type Platform,
  resolveSettings,
  type ServiceContext,
  type ServiceDeclaration,
  type SettingsOf,
  tableEnvName,
} from '@refinery/runtime';
import { z } from 'zod';
import type { AwsClients } from './clients';
import { lambdaLogger } from './logging';
import { functionTracer } from './tracing';

/** Settings every function has (the generated configuration sets them): the project bus and the log level. */
const COMMON_SETTINGS = {
  EVENT_BUS_NAME: z.string().min(1, 'the name of the project event bus'),
  LOG_LEVEL: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'),
};

/** A bucket or table name setting: S3/DynamoDB naming, so a typo fails at cold start rather than at first use. */
export const resourceName = (what: string) => z.string().regex(/^[a-zA-Z0-9._-]{3,255}$/, `the name of ${what}`);

/** A WebSocket API's Management API endpoint: `https://{apiId}.execute-api.{region}.amazonaws.com/{stage}`. */
export const websocketEndpointSetting = z.url({
  protocol: /^https?$/,
  error: 'the https URL of the WebSocket API stage, for posting to its connections',
});

export interface AwsPlatformOptions {
  /**
   * Makes the client of the WebSocket API's connections for its endpoint: by default the Management API client with
   * Lambda's region and credentials, traced; tests pass one with the emulators' (the endpoint still comes from the
   * settings).
   */
  readonly sockets?: (endpoint: string) => SocketConnections;
  /** The secret settings' parameters by environment variable name, to name them when a value is missing or wrong. */
  readonly secretSources?: Readonly<Record<string, string>>;
  /**
   * The function's metrics: lambdaHandlers gives its container's EMF metrics, which it flushes after each invocation.
   * Default: none recorded (a platform composed outside an entry point has nobody to flush them).
   */
  readonly metrics?: Metrics;
  /**
   * The function's logger: lambdaHandlers gives its container's, to which it adds each invocation's context.
   * Default: a Powertools logger of its own at LOG_LEVEL.
   */
  readonly logger?: Logger;
}

/** The WebSocket API's Management API with Lambda's region and credentials, its calls traced like the other clients'. */
const tracedSockets = (endpoint: string): SocketConnections =>
  new ApiGatewaySocketConnections({ client: functionTracer().captureAWSv3Client(new ApiGatewayManagementApiClient({ endpoint })) });

const noSockets: SocketConnections = {
  post: async () => {
    throw new Error('this service declares no WebSocket API');
  },
};

/**
 * The AWS adapters as one function's environment names them: the generated configuration sets EVENT_BUS_NAME,
 * LOG_LEVEL, `<NAME>_BUCKET` and `<NAME>_TABLE` for the service's own buckets and tables, WEBSOCKET_ENDPOINT when it
 * has a WebSocket API, and one variable per declared setting. All of it is checked at once, at cold start: a missing
 * or malformed value fails the init naming every variable that is wrong.
 */
export function awsPlatform(env: Readonly<Record<string, string | undefined>>, clients: AwsClients, options: AwsPlatformOptions = {}): Platform {
  return {
    context<D extends ServiceDeclaration>(declaration: D, given: Partial<SettingsOf<D>>): ServiceContext<D> {
      const names: Record<string, z.ZodType> = { ...COMMON_SETTINGS };
      for (const bucket of Object.keys(declaration.buckets)) names[bucketEnvName(bucket)] = resourceName(`the ${bucket} bucket`);
      for (const table of Object.keys(declaration.tables)) names[tableEnvName(table)] = resourceName(`the ${table} table`);
      if (declaration.websocket) names.WEBSOCKET_ENDPOINT = websocketEndpointSetting;
      const resources = z.object(names).safeParse(env);
      const resourceProblems = resources.success ? [] : resources.error.issues.map((issue) => `${issue.path.join('.')}: ${issue.message}`);
      const { settings, problems } = resolveSettings(declaration, env, given);
      const sources = options.secretSources ?? {};
      const all = [
        ...resourceProblems,
        ...problems.map((problem) => {
          const variable = problem.slice(0, problem.indexOf(':'));
          return sources[variable] ? `${variable} (SSM parameter ${sources[variable]})${problem.slice(variable.length)}` : problem;
        }),
      ];
      if (all.length > 0 || !resources.success) throw new Error(`invalid configuration from environment: ${all.join('; ')}`);
      const values = resources.data as Record<string, string>;
      const logger = options.logger ?? lambdaLogger(declaration.name, values.LOG_LEVEL as string);
      return {
        publisher: new EventBridgePublisher({ client: clients.eventBridge, eventBusName: values.EVENT_BUS_NAME as string }),
        clock: systemClock,
        ids: ulidIds,
        logger,
        metrics: options.metrics ?? noMetrics,
        objects: new S3ObjectStore({ client: clients.s3 }),
        buckets: Object.fromEntries(
          Object.keys(declaration.buckets).map((bucket) => [bucket, values[bucketEnvName(bucket)]]),
        ) as ServiceContext<D>['buckets'],
        tables: Object.fromEntries(
          Object.keys(declaration.tables).map((table) => [
            table,
            new DynamoTable({ client: clients.dynamodb, tableName: values[tableEnvName(table)] as string }),
          ]),
        ) as unknown as ServiceContext<D>['tables'],
        settings: settings as ServiceContext<D>['settings'],
        sockets: declaration.websocket ? (options.sockets ?? tracedSockets)(values.WEBSOCKET_ENDPOINT as string) : noSockets,
      };
    },
    bucketName: (_service, bucket) => {
      const name = env[bucketEnvName(bucket)];
      if (!name) throw new Error(`${bucketEnvName(bucket)} is not set`);
      return name;
    },
  };
}
