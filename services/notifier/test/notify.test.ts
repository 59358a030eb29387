import { createTestPorts, sqsEvent, type TestPorts, testContext } from '@refinery/test-support';
import { Webhook } from 'standardwebhooks';
import type { DeliveryAttempt } from '../src/domain/subscriptions';
import { notifier as declaration } from '../src/service';
import { ACME_TOKEN, body, createNotifier, fixture, GLOBEX_TOKEN, WebhookReceiver } from './helpers';

const COMPLETED = 'job-completed';
const FAILED = 'job-failed';

let ports: TestPorts;
let receiver: WebhookReceiver;

beforeEach(async () => {
  ports = createTestPorts();
  receiver = new WebhookReceiver();
  await receiver.start();
});

afterEach(async () => {
  await receiver.stop();
  ports.cleanup();
});

type Notifier = ReturnType<typeof createNotifier>;

async function subscribe(notifier: Notifier, path: string, options: { token?: string; eventTypes?: string[] } = {}) {
  const response = await notifier.api({
    routeKey: 'POST /subscriptions',
    token: options.token ?? ACME_TOKEN,
    body: JSON.stringify({ url: receiver.url(path), ...(options.eventTypes ? { eventTypes: options.eventTypes } : {}) }),
  });
  expect(response.statusCode).toBe(201);
  return response.json as { id: string; secret: string };
}

async function attempts(notifier: Notifier, id: string, token = ACME_TOKEN): Promise<DeliveryAttempt[]> {
  const response = await notifier.api({ routeKey: 'GET /subscriptions/{id}/deliveries', pathParameters: { id }, token });
  expect(response.statusCode).toBe(200);
  return response.json!.deliveries as DeliveryAttempt[];
}

