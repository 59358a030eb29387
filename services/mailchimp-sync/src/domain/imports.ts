import { ConditionFailedError, type Table } from '@refinery/ports';

/** One audience import, as recorded when it was accepted: what the later stages need and who may see it. */
export interface ImportRecord {
  readonly tenantId: string;
  readonly listId: string;
  readonly apiKeyRef: string;
  readonly writeBack: boolean;
  readonly snapshotAt: string;
  readonly filename: string;
  /** Rows per chunk of the job (a page by default). */
  readonly chunkRows: number;
  /** Page ranges planned; absent until planning. */
  readonly pages?: number;
  /**
   * How fetched pages are counted: `markers`, one small item per page and a counter (imports accepted since audiences
   * of any size are imported). Absent: an import accepted before, whose pages done are one string set (see
   * markPageDone), kept until it ends.
   */
  readonly pageTracking?: 'markers';
}

/** Every state item of an import is in its job's partition (the write-back's progress too): erased together. */
export const IMPORT_PARTITION_PREFIX = 'import#';
const importKey = (jobId: string) => ({ pk: `${IMPORT_PARTITION_PREFIX}${jobId}`, sk: 'import' });
const pagesKey = (jobId: string) => ({ pk: `${IMPORT_PARTITION_PREFIX}${jobId}`, sk: 'pages-done' });
const pageMarkerKey = (jobId: string, page: number) => ({ pk: `${IMPORT_PARTITION_PREFIX}${jobId}`, sk: `page#${String(page).padStart(9, '0')}` });
const pagesCountedKey = (jobId: string) => ({ pk: `${IMPORT_PARTITION_PREFIX}${jobId}`, sk: 'pages-counted' });

/** Imports and their page progress, in the service's table. */
export class Imports {
  constructor(private readonly table: Table) {}

  /** Records the import, or keeps the one already recorded for this job; returns the record that stands. */
  async record(jobId: string, record: ImportRecord): Promise<ImportRecord> {
    try {
      await this.table.put({ ...importKey(jobId), ...record }, { condition: { kind: 'itemNotExists' } });
      return record;
    } catch (error) {
      // A retried request for the same job (same Idempotency-Key) finds its import already recorded.
      if (!(error instanceof ConditionFailedError)) throw error;
      return (await this.get(jobId)) ?? record;
    }
  }

  async get(jobId: string): Promise<ImportRecord | undefined> {
    const item = await this.table.get(importKey(jobId));
    return item ? (item as unknown as ImportRecord) : undefined;
  }

  async setPages(jobId: string, pages: number): Promise<void> {
    await this.table.update(importKey(jobId), { set: { pages } });
  }

  /**
   * Marks a page fetched and returns how many distinct pages are done (at least: a concurrent page may be counted too).
   * One transaction creates the page's marker (only if it is not there) and adds one to the import's counter, so a
   * page fetched twice (a redelivery) counts once, and every item stays the same size however many pages there are.
   * The count is read back after the write: of two pages finishing together, at least the later one sees them all.
   *
   * An import accepted before (no `pageTracking`) keeps its one string set of page numbers until it ends: what it has
   * already counted is there (within DynamoDB's 400 KB item: about 36 million members).
   */
  async markPageDone(record: Pick<ImportRecord, 'pageTracking'>, jobId: string, page: number): Promise<number> {
    if (record.pageTracking !== 'markers') {
      const item = await this.table.update(pagesKey(jobId), { addToSet: { done: [String(page)] } });
      return Array.isArray(item.done) ? item.done.length : 0;
    }
    try {
      await this.table.transact([
        { kind: 'put', item: pageMarkerKey(jobId, page), condition: { kind: 'itemNotExists' } },
        { kind: 'update', key: pagesCountedKey(jobId), update: { increment: { done: 1 } } },
      ]);
    } catch (error) {
      // The marker is there: this page was counted by an earlier delivery.
      if (!(error instanceof ConditionFailedError)) throw error;
    }
    const counted = await this.table.get(pagesCountedKey(jobId));
    return typeof counted?.done === 'number' ? counted.done : 0;
  }
}
