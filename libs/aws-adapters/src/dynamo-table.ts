import type { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import {
  BatchWriteCommand,
  DeleteCommand,
  DynamoDBDocumentClient,
  GetCommand,
  type NativeAttributeValue,
  PutCommand,
  QueryCommand,
  UpdateCommand,
} from '@aws-sdk/lib-dynamodb';
import {
  type Condition,
  ConditionFailedError,
  type Item,
  type ItemKey,
  ItemTooLargeError,
  type ItemUpdate,
  MAX_ITEM_BYTES,
  type QueryOptions,
  type QueryPage,
  type Table,
} from '@refinery/ports';
import { ExpressionBuilder } from './dynamo-expressions';
import { applyUpdateForEstimate, estimateItemBytes } from './dynamo-item-size';

export interface BatchRetryOptions {
  /** BatchWriteItem calls per group of 25 before giving up on items DynamoDB keeps returning unprocessed. */
  readonly maxAttempts: number;
  /** First backoff; doubled on every retry (with jitter), capped at 5 s. */
  readonly baseDelayMs: number;
}

export interface DynamoTableOptions {
  readonly client: DynamoDBClient;
  readonly tableName: string;
  readonly batchRetry?: BatchRetryOptions;
}

/** BatchWriteItem's limit of requests per call. */
export const BATCH_WRITE_LIMIT = 25;
const DEFAULT_BATCH_RETRY: BatchRetryOptions = { maxAttempts: 8, baseDelayMs: 50 };
const MAX_BACKOFF_MS = 5_000;

type NativeItem = Record<string, NativeAttributeValue>;

/**
 * The table port on DynamoDB (key schema: `pk` HASH, `sk` RANGE, both strings). Items read back look exactly like the
 * local adapter's: string sets (what `addToSet` makes) come back as sorted arrays. Reads (get and query) are strongly
 * consistent, because designs like the merger's "write, then read everything" rely on reading their own writes.
 */
export class DynamoTable implements Table {
  private readonly documents: DynamoDBDocumentClient;
  private readonly tableName: string;
  private readonly batchRetry: BatchRetryOptions;

  constructor(options: DynamoTableOptions) {
    this.documents = DynamoDBDocumentClient.from(options.client, { marshallOptions: { removeUndefinedValues: true } });
    this.tableName = options.tableName;
    this.batchRetry = options.batchRetry ?? DEFAULT_BATCH_RETRY;
  }

  async get(key: ItemKey): Promise<Item | undefined> {
    const output = await this.documents.send(new GetCommand({ TableName: this.tableName, Key: keyOf(key), ConsistentRead: true }));
    return output.Item ? toItem(output.Item) : undefined;
  }

  async put(item: Item, options: { condition?: Condition } = {}): Promise<void> {
    checkKey(this.tableName, item);
    const expressions = new ExpressionBuilder();
    const condition = options.condition ? expressions.condition(options.condition) : undefined;
    try {
      await this.documents.send(
        new PutCommand({
          TableName: this.tableName,
          Item: item,
          ...(condition ? { ConditionExpression: condition, ...expressions.attributes() } : {}),
        }),
      );
    } catch (error) {
      if (isConditionFailure(error)) throw new ConditionFailedError(keyOf(item));
      if (isItemTooLarge(error)) throw new ItemTooLargeError(keyOf(item), estimateItemBytes(item));
      throw error;
    }
  }

  async update(key: ItemKey, update: ItemUpdate, options: { condition?: Condition } = {}): Promise<Item> {
    checkKey(this.tableName, key);
    const expressions = new ExpressionBuilder();
    const updateExpression = expressions.update(update);
    const condition = options.condition ? expressions.condition(options.condition) : undefined;
    try {
      const output = await this.documents.send(
        new UpdateCommand({
          TableName: this.tableName,
          Key: keyOf(key),
          ...(updateExpression ? { UpdateExpression: updateExpression } : {}),
          ...(condition ? { ConditionExpression: condition } : {}),
          ...expressions.attributes(),
          ReturnValues: 'ALL_NEW',
        }),
      );
      return toItem(output.Attributes ?? keyOf(key));
    } catch (error) {
      if (isConditionFailure(error)) throw new ConditionFailedError(keyOf(key));
      if (isItemTooLarge(error)) {
        // DynamoDB does not say how large the item would have been: estimate it from the item as it stands.
        const estimate = estimateItemBytes(applyUpdateForEstimate(await this.get(key), keyOf(key), update));
        throw new ItemTooLargeError(keyOf(key), estimate);
      }
      throw error;
    }
  }

  async delete(key: ItemKey, options: { condition?: Condition } = {}): Promise<void> {
    const expressions = new ExpressionBuilder();
    const condition = options.condition ? expressions.condition(options.condition) : undefined;
    try {
      await this.documents.send(
        new DeleteCommand({
          TableName: this.tableName,
          Key: keyOf(key),
          ...(condition ? { ConditionExpression: condition, ...expressions.attributes() } : {}),
        }),
      );
    } catch (error) {
      if (isConditionFailure(error)) throw new ConditionFailedError(keyOf(key));
      throw error;
    }
  }

  /**
   * 25 puts per BatchWriteItem, resending what DynamoDB returns unprocessed (throttling) with exponential backoff.
   * Repeated keys keep the last item, as sequential puts would (DynamoDB refuses duplicates within one call). An item
   * that is clearly over 400 KB fails the whole batch before anything is written.
   */
  async batchPut(items: readonly Item[]): Promise<void> {
    const unique = new Map<string, Item>();
    for (const item of items) {
      checkKey(this.tableName, item);
      unique.set(JSON.stringify([item.pk, item.sk]), item);
    }
    for (const item of unique.values()) {
      const size = estimateItemBytes(item);
      if (size > MAX_ITEM_BYTES) throw new ItemTooLargeError(keyOf(item), size);
    }
    const all = [...unique.values()];
    for (let start = 0; start < all.length; start += BATCH_WRITE_LIMIT) {
      await this.writeBatch(all.slice(start, start + BATCH_WRITE_LIMIT));
    }
  }

  async query(pk: string, options: QueryOptions = {}): Promise<QueryPage> {
    const reverse = options.reverse === true;
    const prefix = options.beginsWith === '' ? undefined : options.beginsWith;
    let after = options.after;
    if (prefix !== undefined && after !== undefined && !after.startsWith(prefix)) {
      // DynamoDB refuses an ExclusiveStartKey outside the key condition. A key outside the prefix lies either before
      // every key with the prefix or after all of them, so it either excludes nothing or everything.
      const excludesNothing = after < prefix !== reverse;
      if (!excludesNothing) return { items: [] };
      after = undefined;
    }
    const expressions = new ExpressionBuilder();
    const keyCondition = [
      `${expressions.name('pk')} = ${expressions.value(pk)}`,
      ...(prefix !== undefined ? [`begins_with(${expressions.name('sk')}, ${expressions.value(prefix)})`] : []),
    ].join(' AND ');
    const output = await this.documents.send(
      new QueryCommand({
        TableName: this.tableName,
        KeyConditionExpression: keyCondition,
        ...expressions.attributes(),
        ConsistentRead: true,
        ScanIndexForward: !reverse,
        ...(options.limit !== undefined ? { Limit: options.limit } : {}),
        ...(after !== undefined ? { ExclusiveStartKey: { pk, sk: after } } : {}),
      }),
    );
    const items = (output.Items ?? []).map(toItem);
    const lastKey = output.LastEvaluatedKey?.sk as string | undefined;
    // DynamoDB may hand out a lastKey on a page that ends exactly at the last item; the next page is then empty.
    return lastKey !== undefined ? { items, lastKey } : { items };
  }

  private async writeBatch(items: readonly Item[]): Promise<void> {
    let pending: { PutRequest: { Item: NativeItem } }[] = items.map((item) => ({ PutRequest: { Item: item } }));
    for (let attempt = 1; pending.length > 0; attempt += 1) {
      if (attempt > this.batchRetry.maxAttempts) {
        throw new Error(
          `batchPut to ${this.tableName}: ${pending.length} item(s) still unprocessed after ${this.batchRetry.maxAttempts} attempts (table throttled?); the batch can be repeated`,
        );
      }
      if (attempt > 1) await sleep(backoffMs(this.batchRetry.baseDelayMs, attempt - 1));
      try {
        const output = await this.documents.send(new BatchWriteCommand({ RequestItems: { [this.tableName]: pending } }));
        pending = (output.UnprocessedItems?.[this.tableName] ?? []).flatMap((request) =>
          request.PutRequest?.Item ? [{ PutRequest: { Item: request.PutRequest.Item } }] : [],
        );
      } catch (error) {
        if (!isItemTooLarge(error)) throw error;
        // DynamoDB refuses the whole call without naming the item: blame the largest one.
        const largest = items.map((item) => ({ item, size: estimateItemBytes(item) })).sort((a, b) => b.size - a.size)[0];
        throw largest ? new ItemTooLargeError(keyOf(largest.item), largest.size) : error;
      }
    }
  }
}

function keyOf(key: ItemKey): ItemKey {
  return { pk: key.pk, sk: key.sk };
}

/** The same refusal as the local adapter, before DynamoDB's less helpful ValidationException. */
function checkKey(tableName: string, key: ItemKey): void {
  if (typeof key.pk !== 'string' || typeof key.sk !== 'string' || key.pk === '' || key.sk === '') {
    throw new Error(`table ${tableName}: an item needs non-empty string pk and sk`);
  }
}

/** String sets become sorted arrays, the shape the local adapter stores and every reader expects. */
function toItem(record: NativeItem): Item {
  const item: Record<string, NativeAttributeValue> = {};
  for (const [attribute, value] of Object.entries(record)) {
    item[attribute] = value instanceof Set ? [...(value as Set<string>)].sort() : value;
  }
  return item as Item;
}

function isConditionFailure(error: unknown): boolean {
  return error instanceof Error && error.name === 'ConditionalCheckFailedException';
}

/** DynamoDB: "Item size has exceeded the maximum allowed size" (put, batch) or "Item size to update has exceeded..." */
function isItemTooLarge(error: unknown): boolean {
  return error instanceof Error && error.name === 'ValidationException' && /item size/i.test(error.message);
}

function backoffMs(baseDelayMs: number, retry: number): number {
  const ceiling = Math.min(MAX_BACKOFF_MS, baseDelayMs * 2 ** (retry - 1));
  // Half fixed, half random: retries spread out without collapsing to zero.
  return ceiling / 2 + Math.random() * (ceiling / 2);
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
