import { join } from 'node:path';
import type { LabeledRow } from '@refinery/chunk-records';
import { CANONICAL_FIELDS, type CanonicalField } from '@refinery/contacts';
import type { EventMetadata } from '@refinery/events';
import type { FieldLabel } from '@refinery/labeling';
import {
  type Condition,
  type Item,
  type ItemKey,
  type ItemUpdate,
  noMetrics,
  type QueryOptions,
  type QueryPage,
  type Table,
  type TransactWrite,
} from '@refinery/ports';
import { readFixture, type TestPorts } from '@refinery/test-support';
import { parse } from 'csv-parse/sync';
import { mergerHandlers } from '../src/service';

export const LABELED_BUCKET = 'labeler-chunks';
export const RESULTS_BUCKET = 'merger-results';
export const LEDGER_TABLE = 'merger-ledger';

export interface Fixture<D = Record<string, unknown>> {
  id: string;
  source: string;
  'detail-type': string;
  detail: { metadata: EventMetadata; data: D };
}

export function fixture<D = Record<string, unknown>>(name: string): Fixture<D> {
  return JSON.parse(readFixture(join(__dirname, 'fixtures', `${name}.json`))) as Fixture<D>;
}

/** A fixture as the body of an SQS message, optionally changed first. */
export function body<D = Record<string, unknown>>(name: string, change?: (event: Fixture<D>) => void): string {
  const event = fixture<D>(name);
  change?.(event);
  return JSON.stringify(event);
}

export const JOB_ID = fixture('job-planned').detail.metadata.jobId;
export const RESULT_KEY = `tenants/acme/jobs/${JOB_ID}/result.csv`;

/** Labels for every canonical field: `empty` unless given. */
export function labels(given: Partial<Record<CanonicalField, FieldLabel>> = {}): Record<CanonicalField, FieldLabel> {
  return Object.fromEntries(CANONICAL_FIELDS.map((field) => [field, given[field] ?? { status: 'empty' }])) as Record<CanonicalField, FieldLabel>;
}

/** The labeled rows behind chunk-labeled-0/1/2.json (rows 0-1, 2-3 and 4). */
export const LABELED_CHUNKS: readonly (readonly LabeledRow[])[] = [
  [
    {
      row: 0,
      cells: ['Robert', 'Paulson', 'robert.paulson@example.com', '=1+1'],
      status: 'matched',
      method: 'exact',
      score: 0.98,
      matchId: 'dir-robert-paulson',
      reason: 'e-mail equal; name "Robert Paulson" ~ "Robert Paulson" (1.00)',
      labels: labels({
        first_name: { status: 'confirmed', latest: 'Robert' },
        last_name: { status: 'confirmed', latest: 'Paulson' },
        email: { status: 'confirmed', latest: 'robert.paulson@example.com' },
        company: { status: 'new', latest: 'Paper Street Soap Company' },
      }),
    },
    {
      row: 1,
      // Shorter than the header: padded in the result.
      cells: ['Zebediah', 'Quillfeather', 'zq@nowhere.example'],
      status: 'unmatched',
      method: null,
      score: 0,
      matchId: null,
      reason: 'the provider returned no candidates',
      labels: labels({ first_name: { status: 'unverified' }, last_name: { status: 'unverified' }, email: { status: 'unverified' } }),
    },
  ],
  [
    {
      row: 2,
      cells: ['Bob', 'Paulson', '', 'Likes "soap", a lot'],
      status: 'matched',
      method: 'nickname',
      score: 0.91,
      matchId: 'dir-robert-paulson',
      reason: 'name "Bob Paulson" ~ "Robert Paulson" (0.80, nickname); company equal',
      labels: labels({
        first_name: { status: 'old', latest: 'Robert' },
        last_name: { status: 'confirmed', latest: 'Paulson' },
        email: { status: 'new', latest: 'robert.paulson@example.com' },
      }),
    },
    {
      row: 3,
      cells: ['Dave', 'Jones', 'dave@example.com', '', 'EXTRA ONE', 'EXTRA TWO'],
      status: 'invalid',
      method: null,
      score: 0,
      matchId: null,
      reason: 'the row has 6 values but the header has 4 columns; extra values: "EXTRA ONE", "EXTRA TWO"',
      labels: labels({ first_name: { status: 'unverified' }, last_name: { status: 'unverified' }, email: { status: 'unverified' } }),
    },
  ],
  [
    {
      row: 4,
      cells: ['Marla', 'Singer', 'marla@example.org', '@home'],
      status: 'matched',
      method: 'fuzzy',
      score: 0.93,
      matchId: 'dir-marla-singer',
      reason: 'name "Marla Singer" ~ "Marla Singer" (1.00); city+state equal',
      labels: labels({
        first_name: { status: 'confirmed', latest: 'Marla' },
        last_name: { status: 'confirmed', latest: 'Singer' },
        email: { status: 'old', latest: 'marla.singer@example.org' },
      }),
    },
  ],
];

