import {
  type Condition,
  ConditionFailedError,
  type Item,
  type ItemKey,
  ItemTooLargeError,
  MAX_ITEM_BYTES,
  MAX_TRANSACT_WRITES,
  type QueryOptions,
  queryAll,
  type Table,
  type TransactWrite,
} from '@refinery/ports';

export interface TableContractSubject {
  /** An empty table. */
  readonly table: Table;
  cleanup(): Promise<void>;
}

export interface TableContractOptions {
  /** Why this subject cannot run the transaction part (it then runs elsewhere: describeTransactContract). */
  readonly withoutTransactions?: string;
}

/** What both tables (SQLite, DynamoDB) must do alike. */
export function describeTableContract(name: string, setup: () => Promise<TableContractSubject>, options: TableContractOptions = {}): void {
  if (options.withoutTransactions) describe.skip(`Table contract: ${name}: transact (${options.withoutTransactions})`, () => it.todo('transact'));
  else describeTransactContract(name, setup);
  describe(`Table contract: ${name}`, () => {
    let subject: TableContractSubject;
    let table: Table;
    const key: ItemKey = { pk: 'job#1', sk: 'state' };

    beforeEach(async () => {
      subject = await setup();
      table = subject.table;
    });
    afterEach(async () => {
      await subject.cleanup();
    });

    describe('items', () => {
      it('reads back exactly what was written, every value type included', async () => {
        const item: Item = {
          ...key,
          text: 'Zoë Ångström 👋',
          empty: '',
          count: 42,
          negative: -7,
          ratio: 0.125,
          yes: true,
          no: false,
          nothing: null,
          list: ['a', 1, false, null, ['nested'], { deep: 'map' }],
          emptyList: [],
          map: { name: 'Ada', tags: ['x', 'y'], inner: { n: 1 } },
          emptyMap: {},
        };
        await table.put(item);
        expect(await table.get(key)).toEqual(item);
      });

      it('drops undefined attributes', async () => {
        await table.put({ ...key, kept: 1, dropped: undefined });
        const read = await table.get(key);
        expect(read).toEqual({ ...key, kept: 1 });
        expect(Object.keys(read ?? {})).not.toContain('dropped');
      });

      it('answers undefined for a missing item and keeps items of one partition apart by sort key', async () => {
        expect(await table.get(key)).toBeUndefined();
        await table.put({ pk: 'p', sk: 'a', v: 1 });
        await table.put({ pk: 'p', sk: 'b', v: 2 });
        await table.put({ pk: 'q', sk: 'a', v: 3 });
        expect(await table.get({ pk: 'p', sk: 'a' })).toEqual({ pk: 'p', sk: 'a', v: 1 });
        expect(await table.get({ pk: 'q', sk: 'a' })).toEqual({ pk: 'q', sk: 'a', v: 3 });
        expect(await table.get({ pk: 'p', sk: 'c' })).toBeUndefined();
      });

      it('replaces the whole item on put', async () => {
        await table.put({ ...key, a: 1, b: 2 });
        await table.put({ ...key, a: 3 });
        expect(await table.get(key)).toEqual({ ...key, a: 3 });
      });

      it('deletes items; deleting a missing item is not an error', async () => {
        await table.put({ ...key, a: 1 });
        await table.delete(key);
        expect(await table.get(key)).toBeUndefined();
        await expect(table.delete(key)).resolves.toBeUndefined();
      });

      it('reads its own writes at once (strongly consistent)', async () => {
        for (let round = 0; round < 20; round += 1) {
          await table.put({ ...key, round });
          expect((await table.get(key))?.round).toBe(round);
          expect((await table.update(key, { increment: { n: 1 } })).n).toBe(1);
          expect((await table.get(key))?.n).toBe(1);
          expect((await table.query(key.pk)).items).toEqual([{ ...key, round, n: 1 }]);
          await table.delete(key);
          expect(await table.get(key)).toBeUndefined();
        }
      });
    });

    describe('conditions', () => {
      const put = (condition: Condition, value = 'new') => table.put({ ...key, status: value }, { condition });

      it('itemNotExists creates once; itemExists only touches existing items', async () => {
        await put({ kind: 'itemNotExists' }, 'first');
        await expectConditionFailed(put({ kind: 'itemNotExists' }, 'second'));
        expect((await table.get(key))?.status).toBe('first');

        await expectConditionFailed(table.put({ pk: 'other', sk: 'x' }, { condition: { kind: 'itemExists' } }));
        await expectConditionFailed(table.update({ pk: 'other', sk: 'x' }, { set: { a: 1 } }, { condition: { kind: 'itemExists' } }));
        await expectConditionFailed(table.delete({ pk: 'other', sk: 'x' }, { condition: { kind: 'itemExists' } }));
        expect(await table.get({ pk: 'other', sk: 'x' })).toBeUndefined();
        await table.delete(key, { condition: { kind: 'itemExists' } });
        expect(await table.get(key)).toBeUndefined();
      });

      it('attributeEquals holds only for an equal value of the same type', async () => {
        await table.put({ ...key, status: 'open', count: 1 });
        await expectConditionFailed(put({ kind: 'attributeEquals', attribute: 'status', value: 'closed' }));
        await expectConditionFailed(put({ kind: 'attributeEquals', attribute: 'count', value: '1' }));
        await expectConditionFailed(put({ kind: 'attributeEquals', attribute: 'missing', value: 'open' }));
        await expectConditionFailed(
          table.put({ pk: 'other', sk: 'x' }, { condition: { kind: 'attributeEquals', attribute: 'status', value: 'open' } }),
        );
        await table.update(key, { set: { status: 'done' } }, { condition: { kind: 'attributeEquals', attribute: 'count', value: 1 } });
        await table.delete(key, { condition: { kind: 'attributeEquals', attribute: 'status', value: 'done' } });
        expect(await table.get(key)).toBeUndefined();
      });

      it('attributeNotEquals holds for a present, different value — not for a missing attribute or item', async () => {
        await table.put({ ...key, status: 'open' });
        await table.update(key, { set: { status: 'done' } }, { condition: { kind: 'attributeNotEquals', attribute: 'status', value: 'failed' } });
        await expectConditionFailed(
          table.update(key, { set: { status: 'x' } }, { condition: { kind: 'attributeNotEquals', attribute: 'status', value: 'done' } }),
        );
        await expectConditionFailed(
          table.update(key, { set: { status: 'x' } }, { condition: { kind: 'attributeNotEquals', attribute: 'missing', value: 'done' } }),
        );
        await expectConditionFailed(
          table.put({ pk: 'other', sk: 'x' }, { condition: { kind: 'attributeNotEquals', attribute: 'status', value: 'done' } }),
        );
        expect(await table.get(key)).toEqual({ ...key, status: 'done' });
        expect(await table.get({ pk: 'other', sk: 'x' })).toBeUndefined();
      });

      it('attributeNotExists holds for a missing attribute and a missing item', async () => {
        await table.put({ ...key, status: 'open' }, { condition: { kind: 'attributeNotExists', attribute: 'status' } });
        await expectConditionFailed(put({ kind: 'attributeNotExists', attribute: 'status' }));
        await table.update(key, { set: { lockedBy: 'w1' } }, { condition: { kind: 'attributeNotExists', attribute: 'lockedBy' } });
        await expectConditionFailed(
          table.update(key, { set: { lockedBy: 'w2' } }, { condition: { kind: 'attributeNotExists', attribute: 'lockedBy' } }),
        );
        expect(await table.get(key)).toEqual({ ...key, status: 'open', lockedBy: 'w1' });
      });

      it('anyOf holds when one of its conditions does; an empty anyOf never holds', async () => {
        const missingOrNotDone: Condition = {
          kind: 'anyOf',
          conditions: [
            { kind: 'attributeNotExists', attribute: 'status' },
            { kind: 'attributeNotEquals', attribute: 'status', value: 'done' },
          ],
        };
        await table.update(key, { set: { status: 'failed' } }, { condition: missingOrNotDone });
        await table.update(key, { set: { status: 'done' } }, { condition: missingOrNotDone });
        await expectConditionFailed(table.update(key, { set: { status: 'failed' } }, { condition: missingOrNotDone }));
        await expectConditionFailed(
          table.update(
            key,
            { set: { status: 'x' } },
            {
              condition: { kind: 'anyOf', conditions: [{ kind: 'itemNotExists' }, { kind: 'attributeEquals', attribute: 'status', value: 'open' }] },
            },
          ),
        );
        await expectConditionFailed(table.put({ pk: 'other', sk: 'x' }, { condition: { kind: 'anyOf', conditions: [] } }));
        expect(await table.get(key)).toEqual({ ...key, status: 'done' });
      });

      it('treats attribute names literally: reserved words, dots, dashes and spaces', async () => {
        const odd = { status: 'a', name: 'b', 'a.b': 'c', 'x-y': 'd', 'with space': 'e' };
        await table.put({ ...key, ...odd }, { condition: { kind: 'attributeNotExists', attribute: 'a.b' } });
        await table.update(
          key,
          { set: { 'a.b': 'C', size: 1 }, remove: ['x-y'] },
          { condition: { kind: 'attributeEquals', attribute: 'with space', value: 'e' } },
        );
        await expectConditionFailed(table.delete(key, { condition: { kind: 'attributeEquals', attribute: 'name', value: 'nope' } }));
        expect(await table.get(key)).toEqual({ ...key, status: 'a', name: 'b', 'a.b': 'C', 'with space': 'e', size: 1 });
      });
    });

    describe('updates', () => {
      it('creates a missing item and returns every attribute as stored', async () => {
        const updated = await table.update(key, { set: { status: 'open', meta: { by: 'ada' } } });
        expect(updated).toEqual({ ...key, status: 'open', meta: { by: 'ada' } });
        expect(await table.get(key)).toEqual(updated);
      });

      it('keeps attributes it does not touch', async () => {
        await table.put({ ...key, a: 1, b: 'two' });
        expect(await table.update(key, { set: { c: true } })).toEqual({ ...key, a: 1, b: 'two', c: true });
      });

      it('counts with increment (a missing counter is 0)', async () => {
        expect((await table.update(key, { increment: { rows: 5 } })).rows).toBe(5);
        expect((await table.update(key, { increment: { rows: 3, errors: 1 } })).rows).toBe(8);
        expect(await table.update(key, { increment: { rows: -2 }, set: { status: 'busy' } })).toEqual({ ...key, rows: 6, errors: 1, status: 'busy' });
        expect(await table.get(key)).toEqual({ ...key, rows: 6, errors: 1, status: 'busy' });
      });

      it('adds to string sets idempotently and reads them back as sorted arrays', async () => {
        expect((await table.update(key, { addToSet: { done: ['b', 'a'] } })).done).toEqual(['a', 'b']);
        expect((await table.update(key, { addToSet: { done: ['c', 'a'] } })).done).toEqual(['a', 'b', 'c']);
        expect((await table.update(key, { addToSet: { done: ['c', 'a', 'b'] } })).done).toEqual(['a', 'b', 'c']);
        expect(await table.update(key, { addToSet: { done: ['000000007', '000000010'], other: ['z'] }, increment: { n: 1 } })).toEqual({
          ...key,
          done: ['000000007', '000000010', 'a', 'b', 'c'],
          other: ['z'],
          n: 1,
        });
        expect((await table.get(key))?.done).toEqual(['000000007', '000000010', 'a', 'b', 'c']);
        expect((await table.query(key.pk)).items[0]?.done).toEqual(['000000007', '000000010', 'a', 'b', 'c']);
      });

      it('removes attributes (a missing one is no error)', async () => {
        await table.put({ ...key, a: 1, b: ['x'], c: 'keep' });
        expect(await table.update(key, { remove: ['a', 'b', 'never-there'] })).toEqual({ ...key, c: 'keep' });
        expect(await table.get(key)).toEqual({ ...key, c: 'keep' });
      });

      it('changes nothing when its condition fails', async () => {
        await table.put({ ...key, status: 'open', n: 1 });
        await expectConditionFailed(
          table.update(key, { set: { status: 'x' }, increment: { n: 1 }, addToSet: { s: ['a'] } }, { condition: { kind: 'itemNotExists' } }),
        );
        expect(await table.get(key)).toEqual({ ...key, status: 'open', n: 1 });
      });
    });

    describe('batchPut', () => {
      it('writes more items than one DynamoDB call takes, and can be repeated', async () => {
        const items = Array.from({ length: 60 }, (_, i) => ({ pk: i % 2 ? 'odd' : 'even', sk: `item#${String(i).padStart(3, '0')}`, i }));
        await table.batchPut(items);
        await table.batchPut(items);
        expect(await collect(table, 'even')).toEqual(items.filter((item) => item.pk === 'even'));
        expect(await collect(table, 'odd')).toEqual(items.filter((item) => item.pk === 'odd'));
      });

      it('keeps the last of repeated keys and replaces existing items', async () => {
        await table.put({ ...key, old: true });
        await table.batchPut([
          { ...key, v: 1 },
          { pk: 'p', sk: 'other', v: 2 },
          { ...key, v: 3 },
        ]);
        expect(await table.get(key)).toEqual({ ...key, v: 3 });
        expect(await table.get({ pk: 'p', sk: 'other' })).toEqual({ pk: 'p', sk: 'other', v: 2 });
      });

      it('does nothing for no items', async () => {
        await expect(table.batchPut([])).resolves.toBeUndefined();
      });
    });

    describe('queries', () => {
      beforeEach(async () => {
        for (const sk of ['chunk#002', 'chunk#000', 'plan', 'chunk#001', 'chunk#003', 'a_1', 'ab1', 'x%y', 'xay']) {
          await table.put({ pk: 'job', sk, n: sk.length });
        }
        await table.put({ pk: 'other', sk: 'chunk#000' });
      });

      it('returns one partition in sort-key order', async () => {
        expect(await sortKeys(table, 'job')).toEqual(['a_1', 'ab1', 'chunk#000', 'chunk#001', 'chunk#002', 'chunk#003', 'plan', 'x%y', 'xay']);
        expect((await table.query('job')).items[0]).toEqual({ pk: 'job', sk: 'a_1', n: 3 });
        expect(await table.query('nobody')).toEqual({ items: [] });
      });

      it('filters by sort-key prefix, taking % and _ literally', async () => {
        expect(await sortKeys(table, 'job', { beginsWith: 'chunk#' })).toEqual(['chunk#000', 'chunk#001', 'chunk#002', 'chunk#003']);
        expect(await sortKeys(table, 'job', { beginsWith: 'a_' })).toEqual(['a_1']);
        expect(await sortKeys(table, 'job', { beginsWith: 'x%' })).toEqual(['x%y']);
        expect(await sortKeys(table, 'job', { beginsWith: 'zzz' })).toEqual([]);
      });

      it('pages with limit and after, forwards and in reverse', async () => {
        const page = await table.query('job', { beginsWith: 'chunk#', limit: 3 });
        expect(page.items.map((item) => item.sk)).toEqual(['chunk#000', 'chunk#001', 'chunk#002']);
        expect(page.lastKey).toBe('chunk#002');
        expect(await sortKeys(table, 'job', { beginsWith: 'chunk#', after: page.lastKey })).toEqual(['chunk#003']);
        expect(await sortKeys(table, 'job', { after: 'chunk#001', limit: 2 })).toEqual(['chunk#002', 'chunk#003']);
        expect(await sortKeys(table, 'job', { reverse: true, limit: 2 })).toEqual(['xay', 'x%y']);
        expect(await sortKeys(table, 'job', { beginsWith: 'chunk#', reverse: true, after: 'chunk#002' })).toEqual(['chunk#001', 'chunk#000']);
      });

      it('accepts an after key that does not exist or lies outside the prefix', async () => {
        expect(await sortKeys(table, 'job', { after: 'chunk#0015' })).toEqual(['chunk#002', 'chunk#003', 'plan', 'x%y', 'xay']);
        expect(await sortKeys(table, 'job', { beginsWith: 'chunk#', after: 'b' })).toEqual(['chunk#000', 'chunk#001', 'chunk#002', 'chunk#003']);
        expect(await sortKeys(table, 'job', { beginsWith: 'chunk#', after: 'd' })).toEqual([]);
        expect(await sortKeys(table, 'job', { beginsWith: 'chunk#', after: 'd', reverse: true })).toEqual([
          'chunk#003',
          'chunk#002',
          'chunk#001',
          'chunk#000',
        ]);
        expect(await sortKeys(table, 'job', { beginsWith: 'chunk#', after: 'b', reverse: true })).toEqual([]);
      });

      it('reads every page with queryAll, whatever the page size', async () => {
        const all = ['a_1', 'ab1', 'chunk#000', 'chunk#001', 'chunk#002', 'chunk#003', 'plan', 'x%y', 'xay'];
        for (const limit of [1, 2, 3, 4, 9, 10]) {
          expect((await collect(table, 'job', { limit })).map((item) => item.sk)).toEqual(all);
          expect((await collect(table, 'job', { limit, reverse: true })).map((item) => item.sk)).toEqual([...all].reverse());
        }
        expect((await collect(table, 'job', { beginsWith: 'chunk#', limit: 2 })).map((item) => item.sk)).toEqual([
          'chunk#000',
          'chunk#001',
          'chunk#002',
          'chunk#003',
        ]);
      });

      it('may end a full last page with a lastKey, which then leads to an empty page', async () => {
        // DynamoDB hands out a lastKey when a page is full even if nothing follows; the local table does not.
        const page = await table.query('job', { beginsWith: 'chunk#', limit: 4 });
        expect(page.items).toHaveLength(4);
        if (page.lastKey !== undefined) {
          expect(page.lastKey).toBe('chunk#003');
          expect(await table.query('job', { beginsWith: 'chunk#', limit: 4, after: page.lastKey })).toEqual({ items: [] });
        }
      });
    });

    describe('the 400 KB item limit', () => {
      const big = 'x'.repeat(410 * 1024);

      it('refuses a put over the limit and writes nothing', async () => {
        const refused = table.put({ ...key, big });
        await expect(refused).rejects.toBeInstanceOf(ItemTooLargeError);
        await expect(refused).rejects.toMatchObject({ key });
        expect(((await refused.catch((error: unknown) => error)) as ItemTooLargeError).sizeBytes).toBeGreaterThan(MAX_ITEM_BYTES);
        expect(await table.get(key)).toBeUndefined();
      });

      it('refuses an update that grows the item over the limit and keeps the item', async () => {
        await table.put({ ...key, half: 'y'.repeat(250 * 1024) });
        const refused = table.update(key, { set: { more: 'z'.repeat(250 * 1024) } });
        await expect(refused).rejects.toBeInstanceOf(ItemTooLargeError);
        expect(((await refused.catch((error: unknown) => error)) as ItemTooLargeError).sizeBytes).toBeGreaterThan(MAX_ITEM_BYTES);
        expect(Object.keys((await table.get(key)) ?? {}).sort()).toEqual(['half', 'pk', 'sk']);
      });

      it('refuses a batch holding an oversized item, writing none of it', async () => {
        await expect(
          table.batchPut([
            { pk: 'q', sk: 'a' },
            { pk: 'q', sk: 'b', big },
          ]),
        ).rejects.toMatchObject({ name: 'ItemTooLargeError', key: { pk: 'q', sk: 'b' } });
        expect(await table.get({ pk: 'q', sk: 'a' })).toBeUndefined();
      });

      it('accepts a large item under the limit', async () => {
        await table.put({ ...key, blob: 'x'.repeat(300 * 1024) });
        expect((await table.get(key))?.blob).toHaveLength(300 * 1024);
      });
    });
  });
}

