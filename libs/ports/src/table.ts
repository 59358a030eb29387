// Shaped after DynamoDB so the AWS adapter stays thin: items with a partition key and a sort key, conditional writes,
// atomic counters and set additions, queries of one partition in sort-key order, and all-or-nothing transactions of up
// to 100 writes (DynamoDB's TransactWriteItems). dynalite has no TransactWriteItems (nor TTL, nor Streams): the
// transaction contract runs against moto instead.

export type AttributeValue = string | number | boolean | null | readonly AttributeValue[] | { readonly [k: string]: AttributeValue };

export interface ItemKey {
  readonly pk: string;
  readonly sk: string;
}

export type Item = ItemKey & { readonly [attribute: string]: AttributeValue | undefined };

/** DynamoDB's item size limit; the local adapter enforces it too so designs that break it fail on one machine. */
export const MAX_ITEM_BYTES = 400 * 1024;

export type Condition =
  | { readonly kind: 'itemNotExists' }
  | { readonly kind: 'itemExists' }
  | { readonly kind: 'attributeEquals'; readonly attribute: string; readonly value: AttributeValue }
  | { readonly kind: 'attributeNotEquals'; readonly attribute: string; readonly value: AttributeValue }
  | { readonly kind: 'attributeNotExists'; readonly attribute: string }
  | { readonly kind: 'anyOf'; readonly conditions: readonly Condition[] };

export interface ItemUpdate {
  /** SET attribute = value. */
  readonly set?: Readonly<Record<string, AttributeValue>>;
  /** ADD attribute :n — atomic counter (missing counts as 0). */
  readonly increment?: Readonly<Record<string, number>>;
  /** ADD attribute :set — string-set union; adding a member twice changes nothing, which makes it idempotent. */
  readonly addToSet?: Readonly<Record<string, readonly string[]>>;
  /** REMOVE attribute. */
  readonly remove?: readonly string[];
}

export interface QueryOptions {
  /** Only sort keys starting with this. */
  readonly beginsWith?: string;
  /** Only sort keys strictly after this one (for paging). */
  readonly after?: string;
  readonly limit?: number;
  /** Descending sort-key order. */
  readonly reverse?: boolean;
}

export interface QueryPage {
  readonly items: Item[];
  /** Pass as `after` to read the next page; absent on the last page. */
  readonly lastKey?: string;
}

/** TransactWriteItems' limit of writes per transaction. */
export const MAX_TRANSACT_WRITES = 100;

/** TransactWriteItems' limit on the size of a transaction's items, all together (4 MB). */
export const MAX_TRANSACT_BYTES = 4 * 1024 * 1024;

/** One write of a transaction; its condition, when given, must hold for the whole transaction to be written. */
export type TransactWrite =
  | { readonly kind: 'put'; readonly item: Item; readonly condition?: Condition }
  | { readonly kind: 'update'; readonly key: ItemKey; readonly update: ItemUpdate; readonly condition?: Condition }
  | { readonly kind: 'delete'; readonly key: ItemKey; readonly condition?: Condition }
  /** Writes nothing: only its condition counts. */
  | { readonly kind: 'conditionCheck'; readonly key: ItemKey; readonly condition: Condition };

export interface Table {
  /** Strongly consistent read. */
  get(key: ItemKey): Promise<Item | undefined>;
  /** Replaces the item. Throws ConditionFailedError when `condition` does not hold. */
  put(item: Item, options?: { condition?: Condition }): Promise<void>;
  /** Creates or updates the item and returns it as it is after the update (ReturnValues ALL_NEW). */
  update(key: ItemKey, update: ItemUpdate, options?: { condition?: Condition }): Promise<Item>;
  delete(key: ItemKey, options?: { condition?: Condition }): Promise<void>;
  /**
   * Unconditional puts of many items (DynamoDB BatchWriteItem: the AWS adapter sends 25 per call and resends
   * unprocessed items). Not atomic as a whole: callers must be able to repeat it.
   */
  batchPut(items: readonly Item[]): Promise<void>;
  /**
   * All of the writes or none (DynamoDB TransactWriteItems): at most MAX_TRANSACT_WRITES, no two on the same key. When a
   * condition fails, nothing is written and ConditionFailedError names that write's key and index (of several that
   * fail, the first in the order given). Conflicts with concurrent transactions are retried by the adapter; a conflict
   * that outlasts its retries throws.
   */
  transact(writes: readonly TransactWrite[]): Promise<void>;
  /** One page of a partition, in sort-key order. */
  query(pk: string, options?: QueryOptions): Promise<QueryPage>;
}

