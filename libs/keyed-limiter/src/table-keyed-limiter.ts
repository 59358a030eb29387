import { randomBytes, randomUUID } from 'node:crypto';
import { type Condition, ConditionFailedError, type Item, type ItemKey, type Metrics, queryAll, type Table } from '@refinery/ports';
import { type KeyedLimiter, type LeaseInfo, LeaseLostError, LimiterAbortedError, type RunOptions } from './keyed-limiter';
import { hashLimiterKey, MAX_LIMIT, PARTITION_PREFIX, type SlotView, ticketSortKey, viewPartition } from './layout';

/** Time as the limiter sees it: leases and tickets expire by the clock of the instance reading them. */
export interface LimiterClock {
  /** Epoch milliseconds. */
  now(): number;
  sleep(ms: number): Promise<void>;
}

/** The part of a pino logger the limiter uses. Log lines carry the key's hash, never the key. */
export interface LimiterLogger {
  warn(details: object, message: string): void;
}

export interface TableKeyedLimiterOptions {
  readonly table: Table;
  /** Slots per key, 1..1000. Default 10 (Mailchimp's concurrent connections per API key). */
  readonly limit?: number;
  /** A limit per key instead of one for all (same range); every instance must answer alike for a key. */
  readonly limitFor?: (key: string) => number;
  /** Lease length; a held lease is renewed every leaseMs / 3 while its task runs. Default 30 000. */
  readonly leaseMs?: number;
  /** First wait between attempts, jittered (x0.5 .. x1.5). Default 50. */
  readonly pollMs?: number;
  /** Waiters far back in the queue wait longer between attempts (x1.5 each time), up to this. Default 500. */
  readonly maxPollMs?: number;
  /** A waiting ticket expires this long after its last refresh (refreshed every ticketMs / 3). Default 10 000. */
  readonly ticketMs?: number;
  /** This instance, as written into slots and tickets. Default: a random UUID. */
  readonly holderId?: string;
  readonly clock?: LimiterClock;
  /** [0, 1); jitter and slot choice. Default Math.random. */
  readonly random?: () => number;
  readonly logger?: LimiterLogger;
  /** Where the time each caller waited for its slot is counted: `limiterWait`, with `limiter` as its dimension. */
  readonly waits?: { readonly metrics: Metrics; readonly limiter: string };
}

export const DEFAULT_LIMIT = 10;
export const DEFAULT_LEASE_MS = 30_000;
export const DEFAULT_POLL_MS = 50;
export const DEFAULT_MAX_POLL_MS = 500;
export const DEFAULT_TICKET_MS = 10_000;
/** Growth of the wait between attempts of a waiter that is not near the head of the queue. */
const POLL_GROWTH = 1.5;

/** Attributes of a held slot, removed on release. */
const LEASE_ATTRIBUTES = ['holder', 'leaseId', 'expiresAt', 'acquiredAt'];

interface KeyContext {
  readonly keyHash: string;
  readonly pk: string;
  readonly limit: number;
}

/** A caller of this instance waiting for a key: woken early when this instance frees a slot of that key. */
interface LocalWaiter {
  /** Position in the queue at the last attempt. */
  rank: number;
  wake: (() => void) | undefined;
}

interface Ticket {
  readonly sk: string;
  readonly registeredAt: number;
  expiresAt: number;
}

class Lease implements LeaseInfo {
  private readonly lostController = new AbortController();

  constructor(
    readonly keyHash: string,
    readonly slot: number,
    readonly leaseId: string,
    readonly holderId: string,
    readonly acquiredAt: number,
    readonly waitedMs: number,
    public expiresAt: number,
    readonly itemKey: ItemKey,
  ) {}

  get lost(): boolean {
    return this.lostController.signal.aborted;
  }

  get signal(): AbortSignal {
    return this.lostController.signal;
  }

  markLost(): void {
    if (!this.lost) this.lostController.abort(new LeaseLostError(this.keyHash, this.slot));
  }
}

/**
 * A keyed concurrency limiter whose state lives in a Table shared by every instance (DynamoDB on AWS, SQLite in the
 * local mode), built on conditional writes only. See README.md for the layout, the guarantees and the limits.
 */