/** transact: all or nothing, the failed write named (for subjects whose emulator has transactions; see the header). */
export function describeTransactContract(name: string, setup: () => Promise<TableContractSubject>): void {
  describe(`Table contract: ${name}: transact`, () => {
    let subject: TableContractSubject;
    let table: Table;
    beforeEach(async () => {
      subject = await setup();
      table = subject.table;
    });
    afterEach(async () => {
      await subject.cleanup();
    });

    const a = { pk: 'job#1', sk: 'a' };
    const b = { pk: 'job#1', sk: 'b' };
    const c = { pk: 'job#2', sk: 'c' };

    it('makes every kind of write together, across partitions', async () => {
      await table.put({ ...b, n: 1, gone: true });
      await table.put({ ...c, doomed: true });
      await table.transact([
        { kind: 'put', item: { ...a, text: 'Zoë', list: [1, { deep: null }] }, condition: { kind: 'itemNotExists' } },
        { kind: 'update', key: b, update: { increment: { n: 2 }, set: { status: 'done' }, addToSet: { tags: ['y', 'x'] }, remove: ['gone'] } },
        { kind: 'delete', key: c, condition: { kind: 'attributeEquals', attribute: 'doomed', value: true } },
        { kind: 'conditionCheck', key: { pk: 'job#3', sk: 'lock' }, condition: { kind: 'itemNotExists' } },
      ]);
      expect(await table.get(a)).toEqual({ ...a, text: 'Zoë', list: [1, { deep: null }] });
      expect(await table.get(b)).toEqual({ ...b, n: 3, status: 'done', tags: ['x', 'y'] });
      expect(await table.get(c)).toBeUndefined();
      expect(await table.get({ pk: 'job#3', sk: 'lock' })).toBeUndefined();
    });

    it('writes nothing when one condition fails, and names that write by key and index', async () => {
      await table.put({ ...b, n: 1 });
      const failed = await table
        .transact([
          { kind: 'put', item: { ...a, v: 1 } },
          { kind: 'update', key: c, update: { increment: { n: 1 } } },
          { kind: 'update', key: b, update: { increment: { n: 1 } }, condition: { kind: 'attributeEquals', attribute: 'n', value: 2 } },
        ])
        .catch((error: unknown) => error);
      expect(failed).toBeInstanceOf(ConditionFailedError);
      expect(failed).toMatchObject({ key: b, index: 2 });
      expect(await table.get(a)).toBeUndefined();
      expect(await table.get(b)).toEqual({ ...b, n: 1 });
      expect(await table.get(c)).toBeUndefined();
    });

    it('names the first write whose condition fails when several fail (a batch of markers, some redelivered)', async () => {
      await table.put({ pk: 'job#1', sk: 'event#e2' });
      await table.put({ pk: 'job#1', sk: 'event#e4' });
      const markers = ['e1', 'e2', 'e3', 'e4'].map(
        (id): TransactWrite => ({ kind: 'put', item: { pk: 'job#1', sk: `event#${id}`, at: id }, condition: { kind: 'itemNotExists' } }),
      );
      await expect(table.transact(markers)).rejects.toMatchObject({ name: 'ConditionFailedError', key: { pk: 'job#1', sk: 'event#e2' }, index: 1 });
      await expect(table.transact([markers[3], markers[0]] as TransactWrite[])).rejects.toMatchObject({
        key: { pk: 'job#1', sk: 'event#e4' },
        index: 0,
      });
      expect(await table.get({ pk: 'job#1', sk: 'event#e1' })).toBeUndefined();
    });

    it('fails on a condition check alone, and a redelivered marker makes the whole transaction a no-op', async () => {
      const record = (n: number): TransactWrite[] => [
        { kind: 'put', item: { pk: 'job#1', sk: 'event#e1' }, condition: { kind: 'itemNotExists' } },
        { kind: 'update', key: { pk: 'job#1', sk: 'state' }, update: { increment: { events: n } } },
      ];
      await table.transact(record(1));
      await expect(table.transact(record(1))).rejects.toMatchObject({ name: 'ConditionFailedError', key: { pk: 'job#1', sk: 'event#e1' }, index: 0 });
      expect(await table.get({ pk: 'job#1', sk: 'state' })).toEqual({ pk: 'job#1', sk: 'state', events: 1 });
      await expect(
        table.transact([
          { kind: 'put', item: { ...c, v: 1 } },
          { kind: 'conditionCheck', key: { pk: 'job#1', sk: 'state' }, condition: { kind: 'attributeEquals', attribute: 'events', value: 5 } },
        ]),
      ).rejects.toMatchObject({ name: 'ConditionFailedError', index: 1 });
      expect(await table.get(c)).toBeUndefined();
    });

    it('checks every condition against the items as they were before the transaction', async () => {
      await table.put({ ...a, v: 1 });
      await table.transact([
        { kind: 'delete', key: a, condition: { kind: 'itemExists' } },
        { kind: 'put', item: { ...b, v: 2 }, condition: { kind: 'anyOf', conditions: [{ kind: 'itemNotExists' }] } },
      ]);
      expect(await table.get(a)).toBeUndefined();
      expect(await table.get(b)).toEqual({ ...b, v: 2 });
    });

    it(`takes ${MAX_TRANSACT_WRITES} writes; refuses more, two writes on one key, and an empty update, writing nothing`, async () => {
      const puts = (count: number): TransactWrite[] =>
        Array.from({ length: count }, (_, i) => ({ kind: 'put', item: { pk: 'many', sk: `item#${String(i).padStart(3, '0')}`, i } }) as const);
      await table.transact(puts(MAX_TRANSACT_WRITES));
      expect(await collect(table, 'many')).toHaveLength(MAX_TRANSACT_WRITES);

      await expect(table.transact([...puts(MAX_TRANSACT_WRITES), { kind: 'put', item: { ...a } }])).rejects.toThrow(/at most 100 writes, got 101/);
      await expect(
        table.transact([
          { kind: 'put', item: { ...a, v: 1 } },
          { kind: 'update', key: a, update: { set: { v: 2 } } },
        ]),
      ).rejects.toThrow(/writes 0 and 1 .* both on job#1 \/ a/);
      await expect(
        table.transact([
          { kind: 'put', item: { ...b } },
          { kind: 'update', key: a, update: {} },
        ]),
      ).rejects.toThrow(/write 1 .* nothing to set/);
      expect(await table.get(a)).toBeUndefined();
      expect(await table.get(b)).toBeUndefined();
      await expect(table.transact([])).resolves.toBeUndefined();
    });

    it('refuses an oversized item and writes nothing', async () => {
      const refused = table.transact([
        { kind: 'put', item: { ...a, v: 1 } },
        { kind: 'put', item: { ...b, big: 'x'.repeat(410 * 1024) } },
      ]);
      await expect(refused).rejects.toMatchObject({ name: 'ItemTooLargeError', key: b });
      expect(await table.get(a)).toBeUndefined();
    });
  });
}

async function expectConditionFailed(write: Promise<unknown>): Promise<void> {
  const error = await write.then(
    () => undefined,
    (failure: unknown) => failure,
  );
  expect(error).toBeInstanceOf(ConditionFailedError);
  const { key } = error as ConditionFailedError;
  expect(Object.keys(key).sort()).toEqual(['pk', 'sk']);
}

async function sortKeys(table: Table, pk: string, options: QueryOptions = {}): Promise<string[]> {
  return (await table.query(pk, options)).items.map((item) => item.sk);
}

async function collect(table: Table, pk: string, options: Omit<QueryOptions, 'after'> = {}): Promise<Item[]> {
  const items: Item[] = [];
  for await (const item of queryAll(table, pk, options)) items.push(item);
  return items;
}