export class ConditionFailedError extends Error {
  override readonly name = 'ConditionFailedError';
  /** @param index in a transaction: the position of the write whose condition failed. */
  constructor(
    readonly key: ItemKey,
    readonly index?: number,
  ) {
    super(`condition failed for ${key.pk} / ${key.sk}${index === undefined ? '' : ` (write ${index} of the transaction)`}`);
  }
}

/** The key a transaction's write touches. */
export function keyOfWrite(write: TransactWrite): ItemKey {
  const key = write.kind === 'put' ? write.item : write.key;
  return { pk: key.pk, sk: key.sk };
}

/**
 * Refuses what TransactWriteItems refuses, in every adapter alike and before anything is written: more than
 * MAX_TRANSACT_WRITES writes, two writes on one key, an update that changes nothing.
 */
export function checkTransaction(tableName: string, writes: readonly TransactWrite[]): void {
  if (writes.length > MAX_TRANSACT_WRITES) {
    throw new Error(`table ${tableName}: a transaction holds at most ${MAX_TRANSACT_WRITES} writes, got ${writes.length}`);
  }
  const seen = new Map<string, number>();
  writes.forEach((write, index) => {
    const key = keyOfWrite(write);
    const id = JSON.stringify([key.pk, key.sk]);
    const earlier = seen.get(id);
    if (earlier !== undefined) {
      throw new Error(`table ${tableName}: writes ${earlier} and ${index} of a transaction are both on ${key.pk} / ${key.sk} (one write per item)`);
    }
    seen.set(id, index);
    if (write.kind === 'update' && isEmptyUpdate(write.update)) {
      throw new Error(`table ${tableName}: write ${index} of a transaction updates ${key.pk} / ${key.sk} with nothing to set, add or remove`);
    }
  });
}

function isEmptyUpdate(update: ItemUpdate): boolean {
  return (
    Object.keys(update.set ?? {}).length === 0 &&
    Object.keys(update.increment ?? {}).length === 0 &&
    Object.values(update.addToSet ?? {}).every((members) => members.length === 0) &&
    (update.remove ?? []).length === 0
  );
}

export class ItemTooLargeError extends Error {
  override readonly name = 'ItemTooLargeError';
  constructor(
    readonly key: ItemKey,
    readonly sizeBytes: number,
  ) {
    super(`item ${key.pk} / ${key.sk} is ${sizeBytes} bytes; the limit is ${MAX_ITEM_BYTES}`);
  }
}

/** Reads every page of a partition. */
export async function* queryAll(table: Table, pk: string, options: Omit<QueryOptions, 'after'> = {}): AsyncGenerator<Item> {
  let after: string | undefined;
  do {
    const page = await table.query(pk, { ...options, after });
    yield* page.items;
    after = page.lastKey;
  } while (after !== undefined);
}

/** Items deleted at once by deletePartition: DynamoDB's write capacity is on demand, the Lambda's sockets are not. */
const PARTITION_DELETES_IN_FLIGHT = 16;

/**
 * Deletes every item of a partition (optionally only those whose sort key begins with `beginsWith`), a page at a time,
 * and returns how many it deleted. A retry after a failure deletes what is left.
 */
export async function deletePartition(table: Table, pk: string, options: { beginsWith?: string } = {}): Promise<number> {
  let deleted = 0;
  for (;;) {
    // Always the first page: what was deleted is gone, so no cursor is needed (nor valid once its item is deleted).
    const page = await table.query(pk, { ...(options.beginsWith ? { beginsWith: options.beginsWith } : {}), limit: 100 });
    if (page.items.length === 0) return deleted;
    for (let start = 0; start < page.items.length; start += PARTITION_DELETES_IN_FLIGHT) {
      await Promise.all(page.items.slice(start, start + PARTITION_DELETES_IN_FLIGHT).map((item) => table.delete({ pk: item.pk, sk: item.sk })));
    }
    deleted += page.items.length;
  }
}
