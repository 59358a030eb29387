import { EventBridgeClient } from '@aws-sdk/client-eventbridge';
import type { PublishEntry } from '@refinery/ports';
import nock from 'nock';
import { EventBridgePublisher, type EventBridgePublisherOptions } from '../src/event-bridge-publisher';

// What the publisher contract cannot show: how a publish is cut into PutEvents requests, and what is resent when.
// Each test scripts EventBridge's answers, one per request, at the wire level.

const REGION = 'eu-west-1';
const ENDPOINT = `https://events.${REGION}.amazonaws.com`;
const BUS = 'refinery-test';
const JSON_HEADERS = { 'content-type': 'application/x-amz-json-1.1' };

interface WireEntry {
  Source: string;
  DetailType: string;
  Detail: string;
  EventBusName: string;
}
type ResultEntry = { EventId: string } | { ErrorCode: string; ErrorMessage: string };
type Answer =
  | { results: (entries: WireEntry[]) => ResultEntry[] }
  | { status: number; body: Record<string, string> | string }
  | { networkError: string };

const accept: Answer = { results: (entries) => entries.map((_, index) => ({ EventId: `id-${index}` })) };
/** Accepts every entry but those at `failing`, which fail with `code`. */
const failAt = (code: string, ...failing: number[]): Answer => ({
  results: (entries) =>
    entries.map((_, index) => (failing.includes(index) ? { ErrorCode: code, ErrorMessage: `${code} message` } : { EventId: `id-${index}` })),
});

const failAll = (code: string): Answer => ({ results: (entries) => entries.map(() => ({ ErrorCode: code, ErrorMessage: `${code} message` })) });

/** Answers the next requests in order; returns the entries of every request made. */
function script(...answers: Answer[]): WireEntry[][] {
  const requests: WireEntry[][] = [];
  for (const answer of answers) {
    const interceptor = nock(ENDPOINT)
      .post('/', (body: { Entries: WireEntry[] }) => {
        requests.push(body.Entries);
        return true;
      })
      .matchHeader('x-amz-target', 'AWSEvents.PutEvents');
    if ('networkError' in answer) {
      // An Error with a code, as Node gives it; the SDK reports it as a TimeoutError with that code.
      interceptor.replyWithError(Object.assign(new Error(`read ${answer.networkError}`), { code: answer.networkError }));
    } else if ('status' in answer) {
      interceptor.reply(answer.status, answer.body, JSON_HEADERS);
    } else {
      interceptor.reply(
        200,
        (_uri, body) => {
          // The SDK sends application/x-amz-json-1.1, which nock hands over as text.
          const request = (typeof body === 'string' ? JSON.parse(body) : body) as { Entries: WireEntry[] };
          const results = answer.results(request.Entries);
          return { FailedEntryCount: results.filter((result) => 'ErrorCode' in result).length, Entries: results };
        },
        JSON_HEADERS,
      );
    }
  }
  return requests;
}

function publisher(options: Partial<EventBridgePublisherOptions> = {}): { publisher: EventBridgePublisher; sleeps: number[] } {
  const sleeps: number[] = [];
  const client = new EventBridgeClient({ region: REGION, credentials: { accessKeyId: 'test', secretAccessKey: 'test' }, maxAttempts: 1 });
  clients.push(client);
  return {
    publisher: new EventBridgePublisher({
      client,
      eventBusName: BUS,
      random: () => 0.5,
      sleep: async (ms) => {
        sleeps.push(ms);
      },
      ...options,
    }),
    sleeps,
  };
}

function entries(count: number, padBytes = 0): PublishEntry[] {
  return Array.from({ length: count }, (_, index) => ({
    source: 'refinery.test',
    detailType: `thing.happened.v${index}`,
    detail: JSON.stringify({ index, pad: 'p'.repeat(padBytes) }),
  }));
}

const detailTypes = (request: WireEntry[] | undefined): string[] => (request ?? []).map((entry) => entry.DetailType);
const clients: EventBridgeClient[] = [];

beforeAll(() => nock.disableNetConnect());
afterEach(() => {
  const pending = nock.pendingMocks();
  nock.cleanAll();
  for (const client of clients.splice(0)) client.destroy();
  expect(pending).toEqual([]);
});
afterAll(() => {
  nock.enableNetConnect();
  nock.restore();
});

describe('EventBridgePublisher: requests', () => {
  it('sends at most 10 entries per PutEvents request, in order, each naming the bus', async () => {
    const requests = script(accept, accept, accept);
    await publisher().publisher.publish(entries(25));
    expect(requests.map((request) => request.length)).toEqual([10, 10, 5]);
    expect(requests.flatMap(detailTypes)).toEqual(entries(25).map((entry) => entry.detailType));
    expect(requests.flat().every((entry) => entry.EventBusName === BUS && entry.Source === 'refinery.test')).toBe(true);
  });

  it('keeps each request within 256 KB, counted as EventBridge counts entries', async () => {
    const requests = script(accept, accept, accept);
    // Five entries of a little over 100 KB: two fit in a request, a third would not.
    await publisher().publisher.publish(entries(5, 100 * 1024));
    expect(requests.map((request) => request.length)).toEqual([2, 2, 1]);
    for (const request of requests) {
      const bytes = request.reduce((sum, entry) => sum + Buffer.byteLength(entry.Source + entry.DetailType + entry.Detail), 0);
      expect(bytes).toBeLessThanOrEqual(256 * 1024);
    }
  });

  it('sends nothing when one entry of the publish could never be accepted', async () => {
    const requests = script();
    const tooBig = { source: 'refinery.test', detailType: 'too.big.v1', detail: JSON.stringify({ pad: 'x'.repeat(256 * 1024) }) };
    await expect(publisher().publisher.publish([...entries(12), tooBig])).rejects.toThrow(
      /too\.big\.v1 is \d+ bytes; EventBridge accepts at most 262144/,
    );
    expect(requests).toEqual([]);
  });
});

