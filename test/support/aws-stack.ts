import { readFileSync } from 'node:fs';
import { ApiGatewayManagementApiClient } from '@aws-sdk/client-apigatewaymanagementapi';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { EventBridgeClient } from '@aws-sdk/client-eventbridge';
import { CreateBucketCommand, S3Client } from '@aws-sdk/client-s3';
import { CreateQueueCommand, GetQueueAttributesCommand, SQSClient } from '@aws-sdk/client-sqs';
import { ApiGatewaySocketConnections, DynamoTable, S3ObjectStore, SqsQueues } from '@refinery/aws-adapters';
import { type AwsClients, awsClients, awsPlatform } from '@refinery/aws-runtime';
import { chunkerService } from '@refinery/chunker';
import { ingestService } from '@refinery/ingest';
import { labelerService } from '@refinery/labeler';
import { matcherService, seedNicknames } from '@refinery/matcher';
import { mergerService } from '@refinery/merger';
import { loadBundledNicknames } from '@refinery/nicknames';
import { notifierService } from '@refinery/notifier';
import {
  composeService,
  type HttpApiHandler,
  type RunnableService,
  type RunnableSubscription,
  type ServiceDeclaration,
  type ServiceImplementation,
  subscriptionQueueNames,
  type WebSocketEvent,
  type WebSocketHandler,
  type WebSocketResult,
} from '@refinery/runtime';
import {
  type ApiEventInput,
  type AwsEmulators,
  apiEvent,
  EventBridgeStandIn,
  EventSourcePoller,
  startAwsEmulators,
  testContext,
} from '@refinery/test-support';
import { SocketManagementStandIn } from './socket-management-stand-in';

export const STAGE = 'test';
export const EVENT_BUS = `refinery-${STAGE}`;

/** The resources each service's serverless.yml would create, named for the emulators. */
export const RESOURCES = {
  uploadsBucket: 'refinery-ingest-test-uploads',
  jobsTable: 'refinery-ingest-test-jobs',
  plansTable: 'refinery-chunker-test-plans',
  matcherChunksBucket: 'refinery-matcher-test-chunks',
  nicknamesTable: 'refinery-matcher-test-nicknames',
  directoryBucket: 'refinery-test-directory',
  labelerChunksBucket: 'refinery-labeler-test-chunks',
  resultsBucket: 'refinery-merger-test-results',
  ledgerTable: 'refinery-merger-test-ledger',
  subscriptionsTable: 'refinery-notifier-test-subscriptions',
} as const;

export interface AwsStack {
  readonly emulators: AwsEmulators;
  readonly bus: EventBridgeStandIn;
  readonly clients: AwsClients;
  readonly queues: SqsQueues;
  readonly services: readonly RunnableService[];
  /** Calls the HTTP API as API Gateway would (ingest for /jobs, notifier for /subscriptions). */
  api(input: ApiEventInput): Promise<{ status: number; headers: Record<string, string>; body: string; json: unknown }>;
  /** Calls notifier's WebSocket function as API Gateway would ($connect, $default, $disconnect). */
  socket(event: WebSocketEvent): Promise<WebSocketResult>;
  /** What notifier posted to each connection through the Management API (the real SDK client). */
  readonly sockets: SocketManagementStandIn;
  stop(): Promise<void>;
}

export interface AwsStackOptions {
  readonly directoryCsvPath: string;
  readonly apiTokens: string;
  /** Caps every queue's visibility timeout (the manifests' are minutes long; retries in tests should not be). */
  readonly maxVisibilityTimeoutSeconds?: number;
}

/**
 * Every service's Lambda entry point (`src/lambda.ts`) on the AWS adapters against emulators: S3 and SQS in fauxqs,
 * DynamoDB in dynalite, EventBridge in our stand-in applying each service's declared rules, and a poller per queue
 * feeding the functions like Lambda's event source mapping.
 */
export async function startAwsStack(options: AwsStackOptions): Promise<AwsStack> {
  // What is started is stopped again, in reverse, when a later step of the set-up fails: nothing is left running.
  const stops: (() => Promise<void> | void)[] = [];
  const stopAll = async () => {
    for (const stop of stops.reverse()) await stop();
  };
  try {
    return await startParts(options, stops, stopAll);
  } catch (error) {
    await stopAll().catch(() => undefined);
    throw error;
  }
}

