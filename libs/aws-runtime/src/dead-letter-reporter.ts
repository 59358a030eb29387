import { type MessageAttributeValue, SendMessageCommand } from '@aws-sdk/client-sqs';
import { EventBridgePublisher } from '@refinery/aws-adapters';
import {
  type DeadLetterCause,
  deadLetterReport,
  errorMessage,
  type Logger,
  type ServiceDeclaration,
  type SqsBatchHandler,
  type Subscription,
  subscriptionQueueNames,
} from '@refinery/runtime';
import type { SQSBatchResponse, SQSRecord } from 'aws-lambda';
import { z } from 'zod';
import { type AwsClients, awsClients } from './clients';
import { onColdStart } from './cold-start';
import { lambdaLogger } from './logging';
import { EmfMetrics, type FunctionMetrics, flushingMetrics } from './metrics';
import { queueUrlOfArn } from './retry-visibility';
import { functionTracer, sqsTraceAnnotations, traced } from './tracing';

/** Message attributes the reporter adds to what it parks, for whoever inspects the dead-letter queue. */
export const REPORTED_ATTRIBUTE = 'refinery-reported';
export const CAUSE_ATTRIBUTE = 'refinery-dead-letter-cause';
/** SQS takes at most 10 message attributes. */
const MAX_ATTRIBUTES = 10;

const reporterEnvironment = z.object({
  EVENT_BUS_NAME: z.string().min(1, 'the name of the project event bus'),
  STAGE: z.string().min(1, 'the stage'),
  LOG_LEVEL: z.string().default('info'),
});

export interface DeadLetterReporterOptions {
  readonly env?: Readonly<Record<string, string | undefined>>;
  readonly clients?: AwsClients;
  /** Default: EMF through Powertools (the service, STAGE); counts `deadLettered` per parked message. */
  readonly metrics?: FunctionMetrics;
}

/**
 * A service's dead-letter reporter (its `src/dead-letters.ts` exports it as `report`, the generated configuration's
 * `deadLetters` function). It consumes the subscriptions' dead-letter inboxes — where a queue sends a message after
 * maxReceiveCount deliveries, and a rule's target an event EventBridge could not deliver — publishes `stage.failed.v1`
 * for each message whose loss fails a job (the merger then fails it, with the reason and the rows), and parks the
 * message in the subscription's dead-letter queue, for `refinery dlq` to show and redrive. It reads the declaration and
 * three environment variables, nothing else of the service, so it works when the service itself cannot start.
 * Each parked message counts one `deadLettered` (its service's metric: the alarms watch it), flushed when the
 * invocation ends; on Lambda with active tracing the invocation is traced with the messages' job and correlation ids.
 */
export function deadLetterReporter(declaration: ServiceDeclaration, options: DeadLetterReporterOptions = {}): SqsBatchHandler {
  const env = options.env ?? process.env;
  const metrics = options.metrics ?? new EmfMetrics({ service: declaration.name, stage: env.STAGE || 'unset' });
  const tracer = functionTracer(declaration.name);
  const logger = lambdaLogger(declaration.name, env.LOG_LEVEL ?? 'info');
  // Like every entry point: its configuration is checked at cold start on Lambda, at the first call elsewhere.
  const reporter = onColdStart(async () => buildReporter(declaration, options, metrics, logger));
  return (event, context) => {
    logger.addContext(context);
    return flushingMetrics(metrics, context.functionName, () =>
      traced(
        tracer,
        'deadLetters',
        () => sqsTraceAnnotations(event.Records),
        async () => (await reporter())(event, context),
      ),
    );
  };
}

