import { chunkPlannedV1, createEvent, toPublishEntry } from '@refinery/events';
import { createEventSubscriptionHandler, defineService, implementService } from '@refinery/runtime';
import { eventBridgeBody, sqsEvent, testContext } from '@refinery/test-support';
import { awsClients, type FunctionMetrics, lambdaHandlers, lambdaLogger } from '../src';

// What a function logs on Lambda: a subscription's invocations through lambdaHandlers (the service composed as on
// Lambda, from the environment), their log lines read from what the process prints, as CloudWatch Logs would. Each
// line is pino-shaped (numeric level, msg, err with message and stack) and carries the invocation's context from
// Powertools: function name, request id, cold start, X-Ray trace id.

const size = { queue: { visibilityTimeoutSeconds: 360, maxReceiveCount: 3, batchSize: 1 }, function: { timeoutSeconds: 60, memorySizeMb: 512 } };
const logging = defineService({
  name: 'logging',
  description: 'logs what it does',
  subscriptions: { chunks: { description: 'c', events: [chunkPlannedV1], ...size } },
});

const loggingService = implementService(logging, (context) => {
  // Made at cold start, during the first invocation: its lines must still carry each later invocation's context.
  const coldStartChild = context.logger.child({ part: 'made at cold start' });
  return {
    subscriptions: {
      chunks: createEventSubscriptionHandler({
        subscription: logging.subscriptions.chunks,
        publisher: context.publisher,
        logger: context.logger,
        handle: async (_event, { logger }) => {
          logger.info({ rows: 3 }, 'chunk matched');
          logger.error({ err: new TypeError('provider answered 503') }, 'provider call failed');
          coldStartChild.info('still here');
        },
      }),
    },
  };
});

const noMetrics: FunctionMetrics = { record: () => undefined, flush: () => undefined, captureColdStart: () => undefined };

const planned = createEvent(chunkPlannedV1, {
  service: 'chunker',
  metadata: { tenantId: 'acme', jobId: 'job_7', correlationId: 'req_1', causationId: 'job_7' },
  data: chunkPlannedV1.example,
});

const TRACE_ROOT = '1-5759e988-bd862e3fe1be46a994272793';
/** What Lambda sets for an on-demand container and an invocation with tracing, and what the function reads. */
const ENVIRONMENT = {
  AWS_LAMBDA_INITIALIZATION_TYPE: 'on-demand',
  _X_AMZN_TRACE_ID: `Root=${TRACE_ROOT};Parent=53995c3f42cd8ad8;Sampled=1`,
  EVENT_BUS_NAME: 'bus',
  LOG_LEVEL: 'info',
};
const saved: Record<string, string | undefined> = {};
beforeAll(() => {
  for (const [name, value] of Object.entries(ENVIRONMENT)) {
    saved[name] = process.env[name];
    process.env[name] = value;
  }
});
afterAll(() => {
  for (const [name, value] of Object.entries(saved)) {
    if (value === undefined) delete process.env[name];
    else process.env[name] = value;
  }
});

/** The JSON lines `run` prints (Powertools writes errors and warnings to stderr, the rest to stdout: Lambda keeps both). */
async function printedLines(run: () => Promise<unknown>): Promise<Record<string, unknown>[]> {
  const printed: string[] = [];
  const capture = (chunk: string | Uint8Array) => {
    printed.push(String(chunk));
    return true;
  };
  const stdout = jest.spyOn(process.stdout, 'write').mockImplementation(capture);
  const stderr = jest.spyOn(process.stderr, 'write').mockImplementation(capture);
  try {
    await run();
  } finally {
    stdout.mockRestore();
    stderr.mockRestore();
  }
  const lines = printed.join('').split('\n').filter(Boolean);
  // One JSON object per line: what the emulator's log files and CloudWatch Logs Insights expect.
  return lines.map((line) => JSON.parse(line) as Record<string, unknown>);
}

describe("a Lambda function's log lines", () => {
  it("carry the invocation's context, the trace id, the message's job and tenant, and errors with their message", async () => {
    const { chunks } = lambdaHandlers(loggingService, { clients: awsClients(), metrics: noMetrics });
    const event = () => sqsEvent([eventBridgeBody(toPublishEntry(planned))]);
    const first = testContext('refinery-logging-test-chunks');
    const second = testContext('refinery-logging-test-chunks');

    const lines = await printedLines(async () => {
      await chunks(event(), first);
      await chunks(event(), second);
    });

    const context = (invocation: typeof first, coldStart: boolean) => ({
      service: 'logging',
      function_name: 'refinery-logging-test-chunks',
      function_request_id: invocation.awsRequestId,
      function_arn: invocation.invokedFunctionArn,
      function_memory_size: invocation.memoryLimitInMB,
      cold_start: coldStart,
      xray_trace_id: TRACE_ROOT,
    });
    // The bindings of the message's child logger (the subscription handler's), then of its job's.
    const message = (invocation: typeof first) => ({
      subscription: 'chunks',
      messageId: 'message-1',
      receiveCount: 1,
      awsRequestId: invocation.awsRequestId,
      jobId: 'job_7',
      tenantId: 'acme',
    });
    expect(lines).toEqual([
      { level: 30, time: expect.any(Number), ...context(first, true), ...message(first), rows: 3, msg: 'chunk matched' },
      {
        level: 50,
        time: expect.any(Number),
        ...context(first, true),
        ...message(first),
        err: expect.objectContaining({
          type: 'TypeError',
          message: 'provider answered 503',
          stack: expect.stringContaining('TypeError: provider answered 503'),
        }),
        msg: 'provider call failed',
      },
      { level: 30, time: expect.any(Number), ...context(first, true), part: 'made at cold start', msg: 'still here' },
      { level: 30, time: expect.any(Number), ...context(second, false), ...message(second), rows: 3, msg: 'chunk matched' },
      expect.objectContaining({ level: 50, ...context(second, false), msg: 'provider call failed' }),
      { level: 30, time: expect.any(Number), ...context(second, false), part: 'made at cold start', msg: 'still here' },
    ]);
  });

  it("keep a field named like one of Powertools' own keys, renamed, and take LOG_LEVEL's values", async () => {
    const logger = lambdaLogger('logging', 'warn');
    expect(logger.level).toBe('warn');
    const lines = await printedLines(async () => {
      logger.info('below the level');
      logger.warn({ service: 'ingest', message: 'erased' }, 'a service erased a job');
    });
    expect(lines).toEqual([
      expect.objectContaining({ level: 40, service: 'logging', extra_service: 'ingest', extra_message: 'erased', msg: 'a service erased a job' }),
    ]);
    expect(() => lambdaLogger('logging', 'chatty')).toThrow(
      'invalid configuration from environment: LOG_LEVEL: "chatty" is not one of trace, debug, info, warn, error, fatal, silent',
    );
  });
});
