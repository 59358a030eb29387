import { Tracer } from '@aws-lambda-powertools/tracer';
import { S3Client } from '@aws-sdk/client-s3';
import { chunkPlannedV1, createEvent, toPublishEntry } from '@refinery/events';
import { composeService, createEventSubscriptionHandler, defineService, implementService } from '@refinery/runtime';
import { apiEvent, eventBridgeBody, sqsEvent, testContext } from '@refinery/test-support';
import { Segment } from 'aws-xray-sdk-core';
import { awsClients, awsPlatform, type FunctionMetrics, functionTracer, httpTraceAnnotations, lambdaHandlers, sqsTraceAnnotations } from '../src';

// One invocation, one subsegment of the function's trace, annotated with the job and correlation ids of what it
// handled: X-Ray's `annotation.jobId = "…"` then finds every function a job went through. The Tracer is the real one,
// turned on as Lambda turns it on (AWS_EXECUTION_ENV); the function's segment, which Lambda makes, is made here, and
// read instead of being sent to an X-Ray daemon.

const size = { queue: { visibilityTimeoutSeconds: 360, maxReceiveCount: 3, batchSize: 1 }, function: { timeoutSeconds: 60, memorySizeMb: 512 } };
const traced = defineService({
  name: 'traced',
  description: 'd',
  buckets: { uploads: { description: 'u' } },
  subscriptions: {
    chunks: { description: 'c', events: [chunkPlannedV1], ...size },
    uploads: {
      description: 'u',
      objectCreated: {
        bucket: 'uploads',
        jobOf: (key: string) => {
          const [tenantId, jobId] = key.split('/');
          return tenantId && jobId ? { tenantId, jobId } : undefined;
        },
      },
      ...size,
    },
  },
  schedules: { sweep: { description: 's', everyMinutes: 5, function: size.function } },
});

const tracedService = implementService(traced, (context) => ({
  subscriptions: {
    chunks: createEventSubscriptionHandler({
      subscription: traced.subscriptions.chunks,
      publisher: context.publisher,
      logger: context.logger,
      handle: async () => undefined,
    }),
    uploads: { handler: async () => ({ batchItemFailures: [], retries: [] }) },
  },
  schedules: {
    sweep: async () => {
      throw new Error('the sweep could not read its table');
    },
  },
}));

const metrics: FunctionMetrics = { record: () => undefined, flush: () => undefined, captureColdStart: () => undefined };

function enabledTracer(): Tracer {
  const executionEnv = process.env.AWS_EXECUTION_ENV;
  process.env.AWS_EXECUTION_ENV = 'AWS_Lambda_nodejs20.x';
  try {
    return new Tracer({ serviceName: 'traced', captureHTTPsRequests: false });
  } finally {
    if (executionEnv === undefined) delete process.env.AWS_EXECUTION_ENV;
    else process.env.AWS_EXECUTION_ENV = executionEnv;
  }
}

/** What X-Ray would receive of a subsegment (the SDK's types leave its recorded fields out). */
interface RecordedSubsegment {
  readonly name: string;
  readonly annotations?: Readonly<Record<string, unknown>>;
  readonly fault?: boolean;
  readonly cause?: { readonly exceptions: readonly { readonly message: string }[] };
  isClosed(): boolean;
}

const subsegmentsOf = (segment: Segment) => (segment.subsegments ?? []) as unknown as RecordedSubsegment[];

/** Runs `invoke` under a function segment, as Lambda would, and returns the segment with what was added to it. */
async function underSegment(tracer: Tracer, invoke: () => Promise<unknown>): Promise<Segment> {
  const segment = new Segment('traced-function');
  await tracer.provider.getNamespace().runPromise(async () => {
    tracer.setSegment(segment);
    await invoke().catch(() => undefined);
  });
  return segment;
}

const planned = (jobId: string, correlationId: string) =>
  createEvent(chunkPlannedV1, {
    service: 'chunker',
    metadata: { tenantId: 'acme', jobId, correlationId, causationId: jobId },
    data: chunkPlannedV1.example,
  });
const body = (jobId: string, correlationId: string) => eventBridgeBody(toPublishEntry(planned(jobId, correlationId)));

