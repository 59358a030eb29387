import { chunkPlannedV1, createEvent, toPublishEntry } from '@refinery/events';
import { composeService, createEventSubscriptionHandler, defineService, implementService } from '@refinery/runtime';
import { eventBridgeBody, sqsEvent, testContext } from '@refinery/test-support';
import { awsClients, awsPlatform, EmfMetrics, lambdaHandlers, REPLACED_DIMENSION_VALUE } from '../src';

// What a function prints for CloudWatch: a subscription's invocation through lambdaHandlers, with a service that
// records through its context's metrics, ends with EMF lines on stdout (read here as CloudWatch Logs would), one per
// set of dimension values, each carrying service and stage besides the metric's own; a failed invocation prints too.

const size = { queue: { visibilityTimeoutSeconds: 360, maxReceiveCount: 3, batchSize: 1 }, function: { timeoutSeconds: 60, memorySizeMb: 512 } };
const counter = defineService({
  name: 'counter',
  description: 'records what it does',
  subscriptions: { chunks: { description: 'c', events: [chunkPlannedV1], ...size } },
  schedules: { sweep: { description: 's', everyMinutes: 5, function: size.function } },
});

const counterService = implementService(counter, (context) => ({
  subscriptions: {
    chunks: createEventSubscriptionHandler({
      subscription: counter.subscriptions.chunks,
      publisher: context.publisher,
      logger: context.logger,
      handle: async () => {
        context.metrics.record('rowsProcessed', 40, { status: 'matched', method: 'exact' });
        context.metrics.record('rowsProcessed', 2, { status: 'matched', method: 'exact' });
        context.metrics.record('rowsProcessed', 3, { status: 'unmatched', method: 'none' });
        context.metrics.record('chunksProcessed', 1, { stage: 'matcher' });
        context.metrics.record('stageDuration', 125, { stage: 'matcher' });
        // A job id where a dimension value belongs: kept as a figure, not as a metric of its own.
        context.metrics.record('jobsEnded', 1, { outcome: 'job_01JF3Q8Z9R5T7V2W4X6Y8Z0ABC' });
      },
    }),
  },
  schedules: {
    sweep: async () => {
      context.metrics.record('stuckJobs', 2, {});
      throw new Error('the sweep could not read its table');
    },
  },
}));

interface EmfLine {
  readonly _aws: { Timestamp: number; CloudWatchMetrics: { Namespace: string; Dimensions: string[][]; Metrics: { Name: string; Unit: string }[] }[] };
  readonly [key: string]: unknown;
}

/** The EMF objects among what `run` prints on stdout (the JSON lines with an `_aws` block); the rest is logs. */
async function printedEmf(run: () => Promise<unknown>): Promise<EmfLine[]> {
  const printed: string[] = [];
  const write = jest.spyOn(process.stdout, 'write').mockImplementation((chunk: string | Uint8Array) => {
    printed.push(String(chunk));
    return true;
  });
  try {
    await run().catch(() => undefined);
  } finally {
    write.mockRestore();
  }
  return printed
    .join('')
    .split('\n')
    .filter((line) => line.startsWith('{') && line.includes('"_aws"'))
    .map((line) => JSON.parse(line) as EmfLine);
}

function handlers() {
  const clients = awsClients();
  // Lambda sets it for a container started on demand; Powertools counts a cold start only then.
  const initialization = process.env.AWS_LAMBDA_INITIALIZATION_TYPE;
  process.env.AWS_LAMBDA_INITIALIZATION_TYPE = 'on-demand';
  const metrics = new EmfMetrics({ service: 'counter', stage: 'test' });
  if (initialization === undefined) delete process.env.AWS_LAMBDA_INITIALIZATION_TYPE;
  else process.env.AWS_LAMBDA_INITIALIZATION_TYPE = initialization;
  return lambdaHandlers(counterService, {
    clients,
    metrics,
    build: () => composeService(counterService, awsPlatform({ EVENT_BUS_NAME: 'bus', LOG_LEVEL: 'silent' }, clients, { metrics })),
  });
}

const planned = createEvent(chunkPlannedV1, {
  service: 'chunker',
  metadata: { tenantId: 'acme', jobId: 'job_7', correlationId: 'req_1', causationId: 'job_7' },
  data: chunkPlannedV1.example,
});

