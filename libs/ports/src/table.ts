// Shaped after DynamoDB so the AWS adapter stays thin: items with a partition key and a sort key, conditional writes,
// atomic counters and set additions, queries of one partition in sort-key order. No transactions: designs rely on
// conditional writes and idempotent updates (dynalite has no TransactWriteItems, no TTL, no Streams).

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
  /** One page of a partition, in sort-key order. */
  query(pk: string, options?: QueryOptions): Promise<QueryPage>;
}

export class ConditionFailedError extends Error {
  override readonly name = 'ConditionFailedError';
  constructor(readonly key: ItemKey) {
    super(`condition failed for ${key.pk} / ${key.sk}`);
  }
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