export class TableKeyedLimiter implements KeyedLimiter {
  readonly holderId: string;
  private readonly table: Table;
  private readonly limit: number;
  private readonly limitFor: ((key: string) => number) | undefined;
  private readonly leaseMs: number;
  private readonly pollMs: number;
  private readonly maxPollMs: number;
  private readonly ticketMs: number;
  private readonly clock: LimiterClock | undefined;
  private readonly random: () => number;
  private readonly logger: LimiterLogger | undefined;
  private readonly waits: TableKeyedLimiterOptions['waits'];
  private readonly waiters = new Map<string, Set<LocalWaiter>>();
  /** Partition reads in flight, shared by this instance's waiters of a key (see readPartition). */
  private readonly reads = new Map<string, Promise<Item[]>>();
  /** Expired tickets this instance is deleting (pk + sk), so that waiters sharing a read do not all try. */
  private readonly removing = new Set<string>();
  private ticketSequence = 0;

  constructor(options: TableKeyedLimiterOptions) {
    this.table = options.table;
    this.limit = checkLimit('limit', options.limit ?? DEFAULT_LIMIT);
    this.limitFor = options.limitFor;
    this.leaseMs = checkPositive('leaseMs', options.leaseMs ?? DEFAULT_LEASE_MS);
    this.pollMs = checkPositive('pollMs', options.pollMs ?? DEFAULT_POLL_MS);
    this.maxPollMs = checkPositive('maxPollMs', options.maxPollMs ?? Math.max(DEFAULT_MAX_POLL_MS, this.pollMs));
    if (this.maxPollMs < this.pollMs)
      throw new RangeError(`TableKeyedLimiter: maxPollMs (${this.maxPollMs}) must not be below pollMs (${this.pollMs})`);
    this.ticketMs = checkPositive('ticketMs', options.ticketMs ?? Math.max(DEFAULT_TICKET_MS, 4 * this.maxPollMs));
    if (this.ticketMs <= 2 * this.maxPollMs) {
      throw new RangeError(
        `TableKeyedLimiter: ticketMs (${this.ticketMs}) must be more than twice maxPollMs (${this.maxPollMs}), or waiting tickets expire between attempts`,
      );
    }
    if (options.holderId !== undefined && options.holderId.trim() === '') throw new RangeError('TableKeyedLimiter: holderId must not be empty');
    this.holderId = options.holderId ?? randomUUID();
    this.clock = options.clock;
    this.random = options.random ?? Math.random;
    this.logger = options.logger;
    this.waits = options.waits;
  }

  async run<T>(key: string, task: (lease: LeaseInfo) => Promise<T>, options: RunOptions = {}): Promise<T> {
    const context = this.contextOf(key);
    const { signal } = options;
    if (signal?.aborted) throw new LimiterAbortedError(context.keyHash, { cause: signal.reason });
    const queuedAt = this.now();
    const lease = await this.acquire(context, signal);
    this.waits?.metrics.record('limiterWait', Math.max(0, this.now() - queuedAt), { limiter: this.waits.limiter });
    if (signal?.aborted) {
      // Acquired just as the caller gave up: hand the slot straight back rather than start a task nobody awaits.
      await this.release(context, lease);
      throw new LimiterAbortedError(context.keyHash, { cause: signal.reason });
    }
    const renewal = this.startRenewal(context, lease);
    try {
      return await task(lease);
    } finally {
      await renewal.stop();
      await this.release(context, lease);
    }
  }

  private contextOf(key: string): KeyContext {
    const keyHash = hashLimiterKey(key);
    const limit = this.limitFor ? checkLimit('limitFor', this.limitFor(key), keyHash) : this.limit;
    return { keyHash, pk: `${PARTITION_PREFIX}${keyHash}`, limit };
  }

  private now(): number {
    return this.clock ? this.clock.now() : Date.now();
  }

