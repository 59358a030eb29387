import type { Table } from '@refinery/ports';
import { createTestPorts, type TestPorts } from '@refinery/test-support';
import { CIRCUIT_PARTITION, CircuitRecorder, type CircuitTransition, readCircuitRecords, thisCircuitWriter } from '../src';

// The matcher's record of its circuits' transitions, as `refinery status` reads it back (the local data dir's SQLite
// here; DynamoDB in test/e2e/dlq-cli.test.ts).

const WRITER = { description: 'pid 4242 on host-a', host: 'host-a', pid: 4242 };
const AT = Date.parse('2026-12-07T12:00:00.000Z');

function transition(provider: string, from: CircuitTransition['from'], to: CircuitTransition['to'], at: number, reason: string): CircuitTransition {
  return { provider, from, to, at, reason };
}

describe('CircuitRecorder', () => {
  let ports: TestPorts;
  beforeEach(() => {
    ports = createTestPorts();
  });
  afterEach(() => ports.cleanup());

  it("keeps each provider's latest transition, written in the order they happened, and reads them back by provider", async () => {
    const table = ports.table('providerLimits');
    const recorder = new CircuitRecorder({ table, writer: WRITER });
    recorder.observe(transition('pdl', 'closed', 'open', AT, '5 consecutive failed calls, the last: HTTP 503'));
    recorder.observe(transition('pdl', 'open', 'half-open', AT + 30_000, 'cool-down of 30000 ms over: one trial call let through'));
    recorder.observe(transition('pdl', 'half-open', 'open', AT + 30_500, 'the trial call failed: HTTP 502'));
    recorder.observe(transition('crm', 'closed', 'open', AT + 1000, '5 consecutive failed calls, the last: a timeout after 10000 ms'));
    await recorder.settled();

    expect(await readCircuitRecords(table)).toEqual([
      {
        provider: 'crm',
        state: 'open',
        from: 'closed',
        since: '2026-12-07T12:00:01.000Z',
        reason: '5 consecutive failed calls, the last: a timeout after 10000 ms',
        writer: WRITER,
      },
      {
        provider: 'pdl',
        state: 'open',
        from: 'half-open',
        since: '2026-12-07T12:00:30.500Z',
        reason: 'the trial call failed: HTTP 502',
        writer: WRITER,
      },
    ]);
    // Beside the rate schedules (`provider-rate#…`), in a partition of its own.
    expect((await table.query(CIRCUIT_PARTITION)).items.map((item) => item.sk)).toEqual(['crm', 'pdl']);
  });

  it('logs a write that fails as a warning, and records the transitions after it', async () => {
    const table = ports.table('providerLimits');
    let refuse = true;
    // The data dir's table, but for its puts while `refuse` holds.
    const flaky: Table = new Proxy(table, {
      get: (target, property, receiver) =>
        property === 'put' && refuse
          ? async () => Promise.reject(new Error('ProvisionedThroughputExceededException'))
          : Reflect.get(target, property, receiver),
    });
    const warnings: { fields: Record<string, unknown>; message: string }[] = [];
    const recorder = new CircuitRecorder({ table: flaky, writer: WRITER, logger: { warn: (fields, message) => warnings.push({ fields, message }) } });
    recorder.observe(transition('pdl', 'closed', 'open', AT, 'down'));
    await recorder.settled();
    expect(warnings).toEqual([
      {
        fields: { provider: 'pdl', state: 'open', err: new Error('ProvisionedThroughputExceededException') },
        message: 'could not record that the pdl circuit is open (refinery status will not show it)',
      },
    ]);
    refuse = false;
    recorder.observe(transition('pdl', 'open', 'half-open', AT + 1, 'cool-down over'));
    await recorder.settled();
    expect((await readCircuitRecords(table)).map((record) => record.state)).toEqual(['half-open']);
  });

  it('names this process as the writer: its pid, or the Lambda container by its log stream', () => {
    expect(thisCircuitWriter({})).toEqual({
      description: expect.stringMatching(new RegExp(`^pid ${process.pid} on .+$`)),
      host: expect.any(String),
      pid: process.pid,
    });
    expect(thisCircuitWriter({ AWS_LAMBDA_LOG_STREAM_NAME: '2026/12/07/[$LATEST]abc123' }).description).toBe('container 2026/12/07/[$LATEST]abc123');
  });
});