async function startParts(options: AwsStackOptions, stops: (() => Promise<void> | void)[], stopAll: () => Promise<void>): Promise<AwsStack> {
  const emulators = await startAwsEmulators();
  stops.push(() => emulators.stop());
  const bus = new EventBridgeStandIn(EVENT_BUS);
  const busEndpoint = await bus.listen();
  stops.push(() => bus.close());
  const clients = awsClients({
    s3: new S3Client(emulators.clientConfig('s3')),
    sqs: new SQSClient(emulators.clientConfig('sqs')),
    dynamodb: new DynamoDBClient(emulators.clientConfig('dynamodb')),
    eventBridge: new EventBridgeClient({
      endpoint: busEndpoint,
      region: emulators.region,
      credentials: { accessKeyId: 'test', secretAccessKey: 'test' },
    }),
  });
  const queues = new SqsQueues({ client: clients.sqs });
  const pollers: EventSourcePoller[] = [];
  const failures: unknown[] = [];

  for (const bucket of [
    RESOURCES.uploadsBucket,
    RESOURCES.matcherChunksBucket,
    RESOURCES.directoryBucket,
    RESOURCES.labelerChunksBucket,
    RESOURCES.resultsBucket,
  ]) {
    await clients.s3.send(new CreateBucketCommand({ Bucket: bucket }));
  }
  for (const table of [RESOURCES.jobsTable, RESOURCES.plansTable, RESOURCES.nicknamesTable, RESOURCES.ledgerTable, RESOURCES.subscriptionsTable]) {
    await emulators.createTable(table);
  }
  await new S3ObjectStore({ client: clients.s3 }).put(
    { bucket: RESOURCES.directoryBucket, key: 'directory.csv' },
    readFileSync(options.directoryCsvPath),
  );
  await seedNicknames(new DynamoTable({ client: clients.dynamodb, tableName: RESOURCES.nicknamesTable }), loadBundledNicknames(), 'bundled');

  const sockets = new SocketManagementStandIn();
  const socketEndpoint = await sockets.listen(STAGE);
  stops.push(() => sockets.close());
  // Each service composed as its Lambda entry points compose it, from the environment its functions would have.
  const common = { EVENT_BUS_NAME: EVENT_BUS, LOG_LEVEL: 'silent' };
  const onAws = <D extends ServiceDeclaration>(service: ServiceImplementation<D, object>, environment: Record<string, string>) =>
    composeService(
      service,
      awsPlatform({ ...common, ...environment }, clients, {
        sockets: (endpoint) =>
          new ApiGatewaySocketConnections({
            client: new ApiGatewayManagementApiClient({
              endpoint,
              region: emulators.region,
              credentials: { accessKeyId: 'test', secretAccessKey: 'test' },
            }),
          }),
      }),
    );
  const ingest = await onAws(ingestService, {
    UPLOADS_BUCKET: RESOURCES.uploadsBucket,
    JOBS_TABLE: RESOURCES.jobsTable,
    REFINERY_API_TOKENS: options.apiTokens,
  });
  const notifier = await onAws(notifierService, {
    SUBSCRIPTIONS_TABLE: RESOURCES.subscriptionsTable,
    REFINERY_API_TOKENS: options.apiTokens,
    WEBHOOK_RETRY_DELAYS_MS: '20,20',
    WEBSOCKET_ENDPOINT: socketEndpoint,
  });
  const services: RunnableService[] = [
    ingest,
    await onAws(chunkerService, { PLANS_TABLE: RESOURCES.plansTable }),
    await onAws(matcherService, {
      CHUNKS_BUCKET: RESOURCES.matcherChunksBucket,
      NICKNAMES_TABLE: RESOURCES.nicknamesTable,
      DIRECTORY_BUCKET: RESOURCES.directoryBucket,
      DIRECTORY_KEY: 'directory.csv',
    }),
    await onAws(labelerService, { CHUNKS_BUCKET: RESOURCES.labelerChunksBucket }),
    await onAws(mergerService, { RESULTS_BUCKET: RESOURCES.resultsBucket, LEDGER_TABLE: RESOURCES.ledgerTable }),
    notifier,
  ];

  for (const service of services) {
    for (const [name, subscription] of Object.entries(service.subscriptions as Record<string, RunnableSubscription>)) {
      const { queue: settings, function: size } = subscription.declaration;
      const names = subscriptionQueueNames(service.declaration.name, name, STAGE);
      const visibility = Math.min(settings.visibilityTimeoutSeconds, options.maxVisibilityTimeoutSeconds ?? settings.visibilityTimeoutSeconds);
      const dlq = await clients.sqs.send(new CreateQueueCommand({ QueueName: names.deadLetterQueue }));
      const dlqArn = await queueArn(clients.sqs, dlq.QueueUrl as string);
      const created = await clients.sqs.send(
        new CreateQueueCommand({
          QueueName: names.queue,
          Attributes: {
            VisibilityTimeout: String(visibility),
            RedrivePolicy: JSON.stringify({ deadLetterTargetArn: dlqArn, maxReceiveCount: settings.maxReceiveCount }),
          },
        }),
      );
      bus.addRule({ name: `${names.queue}-rule`, pattern: subscription.pattern, deliver: (body) => queues.send(names.queue, [body]) });
      const poller = new EventSourcePoller({
        queues,
        queue: names.queue,
        queueArn: await queueArn(clients.sqs, created.QueueUrl as string),
        region: emulators.region,
        batchSize: settings.batchSize,
        handler: subscription.handler,
        functionName: `refinery-${service.declaration.name}-${STAGE}-${name}`,
        functionTimeoutMs: size.timeoutSeconds * 1000,
        onError: (error) => failures.push(error),
      });
      pollers.push(poller);
    }
  }

  // S3 -> EventBridge: the Object Created event S3 sends for the uploads bucket (EventBridge notifications on).
  const stopNotices = emulators.onObjectCreated((notice) => {
    if (notice.bucket !== RESOURCES.uploadsBucket) return;
    bus
      .route({
        version: '0',
        id: `s3-${Date.now()}-${Math.random().toString(16).slice(2)}`,
        'detail-type': 'Object Created',
        source: 'aws.s3',
        account: '000000000000',
        time: new Date().toISOString().replace(/\.\d{3}Z$/, 'Z'),
        region: emulators.region,
        resources: [`arn:aws:s3:::${notice.bucket}`],
        detail: {
          version: '0',
          bucket: { name: notice.bucket },
          object: { key: encodeURIComponent(notice.key).replace(/%2F/g, '/') },
          reason: 'PutObject',
        },
      })
      .catch((error: unknown) => failures.push(error));
  });
  stops.push(stopNotices);
  stops.push(() => Promise.all(pollers.map((poller) => poller.stop())).then(() => undefined));
  for (const poller of pollers) poller.start();

  return {
    emulators,
    bus,
    clients,
    queues,
    services,
    api: async (input) => {
      const handler = (input.routeKey.includes('/subscriptions') ? notifier.http : ingest.http) as HttpApiHandler;
      const response = await handler(apiEvent(input), testContext());
      const body = response.body ? Buffer.from(response.body, response.isBase64Encoded ? 'base64' : 'utf8').toString() : '';
      let json: unknown;
      try {
        json = body ? JSON.parse(body) : undefined;
      } catch {
        json = undefined;
      }
      return { status: response.statusCode ?? 200, headers: (response.headers ?? {}) as Record<string, string>, body, json };
    },
    socket: (event) => (notifier.websocket as WebSocketHandler)(event, testContext()),
    sockets,
    stop: async () => {
      await stopAll();
      if (failures.length) throw new Error(`the stack saw ${failures.length} errors outside handlers, first: ${String(failures[0])}`);
    },
  };
}

async function queueArn(sqs: SQSClient, queueUrl: string): Promise<string> {
  const { Attributes } = await sqs.send(new GetQueueAttributesCommand({ QueueUrl: queueUrl, AttributeNames: ['QueueArn'] }));
  return Attributes?.QueueArn as string;
}