describe('the EMF metrics of a Lambda invocation', () => {
  it('prints one EMF line per set of dimension values, in the ContactRefinery namespace, with service and stage', async () => {
    const { chunks } = handlers();
    const lines = await printedEmf(() => chunks(sqsEvent([eventBridgeBody(toPublishEntry(planned))]), testContext('refinery-counter-test-chunks')));

    const of = (metric: string) => lines.filter((line) => line._aws.CloudWatchMetrics[0]?.Metrics.some((m) => m.Name === metric));
    for (const line of lines) {
      expect(line._aws.CloudWatchMetrics).toHaveLength(1);
      expect(line._aws.CloudWatchMetrics[0]?.Namespace).toBe('ContactRefinery');
      expect(line).toMatchObject({ service: 'counter', stage: 'test' });
    }

    // The first invocation of a container counts its cold start, with the function's name.
    expect(of('ColdStart')).toEqual([
      expect.objectContaining({
        _aws: expect.objectContaining({
          CloudWatchMetrics: [
            { Namespace: 'ContactRefinery', Dimensions: [['service', 'stage', 'function_name']], Metrics: [{ Name: 'ColdStart', Unit: 'Count' }] },
          ],
        }),
        function_name: 'refinery-counter-test-chunks',
        ColdStart: 1,
      }),
    ]);

    const rows = of('rowsProcessed');
    expect(rows.map((line) => line._aws.CloudWatchMetrics[0]?.Dimensions)).toEqual([
      [['service', 'stage', 'status', 'method']],
      [['service', 'stage', 'status', 'method']],
    ]);
    expect(rows.map(({ status, method, rowsProcessed }) => ({ status, method, rowsProcessed }))).toEqual([
      { status: 'matched', method: 'exact', rowsProcessed: [40, 2] },
      { status: 'unmatched', method: 'none', rowsProcessed: 3 },
    ]);
    expect(rows[0]?._aws.CloudWatchMetrics[0]?.Metrics).toEqual([{ Name: 'rowsProcessed', Unit: 'Count' }]);

    // The pipeline's stage is pipelineStage: `stage` stays the deployed stage. Same dimension values, one line.
    const matcher = of('chunksProcessed');
    expect(matcher).toHaveLength(1);
    expect(matcher[0]).toMatchObject({ stage: 'test', pipelineStage: 'matcher', chunksProcessed: 1, stageDuration: 125 });
    expect(matcher[0]?._aws.CloudWatchMetrics[0]).toMatchObject({
      Dimensions: [['service', 'stage', 'pipelineStage']],
      Metrics: [
        { Name: 'chunksProcessed', Unit: 'Count' },
        { Name: 'stageDuration', Unit: 'Milliseconds' },
      ],
    });

    expect(of('jobsEnded')).toEqual([expect.objectContaining({ outcome: REPLACED_DIMENSION_VALUE, jobsEnded: 1 })]);
    expect(lines.some((line) => JSON.stringify(line).includes('01JF3Q8Z9R5T7V2W4X6Y8Z0ABC'))).toBe(false);

    // Flushed means forgotten: an invocation that records nothing prints nothing (and the cold start is counted once).
    expect(await printedEmf(() => chunks(sqsEvent([]), testContext('refinery-counter-test-chunks')))).toEqual([]);
  });

  it('prints what a failed invocation recorded before it threw', async () => {
    const { sweep } = handlers();
    let failure: unknown;
    const lines = await printedEmf(() =>
      sweep({} as Parameters<typeof sweep>[0], testContext('refinery-counter-test-sweep')).catch((error: unknown) => {
        failure = error;
      }),
    );
    expect((failure as Error).message).toBe('the sweep could not read its table');
    const stuck = lines.filter((line) => 'stuckJobs' in line);
    expect(stuck).toHaveLength(1);
    expect(stuck[0]).toMatchObject({ service: 'counter', stage: 'test', stuckJobs: 2 });
    expect(stuck[0]?._aws.CloudWatchMetrics[0]).toEqual({
      Namespace: 'ContactRefinery',
      Dimensions: [['service', 'stage']],
      Metrics: [{ Name: 'stuckJobs', Unit: 'Count' }],
    });
  });
});
