import type { PutEventsRequestEntry } from '@aws-sdk/client-eventbridge';
import type { PublishEntry } from '@refinery/ports';

/** PutEvents limits: 10 entries per call, and 256 KB per entry and per call. */
export const MAX_ENTRIES_PER_CALL = 10;
export const MAX_EVENT_BYTES = 256 * 1024;

/**
 * The size EventBridge counts for an entry ("Calculating PutEvents event entry size"): the UTF-8 bytes of Source,
 * DetailType and Detail, plus 14 bytes for Time and the bytes of each Resources item when given. We send neither.
 */
export function entrySize(entry: PublishEntry): number {
  return Buffer.byteLength(entry.source) + Buffer.byteLength(entry.detailType) + Buffer.byteLength(entry.detail);
}

/** Refuses, before anything is sent, an entry EventBridge could never accept. Returns its size. */
export function checkEntry(entry: PublishEntry): number {
  if (!entry.source || !entry.detailType) throw new Error('an event needs a source and a detail-type');
  const size = entrySize(entry);
  if (size > MAX_EVENT_BYTES) {
    throw new Error(`event ${entry.detailType} is ${size} bytes; EventBridge accepts at most ${MAX_EVENT_BYTES}`);
  }
  let detail: unknown;
  try {
    detail = JSON.parse(entry.detail);
  } catch {
    throw new Error(`event ${entry.detailType}: detail is not JSON`);
  }
  if (detail === null || typeof detail !== 'object' || Array.isArray(detail)) {
    throw new Error(`event ${entry.detailType}: detail must be a JSON object`);
  }
  return size;
}

/** Consecutive groups of at most 10 entries and 256 KB, in order (every entry already fits on its own). */
export function putEventsBatches(entries: readonly PublishEntry[], eventBusName: string): PutEventsRequestEntry[][] {
  const batches: PutEventsRequestEntry[][] = [];
  let current: PutEventsRequestEntry[] = [];
  let currentBytes = 0;
  for (const entry of entries) {
    const size = checkEntry(entry);
    if (current.length === MAX_ENTRIES_PER_CALL || currentBytes + size > MAX_EVENT_BYTES) {
      batches.push(current);
      current = [];
      currentBytes = 0;
    }
    current.push({ EventBusName: eventBusName, Source: entry.source, DetailType: entry.detailType, Detail: entry.detail });
    currentBytes += size;
  }
  if (current.length > 0) batches.push(current);
  return batches;
}
