import type { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import {
  BatchWriteCommand,
  DeleteCommand,
  DynamoDBDocumentClient,
  GetCommand,
  type NativeAttributeValue,
  PutCommand,
  QueryCommand,
  TransactWriteCommand,
  type TransactWriteCommandInput,
  UpdateCommand,
} from '@aws-sdk/lib-dynamodb';
import {
  type Condition,
  ConditionFailedError,
  checkTransaction,
  type Item,
  type ItemKey,
  ItemTooLargeError,
  type ItemUpdate,
  keyOfWrite,
  MAX_ITEM_BYTES,
  type QueryOptions,
  type QueryPage,
  type Table,
  type TransactWrite,
} from '@refinery/ports';
import { ExpressionBuilder } from './dynamo-expressions';
import { applyUpdateForEstimate, estimateItemBytes } from './dynamo-item-size';

export interface BatchRetryOptions {
  /**
   * BatchWriteItem calls per group of 25 before giving up on items DynamoDB keeps returning unprocessed; for
   * transactions, TransactWriteItems calls before giving up on a transaction that keeps conflicting with others.
   */
  readonly maxAttempts: number;
  /** First backoff; doubled on every retry (with jitter), capped at 5 s. */
  readonly baseDelayMs: number;
}

export interface DynamoTableOptions {
  readonly client: DynamoDBClient;
  readonly tableName: string;
  readonly batchRetry?: BatchRetryOptions;
  /** Retries of a transaction cancelled by a conflict with a concurrent one (TransactionConflict). */
  readonly transactRetry?: BatchRetryOptions;
}

/** BatchWriteItem's limit of requests per call. */
export const BATCH_WRITE_LIMIT = 25;
const DEFAULT_BATCH_RETRY: BatchRetryOptions = { maxAttempts: 8, baseDelayMs: 50 };
const DEFAULT_TRANSACT_RETRY: BatchRetryOptions = { maxAttempts: 10, baseDelayMs: 20 };
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
  private readonly transactRetry: BatchRetryOptions;

  constructor(options: DynamoTableOptions) {
    this.documents = DynamoDBDocumentClient.from(options.client, { marshallOptions: { removeUndefinedValues: true } });
    this.tableName = options.tableName;
    this.batchRetry = options.batchRetry ?? DEFAULT_BATCH_RETRY;
    this.transactRetry = options.transactRetry ?? DEFAULT_TRANSACT_RETRY;
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

  /**
   * TransactWriteItems. A cancelled transaction says why per write (CancellationReasons): a failed condition becomes
   * ConditionFailedError naming that write; a conflict with a concurrent transaction is retried with backoff, since
   * nothing was written.
   */
  async transact(writes: readonly TransactWrite[]): Promise<void> {
    checkTransaction(this.tableName, writes);
    if (writes.length === 0) return;
    for (const write of writes) {
      checkKey(this.tableName, keyOfWrite(write));
      if (write.kind === 'put') {
        const size = estimateItemBytes(write.item);
        if (size > MAX_ITEM_BYTES) throw new ItemTooLargeError(keyOfWrite(write), size);
      }
    }
    const items = writes.map((write) => this.transactItem(write));
    for (let attempt = 1; ; attempt += 1) {
      try {
        await this.documents.send(new TransactWriteCommand({ TransactItems: items }));
        return;
      } catch (error) {
        const reasons = cancellationReasons(error);
        if (!reasons) throw error;
        const failed = reasons.findIndex((reason) => reason.Code === 'ConditionalCheckFailed');
        if (failed >= 0) throw new ConditionFailedError(keyOfWrite(writes[failed] as TransactWrite), failed);
        const tooLarge = reasons.findIndex((reason) => reason.Code === 'ValidationError' && /item size/i.test(reason.Message ?? ''));
        if (tooLarge >= 0) throw new ItemTooLargeError(keyOfWrite(writes[tooLarge] as TransactWrite), MAX_ITEM_BYTES + 1);
        if (!reasons.some((reason) => reason.Code === 'TransactionConflict')) throw error;
        if (attempt >= this.transactRetry.maxAttempts) {
          throw new Error(
            `transaction on ${this.tableName} (${writes.length} writes, first on ${writes[0] ? JSON.stringify(keyOfWrite(writes[0])) : '-'}) still conflicted with concurrent transactions after ${attempt} attempts; it can be repeated`,
            { cause: error },
          );
        }
        await sleep(backoffMs(this.transactRetry.baseDelayMs, attempt));
      }
    }
  }

  private transactItem(write: TransactWrite): NonNullable<TransactWriteCommandInput['TransactItems']>[number] {
    const expressions = new ExpressionBuilder();
    const condition = write.condition ? expressions.condition(write.condition) : undefined;
    const conditional = condition ? { ConditionExpression: condition } : {};
    switch (write.kind) {
      case 'put':
        return { Put: { TableName: this.tableName, Item: write.item, ...conditional, ...expressions.attributes() } };
      case 'update': {
        const updateExpression = expressions.update(write.update) as string; // checkTransaction refused empty updates
        return {
          Update: {
            TableName: this.tableName,
            Key: keyOf(write.key),
            UpdateExpression: updateExpression,
            ...conditional,
            ...expressions.attributes(),
          },
        };
      }
      case 'delete':
        return { Delete: { TableName: this.tableName, Key: keyOf(write.key), ...conditional, ...expressions.attributes() } };
      case 'conditionCheck':
        return {
          ConditionCheck: { TableName: this.tableName, Key: keyOf(write.key), ConditionExpression: condition as string, ...expressions.attributes() },
        };
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

/** The reasons of a cancelled transaction, one per write, or undefined when the error is something else. */
function cancellationReasons(error: unknown): { Code?: string; Message?: string }[] | undefined {
  if (!(error instanceof Error) || error.name !== 'TransactionCanceledException') return undefined;
  return (error as { CancellationReasons?: { Code?: string; Message?: string }[] }).CancellationReasons;
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
