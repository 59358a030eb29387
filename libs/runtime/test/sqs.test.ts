import { Writable } from 'node:stream';
import { chunkPlannedV1, createEvent, deriveEventId, jobSubmittedV1 } from '@refinery/events';
import { eventBridgeBody, RecordingPublisher, sqsEvent, testContext } from '@refinery/test-support';
import {
  createEventSubscriptionHandler,
  createLogger,
  defineService,
  MachineFaultError,
  NonRetryableError,
  retryAfterMsOf,
  retryDelaySeconds,
  type SubscriptionBatchHandler,
  silentLogger,
} from '../src';

const size = { queue: { visibilityTimeoutSeconds: 360, maxReceiveCount: 3, batchSize: 10 }, function: { timeoutSeconds: 60, memorySizeMb: 512 } };
const matcher = defineService({
  name: 'matcher',
  description: 'test',
  subscriptions: {
    chunks: { description: 'chunks', events: [chunkPlannedV1, jobSubmittedV1], from: ['chunker', 'ingest'], ...size },
    plannedOnly: { description: 'planned chunks only', events: [chunkPlannedV1], ...size },
    live: { description: 'best effort', events: [chunkPlannedV1], reportsStageFailures: false, ...size },
  },
});
const ingest = defineService({
  name: 'ingest',
  description: 'test',
  subscriptions: { history: { description: 'history', events: [chunkPlannedV1, jobSubmittedV1], from: ['chunker', 'ingest'], ...size } },
});

const metadata = { tenantId: 'acme', jobId: 'job_1', correlationId: 'req_1', causationId: 'req_1' };
const planned = createEvent(chunkPlannedV1, { service: 'chunker', metadata, data: chunkPlannedV1.example });
const submitted = createEvent(jobSubmittedV1, { service: 'ingest', metadata, data: jobSubmittedV1.example });

function handlerThat(
  behaviour: (type: string) => Promise<void>,
  publisher = new RecordingPublisher(),
): { handler: SubscriptionBatchHandler; publisher: RecordingPublisher } {
  const { handler } = createEventSubscriptionHandler({
    subscription: matcher.subscriptions.chunks,
    publisher,
    logger: silentLogger,
    handle: (event) => behaviour(event.type),
  });
  return { handler, publisher };
}

describe('retryDelaySeconds', () => {
  const queue = { maxReceiveCount: 8, visibilityTimeoutSeconds: 600 };
  it('doubles from 10 s with up to a quarter more, within the visibility timeout', () => {
    expect([1, 2, 3, 4, 5, 6, 7].map((receiveCount) => retryDelaySeconds({ ...queue, receiveCount, random: () => 0 }))).toEqual([
      10, 20, 40, 80, 160, 320, 600,
    ]);
    expect(retryDelaySeconds({ ...queue, receiveCount: 1, random: () => 0.999 })).toBe(13);
  });
  it("never comes back sooner than the provider's Retry-After, nor later than the visibility timeout", () => {
    expect(retryDelaySeconds({ ...queue, receiveCount: 1, retryAfterMs: 42_500, random: () => 0 })).toBe(43);
    expect(retryDelaySeconds({ ...queue, receiveCount: 1, retryAfterMs: 3_600_000, random: () => 0 })).toBe(600);
    expect(retryDelaySeconds({ ...queue, receiveCount: 3, retryAfterMs: 1_000, random: () => 0 })).toBe(40);
  });
  it('lets the last allowed delivery go at once (to the dead-letter queue)', () => {
    expect(retryDelaySeconds({ ...queue, receiveCount: 8, retryAfterMs: 60_000 })).toBe(0);
  });
  it('reads Retry-After from an error or its causes', () => {
    expect(retryAfterMsOf(Object.assign(new Error('x'), { retryAfterMs: 5 }))).toBe(5);
    expect(retryAfterMsOf(new Error('x', { cause: Object.assign(new Error('y'), { retryAfterMs: 7 }) }))).toBe(7);
    expect(retryAfterMsOf(new Error('x'))).toBeUndefined();
    expect(retryAfterMsOf('text')).toBeUndefined();
  });
});