function buildReporter(
  declaration: ServiceDeclaration,
  options: DeadLetterReporterOptions,
  metrics: FunctionMetrics,
  logger: Logger,
): SqsBatchHandler {
  const parsed = reporterEnvironment.safeParse(options.env ?? process.env);
  if (!parsed.success) {
    throw new Error(
      `invalid configuration from environment: ${parsed.error.issues.map((issue) => `${issue.path.join('.')}: ${issue.message}`).join('; ')}`,
    );
  }
  const env = parsed.data;
  const clients = options.clients ?? awsClients();
  const publisher = new EventBridgePublisher({ client: clients.eventBridge, eventBusName: env.EVENT_BUS_NAME });
  const byInbox = new Map<string, { subscription: Subscription; deadLetterQueue: string }>();
  for (const subscription of Object.values(declaration.subscriptions as Record<string, Subscription>)) {
    const names = subscriptionQueueNames(declaration.name, subscription.name, env.STAGE);
    byInbox.set(names.deadLetterInbox, { subscription, deadLetterQueue: names.deadLetterQueue });
  }

  async function reportOne(record: SQSRecord): Promise<void> {
    const inbox = record.eventSourceARN.split(':').pop() ?? '';
    const target = byInbox.get(inbox);
    if (!target) throw new Error(`${record.eventSourceARN} is not a dead-letter inbox of ${declaration.name} (stage ${env.STAGE})`);
    const { subscription, deadLetterQueue } = target;
    const cause = causeOf(record);
    const log = logger.child({ subscription: subscription.name, messageId: record.messageId, cause: cause.kind });
    let reported = 'nothing: its loss fails no job';
    try {
      const report = deadLetterReport(subscription, record.body, { deadLetterQueue, cause });
      if (report) {
        await publisher.publish([report]);
        reported = `stage.failed.v1 ${JSON.parse(report.detail).metadata.eventId as string}`;
        log.warn({ reason: JSON.parse(report.detail).data.reason }, "dead-lettered message reported as its job's failure");
      }
    } catch (error) {
      if (isUnreadable(error)) {
        // Not ours or malformed: no job to fail; parked for inspection all the same (its alarm says so).
        reported = `nothing: the message could not be read (${errorMessage(error)})`;
        log.error({ err: error }, 'a dead-lettered message could not be read; parked without a report');
      } else throw error;
    }
    await clients.sqs.send(
      new SendMessageCommand({
        QueueUrl: queueUrlOfArn(record.eventSourceARN.replace(/[^:]+$/, deadLetterQueue)),
        MessageBody: record.body,
        MessageAttributes: parkedAttributes(record, cause, reported),
      }),
    );
    metrics.record('deadLettered', 1, {});
  }

  return async (event): Promise<SQSBatchResponse> => {
    const batchItemFailures: SQSBatchResponse['batchItemFailures'] = [];
    for (const record of event.Records) {
      try {
        await reportOne(record);
      } catch (error) {
        // Comes back; after the inbox's maxReceiveCount it is parked unreported, and the alarms say so.
        logger.error({ err: error, messageId: record.messageId }, 'could not report or park a dead-lettered message; it will be retried');
        batchItemFailures.push({ itemIdentifier: record.messageId });
      }
    }
    return { batchItemFailures };
  };
}

/** EventBridge marks what its target dead-letter queue receives with ERROR_CODE and ERROR_MESSAGE. */
function causeOf(record: SQSRecord): DeadLetterCause {
  const code = record.messageAttributes.ERROR_CODE?.stringValue;
  if (!code) return { kind: 'exhausted' };
  const message = record.messageAttributes.ERROR_MESSAGE?.stringValue;
  return { kind: 'undelivered', error: message ? `${code}: ${message}` : code };
}

function isUnreadable(error: unknown): boolean {
  return error instanceof SyntaxError || (error instanceof Error && ['EventValidationError', 'ZodError'].includes(error.name));
}

function parkedAttributes(record: SQSRecord, cause: DeadLetterCause, reported: string): Record<string, MessageAttributeValue> {
  const attributes: Record<string, MessageAttributeValue> = {
    [CAUSE_ATTRIBUTE]: {
      DataType: 'String',
      StringValue: cause.kind === 'exhausted' ? 'received maxReceiveCount times without being processed' : `undelivered: ${cause.error}`,
    },
    [REPORTED_ATTRIBUTE]: { DataType: 'String', StringValue: reported },
  };
  for (const [name, value] of Object.entries(record.messageAttributes)) {
    if (Object.keys(attributes).length >= MAX_ATTRIBUTES) break;
    if (value.stringValue !== undefined) attributes[name] = { DataType: value.dataType, StringValue: value.stringValue };
  }
  return attributes;
}