describe('EventBridgePublisher: retries', () => {
  it('resends only the entries EventBridge reports as failed, after a jittered backoff, before the next request', async () => {
    const requests = script(failAt('ThrottlingException', 1, 3), failAt('InternalFailure', 0), accept, accept);
    const { publisher: subject, sleeps } = publisher();
    await subject.publish(entries(12));
    expect(requests.map(detailTypes)).toEqual([
      detailTypes(requests[0]),
      ['thing.happened.v1', 'thing.happened.v3'],
      ['thing.happened.v1'],
      ['thing.happened.v10', 'thing.happened.v11'],
    ]);
    expect(requests[0]).toHaveLength(10);
    // Full jitter with random() = 0.5: half of 100 ms, then half of 200 ms.
    expect(sleeps).toEqual([50, 100]);
  });

  it('resends an entry that has no result in the answer', async () => {
    const requests = script({ results: () => [{ EventId: 'only-first' }] }, accept);
    await publisher().publisher.publish(entries(3));
    expect(requests.map(detailTypes)).toEqual([detailTypes(requests[0]), ['thing.happened.v1', 'thing.happened.v2']]);
  });

  it('backs off exponentially up to maxDelayMs and gives up after maxAttempts, naming how many entries failed and why', async () => {
    const throttled = failAll('ThrottlingException');
    const requests = script(failAt('ThrottlingException', 0, 2), throttled, throttled, throttled, throttled, throttled);
    const { publisher: subject, sleeps } = publisher({ maxDelayMs: 300 });
    await expect(subject.publish(entries(3))).rejects.toThrow(
      'EventBridge PutEvents: 2 of 3 entries still failed after 6 attempts: 2 × ThrottlingException (ThrottlingException message)',
    );
    expect(requests).toHaveLength(6);
    expect(sleeps).toEqual([50, 100, 150, 150, 150]);
  });

  it('keeps each delay random between 0 and the exponential bound (full jitter)', async () => {
    const throttled = failAll('ThrottlingException');
    script(throttled, throttled, throttled, accept);
    const randoms = [0, 0.999, 0.25];
    const { publisher: subject, sleeps } = publisher({ baseDelayMs: 40, random: () => randoms.shift() ?? 0 });
    await subject.publish(entries(1));
    expect(sleeps).toEqual([0, 0.999 * 80, 0.25 * 160]);
  });

  it('retries a whole call that failed with a 5xx, throttling or the network, with the same backoff', async () => {
    const requests = script(
      { status: 500, body: { __type: 'InternalException', message: 'internal' } },
      { status: 400, body: { __type: 'ThrottlingException', message: 'Rate exceeded' } },
      { networkError: 'ECONNRESET' },
      { status: 503, body: 'Service Unavailable' },
      accept,
    );
    const { publisher: subject, sleeps } = publisher();
    await subject.publish(entries(4));
    expect(requests.map((request) => request.length)).toEqual([4, 4, 4, 4, 4]);
    expect(sleeps).toEqual([50, 100, 200, 400]);
  });

  it('gives up on whole-call failures after maxAttempts', async () => {
    const down: Answer = { status: 503, body: { __type: 'ServiceUnavailable', message: 'down' } };
    script(down, down);
    await expect(publisher({ maxAttempts: 2 }).publisher.publish(entries(3))).rejects.toThrow(
      'EventBridge PutEvents: 3 of 3 entries still failed after 2 attempts: 3 × ServiceUnavailable (down)',
    );
  });

  it('throws at once, naming the code and the detail-type, when an entry fails for a reason a resend cannot fix', async () => {
    const requests = script(failAt('MalformedDetail', 2));
    const { publisher: subject, sleeps } = publisher();
    await expect(subject.publish(entries(4))).rejects.toThrow(
      'EventBridge refused event thing.happened.v2 with MalformedDetail: MalformedDetail message',
    );
    expect(requests).toHaveLength(1);
    expect(sleeps).toEqual([]);
  });

  it.each([
    ['ValidationException', 400],
    ['AccessDeniedException', 400],
    ['ResourceNotFoundException', 400],
  ])('throws at once, naming the code, when the whole call fails with %s', async (code, status) => {
    const requests = script({ status, body: { __type: code, message: 'no' } });
    const { publisher: subject, sleeps } = publisher();
    await expect(subject.publish(entries(2))).rejects.toThrow(`EventBridge PutEvents failed with ${code}: no`);
    expect(requests).toHaveLength(1);
    expect(sleeps).toEqual([]);
  });

  it('refuses a maxAttempts below one', () => {
    expect(() => publisher({ maxAttempts: 0 })).toThrow('maxAttempts must be a positive integer');
  });
});