  /**
   * One attempt per loop: read the partition (slots and tickets, one query), and take a free slot if this caller is
   * among the first `capacity` in the queue; otherwise queue (one ticket) and wait. A caller finding nobody queued
   * and a slot free takes it without a ticket.
   */
  private async acquire(context: KeyContext, signal: AbortSignal | undefined): Promise<Lease> {
    const startedAt = this.now();
    const waiter: LocalWaiter = { rank: Number.POSITIVE_INFINITY, wake: undefined };
    let ticket: Ticket | undefined;
    let farPolls = 0;
    const local = this.waitersOf(context.pk);
    local.add(waiter);
    try {
      for (;;) {
        if (signal?.aborted) throw new LimiterAbortedError(context.keyHash, { cause: signal.reason });
        if (ticket && this.now() >= ticket.expiresAt - (2 * this.ticketMs) / 3) await this.refreshTicket(context, ticket);
        const view = viewPartition(await this.readPartition(context.pk), context.limit, this.now());
        await this.removeExpiredTickets(context, view.expiredTickets, ticket?.sk);

        let rank: number;
        if (ticket) {
          rank = view.liveTickets.indexOf(ticket.sk);
          if (rank < 0) {
            // Our ticket expired or was cleaned up (this process stalled): put it back, in its original place.
            await this.refreshTicket(context, ticket);
            continue;
          }
        } else {
          rank = view.liveTickets.length;
        }
        waiter.rank = rank;

        if (rank < view.capacity) {
          // Ticket holders take the free slot of their rank, so the first `capacity` waiters do not collide; a caller
          // without a ticket picks at random among the slots nobody queued is entitled to.
          const choice = ticket ? rank : rank + Math.floor(this.random() * (view.capacity - rank));
          const slot = view.free[Math.min(choice, view.free.length - 1)] as SlotView;
          const lease = await this.tryTake(context, slot, startedAt);
          if (lease) {
            if (ticket) await this.deleteTicket(context, ticket);
            ticket = undefined;
            return lease;
          }
          // Someone else took it first (or renewed it): look again soon.
          await this.pause(this.pollMs * this.random(), signal, waiter);
          continue;
        }

        if (!ticket) {
          ticket = await this.registerTicket(context);
          waiter.rank = view.liveTickets.length;
        }
        // Waiters that could be served by the next releases poll at pollMs; those further back slow down.
        farPolls = rank < context.limit ? 0 : farPolls + 1;
        const base = Math.min(this.maxPollMs, this.pollMs * POLL_GROWTH ** farPolls);
        await this.pause(Math.min(this.maxPollMs, base * (0.5 + this.random())), signal, waiter);
      }
    } catch (error) {
      if (ticket) await this.deleteTicket(context, ticket);
      throw error;
    } finally {
      local.delete(waiter);
      if (local.size === 0) this.waiters.delete(context.pk);
    }
  }

  /** Takes a free slot with a write conditioned on the version read: fails if anyone changed it since. */
  private async tryTake(context: KeyContext, slot: SlotView, startedAt: number): Promise<Lease | undefined> {
    const now = this.now();
    const leaseId = `${this.holderId}:${randomBytes(8).toString('hex')}`;
    const version = typeof slot.item?.version === 'number' ? slot.item.version : undefined;
    const condition: Condition = !slot.item
      ? { kind: 'itemNotExists' }
      : version === undefined
        ? { kind: 'attributeNotExists', attribute: 'version' }
        : { kind: 'attributeEquals', attribute: 'version', value: version };
    const itemKey = { pk: context.pk, sk: slot.sk };
    const expiresAt = now + this.leaseMs;
    try {
      await this.table.put({ ...itemKey, holder: this.holderId, leaseId, acquiredAt: now, expiresAt, version: (version ?? 0) + 1 }, { condition });
    } catch (error) {
      if (error instanceof ConditionFailedError) return undefined;
      throw error;
    } finally {
      this.wrote(context.pk);
    }
    return new Lease(context.keyHash, slot.index, leaseId, this.holderId, now, Math.max(0, now - startedAt), expiresAt, itemKey);
  }