describe('the trace of a Lambda invocation', () => {
  const clients = awsClients();
  const tracer = enabledTracer();
  const handlers = lambdaHandlers(tracedService, {
    clients,
    metrics,
    tracer,
    build: () =>
      composeService(tracedService, awsPlatform({ EVENT_BUS_NAME: 'bus', UPLOADS_BUCKET: 'uploads-bucket', LOG_LEVEL: 'silent' }, clients)),
  });

  it("is a closed subsegment annotated with its message's job and correlation ids", async () => {
    const segment = await underSegment(tracer, () => handlers.chunks(sqsEvent([body('job_7', 'req_1')]), testContext()));
    const [subsegment] = subsegmentsOf(segment);
    expect(subsegmentsOf(segment)).toHaveLength(1);
    expect(subsegment?.name).toBe('## chunks');
    // ColdStart too: false here, where Lambda's AWS_LAMBDA_INITIALIZATION_TYPE is not set.
    expect(subsegment?.annotations).toEqual({ ColdStart: false, Service: 'traced', jobId: 'job_7', correlationId: 'req_1' });
    expect(subsegment?.isClosed()).toBe(true);
  });

  it('records the error of an invocation that throws', async () => {
    const segment = await underSegment(tracer, () => handlers.sweep({} as Parameters<typeof handlers.sweep>[0], testContext()));
    const [subsegment] = subsegmentsOf(segment);
    expect(subsegment?.name).toBe('## sweep');
    expect(subsegment?.annotations).toEqual({ ColdStart: false, Service: 'traced' });
    expect(subsegment?.fault).toBe(true);
    expect(subsegment?.cause?.exceptions[0]?.message).toBe('the sweep could not read its table');
    expect(subsegment?.isClosed()).toBe(true);
  });

  it('is annotated with the API request id and the job of a /jobs/{id} route', async () => {
    expect(httpTraceAnnotations(apiEvent({ routeKey: 'GET /jobs/{id}/rows', pathParameters: { id: 'job_9' } }), 'aws-request')).toEqual({
      jobId: 'job_9',
      correlationId: 'request-1',
    });
    expect(
      httpTraceAnnotations(apiEvent({ routeKey: 'DELETE /webhook-sources/{source}', pathParameters: { source: 'crm' } }), 'aws-request'),
    ).toEqual({
      correlationId: 'request-1',
    });
  });

  it("reads a batch's ids: several jobs comma-separated, an S3 notice's job from its key, nothing from what it cannot read", () => {
    expect(sqsTraceAnnotations(sqsEvent([body('job_1', 'req_1'), body('job_2', 'req_2'), body('job_1', 'req_1')]).Records)).toEqual({
      jobId: 'job_1,job_2',
      correlationId: 'req_1,req_2',
    });
    const notice = JSON.stringify({
      version: '0',
      id: 'e1',
      'detail-type': 'Object Created',
      source: 'aws.s3',
      account: '000000000000',
      time: '2026-11-28T12:00:00Z',
      region: 'us-east-1',
      resources: [],
      detail: { bucket: { name: 'uploads-bucket' }, object: { key: 'acme/job_3/input.csv', size: 10 } },
    });
    expect(sqsTraceAnnotations(sqsEvent([notice]).Records, traced.subscriptions.uploads)).toEqual({ jobId: 'job_3', correlationId: 'job_3' });
    expect(sqsTraceAnnotations(sqsEvent(['not json', '{"detail":{}}']).Records, traced.subscriptions.uploads)).toEqual({});
  });
});

describe('the Tracer outside Lambda', () => {
  const traces = (client: S3Client) => client.middlewareStack.identify().some((entry) => entry.startsWith('XRaySDKInstrumentation'));

  it('is off without AWS_EXECUTION_ENV (tests, tools, the emulator) and leaves clients as they are', () => {
    expect(process.env.AWS_EXECUTION_ENV).toBeUndefined();
    expect(functionTracer().isTracingEnabled()).toBe(false);
    expect(traces(awsClients().s3)).toBe(false);
    // What capturing adds on Lambda.
    expect(traces(enabledTracer().captureAWSv3Client(new S3Client({ region: 'us-east-1' })))).toBe(true);
  });
});
