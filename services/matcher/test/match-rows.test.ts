import type { ContactFields } from '@refinery/contacts';
import { emptyMatchCounts } from '@refinery/events';
import { type Candidate, type ContactProvider, prepareCandidate, priorModel } from '@refinery/matching';
import { loadBundledNicknames } from '@refinery/nicknames';
import { createTestPorts, type TestPorts } from '@refinery/test-support';
import { matchRowBatches } from '../src/domain/match-rows';
import { ProviderAnswers } from '../src/domain/provider-answers';
import { StoredNicknames, seedNicknames } from '../src/service';

let ports: TestPorts;

beforeEach(() => {
  ports = createTestPorts();
});

afterEach(() => ports.cleanup());

const COLUMNS = [
  { index: 0, name: 'First Name', field: 'first_name' },
  { index: 1, name: 'Last Name', field: 'last_name' },
  { index: 2, name: 'Email', field: 'email' },
] as const;

// A directory's people whose first names count their reads.
function countingPeople(count: number): { people: Candidate[]; reads: () => number } {
  let reads = 0;
  const people = Array.from({ length: count }, (_, index) => {
    const fields: ContactFields = { first_name: `Name${index}`, last_name: 'Smith', email: `name${index}@example.com` };
    const counted = new Proxy(fields, {
      get(target, key) {
        if (key === 'first_name') reads += 1;
        return target[key as keyof ContactFields];
      },
    });
    return prepareCandidate({ id: `p${index}`, fields: counted });
  });
  const before = reads;
  return { people, reads: () => reads - before };
}

describe('matchRowBatches and the nickname store', () => {
  it("does not read the candidates' first names for a store answered from its snapshot", async () => {
    const table = ports.table('matcher-nicknames');
    await seedNicknames(table, loadBundledNicknames(), 'test');
    const { people, reads } = countingPeople(10);
    const provider: ContactProvider = { name: 'directory', inMemory: true, findCandidates: async (contacts) => contacts.map(() => people) };
    const rows = ['Ann', 'Bob', 'Cat'].map((first, index) => ({ cells: [first, 'Smith', `${first.toLowerCase()}@example.org`], line: index + 2 }));
    const matched = [];
    for await (const batch of matchRowBatches(
      (async function* () {
        yield* rows;
      })(),
      {
        firstRow: 1,
        columns: COLUMNS,
        limits: { maxFieldBytes: 1_000_000, maxRowBytes: 1_000_000 },
        providers: [provider],
        nicknames: new StoredNicknames(table),
        defaultRegion: 'US',
        batchSize: 200,
        answers: new ProviderAnswers(),
        counts: emptyMatchCounts(),
        model: priorModel(),
      },
    )) {
      matched.push(...batch);
    }

    expect(matched.map((row) => row.status)).toEqual(['unmatched', 'unmatched', 'unmatched']);
    // At most the two candidates each reason names (best and runner-up), not the ten of every row.
    expect(reads()).toBeLessThanOrEqual(2 * rows.length);
  });

  it("gives each batch's records as one array, in the rows' order, the last batch short", async () => {
    const table = ports.table('matcher-nicknames');
    await seedNicknames(table, loadBundledNicknames(), 'test');
    const { people } = countingPeople(3);
    const provider: ContactProvider = { name: 'directory', inMemory: true, findCandidates: async (contacts) => contacts.map(() => people) };
    const names = ['Ann', 'Bob', 'Cat', 'Dan', 'Eve'];
    const rows = names.map((first, index) => ({ cells: [first, 'Smith', `${first.toLowerCase()}@example.org`], line: index + 2 }));
    const counts = emptyMatchCounts();
    const batches = [];
    for await (const batch of matchRowBatches(
      (async function* () {
        yield* rows;
      })(),
      {
        firstRow: 7,
        columns: COLUMNS,
        limits: { maxFieldBytes: 1_000_000, maxRowBytes: 1_000_000 },
        providers: [provider],
        nicknames: new StoredNicknames(table),
        defaultRegion: 'US',
        batchSize: 2,
        answers: new ProviderAnswers(),
        counts,
        model: priorModel(),
      },
    )) {
      batches.push(batch.map((record) => [record.row, record.cells[0]]));
    }

    expect(batches).toEqual([
      [
        [7, 'Ann'],
        [8, 'Bob'],
      ],
      [
        [9, 'Cat'],
        [10, 'Dan'],
      ],
      [[11, 'Eve']],
    ]);
    expect(counts.matched + counts.unmatched + counts.invalid).toBe(names.length);
  });
});