export function labeledKey(index: number): string {
  return `tenants/acme/jobs/${JOB_ID}/labeled/${String(index).padStart(9, '0')}.ndjson`;
}

export async function putLabeledChunk(ports: TestPorts, index: number): Promise<void> {
  const rows = LABELED_CHUNKS[index] ?? [];
  await ports.objects.put({ bucket: LABELED_BUCKET, key: labeledKey(index) }, rows.map((row) => `${JSON.stringify(row)}\n`).join(''), {
    contentType: 'application/x-ndjson',
  });
}

export function createMerger(ports: TestPorts, ledger: Table = ports.table(LEDGER_TABLE)) {
  const service = mergerHandlers({
    publisher: ports.publisher,
    clock: ports.clock,
    ids: ports.ids,
    logger: ports.logger,
    metrics: noMetrics,
    config: { resultsBucket: RESULTS_BUCKET },
    objects: ports.objects,
    ledger,
  });
  return {
    progress: service.subscriptions.progress.handler,
    expressProgress: service.subscriptions.expressProgress.handler,
    failures: service.subscriptions.failures.handler,
  };
}

export async function readResultCsv(ports: TestPorts): Promise<{ text: string; records: string[][] }> {
  const text = (await ports.objects.getBuffer({ bucket: RESULTS_BUCKET, key: RESULT_KEY })).toString('utf8');
  return { text, records: parse(text, { relax_column_count: true }) as string[][] };
}

/**
 * The ledger table with one injected crash: the next write of a completed outcome fails, as if the function died
 * after publishing job.completed.v1 and before recording it. Everything else goes to the real local table.
 */
export class CrashBeforeRecordingCompletion implements Table {
  armed = true;

  constructor(private readonly inner: Table) {}

  get(key: ItemKey): Promise<Item | undefined> {
    return this.inner.get(key);
  }

  async put(item: Item, options?: { condition?: Condition }): Promise<void> {
    if (this.armed && item.status === 'completed') {
      this.armed = false;
      throw new Error('function timed out');
    }
    return this.inner.put(item, options);
  }

  async batchPut(items: readonly Item[]): Promise<void> {
    if (this.armed && items.some((item) => item.status === 'completed')) {
      this.armed = false;
      throw new Error('function timed out');
    }
    return this.inner.batchPut(items);
  }

  update(key: ItemKey, update: ItemUpdate, options?: { condition?: Condition }): Promise<Item> {
    return this.inner.update(key, update, options);
  }

  delete(key: ItemKey, options?: { condition?: Condition }): Promise<void> {
    return this.inner.delete(key, options);
  }

  async transact(writes: readonly TransactWrite[]): Promise<void> {
    if (this.armed && writes.some((write) => write.kind === 'put' && write.item.status === 'completed')) {
      this.armed = false;
      throw new Error('function timed out');
    }
    return this.inner.transact(writes);
  }

  query(pk: string, options?: QueryOptions): Promise<QueryPage> {
    return this.inner.query(pk, options);
  }
}

/** A deterministic shuffle (mulberry32), so a failing order can be replayed. */
export function shuffled<T>(items: readonly T[], seed: number): T[] {
  let state = seed;
  const random = () => {
    state = (state + 0x6d2b79f5) | 0;
    let t = Math.imul(state ^ (state >>> 15), 1 | state);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4_294_967_296;
  };
  const copy = [...items];
  for (let i = copy.length - 1; i > 0; i -= 1) {
    const j = Math.floor(random() * (i + 1));
    [copy[i], copy[j]] = [copy[j] as T, copy[i] as T];
  }
  return copy;
}
