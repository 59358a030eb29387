import { type Item, queryAll, type Table } from '@refinery/ports';
import { type LeaseInfo, type LimiterClock, limiterPartitionKey, slotSortKey, TableKeyedLimiter, type TableKeyedLimiterOptions } from '../src';

// One suite, run against LocalTable (SQLite) and DynamoTable (dynalite): several limiter instances (as several Lambda
// containers would be) share one table. Real time throughout, but no assertion on durations: only on order and counts.

export interface LimiterSubject {
  /** An empty table. */
  readonly table: Table;
  /** Every item of the table as stored, as text (to look for a key in clear). */
  dump(): Promise<string>;
  cleanup(): Promise<void>;
}

/** Generous: dynalite (in this process) manages a few hundred requests a second on a loaded 2-core machine. */
const TEST_TIMEOUT_MS = 60_000;
/** 24 tasks through 3 slots: about a thousand requests on dynalite. */
const CONTENTION_TIMEOUT_MS = 180_000;
/**
 * Tasks each of the three instances runs in the contention test: 24 for 3 slots, 8 waiting for each slot, is contention
 * enough to show the limit held and used. Not 20 each (60) as this once was: every waiter polls the table, so the cost
 * grows with waiters times waiting, and 60 made this file the most CPU of the unit tests on dynalite (13 CPU-s).
 */
const TASKS_PER_INSTANCE = 8;

/** Mailchimp API key shape: 32 hex characters, a dash, the data center. */
const API_KEY = '0123456789abcdef0123456789abcdef-us21';

/** Fast polling keeps the tests short. */
const QUICK: Partial<TableKeyedLimiterOptions> = { pollMs: 10, maxPollMs: 60 };

interface Deferred<T = void> {
  readonly promise: Promise<T>;
  resolve(value: T): void;
}

function deferred<T = void>(): Deferred<T> {
  let resolve!: (value: T) => void;
  const promise = new Promise<T>((r) => (resolve = r));
  return { promise, resolve };
}

const delay = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

/** Waits until `check` holds (polling), or fails naming what it waited for. */
async function eventually(what: string, check: () => boolean | Promise<boolean>, timeoutMs = 30_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await delay(10);
  }
}

/** A real clock whose sleeps hang until `open()`: an instance that stopped running (its renewals, its polling). */
function stalledClock(): LimiterClock & { open(): void } {
  let opened = false;
  const parked: Array<() => void> = [];
  return {
    now: () => Date.now(),
    sleep: (ms) =>
      opened
        ? delay(ms)
        : new Promise<void>((resolve) => {
            parked.push(() => void delay(ms).then(resolve));
          }),
    open: () => {
      opened = true;
      for (const wake of parked.splice(0)) wake();
    },
  };
}

