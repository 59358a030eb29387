import { chunkPlannedV1, createEvent } from '@refinery/events';
import { eventBridgeBody, RecordingPublisher, sqsEvent, testContext } from '@refinery/test-support';
import type { APIGatewayProxyEventV2 } from 'aws-lambda';
import {
  createEventSubscriptionHandler,
  createHttpApi,
  defineService,
  isMachineFault,
  MACHINE_FAULT_RETRY_AFTER_SECONDS,
  MachineFaultError,
  silentLogger,
  TokenRegistry,
} from '../src';

// A fault of the machine (a full disk) is not a fault of the message: never its last attempt, never a failed stage;
// an API answers 503 saying what is wrong instead of an opaque 500.

const worker = defineService({
  name: 'matcher',
  description: 'test',
  subscriptions: {
    chunks: {
      description: 'chunks',
      events: [chunkPlannedV1],
      queue: { visibilityTimeoutSeconds: 180, maxReceiveCount: 3, batchSize: 10 },
      function: { timeoutSeconds: 30, memorySizeMb: 256 },
    },
  },
});
const metadata = { tenantId: 'acme', jobId: 'job_1', correlationId: 'c', causationId: 'c' };
const planned = createEvent(chunkPlannedV1, { service: 'chunker', metadata, data: chunkPlannedV1.example });
const full = new MachineFaultError('no space left in the data dir /srv/data (ENOSPC); free space there');

describe('machine faults', () => {
  it('are known through the causes that wrap them', () => {
    expect(isMachineFault(full)).toBe(true);
    expect(isMachineFault(new Error('writing chunk 3 failed', { cause: full }))).toBe(true);
    expect(isMachineFault(new Error('provider down'))).toBe(false);
    expect(isMachineFault('text')).toBe(false);
  });

  it('never make a delivery its last attempt: no stage.failed.v1, the message comes back', async () => {
    const publisher = new RecordingPublisher();
    const { handler } = createEventSubscriptionHandler({
      subscription: worker.subscriptions.chunks,
      publisher,
      logger: silentLogger,
      handle: async () => {
        throw new Error('labeling failed', { cause: full });
      },
    });
    const response = await handler(sqsEvent([eventBridgeBody(planned)], { receiveCount: 3 }), testContext());
    expect(response.batchItemFailures).toEqual([{ itemIdentifier: 'message-1' }]);
    expect(publisher.entries).toHaveLength(0);
  });

  it('answer 503 with what is wrong and a Retry-After, not a 500', async () => {
    const api = createHttpApi({
      logger: silentLogger,
      tokens: TokenRegistry.parse('acme:token-acme-1234'),
      routes: {
        'POST /jobs': async () => {
          throw new Error('could not store the job', { cause: full });
        },
      },
    });
    const event = {
      routeKey: 'POST /jobs',
      rawPath: '/jobs',
      headers: { authorization: 'Bearer token-acme-1234' },
      requestContext: { requestId: 'r1' },
      isBase64Encoded: false,
    } as unknown as APIGatewayProxyEventV2;
    const answer = await api(event, testContext());
    expect(answer.statusCode).toBe(503);
    expect(answer.headers?.['retry-after']).toBe(String(MACHINE_FAULT_RETRY_AFTER_SECONDS));
    expect(JSON.parse(answer.body as string)).toEqual({ error: { code: 'storage_unavailable', message: full.message } });
  });
});
