import { randomUUID } from 'node:crypto';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { appendFile } from 'node:fs/promises';
import { Agent } from 'node:http';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { CloudFormationClient } from '@aws-sdk/client-cloudformation';
import {
  GetFunctionConfigurationCommand,
  LambdaClient,
  ListEventSourceMappingsCommand,
  UpdateEventSourceMappingCommand,
} from '@aws-sdk/client-lambda';
import { PutBucketNotificationConfigurationCommand, S3Client } from '@aws-sdk/client-s3';
import { GetQueueAttributesCommand, GetQueueUrlCommand, SQSClient } from '@aws-sdk/client-sqs';
import { type GatewayRoute, LocalHttpGateway, LocalSocketConnections, type SocketApi } from '@refinery/local-runtime';
import { type HttpApiHandler, type Logger, silentLogger, type WebSocketHandler } from '@refinery/runtime';
import type { APIGatewayProxyStructuredResultV2 } from 'aws-lambda';
import { LambdaFunction } from './lambda-function';
import { freePort, MOTO_ACCOUNT, MOTO_REGION, type MotoServer, startMotoServer } from './moto-server';
import { SqsEventSource } from './sqs-event-source';
import { type DeployedStack, deployStack, type PackagedStack } from './stacks';
import { eventBridgeBucketsOf, eventSourceMappingsOf, functionsOf, routesOf, type ShortTimeouts, schedulesOf, withShortTimeouts } from './templates';
import { ZipArchive } from './zip-archive';

export interface EmulatorOptions {
  /** The stacks, in the order they deploy (each after those whose outputs it takes). */
  readonly stacks: readonly PackagedStack[];
  /** Where the HTTP and WebSocket APIs are served (0: any free port). */
  readonly port?: number;
  /** moto's port (0: any free port). */
  readonly awsPort?: number;
  /** Unzipped packages and the functions' logs (one file per function); default: a temporary folder. */
  readonly dataDir?: string;
  /** A stage for tests: queue-fed functions' timeouts shortened, their queues' visibility timeouts with them. */
  readonly shortTimeouts?: ShortTimeouts;
  /** Environment variables set on functions after the template's, by function name (or '*' for every function). */
  readonly environment?: (functionName: string) => Readonly<Record<string, string>>;
  /** Batches in flight per event source mapping without a maximum concurrency of its own (default 2). */
  readonly defaultConcurrency?: number;
  /**
   * Batches in flight per event source mapping at most, whatever its maximum concurrency says (default 2, as for a mapping without one). Lambda
   * starts a mapping with a few pollers and adds more as its queue grows; run as they are declared (the matcher's is
   * derived from its providers' rate, 100 for the directory), every one a long poll, they take every socket of the
   * SDK's pool and most of moto's time on one machine.
   */
  readonly maxConcurrencyPerMapping?: number;
  /** Runs after the stacks are deployed and before any function runs (seeding tables and objects). */
  readonly beforeStart?: (emulator: { readonly aws: MotoServer; readonly stacks: readonly DeployedStack[] }) => Promise<void>;
  /**
   * A server put between moto and every AWS client — the functions', the event source mappings', the deployment's,
   * presigned URLs' — given moto, answering with the endpoint they use instead (a request meter: startMeteringProxy).
   */
  readonly interpose?: (moto: MotoServer) => Promise<{ readonly endpoint: string; stop(): Promise<void> }>;
  /** Told of every function invocation once it ends (counting invocations and GB-seconds). */
  readonly onInvocation?: (invocation: {
    readonly functionName: string;
    readonly memoryMb: number;
    readonly kind: 'ok' | 'error' | 'timeout' | 'crash';
    readonly durationMs: number;
  }) => void;
  readonly logger?: Logger;
}

export interface Emulator {
  /** The HTTP APIs (every route of every stack on one port) and, at /socket, the WebSocket API. */
  readonly url: string;
  readonly aws: MotoServer;
  readonly stacks: readonly DeployedStack[];
  readonly functions: ReadonlyMap<string, LambdaFunction>;
  readonly dataDir: string;
  stop(): Promise<void>;
}