describe('notifier jobs: job.completed.v1 / job.failed.v1 webhooks', () => {
  it('delivers job.completed.v1 as a signed Standard Webhooks POST that verifies with the secret', async () => {
    const notifier = createNotifier(ports);
    const subscription = await subscribe(notifier, '/hooks/acme');

    const response = await notifier.jobs(sqsEvent([body(COMPLETED)]), testContext());

    expect(response.batchItemFailures).toEqual([]);
    const [request] = receiver.to('/hooks/acme');
    expect(receiver.requests).toHaveLength(1);
    expect(request!.method).toBe('POST');
    expect(request!.headers['content-type']).toBe('application/json');
    expect(request!.headers['webhook-id']).toMatch(/^msg_[0-9a-f]{32}$/);
    const verified = new Webhook(subscription.secret).verify(request!.body, request!.headers);
    const { metadata } = fixture(COMPLETED).detail;
    expect(verified).toEqual({
      type: 'job.completed.v1',
      timestamp: metadata.occurredAt,
      data: {
        jobId: metadata.jobId,
        status: 'completed',
        rows: { total: 5, matched: 3, unmatched: 1, invalid: 1 },
        byMethod: { exact: 1, fuzzy: 1, nickname: 1 },
        links: { job: `/jobs/${metadata.jobId}`, events: `/jobs/${metadata.jobId}/events`, result: `/jobs/${metadata.jobId}/result` },
      },
    });
    // Internal object locations never leave the system.
    expect(request!.body).not.toContain('merger-results');
    expect(request!.body).not.toContain('result.csv');
    expect(request!.body).not.toMatch(/"bucket"|"key"/);
  });

  it("keeps the delivery's marker and attempt for the retention period (the table's TTL), without showing expiresAt", async () => {
    const notifier = createNotifier(ports);
    const subscription = await subscribe(notifier, '/hooks/acme');
    expect((await notifier.jobs(sqsEvent([body(COMPLETED)]), testContext())).batchItemFailures).toEqual([]);

    const table = ports.table('notifier-subscriptions');
    const { eventId } = fixture(COMPLETED).detail.metadata;
    const marker = await table.get({ pk: `delivery#${eventId}`, sk: subscription.id });
    const [attempt] = (await table.query(`attempts#${subscription.id}`)).items;
    const thirtyDays = 30 * 86_400;
    expect(marker?.expiresAt).toBe(Math.floor(Date.parse(String(marker?.at)) / 1000) + thirtyDays);
    expect(attempt?.expiresAt).toBe(Math.floor(Date.parse(String(attempt?.at)) / 1000) + thirtyDays);
    const [shown] = await attempts(notifier, subscription.id);
    expect(shown).toMatchObject({ ok: true });
    expect(shown).not.toHaveProperty('expiresAt');
  });

  it('rejects a tampered body or a wrong secret (the signature really covers the body)', async () => {
    const notifier = createNotifier(ports);
    const subscription = await subscribe(notifier, '/hooks/acme');
    const other = await subscribe(notifier, '/hooks/other');

    await notifier.jobs(sqsEvent([body(COMPLETED)]), testContext());

    const [request] = receiver.to('/hooks/acme');
    expect(() => new Webhook(subscription.secret).verify(request!.body.replace('"completed"', '"failed"'), request!.headers)).toThrow();
    expect(() => new Webhook(other.secret).verify(request!.body, request!.headers)).toThrow();
  });

  it('delivers job.failed.v1 with the reason and the affected rows', async () => {
    const notifier = createNotifier(ports);
    const subscription = await subscribe(notifier, '/hooks/acme');

    const response = await notifier.jobs(sqsEvent([body(FAILED)]), testContext());

    expect(response.batchItemFailures).toEqual([]);
    const [request] = receiver.to('/hooks/acme');
    const { metadata, data } = fixture(FAILED).detail;
    expect(new Webhook(subscription.secret).verify(request!.body, request!.headers)).toEqual({
      type: 'job.failed.v1',
      timestamp: metadata.occurredAt,
      data: {
        jobId: metadata.jobId,
        status: 'failed',
        reason: data.reason,
        affectedRows: { first: 2, count: 2 },
        links: { job: `/jobs/${metadata.jobId}`, events: `/jobs/${metadata.jobId}/events` },
      },
    });
  });

  it("does not call another tenant's subscriptions", async () => {
    const notifier = createNotifier(ports);
    await subscribe(notifier, '/hooks/acme');
    await subscribe(notifier, '/hooks/globex', { token: GLOBEX_TOKEN });

    await notifier.jobs(sqsEvent([body(COMPLETED), body(FAILED)]), testContext());

    expect(receiver.to('/hooks/acme')).toHaveLength(2);
    expect(receiver.to('/hooks/globex')).toEqual([]);
  });

  it('calls a subscription only for the event types it chose', async () => {
    const notifier = createNotifier(ports);
    await subscribe(notifier, '/hooks/failures', { eventTypes: ['job.failed.v1'] });
    await subscribe(notifier, '/hooks/everything');

    const response = await notifier.jobs(sqsEvent([body(COMPLETED)]), testContext());

    expect(response.batchItemFailures).toEqual([]);
    expect(receiver.to('/hooks/failures')).toEqual([]);
    expect(receiver.to('/hooks/everything')).toHaveLength(1);

    await notifier.jobs(sqsEvent([body(FAILED)]), testContext());
    expect(receiver.to('/hooks/failures').map((request) => JSON.parse(request.body).type)).toEqual(['job.failed.v1']);
  });

  it('makes one attempt per delivery of the message: a 500 fails it for the queue to retry, the retry succeeds with the same webhook-id, and both attempts are recorded', async () => {
    const notifier = createNotifier(ports);
    const subscription = await subscribe(notifier, '/hooks/flaky');
    receiver.respond('/hooks/flaky', [500, 200]);

    const first = await notifier.jobs(sqsEvent([body(COMPLETED)]), testContext());
    expect(first.batchItemFailures).toEqual([{ itemIdentifier: 'message-1' }]);
    // No second try inside the invocation: the queue's backoff brings the message back.
    expect(receiver.to('/hooks/flaky')).toHaveLength(1);
    const response = await notifier.jobs(sqsEvent([body(COMPLETED)], { receiveCount: 2 }), testContext());

    expect(response.batchItemFailures).toEqual([]);
    const requests = receiver.to('/hooks/flaky');
    expect(requests).toHaveLength(2);
    expect(requests[1]!.headers['webhook-id']).toBe(requests[0]!.headers['webhook-id']);
    expect(() => new Webhook(subscription.secret).verify(requests[1]!.body, requests[1]!.headers)).not.toThrow();

    const recorded = await attempts(notifier, subscription.id);
    const { metadata } = fixture(COMPLETED).detail;
    // Newest first.
    expect(recorded).toEqual([
      expect.objectContaining({
        subscriptionId: subscription.id,
        eventId: metadata.eventId,
        eventType: 'job.completed.v1',
        jobId: metadata.jobId,
        attempt: 2,
        ok: true,
        statusCode: 200,
        error: null,
      }),
      expect.objectContaining({
        subscriptionId: subscription.id,
        eventId: metadata.eventId,
        attempt: 1,
        ok: false,
        statusCode: 500,
        error: 'HTTP 500',
      }),
    ]);
    // Exactly the attempt's fields: no storage keys.
    expect(Object.keys(recorded[0]!).sort()).toEqual([
      'at',
      'attempt',
      'durationMs',
      'error',
      'eventId',
      'eventType',
      'jobId',
      'ok',
      'statusCode',
      'subscriptionId',
    ]);
  });

  it('reports the message in batchItemFailures after one failed attempt, with the backoff of the queue', async () => {
    const notifier = createNotifier(ports);
    const subscription = await subscribe(notifier, '/hooks/down');
    receiver.respond('/hooks/down', [500]);

    const response = await notifier.jobs(sqsEvent([body(COMPLETED)]), testContext());

    expect(response.batchItemFailures).toEqual([{ itemIdentifier: 'message-1' }]);
    expect(response.retries[0]?.delaySeconds).toBeGreaterThanOrEqual(10);
    expect(receiver.to('/hooks/down')).toHaveLength(1);
    const recorded = await attempts(notifier, subscription.id);
    expect(recorded.map((attempt) => [attempt.attempt, attempt.ok, attempt.statusCode])).toEqual([[1, false, 500]]);
  });

  it('fails only the messages whose delivery failed in a batch', async () => {
    const notifier = createNotifier(ports);
    await subscribe(notifier, '/hooks/completed', { eventTypes: ['job.completed.v1'] });
    await subscribe(notifier, '/hooks/failed', { eventTypes: ['job.failed.v1'] });
    receiver.respond('/hooks/failed', [500]);

    const response = await notifier.jobs(sqsEvent([body(COMPLETED), body(FAILED)]), testContext());

    expect(response.batchItemFailures).toEqual([{ itemIdentifier: 'message-2' }]);
  });

  it('records an unreachable receiver as a failed attempt with the error', async () => {
    const notifier = createNotifier(ports);
    const subscription = await subscribe(notifier, '/hooks/gone');
    await receiver.stop();

    const response = await notifier.jobs(sqsEvent([body(COMPLETED)]), testContext());
    await receiver.start();

    expect(response.batchItemFailures).toEqual([{ itemIdentifier: 'message-1' }]);
    const [last] = await attempts(notifier, subscription.id);
    // Under Node: "fetch failed: ECONNREFUSED". Jest's sandbox gives fetch's errors another realm's Error, so the
    // handler only sees "TypeError: fetch failed" here.
    expect(last).toMatchObject({ ok: false, statusCode: null, error: expect.stringMatching(/fetch failed/) });
  });

  it('does not deliver again to a subscription already served when the message is redelivered', async () => {
    const notifier = createNotifier(ports);
    const served = await subscribe(notifier, '/hooks/served');
    const failing = await subscribe(notifier, '/hooks/failing');
    receiver.respond('/hooks/failing', [500, 200]);

    const first = await notifier.jobs(sqsEvent([body(COMPLETED)]), testContext());
    expect(first.batchItemFailures).toEqual([{ itemIdentifier: 'message-1' }]);
    expect(receiver.to('/hooks/served')).toHaveLength(1);
    expect(receiver.to('/hooks/failing')).toHaveLength(1);

    const second = await notifier.jobs(sqsEvent([body(COMPLETED)], { receiveCount: 2 }), testContext());

    expect(second.batchItemFailures).toEqual([]);
    expect(receiver.to('/hooks/served')).toHaveLength(1);
    expect(receiver.to('/hooks/failing')).toHaveLength(2);
    // An attempt's number is the delivery of the message it was made in.
    expect((await attempts(notifier, failing.id))[0]).toMatchObject({ attempt: 2, ok: true, statusCode: 200 });
    expect(await attempts(notifier, served.id)).toHaveLength(1);

    // And once everyone is served, a further redelivery calls no one.
    const third = await notifier.jobs(sqsEvent([body(COMPLETED)], { receiveCount: 3 }), testContext());
    expect(third.batchItemFailures).toEqual([]);
    expect(receiver.requests).toHaveLength(3);
  });

  it('reports a delivery that never succeeds as stage.failed.v1 on the last attempt (maxReceiveCount from service.json)', async () => {
    const notifier = createNotifier(ports);
    await subscribe(notifier, '/hooks/down');
    receiver.respond('/hooks/down', [503]);
    const maxReceiveCount = declaration.subscriptions.jobs.queue.maxReceiveCount;

    const response = await notifier.jobs(sqsEvent([body(FAILED)], { receiveCount: maxReceiveCount }), testContext());

    expect(response.batchItemFailures).toEqual([{ itemIdentifier: 'message-1' }]);
    const [failure] = ports.publisher.ofType('stage.failed.v1');
    expect(failure!.data).toMatchObject({
      service: 'notifier',
      subscription: 'jobs',
      eventType: 'job.failed.v1',
      retryable: true,
      attempts: maxReceiveCount,
    });
  });

  it('does nothing for a tenant without subscriptions', async () => {
    const notifier = createNotifier(ports);
    await subscribe(notifier, '/hooks/globex', { token: GLOBEX_TOKEN });

    const response = await notifier.jobs(sqsEvent([body(COMPLETED)]), testContext());

    expect(response.batchItemFailures).toEqual([]);
    expect(receiver.requests).toEqual([]);
    expect(ports.publisher.entries).toEqual([]);
  });
});
