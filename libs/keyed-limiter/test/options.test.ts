import { createTestPorts, type TestPorts } from '@refinery/test-support';
import { hashLimiterKey, type KeyedLimiter, limiterPartitionKey, TableKeyedLimiter } from '../src';

let ports: TestPorts;
beforeEach(() => {
  ports = createTestPorts();
});
afterEach(() => ports.cleanup());

describe('TableKeyedLimiter options', () => {
  it.each([0, -1, 1.5, Number.NaN, 1001])('refuses limit %p, naming the option', (limit) => {
    expect(() => new TableKeyedLimiter({ table: ports.table('t'), limit })).toThrow(/limit must be an integer from 1 to 1000/);
  });

  it.each(['leaseMs', 'pollMs', 'maxPollMs', 'ticketMs'] as const)('refuses a non-positive %s, naming it', (option) => {
    expect(() => new TableKeyedLimiter({ table: ports.table('t'), [option]: 0 })).toThrow(new RegExp(`${option} must be a positive number`));
  });

  it('refuses a ticket lifetime that waiters could not keep refreshed, and maxPollMs below pollMs', () => {
    expect(() => new TableKeyedLimiter({ table: ports.table('t'), maxPollMs: 500, ticketMs: 1_000 })).toThrow(
      /ticketMs \(1000\) must be more than twice maxPollMs/,
    );
    expect(() => new TableKeyedLimiter({ table: ports.table('t'), pollMs: 100, maxPollMs: 50 })).toThrow(/maxPollMs \(50\) must not be below pollMs/);
  });

  it('accepts a pino logger, and is usable as the structural { run(key, task) } callers depend on', async () => {
    const limiter: KeyedLimiter = new TableKeyedLimiter({ table: ports.table('t'), logger: ports.logger, holderId: 'instance-1' });
    const client: { run<T>(key: string, task: () => Promise<T>): Promise<T> } = limiter;
    await expect(client.run('key', async () => 42)).resolves.toBe(42);
  });

  it('names partitions by the first 32 hex characters of the key’s sha256', () => {
    // sha256("abc") = ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad
    expect(hashLimiterKey('abc')).toBe('ba7816bf8f01cfea414140de5dae2223');
    expect(limiterPartitionKey('abc')).toBe('limiter#ba7816bf8f01cfea414140de5dae2223');
  });
});