/**
 * AWS in a box: starts moto's server, deploys the packaged stacks into it as `serverless deploy` would, then runs every
 * function from its package with Lambda's semantics — its queues polled as its event source mappings say (batch
 * size, batching window, concurrency, partial batch failures; moto's own mappings are turned off: it cannot invoke
 * without Docker), its timeout enforced — and serves the HTTP and WebSocket APIs the stacks declare, like
 * `sam local start-api`. What moto leaves out is done here, openly: S3's events to EventBridge are turned on through
 * the S3 API for the buckets whose template asks for them, WEBSOCKET_ENDPOINT points at this gateway's Management
 * API, and rate rules invoke their functions on timers (faster by the short-timeouts factor).
 */
export async function startEmulator(options: EmulatorOptions): Promise<Emulator> {
  const logger = options.logger ?? silentLogger;
  const ownDataDir = options.dataDir === undefined;
  const dataDir = options.dataDir ?? mkdtempSync(join(tmpdir(), 'refinery-emulator-'));
  mkdirSync(join(dataDir, 'logs'), { recursive: true });
  const stops: (() => Promise<void>)[] = [];
  const stopAll = async () => {
    for (const stop of stops.splice(0).reverse()) await stop().catch((error: unknown) => logger.error({ err: error }, 'emulator: stopping failed'));
    if (ownDataDir) rmSync(dataDir, { recursive: true, force: true });
  };
  try {
    const moto = await startMotoServer({ ...(options.awsPort ? { port: options.awsPort } : {}) });
    stops.push(() => moto.stop());
    let aws: MotoServer = moto;
    if (options.interpose) {
      const front = await options.interpose(moto);
      stops.push(() => front.stop());
      aws = {
        ...moto,
        endpoint: front.endpoint,
        port: Number(new URL(front.endpoint).port),
        clientConfig: { ...moto.clientConfig, endpoint: front.endpoint },
      };
    }
    const clients = {
      cloudFormation: new CloudFormationClient(aws.clientConfig),
      s3: new S3Client({ ...aws.clientConfig, forcePathStyle: true }),
      lambda: new LambdaClient(aws.clientConfig),
      sqs: new SQSClient(aws.clientConfig),
    };
    const stacks: DeployedStack[] = [];
    for (const stack of options.stacks) {
      const short = options.shortTimeouts;
      const transform = short
        ? (template: Parameters<typeof withShortTimeouts>[0]) => withShortTimeouts(stack.transform ? stack.transform(template) : template, short)
        : stack.transform;
      stacks.push(await deployStack({ ...stack, ...(transform ? { transform } : {}) }, clients));
      logger.info({ stack: stack.stackName }, 'emulator: stack deployed');
    }
    // moto would try to invoke functions itself (it needs Docker for that): its mappings are turned off, ours poll.
    const { EventSourceMappings } = await clients.lambda.send(new ListEventSourceMappingsCommand({}));
    for (const mapping of EventSourceMappings ?? [])
      await clients.lambda.send(new UpdateEventSourceMappingCommand({ UUID: mapping.UUID, Enabled: false }));
    for (const stack of stacks) {
      for (const bucketId of eventBridgeBucketsOf(stack.template)) {
        const bucket = stack.resources.get(bucketId);
        if (bucket)
          await clients.s3.send(
            new PutBucketNotificationConfigurationCommand({ Bucket: bucket, NotificationConfiguration: { EventBridgeConfiguration: {} } }),
          );
      }
    }
    await options.beforeStart?.({ aws, stacks });

    const connections = new LocalSocketConnections();
    const gateway = { url: '' };
    const functions = new Map<string, LambdaFunction>();
    const byLogicalId = new Map<string, LambdaFunction>();
    const routes: GatewayRoute[] = [];
    let socketApi: SocketApi | undefined;
    // The gateway's port is needed in the functions' environment (their Management API): fixed before they start.
    const port = options.port || (await freePort());
    gateway.url = `http://127.0.0.1:${port}`;
    // The Management API has a loopback port of its own: the API's port (its users) never serves it.
    const managementPort = await freePort();
    const managementUrl = `http://127.0.0.1:${managementPort}`;
    for (const stack of stacks) {
      const bundles = new Map<string, string>();
      for (const fn of functionsOf(stack.template)) {
        const artifact = fn.artifactKey.split('/').at(-1) as string;
        let bundleDirectory = bundles.get(artifact);
        if (!bundleDirectory) {
          bundleDirectory = join(dataDir, 'functions', stack.stackName);
          unzip(join(stack.directory, artifact), bundleDirectory);
          bundles.set(artifact, bundleDirectory);
        }
        const configured = await clients.lambda.send(new GetFunctionConfigurationCommand({ FunctionName: fn.name }));
        const environment: Record<string, string> = {
          ...(configured.Environment?.Variables ?? {}),
          // Every SDK client of the function talks to moto, with moto's region and any credentials.
          AWS_ENDPOINT_URL: aws.endpoint,
          AWS_REGION: MOTO_REGION,
          AWS_DEFAULT_REGION: MOTO_REGION,
          AWS_ACCESS_KEY_ID: 'emulator',
          AWS_SECRET_ACCESS_KEY: 'emulator',
          ...options.environment?.(fn.name),
        };
        // moto has no API Gateway v2: the WebSocket API's Management API is this gateway's (on its management port).
        if (environment.WEBSOCKET_ENDPOINT !== undefined) environment.WEBSOCKET_ENDPOINT = managementUrl;
        const logFile = join(dataDir, 'logs', `${fn.name}.log`);
        const lambda = new LambdaFunction({
          name: fn.name,
          bundleDirectory,
          handler: fn.handler,
          timeoutMs: fn.timeoutSeconds * 1000,
          memoryMb: fn.memoryMb,
          environment,
          region: MOTO_REGION,
          account: MOTO_ACCOUNT,
          log: (line) => void appendFile(logFile, `${line}\n`),
          ...(options.onInvocation
            ? { onInvoked: (invocation) => options.onInvocation?.({ functionName: fn.name, memoryMb: fn.memoryMb, ...invocation }) }
            : {}),
        });
        functions.set(fn.name, lambda);
        byLogicalId.set(`${stack.stackName}/${fn.logicalId}`, lambda);
      }
      for (const route of routesOf(stack.template)) {
        const lambda = byLogicalId.get(`${stack.stackName}/${route.functionLogicalId}`);
        if (!lambda) continue;
        if (route.protocol === 'HTTP') {
          routes.push({ routeKey: route.routeKey, handler: invokeHttp(lambda), functionName: lambda.name });
        } else {
          socketApi = {
            service: stack.stackName,
            routes: new Set([...(socketApi?.routes ?? []), route.routeKey]),
            handler: invokeSocket(lambda),
            timeoutMs: lambda.options.timeoutMs,
            memoryMb: lambda.options.memoryMb,
          };
        }
      }
    }
    stops.push(async () => {
      await Promise.all([...functions.values()].map((lambda) => lambda.stop()));
    });

    // The pollers' own connections: each idle poller holds one for its long poll, more than the SDK's default pool (50)
    // when a stage has many mappings, and a request queued behind long polls would wait for one to end.
    const pollers = new SQSClient({ ...aws.clientConfig, requestHandler: { httpAgent: new Agent({ keepAlive: true, maxSockets: Infinity }) } });
    stops.push(async () => pollers.destroy());
    const sources: SqsEventSource[] = [];
    for (const stack of stacks) {
      for (const mapping of eventSourceMappingsOf(stack.template)) {
        const lambda = byLogicalId.get(`${stack.stackName}/${mapping.functionLogicalId}`);
        const queueName = stack.resources.get(mapping.queueLogicalId);
        if (!lambda || !queueName) continue;
        const queueUrl = (await clients.sqs.send(new GetQueueUrlCommand({ QueueName: queueName.split('/').at(-1) }))).QueueUrl as string;
        const { Attributes } = await clients.sqs.send(new GetQueueAttributesCommand({ QueueUrl: queueUrl, AttributeNames: ['QueueArn'] }));
        sources.push(
          new SqsEventSource({
            sqs: pollers,
            queueUrl,
            queueArn: Attributes?.QueueArn ?? '',
            region: MOTO_REGION,
            function: lambda,
            batchSize: mapping.batchSize,
            maximumBatchingWindowSeconds: mapping.maximumBatchingWindowSeconds,
            reportBatchItemFailures: mapping.reportBatchItemFailures,
            concurrency: batchesInFlight(mapping, options),
            onError: (error) => logger.warn({ err: error, function: lambda.name }, 'emulator: event source error'),
          }),
        );
      }
    }
    const server = new LocalHttpGateway({ routes, ...(socketApi ? { socketApi } : {}), connections }, { logger });
    await server.listen(port);
    stops.push(() => server.close());
    await server.listenManagement(managementPort);
    for (const source of sources) source.start();
    stops.push(async () => {
      await Promise.all(sources.map((source) => source.stop()));
    });
    // EventBridge's rate rules (moto keeps them but never fires them): a timer per scheduled function.
    const scheduleFactor = options.shortTimeouts ? (options.shortTimeouts.scheduleFactor ?? options.shortTimeouts.factor) : 1;
    const timers: NodeJS.Timeout[] = [];
    for (const stack of stacks) {
      for (const schedule of schedulesOf(stack.template)) {
        const lambda = byLogicalId.get(`${stack.stackName}/${schedule.functionLogicalId}`);
        if (!lambda) continue;
        let running = false;
        const fire = async () => {
          if (running) return; // EventBridge would start another; a sweep that overlaps itself only repeats work
          running = true;
          const outcome = await lambda.invoke(scheduledEvent(schedule.functionLogicalId));
          running = false;
          if (!outcome.ok) logger.warn({ function: lambda.name, outcome: outcome.kind }, 'emulator: scheduled run failed');
        };
        timers.push(setInterval(() => void fire(), Math.max(1000, (schedule.everySeconds * 1000) / scheduleFactor)));
      }
    }
    stops.push(async () => {
      for (const timer of timers) clearInterval(timer);
    });
    writeFileSync(join(dataDir, 'emulator.json'), `${JSON.stringify({ url: gateway.url, aws: aws.endpoint }, null, 2)}\n`);
    return { url: gateway.url, aws, stacks, functions, dataDir, stop: stopAll };
  } catch (error) {
    await stopAll();
    throw error;
  }
}

