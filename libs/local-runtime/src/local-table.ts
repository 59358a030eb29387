import {
  type AttributeValue,
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
import { cachedStatement, type SqliteDatabase } from './database';
import type { StorageHealth } from './storage-health';

/** DynamoDB returns at most 1 MB per query page; we page by item count, which is what callers rely on. */
const DEFAULT_PAGE_ITEMS = 1000;

/**
 * A DynamoDB-like table in SQLite: one logical table per name in a shared `items` table. Each read-modify-write runs
 * in an IMMEDIATE transaction, so conditions hold across processes exactly as DynamoDB's conditional writes do.
 */
export class LocalTable implements Table {
  constructor(
    private readonly db: SqliteDatabase,
    readonly name: string,
    /** Hears of writes that fail on a full or read-only data dir (and turns their error into a DataDirFaultError). */
    private readonly storage?: StorageHealth,
  ) {}

  async get(key: ItemKey): Promise<Item | undefined> {
    return this.read(key);
  }

  async put(item: Item, options: { condition?: Condition } = {}): Promise<void> {
    this.writing(() =>
      this.db
        .transaction(() => {
          if (options.condition) this.check(item, this.read(item), options.condition);
          this.write(item);
        })
        .immediate(),
    );
  }

  async update(key: ItemKey, update: ItemUpdate, options: { condition?: Condition } = {}): Promise<Item> {
    return this.writing(() => this.updateNow(key, update, options));
  }

  private updateNow(key: ItemKey, update: ItemUpdate, options: { condition?: Condition }): Item {
    return this.db
      .transaction(() => {
        const existing = this.read(key);
        if (options.condition) this.check(key, existing, options.condition);
        const item = this.updated(key, existing, update);
        this.write(item);
        return item;
      })
      .immediate();
  }

  /** The item as `update` leaves it. */
  private updated(key: ItemKey, existing: Item | undefined, update: ItemUpdate): Item {
    const next: Record<string, AttributeValue | undefined> = { ...(existing ?? {}), pk: key.pk, sk: key.sk };
    for (const [attribute, value] of Object.entries(update.set ?? {})) next[attribute] = value;
    for (const [attribute, delta] of Object.entries(update.increment ?? {})) {
      const current = next[attribute];
      if (current !== undefined && typeof current !== 'number') {
        throw new Error(`cannot increment ${attribute} of ${key.pk} / ${key.sk}: it is not a number`);
      }
      next[attribute] = (current ?? 0) + delta;
    }
    for (const [attribute, members] of Object.entries(update.addToSet ?? {})) {
      const current = next[attribute];
      if (current !== undefined && !Array.isArray(current)) {
        throw new Error(`cannot add to set ${attribute} of ${key.pk} / ${key.sk}: it is not a set`);
      }
      next[attribute] = [...new Set([...((current as string[] | undefined) ?? []), ...members])].sort();
    }
    for (const attribute of update.remove ?? []) delete next[attribute];
    return next as Item;
  }

  /**
   * One IMMEDIATE SQLite transaction: every condition is checked against the items as they were before it (as
   * DynamoDB does; no two writes share a key, so none sees another's effect), then every write is made. Any failure
   * rolls back all of it.
   */
  async transact(writes: readonly TransactWrite[]): Promise<void> {
    checkTransaction(this.name, writes);
    if (writes.length === 0) return;
    this.writing(() =>
      this.db
        .transaction(() => {
          const existing = writes.map((write) => this.read(keyOfWrite(write)));
          writes.forEach((write, index) => {
            if (write.condition && !conditionHolds(existing[index], write.condition)) throw new ConditionFailedError(keyOfWrite(write), index);
          });
          writes.forEach((write, index) => {
            if (write.kind === 'put') this.write(write.item);
            else if (write.kind === 'update') this.write(this.updated(write.key, existing[index], write.update));
            else if (write.kind === 'delete') this.remove(write.key);
          });
        })
        .immediate(),
    );
  }

  async batchPut(items: readonly Item[]): Promise<void> {
    this.writing(() =>
      this.db
        .transaction(() => {
          for (const item of items) this.write(item);
        })
        .immediate(),
    );
  }

  async delete(key: ItemKey, options: { condition?: Condition } = {}): Promise<void> {
    this.writing(() =>
      this.db
        .transaction(() => {
          if (options.condition) this.check(key, this.read(key), options.condition);
          this.remove(key);
        })
        .immediate(),
    );
  }

  /** A write transaction whose storage faults (SQLITE_FULL, SQLITE_READONLY) are reported and thrown as such. */
  private writing<T>(transaction: () => T): T {
    return this.storage ? this.storage.guard(transaction) : transaction();
  }

  async query(pk: string, options: QueryOptions = {}): Promise<QueryPage> {
    const limit = options.limit ?? DEFAULT_PAGE_ITEMS;
    const clauses = ['tbl = ?', 'pk = ?'];
    const params: (string | number)[] = [this.name, pk];
    if (options.beginsWith !== undefined) {
      // Range scan instead of LIKE so that '%' and '_' in keys are not wildcards. U+10FFFF encodes above every
      // character in UTF-8 (SQLite compares bytes), so keys with characters beyond U+FFFF are inside the range too.
      clauses.push('sk >= ?', 'sk < ?');
      params.push(options.beginsWith, `${options.beginsWith}\u{10FFFF}`);
    }
    if (options.after !== undefined) {
      clauses.push(options.reverse ? 'sk < ?' : 'sk > ?');
      params.push(options.after);
    }
    const rows = cachedStatement(
      this.db,
      `SELECT body FROM items WHERE ${clauses.join(' AND ')} ORDER BY sk ${options.reverse ? 'DESC' : 'ASC'} LIMIT ?`,
    ).all(...params, limit + 1) as { body: string }[];
    const items = rows.slice(0, limit).map((row) => JSON.parse(row.body) as Item);
    const last = items[items.length - 1];
    return rows.length > limit && last ? { items, lastKey: last.sk } : { items };
  }

  private read(key: ItemKey): Item | undefined {
    const row = cachedStatement(this.db, 'SELECT body FROM items WHERE tbl = ? AND pk = ? AND sk = ?').get(this.name, key.pk, key.sk) as
      | { body: string }
      | undefined;
    return row ? (JSON.parse(row.body) as Item) : undefined;
  }

  private write(item: Item): void {
    if (typeof item.pk !== 'string' || typeof item.sk !== 'string' || item.pk === '' || item.sk === '') {
      throw new Error(`table ${this.name}: an item needs non-empty string pk and sk`);
    }
    const body = JSON.stringify(item);
    const size = Buffer.byteLength(body);
    if (size > MAX_ITEM_BYTES) throw new ItemTooLargeError(item, size);
    cachedStatement(
      this.db,
      'INSERT INTO items (tbl, pk, sk, body) VALUES (?, ?, ?, ?) ON CONFLICT (tbl, pk, sk) DO UPDATE SET body = excluded.body',
    ).run(this.name, item.pk, item.sk, body);
  }

  private remove(key: ItemKey): void {
    cachedStatement(this.db, 'DELETE FROM items WHERE tbl = ? AND pk = ? AND sk = ?').run(this.name, key.pk, key.sk);
  }

  private check(key: ItemKey, existing: Item | undefined, condition: Condition): void {
    if (!conditionHolds(existing, condition)) throw new ConditionFailedError({ pk: key.pk, sk: key.sk });
  }
}

export function conditionHolds(existing: Item | undefined, condition: Condition): boolean {
  switch (condition.kind) {
    case 'itemNotExists':
      return existing === undefined;
    case 'itemExists':
      return existing !== undefined;
    case 'attributeNotExists':
      return existing?.[condition.attribute] === undefined;
    case 'attributeEquals':
      return existing !== undefined && sameValue(existing[condition.attribute], condition.value);
    case 'attributeNotEquals':
      // The port's meaning: false when the attribute is missing (the DynamoDB adapter sends `attribute_exists(a) AND
      // a <> :v`, which holds whatever an emulator thinks of `<>` on a missing attribute). Callers that mean "missing
      // or different" say so with anyOf.
      return existing !== undefined && existing[condition.attribute] !== undefined && !sameValue(existing[condition.attribute], condition.value);
    case 'anyOf':
      return condition.conditions.some((inner) => conditionHolds(existing, inner));
  }
}

function sameValue(a: AttributeValue | undefined, b: AttributeValue): boolean {
  return JSON.stringify(a) === JSON.stringify(b);
}
