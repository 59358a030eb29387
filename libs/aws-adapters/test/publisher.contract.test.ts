import { randomUUID } from 'node:crypto';
import { EventBridgeClient } from '@aws-sdk/client-eventbridge';
import { describePublisherContract } from '@refinery/port-contracts/src/publisher';
import type { PublishEntry } from '@refinery/ports';
import nock from 'nock';
import { EventBridgePublisher } from '../src/event-bridge-publisher';

// EventBridge has no emulator: the AWS family of the publisher contract runs against a stand-in at the wire level
// (nock), which answers PutEvents as the API reference documents it and enforces its limits, so that a request
// EventBridge would refuse fails the contract here too.

const REGION = 'us-east-1';
const ENDPOINT = `https://events.${REGION}.amazonaws.com`;
const BUS = 'refinery-contract';
const MAX_EVENT_BYTES = 256 * 1024;

interface WireEntry {
  Source?: string;
  DetailType?: string;
  Detail?: string;
  EventBusName?: string;
}

beforeAll(() => nock.disableNetConnect());
afterAll(() => {
  nock.cleanAll();
  nock.enableNetConnect();
  nock.restore();
});

describePublisherContract('EventBridgePublisher (PutEvents over nock)', async () => {
  const accepted: PublishEntry[] = [];
  nock(ENDPOINT)
    .persist()
    .post('/')
    .matchHeader('x-amz-target', 'AWSEvents.PutEvents')
    .matchHeader('content-type', 'application/x-amz-json-1.1')
    .reply((_uri, body) => {
      const entries = ((typeof body === 'string' ? JSON.parse(body) : body) as { Entries?: WireEntry[] }).Entries ?? [];
      if (entries.length < 1 || entries.length > 10) return validationError(`Entries must have length between 1 and 10, got ${entries.length}`);
      const total = entries.reduce((sum, entry) => sum + size(entry), 0);
      if (total > MAX_EVENT_BYTES) return validationError(`Total size of the entries in the request is over the limit (${total} bytes)`);
      const results = entries.map((entry) => {
        if (entry.EventBusName !== BUS) return { ErrorCode: 'InvalidArgument', ErrorMessage: `unknown bus ${entry.EventBusName}` };
        if (!isJsonObject(entry.Detail)) return { ErrorCode: 'MalformedDetail', ErrorMessage: 'Detail is malformed.' };
        accepted.push({ source: entry.Source ?? '', detailType: entry.DetailType ?? '', detail: entry.Detail ?? '' });
        return { EventId: randomUUID() };
      });
      const failed = results.filter((result) => 'ErrorCode' in result).length;
      return [200, { FailedEntryCount: failed, Entries: results }, { 'content-type': 'application/x-amz-json-1.1' }];
    });
  const client = new EventBridgeClient({ region: REGION, credentials: { accessKeyId: 'test', secretAccessKey: 'test' }, maxAttempts: 1 });
  return {
    publisher: new EventBridgePublisher({ client, eventBusName: BUS, maxAttempts: 1 }),
    accepted: async () => [...accepted],
    cleanup: async () => {
      nock.cleanAll();
      client.destroy();
    },
  };
});

function size(entry: WireEntry): number {
  return Buffer.byteLength(entry.Source ?? '') + Buffer.byteLength(entry.DetailType ?? '') + Buffer.byteLength(entry.Detail ?? '');
}

function isJsonObject(text: string | undefined): boolean {
  try {
    const value: unknown = JSON.parse(text ?? '');
    return value !== null && typeof value === 'object' && !Array.isArray(value);
  } catch {
    return false;
  }
}

function validationError(message: string): [number, Record<string, string>, Record<string, string>] {
  return [400, { __type: 'ValidationException', message }, { 'content-type': 'application/x-amz-json-1.1' }];
}
