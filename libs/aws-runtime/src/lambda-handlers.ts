import type { Tracer } from '@aws-lambda-powertools/tracer';
import { EventBridgePublisher } from '@refinery/aws-adapters';
import type {
  HttpApiHandler,
  HttpInput,
  RunnableService,
  RunnableSubscription,
  ScheduledHandler,
  ServiceDeclaration,
  ServiceImplementation,
  SqsBatchHandler,
  Subscription,
  WebSocketHandler,
  WebsocketInput,
} from '@refinery/runtime';
import { coldStartFailureReport, composeService, type Logger, retryDelaySeconds } from '@refinery/runtime';
import type { Context, SQSRecord } from 'aws-lambda';
import { type AwsClients, awsClients } from './clients';
import { onColdStart } from './cold-start';
import { awsPlatform } from './common';
import { lambdaLogger } from './logging';
import { EmfMetrics, type FunctionMetrics, flushingMetrics } from './metrics';
import { applyRetryDelays } from './retry-visibility';
import { readSecrets, SecretsRefresher, secretSources } from './secrets';
import { functionTracer, httpTraceAnnotations, sqsTraceAnnotations, type TraceAnnotations, traced } from './tracing';

/**
 * A service's Lambda functions: one per subscription and one per schedule (named after it), `api` and `socket` when it
 * has those APIs.
 */
export type LambdaHandlers<D extends ServiceDeclaration> = { readonly [K in keyof D['subscriptions']]: SqsBatchHandler } & {
  readonly [K in keyof D['schedules']]: ScheduledHandler;
} & (D extends {
    readonly http: HttpInput;
  }
    ? { readonly api: HttpApiHandler }
    : unknown) &
  (D extends { readonly websocket: WebsocketInput } ? { readonly socket: WebSocketHandler } : unknown);

export interface LambdaHandlersOptions<D extends ServiceDeclaration> {
  /** Builds the service; default: composed on the AWS platform from the function's environment. */
  readonly build?: () => Promise<RunnableService<D>>;
  /** Default: awsClients(), shared with the default build. */
  readonly clients?: AwsClients;
  /** Default: EMF through Powertools (service, STAGE), given to the default build and flushed after each invocation. */
  readonly metrics?: FunctionMetrics;
  /** Default: the process's Powertools Tracer, which traces on Lambda only. */
  readonly tracer?: Tracer;
}

/**
 * The Lambda entry points of a service (its `src/lambda.ts` exports them under the names the generated configuration
 * gives as handlers). The service is composed on the AWS adapters once per container, at cold start, from the
 * function's environment. A subscription's failed messages get their backoff here (ChangeMessageVisibility on their
 * queue); when the service cannot be built at all, every message of the batch gets it too, so a function that cannot
 * start reaches its dead-letter queue (and its report) in minutes, not after maxReceiveCount visibility timeouts.
 */
