import { type ColumnMapping, checkUsable, mapColumns } from '@refinery/contacts';
import { type ChunkPlan, CsvFormatError, type CsvHeader, type CsvLimits, headerProbeBytes, planChunks, sniffCsv } from '@refinery/csv';
import type { JobOptionsData, ObjectRefData } from '@refinery/events';
import type { ObjectStore } from '@refinery/ports';
import { NonRetryableError } from '@refinery/runtime';

export interface JobPlan {
  readonly header: CsvHeader;
  readonly columns: readonly ColumnMapping[];
  readonly chunks: readonly ChunkPlan[];
  readonly rows: number;
}

/**
 * Reads the input once, as a stream: format and header from its first bytes, then record boundaries from the rest.
 * Memory holds one chunk plan per chunk (a few numbers), never the rows. Problems with the file itself are
 * NonRetryableErrors whose message says what and where.
 */
export async function planJob(
  objects: ObjectStore,
  input: ObjectRefData & { sizeBytes: number },
  options: JobOptionsData,
  limits: { chunkRows: number; maxChunkBytes: number } & Pick<CsvLimits, 'maxRowBytes' | 'maxColumns'>,
): Promise<JobPlan> {
  // The header is looked for within the record limit, as ingest did before submitting (a header over it is refused).
  const probeEnd = Math.min(headerProbeBytes(limits), input.sizeBytes);
  const head = input.sizeBytes === 0 ? Buffer.alloc(0) : await objects.getBuffer(input, { start: 0, end: probeEnd });
  const sniffed = sniffCsv(head, { complete: probeEnd === input.sizeBytes, limits });
  if (!sniffed.ok) throw new NonRetryableError(`the file is not a usable CSV: ${sniffed.reason}`);
  const { header } = sniffed;
  const columns = mapColumns(header.columns, options.columnMapping);
  const usable = checkUsable(columns);
  if (!usable.ok) throw new NonRetryableError(usable.reason);

  const chunks: ChunkPlan[] = [];
  let rows = 0;
  if (header.dataStart < input.sizeBytes) {
    const body = await objects.get(input, { start: header.dataStart });
    try {
      for await (const chunk of planChunks(body, header.format, {
        dataStart: header.dataStart,
        dataStartLine: header.dataStartLine,
        chunkRows: limits.chunkRows,
        maxChunkBytes: limits.maxChunkBytes,
      })) {
        chunks.push(chunk);
        rows += chunk.rowCount;
      }
    } catch (error) {
      if (error instanceof CsvFormatError) throw new NonRetryableError(`the file is not valid CSV: ${error.message}`);
      throw error;
    }
  }
  return { header, columns, chunks, rows };
}
