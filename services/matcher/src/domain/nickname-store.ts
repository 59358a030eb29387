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
  const item = await table.get(SNAPSHOT_KEY);
  if (typeof item?.snapshot !== 'string') {
    throw new Error('the nickname table is empty: seed it first (npm run seed:nicknames -- --table NAME; see docs/deploy.md)');
  }
  const pairs: [string, string][] = [];
  for (const line of item.snapshot.split('\n')) {
    const [name, variants] = line.split('\t');
    if (!name || !variants) continue;
    for (const variant of variants.split(',')) pairs.push([name, variant]);
  }
  return NicknameTable.fromPairs(pairs);
}

/**
 * Nickname look-ups from the store with a per-process cache. The match decision is synchronous, so names are
 * fetched first (`prefetch`) for a whole batch of rows, then looked up from memory.
 */
export class StoredNicknames implements NicknameLookup {
  private readonly cache = new Map<string, ReadonlySet<string>>();
  // Spellings as the rows and candidates write them ("Bob", "BOB", "bob") whose folded name is in the cache: a batch
  // names the same first names many times over (its rows and about ten candidates each), and so do the batches after
  // it, so a spelling met before is one look-up here instead of a fold and a look-up. Emptied with the cache.
  private readonly cachedSpellings = new Set<string>();

  constructor(
    private readonly table: Table,
    private readonly maxCachedNames = 100_000,
  ) {}

  async prefetch(names: Iterable<string>): Promise<void> {
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
    return this.cache.get(foldName(name)) ?? EMPTY;
  }

  private rememberSpelling(spelling: string): void {
    // Bounded like the cache: distinct spellings of the cached names are few, but nothing here should grow unbounded.
    if (this.cachedSpellings.size >= this.maxCachedNames) this.cachedSpellings.clear();
    this.cachedSpellings.add(spelling);
  }
}