  /** Renews the lease every leaseMs / 3 until stopped; a failed condition means the lease was taken over. */
  private startRenewal(context: KeyContext, lease: Lease): { stop(): Promise<void> } {
    const stopped = new AbortController();
    const loop = (async () => {
      while (!lease.lost) {
        await this.pause(this.leaseMs / 3, stopped.signal);
        if (stopped.signal.aborted) return;
        const expiresAt = this.now() + this.leaseMs;
        try {
          await this.table.update(lease.itemKey, { set: { expiresAt }, increment: { version: 1 } }, { condition: leaseCondition(lease) });
          this.wrote(context.pk);
          lease.expiresAt = expiresAt;
        } catch (error) {
          if (stopped.signal.aborted) return;
          if (error instanceof ConditionFailedError) {
            lease.markLost();
            this.logger?.warn(
              { keyHash: context.keyHash, slot: lease.slot, holderId: this.holderId, leaseId: lease.leaseId },
              'keyed limiter: lease expired and was taken over while its task ran; letting the task finish',
            );
            return;
          }
          this.logger?.warn(
            { keyHash: context.keyHash, slot: lease.slot, holderId: this.holderId, error: describe(error) },
            'keyed limiter: lease renewal failed; trying again',
          );
        }
      }
    })();
    return {
      stop: async () => {
        stopped.abort();
        await loop;
      },
    };
  }

  /** Frees the slot if we still hold it; never throws (a slot not freed comes back when its lease expires). */
  private async release(context: KeyContext, lease: Lease): Promise<void> {
    try {
      await this.table.update(
        lease.itemKey,
        { set: { releasedAt: this.now() }, increment: { version: 1 }, remove: LEASE_ATTRIBUTES },
        { condition: leaseCondition(lease) },
      );
      this.wrote(context.pk);
    } catch (error) {
      if (error instanceof ConditionFailedError) {
        const known = lease.lost;
        lease.markLost();
        if (!known) {
          this.logger?.warn(
            { keyHash: context.keyHash, slot: lease.slot, holderId: this.holderId, leaseId: lease.leaseId },
            'keyed limiter: lease had expired and was taken over before its task ended',
          );
        }
      } else {
        this.logger?.warn(
          { keyHash: context.keyHash, slot: lease.slot, holderId: this.holderId, error: describe(error) },
          'keyed limiter: could not release a slot; it comes back when its lease expires',
        );
      }
    }
    this.wakeNextLocalWaiter(context.pk);
  }

  private async registerTicket(context: KeyContext): Promise<Ticket> {
    const registeredAt = this.now();
    this.ticketSequence += 1;
    const sk = ticketSortKey(registeredAt, this.ticketSequence, randomBytes(6).toString('hex'));
    const ticket: Ticket = { sk, registeredAt, expiresAt: registeredAt + this.ticketMs };
    await this.table.put({ pk: context.pk, sk, holder: this.holderId, registeredAt, expiresAt: ticket.expiresAt });
    this.wrote(context.pk);
    return ticket;
  }

  /** Pushes the ticket's expiry on; recreates it (same sort key, same place) if it was cleaned up. */
  private async refreshTicket(context: KeyContext, ticket: Ticket): Promise<void> {
    const expiresAt = this.now() + this.ticketMs;
    await this.table.update({ pk: context.pk, sk: ticket.sk }, { set: { holder: this.holderId, registeredAt: ticket.registeredAt, expiresAt } });
    this.wrote(context.pk);
    ticket.expiresAt = expiresAt;
  }

  /** Best effort, tried twice: a ticket left behind holds its place until it expires (ticketMs). */
  private async deleteTicket(context: KeyContext, ticket: Ticket): Promise<void> {
    for (let attempt = 1; attempt <= 2; attempt += 1) {
      try {
        await this.table.delete({ pk: context.pk, sk: ticket.sk });
        this.wrote(context.pk);
        return;
      } catch (error) {
        if (attempt === 2) {
          this.logger?.warn(
            { keyHash: context.keyHash, holderId: this.holderId, error: describe(error) },
            'keyed limiter: could not delete a waiting ticket; it is ignored once it expires',
          );
        }
      }
    }
  }