/** What EventBridge hands a function its rate rule invokes. */
function scheduledEvent(rule: string) {
  return {
    version: '0',
    id: randomUUID(),
    'detail-type': 'Scheduled Event',
    source: 'aws.events',
    account: MOTO_ACCOUNT,
    time: new Date().toISOString(),
    region: MOTO_REGION,
    resources: [`arn:aws:events:${MOTO_REGION}:${MOTO_ACCOUNT}:rule/${rule}`],
    detail: {},
  };
}

function unzip(zipFile: string, directory: string): void {
  const zip = ZipArchive.open(zipFile);
  for (const name of zip.names.filter((entry) => !entry.endsWith('/'))) {
    const target = join(directory, name);
    mkdirSync(dirname(target), { recursive: true });
    writeFileSync(target, zip.read(name));
  }
}

/** How many batches the emulator runs at once for an event source mapping (see maxConcurrencyPerMapping). */
export function batchesInFlight(
  mapping: { readonly maximumConcurrency?: number },
  options: Pick<EmulatorOptions, 'defaultConcurrency' | 'maxConcurrencyPerMapping'>,
): number {
  return Math.min(mapping.maximumConcurrency ?? options.defaultConcurrency ?? 2, options.maxConcurrencyPerMapping ?? 2);
}

/** API Gateway's HTTP API integration: the function's answer, or a 500 (or 503 for a timeout) when it fails. */
function invokeHttp(lambda: LambdaFunction): HttpApiHandler {
  return async (event) => {
    const outcome = await lambda.invoke<APIGatewayProxyStructuredResultV2>(event);
    if (outcome.ok) return outcome.result;
    return {
      statusCode: outcome.kind === 'timeout' ? 503 : 500,
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ message: outcome.kind === 'timeout' ? 'Service Unavailable' : 'Internal Server Error' }),
    };
  };
}

function invokeSocket(lambda: LambdaFunction): WebSocketHandler {
  return async (event) => {
    const outcome = await lambda.invoke<{ statusCode: number; headers?: Record<string, string>; body?: string }>(event);
    if (outcome.ok && outcome.result) return outcome.result;
    throw new Error(outcome.ok ? `${lambda.name} answered nothing` : outcome.error.message);
  };
}