export function describeKeyedLimiterSuite(name: string, setup: () => Promise<LimiterSubject>): void {
  describe(`TableKeyedLimiter on ${name}`, () => {
    let subject: LimiterSubject;
    let table: Table;

    beforeEach(async () => {
      subject = await setup();
      table = subject.table;
    });
    afterEach(async () => {
      await subject.cleanup();
    });

    const limiter = (options: Partial<TableKeyedLimiterOptions> = {}) => new TableKeyedLimiter({ table, ...QUICK, ...options });

    async function partition(key: string): Promise<Item[]> {
      const items: Item[] = [];
      for await (const item of queryAll(table, limiterPartitionKey(key))) items.push(item);
      return items;
    }
    const tickets = async (key: string) => (await partition(key)).filter((item) => item.sk.startsWith('ticket#'));
    const liveLeases = async (key: string) =>
      (await partition(key)).filter(
        (item) => item.sk.startsWith('slot#') && typeof item.leaseId === 'string' && (item.expiresAt as number) > Date.now(),
      );

    it(
      'keeps at most `limit` tasks in flight for a key across three instances, and uses that concurrency',
      async () => {
        const limit = 3;
        const instances = ['a', 'b', 'c'].map((holderId) => limiter({ limit, holderId }));
        let inFlight = 0;
        let mostInFlight = 0;
        const ranOn = new Map<string, number>();
        const runs = instances.flatMap((instance) =>
          Array.from({ length: TASKS_PER_INSTANCE }, (_unused, index) =>
            instance.run(API_KEY, async (lease) => {
              inFlight += 1;
              mostInFlight = Math.max(mostInFlight, inFlight);
              ranOn.set(lease.holderId, (ranOn.get(lease.holderId) ?? 0) + 1);
              expect(lease.slot).toBeGreaterThanOrEqual(0);
              expect(lease.slot).toBeLessThan(limit);
              await delay(3 + (index % 3));
              inFlight -= 1;
              return index;
            }),
          ),
        );
        const results = await Promise.all(runs);
        expect(results).toHaveLength(3 * TASKS_PER_INSTANCE);
        expect(mostInFlight).toBeLessThanOrEqual(limit);
        expect(mostInFlight).toBeGreaterThan(1);
        expect([...ranOn.entries()].sort()).toEqual([
          ['a', TASKS_PER_INSTANCE],
          ['b', TASKS_PER_INSTANCE],
          ['c', TASKS_PER_INSTANCE],
        ]);
        // Everything given back: no live lease, no ticket left behind.
        expect(await liveLeases(API_KEY)).toEqual([]);
        expect(await tickets(API_KEY)).toEqual([]);
      },
      CONTENTION_TIMEOUT_MS,
    );

    it(
      'does not let one key block another',
      async () => {
        const instance = limiter({ limit: 1 });
        const gate = deferred();
        const holding = instance.run('key-1', () => gate.promise);
        await eventually('key-1 held', async () => (await liveLeases('key-1')).length === 1);
        await expect(instance.run('key-2', async () => 'done')).resolves.toBe('done');
        expect(await liveLeases('key-1')).toHaveLength(1);
        gate.resolve();
        await holding;
      },
      TEST_TIMEOUT_MS,
    );

    it(
      'frees the slot when the task throws, and rejects with the task’s error',
      async () => {
        const instance = limiter({ limit: 1 });
        const failure = new Error('Mailchimp said no');
        await expect(instance.run(API_KEY, async () => Promise.reject(failure))).rejects.toBe(failure);
        expect(await liveLeases(API_KEY)).toEqual([]);
        // The next caller gets the slot at once (the lease, 30 s by default, was not left to expire).
        await expect(instance.run(API_KEY, async (lease) => lease.slot)).resolves.toBe(0);
      },
      TEST_TIMEOUT_MS,
    );

    it(
      'gives a crashed holder’s slot to another instance once its lease expires, and tells the old holder it lost it',
      async () => {
        const warnings: Array<{ details: object; message: string }> = [];
        const crashedClock = stalledClock();
        // Instance A "crashes" while holding: its renewals hang (stalled clock) and its task does not end.
        const a = limiter({
          limit: 1,
          leaseMs: 400,
          holderId: 'a',
          clock: crashedClock,
          logger: { warn: (details, message) => warnings.push({ details, message }) },
        });
        const b = limiter({ limit: 1, holderId: 'b' });
        const aTask = deferred<string>();
        let aLease: LeaseInfo | undefined;
        const aRun = a.run(API_KEY, async (lease) => {
          aLease = lease;
          return aTask.promise;
        });
        await eventually('A holds the slot', () => aLease !== undefined);

        const bStarted = deferred();
        const bTask = deferred();
        let bLease: LeaseInfo | undefined;
        const bRun = b.run(API_KEY, async (lease) => {
          bLease = lease;
          bStarted.resolve();
          await bTask.promise;
          return 'b done';
        });
        await bStarted.promise;
        expect(bLease?.slot).toBe(aLease?.slot);
        expect(aLease?.lost).toBe(false); // A has not found out yet: it is not running.
        const [slot] = (await partition(API_KEY)).filter((item) => item.sk === slotSortKey(0));
        expect(slot).toMatchObject({ holder: 'b', leaseId: bLease?.leaseId });

        // A wakes up: its next renewal finds the lease taken over.
        crashedClock.open();
        await eventually('A to notice', () => aLease?.lost === true);
        expect(aLease?.signal.aborted).toBe(true);
        expect(aLease?.signal.reason).toMatchObject({ name: 'LeaseLostError' });
        expect(warnings.map((warning) => warning.message)).toEqual([expect.stringContaining('taken over')]);
        expect(JSON.stringify(warnings)).not.toContain(API_KEY);

        // A's task is let finish; its release must not free B's slot.
        aTask.resolve('a done');
        await expect(aRun).resolves.toBe('a done');
        expect(await liveLeases(API_KEY)).toEqual([expect.objectContaining({ holder: 'b', leaseId: bLease?.leaseId })]);
        bTask.resolve();
        await expect(bRun).resolves.toBe('b done');
        expect(await liveLeases(API_KEY)).toEqual([]);
      },
      TEST_TIMEOUT_MS,
    );

    it(
      'serves waiters first come, first served across instances',
      async () => {
        const [a, b, c] = ['a', 'b', 'c'].map((holderId) => limiter({ limit: 1, holderId })) as [
          TableKeyedLimiter,
          TableKeyedLimiter,
          TableKeyedLimiter,
        ];
        const order: string[] = [];
        const gate = deferred();
        const holding = a.run(API_KEY, async () => {
          order.push('holder');
          await gate.promise;
        });
        await eventually('the holder to start', () => order.length === 1);
        const task = (name: string) => async () => {
          order.push(name);
          await delay(5);
        };
        // Registered one after the other (each ticket stored before the next waiter comes; a few ms apart, since
        // tickets are ordered by registration millisecond). W3 runs on the holder's instance, which wakes its own
        // waiters first when the holder releases: W3 must still let W1 and W2 go first.
        const w1 = b.run(API_KEY, task('W1'));
        await eventually('W1 queued', async () => (await tickets(API_KEY)).length === 1);
        await delay(5);
        const w2 = c.run(API_KEY, task('W2'));
        await eventually('W2 queued', async () => (await tickets(API_KEY)).length === 2);
        await delay(5);
        const w3 = a.run(API_KEY, task('W3'));
        await eventually('W3 queued', async () => (await tickets(API_KEY)).length === 3);
        gate.resolve();
        await Promise.all([holding, w1, w2, w3]);
        expect(order).toEqual(['holder', 'W1', 'W2', 'W3']);
        expect(await tickets(API_KEY)).toEqual([]);
      },
      TEST_TIMEOUT_MS,
    );

    it(
      'rejects a waiter whose signal aborts, withdraws its ticket, and does not hold up the waiters behind it',
      async () => {
        const [a, b, c] = ['a', 'b', 'c'].map((holderId) => limiter({ limit: 1, holderId })) as [
          TableKeyedLimiter,
          TableKeyedLimiter,
          TableKeyedLimiter,
        ];
        const gate = deferred();
        let holderStarted = false;
        const holding = a.run(API_KEY, async () => {
          holderStarted = true;
          await gate.promise;
        });
        await eventually('the holder to start', () => holderStarted);
        const controller = new AbortController();
        let abortedRan = false;
        const aborted = b.run(
          API_KEY,
          async () => {
            abortedRan = true;
          },
          { signal: controller.signal },
        );
        await eventually('the first waiter queued', async () => (await tickets(API_KEY)).length === 1);
        const later = c.run(API_KEY, async () => 'later ran');
        await eventually('the second waiter queued', async () => (await tickets(API_KEY)).length === 2);

        controller.abort();
        await expect(aborted).rejects.toMatchObject({ name: 'AbortError' });
        expect(await tickets(API_KEY)).toHaveLength(1);
        gate.resolve();
        await holding;
        await expect(later).resolves.toBe('later ran');
        expect(abortedRan).toBe(false);
        expect(await tickets(API_KEY)).toEqual([]);

        // Aborted before it starts: rejects without writing anything.
        await expect(a.run('untouched', async () => 'no', { signal: AbortSignal.abort() })).rejects.toMatchObject({ name: 'AbortError' });
        expect(await partition('untouched')).toEqual([]);
      },
      TEST_TIMEOUT_MS,
    );

    it(
      'ignores, then removes, the ticket of a waiter that crashed while queued',
      async () => {
        const holderInstance = limiter({ limit: 1, holderId: 'holder' });
        // The crashed waiter stops running right after queueing: its sleeps never end, so it never refreshes.
        const crashed = limiter({ limit: 1, holderId: 'crashed', ticketMs: 300, pollMs: 10, maxPollMs: 50, clock: stalledClock() });
        const other = limiter({ limit: 1, holderId: 'other' });
        const gate = deferred();
        let holderStarted = false;
        const holding = holderInstance.run(API_KEY, async () => {
          holderStarted = true;
          await gate.promise;
        });
        await eventually('the holder to start', () => holderStarted);
        let crashedRan = false;
        void crashed.run(API_KEY, async () => {
          crashedRan = true;
        });
        await eventually('the crashed waiter queued', async () => (await tickets(API_KEY)).length === 1);
        await delay(5);
        const waiting = other.run(API_KEY, async () => 'served');
        await eventually('the live waiter queued', async () => (await tickets(API_KEY)).length === 2);
        gate.resolve();
        await holding;
        await expect(waiting).resolves.toBe('served');
        expect(crashedRan).toBe(false);
        expect(await tickets(API_KEY)).toEqual([]);
      },
      TEST_TIMEOUT_MS,
    );

    it(
      'renews a long task’s lease so that it keeps its slot past leaseMs',
      async () => {
        const leaseMs = 1_200;
        const a = limiter({ limit: 1, leaseMs, holderId: 'a' });
        const b = limiter({ limit: 1, holderId: 'b' });
        const order: string[] = [];
        let aLease: LeaseInfo | undefined;
        const aRun = a.run(API_KEY, async (lease) => {
          aLease = lease;
          order.push('A start');
          // Hold the slot well past one lease: until the lease has been renewed at least twice and more than two
          // lease lengths have gone by since it was taken.
          await eventually('two renewals', async () => {
            const [slot] = (await partition(API_KEY)).filter((item) => item.sk === slotSortKey(lease.slot));
            return (slot?.version as number) >= 3 && Date.now() > lease.acquiredAt + 2 * leaseMs;
          });
          order.push('A end');
        });
        await eventually('A to start', () => order.length === 1);
        const bRun = b.run(API_KEY, async () => {
          order.push('B start');
        });
        await Promise.all([aRun, bRun]);
        expect(order).toEqual(['A start', 'A end', 'B start']);
        expect(aLease?.lost).toBe(false);
        expect(aLease?.expiresAt).toBeGreaterThan((aLease?.acquiredAt ?? 0) + leaseMs);
      },
      TEST_TIMEOUT_MS,
    );

    it(
      'takes a per-key limit from limitFor',
      async () => {
        const instance = limiter({ limitFor: (key) => (key === 'two' ? 2 : 1) });
        const mostInFlight = async (key: string) => {
          let inFlight = 0;
          let most = 0;
          await Promise.all(
            Array.from({ length: 8 }, () =>
              instance.run(key, async () => {
                inFlight += 1;
                most = Math.max(most, inFlight);
                await delay(5);
                inFlight -= 1;
              }),
            ),
          );
          return most;
        };
        expect(await mostInFlight('two')).toBe(2);
        expect(await mostInFlight('one')).toBe(1);
        await expect(limiter({ limitFor: () => 0 }).run('k', async () => 'never')).rejects.toThrow(/limitFor/);
      },
      TEST_TIMEOUT_MS,
    );

    it(
      'never writes the key in clear: partitions are named by its hash',
      async () => {
        const instance = limiter({ limit: 1 });
        const gate = deferred();
        let started = false;
        const holding = instance.run(API_KEY, async () => {
          started = true;
          await gate.promise;
        });
        await eventually('the holder to start', () => started);
        const waiting = instance.run(API_KEY, async () => undefined);
        await eventually('a waiter queued', async () => (await tickets(API_KEY)).length === 1);
        // While a slot is held and a ticket waits, and after everything is done.
        const during = await subject.dump();
        gate.resolve();
        await Promise.all([holding, waiting]);
        const after = await subject.dump();
        for (const dump of [during, after]) {
          expect(dump).toContain(limiterPartitionKey(API_KEY));
          expect(dump).not.toContain(API_KEY);
          expect(dump).not.toContain(API_KEY.slice(0, 32));
        }
        expect(limiterPartitionKey(API_KEY)).toMatch(/^limiter#[0-9a-f]{32}$/);
      },
      TEST_TIMEOUT_MS,
    );
  });
}
