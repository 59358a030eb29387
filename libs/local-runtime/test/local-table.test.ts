import { ConditionFailedError, ItemTooLargeError, queryAll } from '@refinery/ports';
import { openDatabase } from '../src/database';
import { LocalTable } from '../src/local-table';

describe('LocalTable (DynamoDB-like)', () => {
  const table = () => new LocalTable(openDatabase(':memory:'), 'things');

  it('puts, gets and deletes items; tables do not see each other', async () => {
    const db = openDatabase(':memory:');
    const a = new LocalTable(db, 'a');
    const b = new LocalTable(db, 'b');
    await a.put({ pk: 'p', sk: 's', value: 1 });
    expect(await a.get({ pk: 'p', sk: 's' })).toEqual({ pk: 'p', sk: 's', value: 1 });
    expect(await b.get({ pk: 'p', sk: 's' })).toBeUndefined();
    await a.delete({ pk: 'p', sk: 's' });
    expect(await a.get({ pk: 'p', sk: 's' })).toBeUndefined();
  });

  it('prepares each statement once per database, however many items it reads and writes', async () => {
    const db = openDatabase(':memory:');
    const prepare = jest.spyOn(db, 'prepare');
    const a = new LocalTable(db, 'a');
    const b = new LocalTable(db, 'b');
    for (let i = 0; i < 20; i++) {
      await a.put({ pk: 'p', sk: `s${i}`, value: i });
      await b.update({ pk: 'p', sk: 's' }, { set: { value: i } });
      expect(await a.get({ pk: 'p', sk: `s${i}` })).toEqual({ pk: 'p', sk: `s${i}`, value: i });
    }
    const once = prepare.mock.calls.length;
    await a.put({ pk: 'p', sk: 'more', value: 0 });
    await b.update({ pk: 'p', sk: 's' }, { set: { value: -1 } });
    expect(await b.get({ pk: 'p', sk: 's' })).toMatchObject({ value: -1 });
    expect(prepare).toHaveBeenCalledTimes(once);
    expect(once).toBeLessThanOrEqual(3);
    // Another database prepares its own.
    const other = openDatabase(':memory:');
    const otherPrepare = jest.spyOn(other, 'prepare');
    await new LocalTable(other, 'a').put({ pk: 'p', sk: 's', value: 1 });
    expect(otherPrepare).toHaveBeenCalled();
  });

  it('honours conditions on put, update and delete', async () => {
    const t = table();
    await t.put({ pk: 'p', sk: 's', status: 'open' }, { condition: { kind: 'itemNotExists' } });
    await expect(t.put({ pk: 'p', sk: 's' }, { condition: { kind: 'itemNotExists' } })).rejects.toBeInstanceOf(ConditionFailedError);
    await expect(
      t.update({ pk: 'p', sk: 's' }, { set: { status: 'done' } }, { condition: { kind: 'attributeEquals', attribute: 'status', value: 'closed' } }),
    ).rejects.toBeInstanceOf(ConditionFailedError);
    await t.update(
      { pk: 'p', sk: 's' },
      { set: { status: 'done' } },
      { condition: { kind: 'attributeNotEquals', attribute: 'status', value: 'done' } },
    );
    await expect(
      t.update({ pk: 'p', sk: 's' }, { set: { status: 'x' } }, { condition: { kind: 'attributeNotEquals', attribute: 'status', value: 'done' } }),
    ).rejects.toBeInstanceOf(ConditionFailedError);
    await t.update(
      { pk: 'p', sk: 'new' },
      { set: { status: 'failed' } },
      {
        condition: {
          kind: 'anyOf',
          conditions: [
            { kind: 'attributeNotExists', attribute: 'status' },
            { kind: 'attributeNotEquals', attribute: 'status', value: 'done' },
          ],
        },
      },
    );
    expect(await t.get({ pk: 'p', sk: 'new' })).toMatchObject({ status: 'failed' });
    await expect(t.delete({ pk: 'p', sk: 'gone' }, { condition: { kind: 'itemExists' } })).rejects.toBeInstanceOf(ConditionFailedError);
  });

  it('increments counters and adds to sets idempotently', async () => {
    const t = table();
    await t.update({ pk: 'p', sk: 'c' }, { increment: { n: 2 } });
    expect(await t.update({ pk: 'p', sk: 'c' }, { increment: { n: 3 } })).toMatchObject({ n: 5 });
    await t.update({ pk: 'p', sk: 's' }, { addToSet: { done: ['b', 'a'] } });
    const again = await t.update({ pk: 'p', sk: 's' }, { addToSet: { done: ['a', 'c'] } });
    expect(again.done).toEqual(['a', 'b', 'c']);
    expect(await t.update({ pk: 'p', sk: 's' }, { remove: ['done'] })).toEqual({ pk: 'p', sk: 's' });
  });

  it('queries one partition in sort-key order, with prefix, reverse and paging', async () => {
    const t = table();
    for (const sk of ['chunk#002', 'chunk#000', 'chunk#001', 'plan', 'chunk#003']) await t.put({ pk: 'job', sk });
    await t.put({ pk: 'other', sk: 'chunk#000' });
    const page = await t.query('job', { beginsWith: 'chunk#', limit: 3 });
    expect(page.items.map((i) => i.sk)).toEqual(['chunk#000', 'chunk#001', 'chunk#002']);
    expect(page.lastKey).toBe('chunk#002');
    const next = await t.query('job', { beginsWith: 'chunk#', limit: 3, after: page.lastKey });
    expect(next.items.map((i) => i.sk)).toEqual(['chunk#003']);
    expect(next.lastKey).toBeUndefined();
    expect((await t.query('job', { reverse: true, limit: 2 })).items.map((i) => i.sk)).toEqual(['plan', 'chunk#003']);
    const all: string[] = [];
    for await (const item of queryAll(t, 'job', { beginsWith: 'chunk#', limit: 1 })) all.push(item.sk);
    expect(all).toEqual(['chunk#000', 'chunk#001', 'chunk#002', 'chunk#003']);
  });

  it('writes many items with batchPut, and refuses the whole batch when one item is too large', async () => {
    const t = table();
    await t.batchPut(Array.from({ length: 60 }, (_, i) => ({ pk: 'p', sk: `s${String(i).padStart(2, '0')}`, i })));
    expect((await t.query('p', { limit: 100 })).items).toHaveLength(60);
    await expect(
      t.batchPut([
        { pk: 'q', sk: 'a' },
        { pk: 'q', sk: 'b', blob: 'x'.repeat(410 * 1024) },
      ]),
    ).rejects.toBeInstanceOf(ItemTooLargeError);
    expect(await t.get({ pk: 'q', sk: 'a' })).toBeUndefined();
  });

  it('finds keys with characters beyond U+FFFF under a prefix', async () => {
    const t = table();
    await t.put({ pk: 'p', sk: 'name#\u{1F600}' });
    await t.put({ pk: 'p', sk: 'name#\uffff' });
    await t.put({ pk: 'p', sk: 'other' });
    expect((await t.query('p', { beginsWith: 'name#' })).items.map((i) => i.sk)).toEqual(['name#\uffff', 'name#\u{1F600}']);
  });

  it("treats '%' and '_' in prefixes literally", async () => {
    const t = table();
    await t.put({ pk: 'p', sk: 'a_1' });
    await t.put({ pk: 'p', sk: 'ab1' });
    expect((await t.query('p', { beginsWith: 'a_' })).items.map((i) => i.sk)).toEqual(['a_1']);
  });

  it('refuses items over 400 KB, like DynamoDB', async () => {
    await expect(table().put({ pk: 'p', sk: 's', blob: 'x'.repeat(410 * 1024) })).rejects.toBeInstanceOf(ItemTooLargeError);
  });
});
