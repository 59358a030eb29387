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
}

/** Every state item of an import is in its job's partition (the write-back's progress too): erased together. */
export const IMPORT_PARTITION_PREFIX = 'import#';
const importKey = (jobId: string) => ({ pk: `${IMPORT_PARTITION_PREFIX}${jobId}`, sk: 'import' });
const pagesKey = (jobId: string) => ({ pk: `${IMPORT_PARTITION_PREFIX}${jobId}`, sk: 'pages-done' });

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
   * Marks a page fetched and returns how many distinct pages are done. A string-set addition: a page fetched twice
   * (a redelivery) counts once, and concurrent pages need no condition. One item holds up to ~40,000 page numbers
   * within DynamoDB's 400 KB: audiences of ~36 million members at 900 new members a page.
   */
  async markPageDone(jobId: string, page: number): Promise<number> {
    const item = await this.table.update(pagesKey(jobId), { addToSet: { done: [String(page)] } });
    return Array.isArray(item.done) ? item.done.length : 0;
  }
}