  /** Crashed waiters' tickets: deleted unless refreshed since they were read. */
  private async removeExpiredTickets(
    context: KeyContext,
    expired: readonly { readonly sk: string; readonly expiresAt: number | undefined }[],
    own: string | undefined,
  ): Promise<void> {
    for (const ticket of expired) {
      const id = `${context.pk} ${ticket.sk}`;
      if (ticket.sk === own || this.removing.has(id)) continue;
      this.removing.add(id);
      const condition: Condition =
        ticket.expiresAt === undefined
          ? { kind: 'attributeNotExists', attribute: 'expiresAt' }
          : { kind: 'attributeEquals', attribute: 'expiresAt', value: ticket.expiresAt };
      try {
        await this.table.delete({ pk: context.pk, sk: ticket.sk }, { condition });
        this.wrote(context.pk);
      } catch {
        // Refreshed meanwhile, or already gone, or a transient failure: the next attempt looks again.
      } finally {
        this.removing.delete(id);
      }
    }
  }

  /**
   * The key's partition, all pages (strongly consistent). Waiters of one key in this instance share a read in flight
   * instead of each sending its own: one query per instance and poll rather than one per waiter. A read may only be
   * shared while it reflects every write this instance made to the partition: each write ends it (`wrote`).
   */
  private readPartition(pk: string): Promise<Item[]> {
    const inFlight = this.reads.get(pk);
    if (inFlight) return inFlight;
    const read = (async () => {
      const items: Item[] = [];
      for await (const item of queryAll(this.table, pk)) items.push(item);
      return items;
    })();
    this.reads.set(pk, read);
    const done = () => {
      if (this.reads.get(pk) === read) this.reads.delete(pk);
    };
    read.then(done, done);
    return read;
  }

  /** This instance changed the partition: reads started before must not be shared any more. */
  private wrote(pk: string): void {
    this.reads.delete(pk);
  }

  private waitersOf(pk: string): Set<LocalWaiter> {
    let set = this.waiters.get(pk);
    if (!set) {
      set = new Set();
      this.waiters.set(pk, set);
    }
    return set;
  }

  /** A slot of this key was freed here: the local waiter nearest the head looks at once instead of at its next poll. */
  private wakeNextLocalWaiter(pk: string): void {
    let next: LocalWaiter | undefined;
    for (const waiter of this.waiters.get(pk) ?? []) {
      if (waiter.wake && (!next || waiter.rank < next.rank)) next = waiter;
    }
    next?.wake?.();
  }

  /** Sleeps `ms`, or less if `signal` aborts or (for a waiter) a local release wakes it. */
  private pause(ms: number, signal: AbortSignal | undefined, waiter?: LocalWaiter): Promise<void> {
    return new Promise<void>((resolve) => {
      let timer: NodeJS.Timeout | undefined;
      const finish = () => {
        if (timer) clearTimeout(timer);
        signal?.removeEventListener('abort', finish);
        if (waiter) waiter.wake = undefined;
        resolve();
      };
      if (signal?.aborted) return finish();
      signal?.addEventListener('abort', finish, { once: true });
      if (waiter) waiter.wake = finish;
      if (this.clock) void this.clock.sleep(ms).then(finish, finish);
      else timer = setTimeout(finish, Math.max(0, ms));
    });
  }
}

function leaseCondition(lease: Lease): Condition {
  return { kind: 'attributeEquals', attribute: 'leaseId', value: lease.leaseId };
}

function checkLimit(option: 'limit' | 'limitFor', value: number, keyHash?: string): number {
  if (!Number.isInteger(value) || value < 1 || value > MAX_LIMIT) {
    const where = keyHash ? ` for key ${keyHash}` : '';
    throw new RangeError(`TableKeyedLimiter: ${option} must be an integer from 1 to ${MAX_LIMIT}${where}, got ${String(value)}`);
  }
  return value;
}

function checkPositive(option: string, value: number): number {
  if (typeof value !== 'number' || !Number.isFinite(value) || value <= 0) {
    throw new RangeError(`TableKeyedLimiter: ${option} must be a positive number of milliseconds, got ${String(value)}`);
  }
  return value;
}

function describe(error: unknown): string {
  return error instanceof Error ? `${error.name}: ${error.message}` : String(error);
}
