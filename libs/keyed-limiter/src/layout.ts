import { createHash } from 'node:crypto';
import type { Item } from '@refinery/ports';

// Where a key's state lives in the table (see README: "Storage layout"). Keys are API keys in practice: only their
// hash is ever written or logged.

export const PARTITION_PREFIX = 'limiter#';
export const SLOT_PREFIX = 'slot#';
export const TICKET_PREFIX = 'ticket#';
/** Slot numbers are written with 3 digits. */
export const MAX_LIMIT = 1000;

/** sha256 of the key (UTF-8), hex, first 32 characters (128 bits). */
export function hashLimiterKey(key: string): string {
  return createHash('sha256').update(key, 'utf8').digest('hex').slice(0, 32);
}

/** The partition holding a key's slots and tickets. */
export function limiterPartitionKey(key: string): string {
  return `${PARTITION_PREFIX}${hashLimiterKey(key)}`;
}

export function slotSortKey(index: number): string {
  return `${SLOT_PREFIX}${String(index).padStart(3, '0')}`;
}

/** `ticket#<registered at, 15-digit epoch ms>#<6-digit per-process sequence>#<random>`: sorts by registration time. */
export function ticketSortKey(registeredAt: number, sequence: number, random: string): string {
  const ms = String(Math.max(0, Math.floor(registeredAt))).padStart(15, '0');
  return `${TICKET_PREFIX}${ms}#${String(sequence % 1_000_000).padStart(6, '0')}#${random}`;
}

export interface SlotView {
  readonly index: number;
  readonly sk: string;
  /** The item as read; absent for a slot never used. */
  readonly item: Item | undefined;
}

export interface PartitionView {
  /** Slots below the limit that are free (never used, released, or their lease expired), by slot number. */
  readonly free: readonly SlotView[];
  /**
   * How many callers may take a slot now: the free slots, but never more than `limit` minus the live leases of all
   * slots (slots at or above the limit stay counted while held, e.g. after the limit was lowered).
   */
  readonly capacity: number;
  /** Sort keys of the unexpired tickets, oldest first. */
  readonly liveTickets: readonly string[];
  /** Tickets past their expiry (crashed waiters), with the expiry read, for a conditional clean-up. */
  readonly expiredTickets: readonly { readonly sk: string; readonly expiresAt: number | undefined }[];
}

/** A lease is live while it has a leaseId and its expiry is still ahead on the reader's clock. */
export function isLiveLease(item: Item | undefined, now: number): boolean {
  return item !== undefined && typeof item.leaseId === 'string' && typeof item.expiresAt === 'number' && item.expiresAt > now;
}

/** Reads a partition's items (in sort-key order) as the slot and queue state at `now`. */
export function viewPartition(items: readonly Item[], limit: number, now: number): PartitionView {
  const slots = new Map<number, Item>();
  let held = 0;
  const liveTickets: string[] = [];
  const expiredTickets: { sk: string; expiresAt: number | undefined }[] = [];
  for (const item of items) {
    if (item.sk.startsWith(SLOT_PREFIX)) {
      const index = Number(item.sk.slice(SLOT_PREFIX.length));
      if (!Number.isInteger(index)) continue;
      slots.set(index, item);
      if (isLiveLease(item, now)) held += 1;
    } else if (item.sk.startsWith(TICKET_PREFIX)) {
      const expiresAt = typeof item.expiresAt === 'number' ? item.expiresAt : undefined;
      if (expiresAt !== undefined && expiresAt > now) liveTickets.push(item.sk);
      else expiredTickets.push({ sk: item.sk, expiresAt });
    }
  }
  const free: SlotView[] = [];
  for (let index = 0; index < limit; index += 1) {
    const item = slots.get(index);
    if (!isLiveLease(item, now)) free.push({ index, sk: slotSortKey(index), item });
  }
  const capacity = Math.max(0, Math.min(free.length, limit - held));
  return { free, capacity, liveTickets, expiredTickets };
}
