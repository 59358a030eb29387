import { createHash } from 'node:crypto';
import { foldName } from '@refinery/contacts';
import type { NicknameLookup } from '@refinery/matching';
import { NicknameTable } from '@refinery/nicknames';
import type { Table } from '@refinery/ports';

const SEED_KEY = { pk: 'nicknames', sk: 'seed' };
/**
 * The whole table in one item (about 40 KB, far below DynamoDB's 400 KB): what a provider's index needs all at once at
 * cold start, without a Scan. One line per name: `name<TAB>variant,variant`.
 */
const SNAPSHOT_KEY = { pk: 'nicknames', sk: 'snapshot' };
const EMPTY: ReadonlySet<string> = new Set();

function itemKey(name: string) {
  return { pk: `nickname#${name}`, sk: 'variants' };
}

/**
 * Writes the nickname table into the nickname store: one item per name holding its variants in both directions (for
 * look-ups), and a snapshot of the whole table (for loading it at once). Idempotent: a store already seeded from the
 * same data is left alone.
 */
export async function seedNicknames(
  table: Table,
  nicknames: NicknameTable,
  source: string,
  now: () => Date = () => new Date(),
): Promise<{ seeded: boolean; names: number }> {
  const digest = createHash('sha256');
  const entries = [...nicknames.entries()].sort(([a], [b]) => a.localeCompare(b));
  for (const [name, variants] of entries) digest.update(`${name}:${[...variants].sort().join(',')}\n`);
  const hash = digest.digest('hex');
  const marker = await table.get(SEED_KEY);
  if (marker?.hash === hash) return { seeded: false, names: entries.length };
  await table.batchPut(entries.map(([name, variants]) => ({ ...itemKey(name), variants: [...variants].sort() })));
  const snapshot = entries.map(([name, variants]) => `${name}\t${[...variants].sort().join(',')}`).join('\n');
  await table.put({ ...SNAPSHOT_KEY, hash, snapshot });
  // The marker goes last: a seeding that dies halfway is simply done again.
  await table.put({ ...SEED_KEY, hash, names: entries.length, source, seededAt: now().toISOString() });
  return { seeded: true, names: entries.length };
}

/** The whole nickname table from the store's snapshot; fails with what to do when the store was never seeded. */
export async function loadNicknameTable(table: Table): Promise<NicknameTable> {
  const nicknames = await readSnapshot(table);
  if (!nicknames) throw new Error('the nickname table is empty: seed it first (npm run seed:nicknames -- --table NAME; see docs/deploy.md)');
  return nicknames;
}

/** The whole nickname table from the store's snapshot item, or undefined when the store has none. */
async function readSnapshot(table: Table): Promise<NicknameTable | undefined> {
  const item = await table.get(SNAPSHOT_KEY);
  if (typeof item?.snapshot !== 'string') return undefined;
  const pairs: [string, string][] = [];
  for (const line of item.snapshot.split('\n')) {
    const [name, variants] = line.split('\t');
    if (!name || !variants) continue;
    for (const variant of variants.split(',')) pairs.push([name, variant]);
  }
  return NicknameTable.fromPairs(pairs);
}

/**
 * Nickname look-ups from the store, answered from memory. The match decision is synchronous, so names are fetched
 * first (`prefetch`) for a whole batch of rows. The first prefetch reads the store's snapshot (the whole table, one
 * item of about 40 KB) and every look-up after it is answered from that copy: no read per name, so a chunk costs no
 * nickname reads and no round trips on AWS (the per-name reads were about 200 GetItems per 1,000-row chunk, the largest
 * share of the stage's DynamoDB reads). A store seeded before the snapshot existed has none: then each name is read
 * from its own item once and cached. Either way a process sees a re-seeded table only when it starts again.
 */
export class StoredNicknames implements NicknameLookup {
  // The snapshot's table once read (undefined: the store has no snapshot); the promise is shared by concurrent prefetches.
  private whole: Promise<NicknameTable | undefined> | undefined;
  private wholeTable: NicknameTable | undefined;
  private readonly cache = new Map<string, ReadonlySet<string>>();
  // Spellings as the rows and candidates write them ("Bob", "BOB", "bob") whose folded name is in the cache: a batch
  // names the same first names many times over (its rows and about ten candidates each), and so do the batches after
  // it, so a spelling met before is one look-up here instead of a fold and a look-up. Emptied with the cache.
  private readonly cachedSpellings = new Set<string>();

  constructor(
    private readonly table: Table,
    private readonly maxCachedNames = 100_000,
  ) {}

  // `names` is read only when the store has no snapshot (matchRowBatches hands a lazy list: reading every candidate's name costs).
  async prefetch(names: Iterable<string>): Promise<void> {
    this.whole ??= readSnapshot(this.table).then(
      (table) => {
        this.wholeTable = table;
        return table;
      },
      (error: unknown) => {
        // Read again at the next prefetch: one failed read must not leave the process without the table for good.
        this.whole = undefined;
        throw error;
      },
    );
    if (await this.whole) return;
    const missingNames = new Set<string>();
    for (const spelling of names) {
      if (this.cachedSpellings.has(spelling)) continue;
      const name = foldName(spelling);
      if (!name) continue;
      if (this.cache.has(name)) this.rememberSpelling(spelling);
      else missingNames.add(name);
    }
    const missing = [...missingNames];
    if (this.cache.size + missing.length > this.maxCachedNames) {
      this.cache.clear();
      this.cachedSpellings.clear();
    }
    await Promise.all(
      missing.map(async (name) => {
        const item = await this.table.get(itemKey(name));
        this.cache.set(name, item ? new Set(item.variants as string[]) : EMPTY);
      }),
    );
  }

  variantsOf(name: string): ReadonlySet<string> {
    if (this.wholeTable) return this.wholeTable.variantsOf(name);
    return this.cache.get(foldName(name)) ?? EMPTY;
  }

  private rememberSpelling(spelling: string): void {
    // Bounded like the cache: distinct spellings of the cached names are few, but nothing here should grow unbounded.
    if (this.cachedSpellings.size >= this.maxCachedNames) this.cachedSpellings.clear();
    this.cachedSpellings.add(spelling);
  }
}