describe('createEventSubscriptionHandler', () => {
  it('reports only the failed records of a batch (partial batch failure)', async () => {
    const { handler, publisher } = handlerThat(async (type) => {
      if (type === 'job.submitted.v1') throw new Error('temporary');
    });
    const response = await handler(sqsEvent([eventBridgeBody(planned), eventBridgeBody(submitted), eventBridgeBody(planned)]), testContext());
    expect(response.batchItemFailures).toEqual([{ itemIdentifier: 'message-2' }]);
    expect(publisher.entries).toEqual([]);
  });

  it("gives each failed message its backoff: doubling from 10 s, the error's Retry-After when longer, at once on the last delivery", async () => {
    const retryAfter = Object.assign(new Error('429'), { retryAfterMs: 95_000 });
    const { handler } = handlerThat(async (type) => {
      if (type === 'job.submitted.v1') throw new Error('provider is down', { cause: retryAfter });
      throw new Error('temporary');
    });
    const first = await handler(sqsEvent([eventBridgeBody(planned), eventBridgeBody(submitted)], { receiveCount: 1 }), testContext());
    expect(first.retries.map((retry) => retry.itemIdentifier)).toEqual(['message-1', 'message-2']);
    expect(first.retries[0]?.delaySeconds).toBeGreaterThanOrEqual(10);
    expect(first.retries[0]?.delaySeconds).toBeLessThanOrEqual(13);
    expect(first.retries[1]?.delaySeconds).toBe(95);
    const second = await handler(sqsEvent([eventBridgeBody(planned)], { receiveCount: 2 }), testContext());
    expect(second.retries[0]?.delaySeconds).toBeGreaterThanOrEqual(20);
    expect(second.retries[0]?.delaySeconds).toBeLessThanOrEqual(25);
    const last = await handler(sqsEvent([eventBridgeBody(planned)], { receiveCount: 3 }), testContext());
    expect(last.retries).toEqual([{ itemIdentifier: 'message-1', delaySeconds: 0 }]);
  });

  it('reports a non-retryable failure once as stage.failed.v1 and lets the message go', async () => {
    const { handler, publisher } = handlerThat(async () => {
      throw new NonRetryableError('the file is not a CSV');
    });
    const response = await handler(sqsEvent([eventBridgeBody(planned)]), testContext());
    expect(response.batchItemFailures).toEqual([]);
    const [failure] = publisher.ofType('stage.failed.v1');
    expect(failure?.source).toBe('refinery.matcher');
    expect(failure?.metadata).toMatchObject({ tenantId: 'acme', jobId: 'job_1', correlationId: 'req_1', causationId: planned.metadata.eventId });
    expect(failure?.metadata.eventId).toBe(deriveEventId(planned.metadata.eventId, 'stage.failed.v1', 'matcher', 'chunks'));
    expect(failure?.data).toEqual({
      service: 'matcher',
      subscription: 'chunks',
      eventType: 'chunk.planned.v1',
      eventId: planned.metadata.eventId,
      reason: 'the file is not a CSV',
      retryable: false,
      attempts: 1,
      chunk: { index: 2 },
      rows: { first: 2000, count: 1000 },
    });
  });

  it('retries a transient failure silently until the last allowed delivery, then reports it and keeps it failed', async () => {
    const { handler, publisher } = handlerThat(async () => {
      throw new Error('provider unavailable');
    });
    const early = await handler(sqsEvent([eventBridgeBody(planned)], { receiveCount: 2 }), testContext());
    expect(early.batchItemFailures).toHaveLength(1);
    expect(publisher.entries).toEqual([]);
    const last = await handler(sqsEvent([eventBridgeBody(planned)], { receiveCount: 3 }), testContext());
    expect(last.batchItemFailures).toHaveLength(1);
    expect(publisher.ofType('stage.failed.v1')[0]?.data).toMatchObject({
      retryable: true,
      attempts: 3,
      reason: 'matcher gave up on chunk 3 (rows 2001-3000) after 3 attempts: provider unavailable',
    });
  });

  it('keeps a non-retryable failure for a retry when the failure cannot be reported', async () => {
    const publisher = new RecordingPublisher();
    publisher.failWith = new Error('bus down');
    const { handler } = handlerThat(async () => {
      throw new NonRetryableError('bad input');
    }, publisher);
    const response = await handler(sqsEvent([eventBridgeBody(planned)]), testContext());
    expect(response.batchItemFailures).toEqual([{ itemIdentifier: 'message-1' }]);
  });

  it('fails undecodable messages (they reach the dead-letter queue for inspection) without calling the handler', async () => {
    const calls: string[] = [];
    const { handler, publisher } = handlerThat(async (type) => {
      calls.push(type);
    });
    const response = await handler(
      sqsEvent(['not json', eventBridgeBody({ source: 'x', detailType: 'thing.happened.v1', detail: '{}' })], { receiveCount: 3 }),
      testContext(),
    );
    expect(response.batchItemFailures.map((f) => f.itemIdentifier)).toEqual(['message-1', 'message-2']);
    expect(calls).toEqual([]);
    expect(publisher.entries).toEqual([]);
  });

  describe('concurrency', () => {
    // Each message waits until `gate` opens or until 2 s pass; the first message of the batch is the slow one.
    function gatedHandler(concurrency: number | undefined) {
      const started: string[] = [];
      let open: () => void = () => undefined;
      const gate = new Promise<void>((resolve) => {
        open = resolve;
      });
      const { handler } = createEventSubscriptionHandler({
        subscription: ingest.subscriptions.history,
        publisher: new RecordingPublisher(),
        logger: silentLogger,
        ...(concurrency ? { concurrency } : {}),
        handle: async (event, { messageId }) => {
          started.push(messageId);
          if (messageId === 'message-1') {
            await Promise.race([gate, new Promise((resolve) => setTimeout(resolve, 2_000))]);
            throw new Error('the slow receiver timed out');
          }
          if (event.type === 'job.submitted.v1') throw new Error('temporary');
          if (started.length === 4) open();
        },
      });
      return { handler, started };
    }
    const batch = () => sqsEvent([eventBridgeBody(planned), eventBridgeBody(planned), eventBridgeBody(submitted), eventBridgeBody(planned)]);

    it('handles messages of a batch at once, up to `concurrency`: a slow message does not hold up the others, and each fails on its own', async () => {
      const { handler, started } = gatedHandler(4);
      const began = Date.now();
      const response = await handler(batch(), testContext());
      // The fourth message opened the gate: all four ran while the first still waited.
      expect(Date.now() - began).toBeLessThan(1_500);
      expect(started).toEqual(['message-1', 'message-2', 'message-3', 'message-4']);
      expect(response.batchItemFailures).toEqual([{ itemIdentifier: 'message-1' }, { itemIdentifier: 'message-3' }]);
    });

    it('handles them one after another by default', async () => {
      const { handler } = gatedHandler(undefined);
      const began = Date.now();
      const response = await handler(batch(), testContext());
      expect(Date.now() - began).toBeGreaterThanOrEqual(1_900);
      expect(response.batchItemFailures).toEqual([{ itemIdentifier: 'message-1' }, { itemIdentifier: 'message-3' }]);
    });

    it('refuses a concurrency that is not a whole number from 1', () => {
      expect(() => gatedHandler(0.5)).toThrow("ingest's history subscription: concurrency must be a whole number from 1, got 0.5");
    });
  });

  describe('afterBatch', () => {
    function batchHandler(afterBatch: (ids: string[]) => Promise<readonly string[] | undefined>) {
      const seen: string[][] = [];
      const { handler } = createEventSubscriptionHandler({
        subscription: ingest.subscriptions.history,
        publisher: new RecordingPublisher(),
        logger: silentLogger,
        handle: async (event) => {
          if (event.type === 'job.submitted.v1') throw new Error('temporary');
        },
        afterBatch: async (handled) => {
          const ids = handled.map((entry) => `${entry.messageId}:${entry.message.type}`);
          seen.push(ids);
          return afterBatch(ids);
        },
      });
      return { handler, seen };
    }

    it('runs once per batch with the messages handled without error', async () => {
      const { handler, seen } = batchHandler(async () => undefined);
      const response = await handler(
        sqsEvent([eventBridgeBody(planned), eventBridgeBody(submitted), 'not json', eventBridgeBody(planned)]),
        testContext(),
      );
      expect(seen).toEqual([['message-1:chunk.planned.v1', 'message-4:chunk.planned.v1']]);
      expect(response.batchItemFailures).toEqual([{ itemIdentifier: 'message-2' }, { itemIdentifier: 'message-3' }]);
    });

    it('leaves a fault of the machine (a full disk) to the platform to report: a warning, not an error line', async () => {
      const lines: { level: number; msg: string; machineFault?: boolean }[] = [];
      const destination = new Writable({
        write(chunk, _encoding, done) {
          lines.push(JSON.parse(String(chunk)));
          done();
        },
      });
      const { handler } = createEventSubscriptionHandler({
        subscription: ingest.subscriptions.history,
        publisher: new RecordingPublisher(),
        logger: createLogger('ingest', { destination }),
        handle: async () => undefined,
        afterBatch: async () => {
          throw new MachineFaultError('no space left in the data dir', { cause: new Error('ENOSPC') });
        },
      });
      const response = await handler(sqsEvent([eventBridgeBody(planned)]), testContext());
      expect(response.batchItemFailures).toEqual([{ itemIdentifier: 'message-1' }]);
      expect(lines.filter((line) => line.level >= 50)).toEqual([]);
      expect(lines.find((line) => line.machineFault)?.level).toBe(40);
    });

    it('fails every message it was given when it throws, and only the ones it names when it returns ids', async () => {
      const throwing = batchHandler(async () => {
        throw new Error('bus down');
      });
      const thrown = await throwing.handler(
        sqsEvent([eventBridgeBody(planned), eventBridgeBody(submitted), eventBridgeBody(planned)]),
        testContext(),
      );
      expect(thrown.batchItemFailures.map((failure) => failure.itemIdentifier).sort()).toEqual(['message-1', 'message-2', 'message-3']);

      const naming = batchHandler(async () => ['message-3']);
      const named = await naming.handler(sqsEvent([eventBridgeBody(planned), eventBridgeBody(planned), eventBridgeBody(planned)]), testContext());
      expect(named.batchItemFailures).toEqual([{ itemIdentifier: 'message-3' }]);
    });

    it('is not called when no message was handled', async () => {
      const { handler, seen } = batchHandler(async () => undefined);
      await handler(sqsEvent([eventBridgeBody(submitted)]), testContext());
      expect(seen).toEqual([]);
    });
  });

  describe('beforeBatch', () => {
    it("runs once before the batch's messages with every declared message decoded; each message's handle gets its answer", async () => {
      const prepared: string[][] = [];
      const handledWith: string[] = [];
      const { handler } = createEventSubscriptionHandler({
        subscription: matcher.subscriptions.plannedOnly,
        publisher: new RecordingPublisher(),
        logger: silentLogger,
        beforeBatch: async (messages) => {
          prepared.push(messages.map((entry) => `${entry.messageId}:${entry.message.type}`));
          return new Map(messages.map((entry, index) => [entry.messageId, index % 2 === 0 ? 'ok' : 'bad']));
        },
        handle: async (event, { messageId, batch }) => {
          handledWith.push(`${messageId}:${batch.get(messageId)}`);
          if (batch.get(messageId) === 'bad') throw new Error(`${event.type} failed in its batch`);
        },
      });

      const response = await handler(
        sqsEvent([eventBridgeBody(planned), 'not json', eventBridgeBody(submitted), eventBridgeBody(planned), eventBridgeBody(planned)]),
        testContext(),
      );

      // Not the message it could not decode, nor the type it does not declare (both fail on their own).
      expect(prepared).toEqual([['message-1:chunk.planned.v1', 'message-4:chunk.planned.v1', 'message-5:chunk.planned.v1']]);
      expect(handledWith).toEqual(['message-1:ok', 'message-4:bad', 'message-5:ok']);
      expect(response.batchItemFailures).toEqual([{ itemIdentifier: 'message-2' }, { itemIdentifier: 'message-4' }]);
    });

    it('fails every message with its error when it throws, each on its own path (a failed stage on the last delivery)', async () => {
      const publisher = new RecordingPublisher();
      const handled: string[] = [];
      const { handler } = createEventSubscriptionHandler({
        subscription: matcher.subscriptions.chunks,
        publisher,
        logger: silentLogger,
        beforeBatch: async () => {
          throw new Error('table unavailable');
        },
        handle: async (event) => {
          handled.push(event.type);
        },
      });

      const response = await handler(sqsEvent([eventBridgeBody(planned), eventBridgeBody(submitted)], { receiveCount: 3 }), testContext());

      expect(handled).toEqual([]);
      expect(response.batchItemFailures).toEqual([{ itemIdentifier: 'message-1' }, { itemIdentifier: 'message-2' }]);
      expect(publisher.ofType('stage.failed.v1').map((event) => [event.data.eventType, event.data.retryable, event.data.reason])).toEqual([
        ['chunk.planned.v1', true, 'matcher gave up on chunk 3 (rows 2001-3000) after 3 attempts: table unavailable'],
        ['job.submitted.v1', true, 'matcher gave up on job.submitted.v1 after 3 attempts: table unavailable'],
      ]);
    });
  });

  describe('typed by its declaration', () => {
    it('hands over only the declared event types: any other is a failure reported as a failed stage, never dropped', async () => {
      const publisher = new RecordingPublisher();
      const handled: string[] = [];
      const { handler } = createEventSubscriptionHandler({
        subscription: matcher.subscriptions.plannedOnly,
        publisher,
        logger: silentLogger,
        handle: async (event) => {
          handled.push(`${event.type}:${event.data.chunk.index}`);
        },
      });
      const response = await handler(sqsEvent([eventBridgeBody(planned), eventBridgeBody(submitted)]), testContext());
      expect(handled).toEqual(['chunk.planned.v1:2']);
      expect(response.batchItemFailures).toEqual([]);
      expect(publisher.ofType('stage.failed.v1').map((event) => event.data)).toEqual([
        expect.objectContaining({
          subscription: 'plannedOnly',
          eventType: 'job.submitted.v1',
          retryable: false,
          reason: "matcher's plannedOnly subscription received job.submitted.v1, which it does not subscribe to (it declares chunk.planned.v1)",
        }),
      ]);
    });

    it('reports no failed stage for a subscription whose losses fail no job, even on the last delivery', async () => {
      const publisher = new RecordingPublisher();
      const { handler } = createEventSubscriptionHandler({
        subscription: matcher.subscriptions.live,
        publisher,
        logger: silentLogger,
        handle: async () => {
          throw new NonRetryableError('never mind');
        },
      });
      const response = await handler(sqsEvent([eventBridgeBody(planned)], { receiveCount: 3 }), testContext());
      expect(response.batchItemFailures).toEqual([{ itemIdentifier: 'message-1' }]);
      expect(publisher.entries).toEqual([]);
    });
  });
});
