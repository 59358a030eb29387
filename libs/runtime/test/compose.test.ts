import { chunkPlannedV1, createEvent, toPublishEntry } from '@refinery/events';
import { noMetrics, systemClock, ulidIds } from '@refinery/ports';
import { eventBridgeBody, RecordingPublisher, sqsEvent, testContext } from '@refinery/test-support';
import { z } from 'zod';
import {
  composeService,
  createEventSubscriptionHandler,
  createHttpApi,
  defineService,
  implementService,
  json,
  type Platform,
  resolveSettings,
  type ServiceContext,
  type ServiceDeclaration,
  type ServiceParts,
  type SettingsOf,
  setting,
  silentLogger,
  TokenRegistry,
  type WebSocketHandler,
} from '../src';

const size = { queue: { visibilityTimeoutSeconds: 360, maxReceiveCount: 5, batchSize: 1 }, function: { timeoutSeconds: 60, memorySizeMb: 1024 } };
const worker = defineService({
  name: 'worker',
  description: 'd',
  buckets: { uploads: { description: 'u' } },
  settings: { greeting: setting(z.string(), { description: 'g', default: 'hello' }) },
  subscriptions: {
    chunks: { description: 'c', events: [chunkPlannedV1], ...size },
    uploads: { description: 'u', objectCreated: { bucket: 'uploads', jobOf: () => undefined }, ...size },
  },
  http: { routes: ['GET /things'], function: { timeoutSeconds: 5, memorySizeMb: 256 } },
});

/** A platform of recording adapters: names resources `<service>.<name>`, settings from the given environment. */
function testPlatform(environment: Record<string, string> = {}): Platform & { publisher: RecordingPublisher } {
  const publisher = new RecordingPublisher();
  return {
    publisher,
    context<D extends ServiceDeclaration>(declaration: D, given: Partial<SettingsOf<D>>): ServiceContext<D> {
      const { settings, problems } = resolveSettings(declaration, environment, given);
      if (problems.length > 0) throw new Error(problems.join('; '));
      return {
        publisher,
        clock: systemClock,
        ids: ulidIds,
        logger: silentLogger,
        metrics: noMetrics,
        objects: undefined as never,
        buckets: Object.fromEntries(
          Object.keys(declaration.buckets).map((name) => [name, `${declaration.name}.${name}`]),
        ) as ServiceContext<D>['buckets'],
        tables: {} as ServiceContext<D>['tables'],
        settings,
        sockets: undefined as never,
      };
    },
    bucketName: (service, bucket) => `${service}.${bucket}`,
  };
}

const seen: string[] = [];
const handlers = (context: ServiceContext<typeof worker>): ServiceParts<typeof worker> => ({
  subscriptions: {
    chunks: createEventSubscriptionHandler({
      subscription: worker.subscriptions.chunks,
      publisher: context.publisher,
      logger: silentLogger,
      handle: async (event) => {
        seen.push(`${context.settings.greeting} ${event.data.chunk.index}`);
      },
    }),
    uploads: { handler: async () => ({ batchItemFailures: [], retries: [] }) },
  },
  http: createHttpApi({
    logger: silentLogger,
    tokens: TokenRegistry.parse('acme:token-acme-1'),
    routes: { 'GET /things': async () => json(200, {}) },
  }),
});

describe('composeService', () => {
  it("builds a service's handlers from a platform's context, with its rules' patterns in that platform's names", async () => {
    const platform = testPlatform({ GREETING: 'hi' });
    const running = await composeService(implementService(worker, handlers), platform);
    expect(running.subscriptions.uploads).toMatchObject({
      objectCreatedBucket: 'worker.uploads',
      pattern: { detail: { bucket: { name: ['worker.uploads'] } } },
    });
    expect(running.subscriptions.chunks.pattern).toEqual({ source: ['refinery.chunker'], 'detail-type': ['chunk.planned.v1'] });
    const planned = createEvent(chunkPlannedV1, {
      service: 'chunker',
      metadata: { tenantId: 't', jobId: 'j', correlationId: 'c', causationId: 'c' },
      data: chunkPlannedV1.example,
    });
    await running.subscriptions.chunks.handler(sqsEvent([eventBridgeBody(toPublishEntry(planned))]), testContext());
    expect(seen).toEqual(['hi 2']);
  });

  it('hands the service what the caller gives, and the settings the caller sets', async () => {
    const received: unknown[] = [];
    const service = implementService(worker, (context, given: { readonly extra?: string }) => {
      received.push(given.extra, context.settings.greeting);
      return handlers(context);
    });
    await composeService(service, testPlatform(), { settings: { greeting: 'hey' }, given: { extra: 'ready-made' } });
    expect(received).toEqual(['ready-made', 'hey']);
  });

  it('refuses a service whose handlers are not exactly what it declares', async () => {
    const socket: WebSocketHandler = async () => ({ statusCode: 200 });
    const wrong = implementService(worker, (context) => {
      const parts = handlers(context);
      return {
        subscriptions: { chunks: parts.subscriptions.chunks, extra: parts.subscriptions.chunks },
        http: createHttpApi({
          logger: silentLogger,
          tokens: TokenRegistry.parse('acme:token-acme-1'),
          routes: { 'GET /others': async () => json(200, {}) },
        }),
        websocket: socket,
        schedules: { tick: async () => undefined },
      } as unknown as ServiceParts<typeof worker>;
    });
    await expect(composeService(wrong, testPlatform())).rejects.toThrow(
      'service worker does not implement its declaration: no handler for subscription "uploads"; a handler for undeclared subscription "extra"; ' +
        'a handler for undeclared schedule "tick"; ' +
        'its HTTP API does not serve the declared route "GET /things"; its HTTP API serves "GET /others", which it does not declare; ' +
        'a WebSocket handler but no declared WebSocket API',
    );
  });
});