export function lambdaHandlers<D extends ServiceDeclaration, Given extends object>(
  service: ServiceImplementation<D, Given>,
  options: LambdaHandlersOptions<D> = {},
): LambdaHandlers<D> {
  const tracer = options.tracer ?? functionTracer(service.declaration.name);
  const clients = options.clients ?? awsClients();
  // Powertools' Logger: each line carries the invocation's context (added as it starts) and its X-Ray trace id.
  const logger = lambdaLogger(service.declaration.name, process.env.LOG_LEVEL ?? 'info');
  // One per container, like the clients: what an invocation records is flushed when it ends.
  const metrics = options.metrics ?? new EmfMetrics({ service: service.declaration.name, stage: process.env.STAGE || 'unset', logger });
  const observed = <T>(name: string, context: Context, annotationsOf: () => TraceAnnotations, run: () => Promise<T>): Promise<T> => {
    logger.addContext(context);
    return flushingMetrics(metrics, context.functionName, () => traced(tracer, name, annotationsOf, run));
  };
  // The service is built with its secrets (SSM Parameter Store, never the environment), and rebuilt when they change.
  const sources = secretSources(service.declaration, process.env.STAGE ?? '');
  const secrets = new SecretsRefresher<RunnableService<D>>({
    read: async () => {
      if (Object.keys(sources).length === 0 || options.build) return {};
      if (!process.env.STAGE) throw new Error('invalid configuration from environment: STAGE: the stage, which names the parameters of its secrets');
      return readSecrets(clients.ssm, sources);
    },
    build: (values) =>
      options.build
        ? options.build()
        : composeService(service, awsPlatform({ ...process.env, ...values }, clients, { secretSources: sources, metrics, logger })),
    logger,
  });
  const runnable = onColdStart(() => secrets.get(), { cache: false });
  const handlers: Record<string, unknown> = {};
  for (const [name, subscription] of Object.entries(service.declaration.subscriptions as Record<string, Subscription>)) {
    handlers[name] = ((event, context) =>
      observed(
        name,
        context,
        () => sqsTraceAnnotations(event.Records, subscription),
        async () => {
          let running: RunnableService<D>;
          try {
            running = await runnable();
          } catch (error) {
            await applyRetryDelays(
              clients.sqs,
              event.Records,
              event.Records.map((record) => backoffOf(record, subscription)),
              logger,
            );
            await reportLastDeliveries(clients, event.Records, subscription, error, logger);
            throw error;
          }
          const handler = (running.subscriptions as Record<string, RunnableSubscription>)[name];
          if (!handler) throw new Error(`service ${service.declaration.name} has no subscription ${name}`);
          const { batchItemFailures, retries } = await handler.handler(event, context);
          await applyRetryDelays(clients.sqs, event.Records, retries, logger);
          return { batchItemFailures };
        },
      )) as SqsBatchHandler;
  }
  for (const name of Object.keys(service.declaration.schedules)) {
    handlers[name] = ((event, context) =>
      observed(
        name,
        context,
        () => ({}),
        async () => {
          const handler = ((await runnable()).schedules as Record<string, ScheduledHandler>)[name];
          if (!handler) throw new Error(`service ${service.declaration.name} has no schedule ${name}`);
          await handler(event, context);
        },
      )) as ScheduledHandler;
  }
  if (service.declaration.http) {
    handlers.api = ((event, context) =>
      observed(
        'api',
        context,
        () => httpTraceAnnotations(event, context.awsRequestId),
        async () => ((await runnable()).http as HttpApiHandler)(event, context),
      )) as HttpApiHandler;
  }
  if (service.declaration.websocket) {
    handlers.socket = ((event, context) =>
      observed(
        'socket',
        context,
        () => httpTraceAnnotations(event, context.awsRequestId),
        async () => ((await runnable()).websocket as WebSocketHandler)(event, context),
      )) as WebSocketHandler;
  }
  return handlers as LambdaHandlers<D>;
}

/**
 * A function that cannot start says why on a message's last delivery (stage.failed.v1 with the error), as a handler
 * would; the dead-letter reporter's report of the same message then collapses into it. Best effort: the report of the
 * dead letter remains if this one cannot be made.
 */
async function reportLastDeliveries(
  clients: AwsClients,
  records: readonly SQSRecord[],
  subscription: Subscription,
  error: unknown,
  logger: Logger,
): Promise<void> {
  const last = records.filter((record) => receiveCountOf(record) >= subscription.queue.maxReceiveCount);
  const bus = process.env.EVENT_BUS_NAME;
  if (last.length === 0 || !bus) return;
  try {
    const entries = last.flatMap((record) => {
      try {
        return [coldStartFailureReport(subscription, record.body, error)].filter((entry) => entry !== undefined);
      } catch {
        return []; // unreadable: the dead-letter reporter parks it
      }
    });
    if (entries.length > 0) await new EventBridgePublisher({ client: clients.eventBridge, eventBusName: bus }).publish(entries);
  } catch (publishError) {
    logger.error({ err: publishError }, 'could not report the failed start on the last delivery; the dead-letter reporter will');
  }
}

const receiveCountOf = (record: SQSRecord): number => Number(record.attributes.ApproximateReceiveCount ?? '1');

function backoffOf(record: SQSRecord, subscription: Subscription) {
  return {
    itemIdentifier: record.messageId,
    delaySeconds: retryDelaySeconds({
      receiveCount: receiveCountOf(record),
      maxReceiveCount: subscription.queue.maxReceiveCount,
      visibilityTimeoutSeconds: subscription.queue.visibilityTimeoutSeconds,
    }),
  };
}
