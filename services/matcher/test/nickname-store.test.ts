import { loadBundledNicknames, NicknameTable } from '@refinery/nicknames';
import { queryAll } from '@refinery/ports';
import { createTestPorts, type TestPorts } from '@refinery/test-support';
import { loadNicknameTable, StoredNicknames, seedNicknames } from '../src/service';

let ports: TestPorts;

beforeEach(() => {
  ports = createTestPorts();
});

afterEach(() => ports.cleanup());

async function itemCount(table: ReturnType<TestPorts['table']>, pk: string): Promise<number> {
  let count = 0;
  for await (const _item of queryAll(table, pk)) count += 1;
  return count;
}

describe('seedNicknames', () => {
  it('seeds the bundled table once; a second seeding from the same data does nothing', async () => {
    const table = ports.table('matcher-nicknames');
    const bundled = loadBundledNicknames();

    const first = await seedNicknames(table, bundled, 'test');
    expect(first).toEqual({ seeded: true, names: bundled.size });
    expect(bundled.size).toBeGreaterThan(100);
    const marker = await table.get({ pk: 'nicknames', sk: 'seed' });

    const second = await seedNicknames(table, bundled, 'test');
    expect(second).toEqual({ seeded: false, names: bundled.size });
    // The marker was not rewritten (it would carry a new seededAt).
    expect(await table.get({ pk: 'nicknames', sk: 'seed' })).toEqual(marker);
  });

  it('seeds again when the data changes', async () => {
    const table = ports.table('matcher-nicknames');
    await seedNicknames(table, NicknameTable.fromPairs([['robert', 'bob']]), 'test');

    const changed = await seedNicknames(
      table,
      NicknameTable.fromPairs([
        ['robert', 'bob'],
        ['william', 'bill'],
      ]),
      'test',
    );

    expect(changed).toEqual({ seeded: true, names: 4 });
    const nicknames = new StoredNicknames(table);
    await nicknames.prefetch(['Bill']);
    expect([...nicknames.variantsOf('Bill')]).toEqual(['william']);
  });

  it('stores one item per name', async () => {
    const table = ports.table('matcher-nicknames');
    await seedNicknames(
      table,
      NicknameTable.fromPairs([
        ['robert', 'bob'],
        ['robert', 'rob'],
      ]),
      'test',
    );

    expect(await itemCount(table, 'nickname#robert')).toBe(1);
    expect(await table.get({ pk: 'nickname#robert', sk: 'variants' })).toMatchObject({ variants: ['bob', 'rob'] });
    expect(await table.get({ pk: 'nickname#bob', sk: 'variants' })).toMatchObject({ variants: ['robert'] });
  });
});

describe('StoredNicknames', () => {
  it('finds variants both ways (Bob -> Robert, Robert -> Bob), whatever the case, after a prefetch', async () => {
    const table = ports.table('matcher-nicknames');
    await seedNicknames(table, loadBundledNicknames(), 'test');
    const nicknames = new StoredNicknames(table);

    await nicknames.prefetch(['BOB', 'robert']);

    expect(nicknames.variantsOf('Bob').has('robert')).toBe(true);
    expect(nicknames.variantsOf('Robert').has('bob')).toBe(true);
    expect(nicknames.variantsOf('robert').has('bobby')).toBe(true);
  });

  it('knows only what it fetched: no variants for names not prefetched or not in the store', async () => {
    const table = ports.table('matcher-nicknames');
    await seedNicknames(table, loadBundledNicknames(), 'test');
    const nicknames = new StoredNicknames(table);

    expect(nicknames.variantsOf('Bob').size).toBe(0);
    await nicknames.prefetch(['Zebediahx', '']);
    expect(nicknames.variantsOf('Zebediahx').size).toBe(0);
  });

  it('reads the whole table once, from its snapshot: no read per name, however many names and batches', async () => {
    const table = ports.table('matcher-nicknames');
    await seedNicknames(table, loadBundledNicknames(), 'test');
    const reads: string[] = [];
    const counted: typeof table = Object.assign(Object.create(table) as typeof table, {
      get: (key: { pk: string; sk: string }) => {
        reads.push(`${key.pk}/${key.sk}`);
        return table.get(key);
      },
    });
    const nicknames = new StoredNicknames(counted);

    await Promise.all([nicknames.prefetch(['Bob', 'Bill']), nicknames.prefetch(['Robert'])]);
    await nicknames.prefetch(['William', 'Peggy', 'Zebediahx']);

    expect(reads).toEqual(['nicknames/snapshot']);
    expect(nicknames.variantsOf('Bob').has('robert')).toBe(true);
    expect(nicknames.variantsOf('Peggy').has('margaret')).toBe(true);
    expect(nicknames.variantsOf('Zebediahx').size).toBe(0);
  });

  it('reads the snapshot again at the next prefetch when reading it failed', async () => {
    const table = ports.table('matcher-nicknames');
    await seedNicknames(table, loadBundledNicknames(), 'test');
    let failures = 1;
    const flaky: typeof table = Object.assign(Object.create(table) as typeof table, {
      get: (key: { pk: string; sk: string }) => (failures-- > 0 ? Promise.reject(new Error('throttled')) : table.get(key)),
    });
    const nicknames = new StoredNicknames(flaky);

    await expect(nicknames.prefetch(['Bob'])).rejects.toThrow('throttled');
    await nicknames.prefetch(['Bob']);
    expect(nicknames.variantsOf('Bob').has('robert')).toBe(true);
  });

  it('reads a store seeded before the snapshot existed name by name, and fetches a spelling again once its full cache was emptied', async () => {
    const table = ports.table('matcher-nicknames');
    await seedNicknames(table, loadBundledNicknames(), 'test');
    await table.delete({ pk: 'nicknames', sk: 'snapshot' });
    // Room for two names: the third batch's two new names empty the cache.
    const nicknames = new StoredNicknames(table, 2);

    await nicknames.prefetch(['Bob']);
    await nicknames.prefetch(['Bob', 'BOB']);
    expect(nicknames.variantsOf('Bob').has('robert')).toBe(true);
    await nicknames.prefetch(['Bill', 'William']);
    expect(nicknames.variantsOf('Bob').size).toBe(0);
    expect(nicknames.variantsOf('Bill').has('william')).toBe(true);

    await nicknames.prefetch(['Bob']);
    expect(nicknames.variantsOf('Bob').has('robert')).toBe(true);
  });

  it('finds nothing in an unseeded store', async () => {
    const nicknames = new StoredNicknames(ports.table('matcher-nicknames'));
    await nicknames.prefetch(['bob']);
    expect(nicknames.variantsOf('bob').size).toBe(0);
  });
});

describe('loadNicknameTable', () => {
  it('loads the whole seeded table from its snapshot item, with the same variants both ways', async () => {
    const table = ports.table('matcher-nicknames');
    const bundled = loadBundledNicknames();
    await seedNicknames(table, bundled, 'test');

    const loaded = await loadNicknameTable(table);

    expect(loaded.size).toBe(bundled.size);
    expect([...loaded.variantsOf('bob')].sort()).toEqual([...bundled.variantsOf('bob')].sort());
    expect(loaded.variantsOf('robert').has('bob')).toBe(true);
    const snapshot = await table.get({ pk: 'nicknames', sk: 'snapshot' });
    expect(Buffer.byteLength(JSON.stringify(snapshot))).toBeLessThan(350 * 1024);
  });

  it('says how to seed a store that was never seeded', async () => {
    await expect(loadNicknameTable(ports.table('empty'))).rejects.toThrow('the nickname table is empty: seed it first');
  });
});
