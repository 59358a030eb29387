import type { Readable } from 'node:stream';
import { fromNdjson, type LabeledRow, RESULT_COLUMNS, type ReviewItem, resultCells, toNdjson } from '@refinery/chunk-records';
import { formatCsvRecord } from '@refinery/csv';
import { countRowOutcome, emptyMatchCounts, jobObjectPrefix, type MatchCountsData, type ObjectRefData } from '@refinery/events';
import { type ObjectInfo, ObjectNotFoundError, type ObjectRef, type ObjectStore } from '@refinery/ports';
import { type ChunkRecord, type JobPlanRecord, type SegmentRecord, segmentCount } from './ledger';

/** The rows merged, and how they came out. */
export interface MergeTotals extends MatchCountsData {
  rows: number;
}

/** Where a job's segments and the result's header row are written: beside the result, under the job's prefix. */
export function segmentRefs(bucket: string, tenantId: string, jobId: string, index: number): { data: ObjectRef; review: ObjectRef } {
  const name = `${mergePrefix(tenantId, jobId)}segment-${String(index).padStart(6, '0')}`;
  return { data: { bucket, key: `${name}.csv` }, review: { bucket, key: `${name}.review.ndjson` } };
}

export function mergePrefix(tenantId: string, jobId: string): string {
  return `${jobObjectPrefix(tenantId, jobId)}merge/`;
}

const CSV = 'text/csv; charset=utf-8';
const NDJSON = 'application/x-ndjson';

/**
 * Streams the labeled rows of one segment's chunks, in chunk order, into the segment's CSV rows (cells
 * spreadsheet-safe, then the result columns; no header) and its rows in review into the segment's review NDJSON.
 * Memory holds one chunk read buffer and the segment's review items, whatever the job's size. Checks as it goes that
 * the segment's chunks are all there and its rows in order without gaps; anything else means a corrupted chunk, and
 * nothing is recorded. The rows must also follow the previous segment's: composeResult checks that.
 */
export async function mergeSegment(
  objects: ObjectStore,
  width: number,
  segment: { index: number; first: number; end: number },
  chunks: AsyncIterable<ChunkRecord>,
  refs: { data: ObjectRef; review: ObjectRef },
): Promise<SegmentRecord> {
  return (await writeRows(objects, width, segment, chunks, refs)).record;
}

/**
 * The whole result of a job of one segment, written straight from its chunks: the header row, then every row, to the
 * result itself, and the rows in review to the review queue. The same bytes as a segment merged and composed with its
 * header, without the segment object, the header object and the compose (on S3 a HEAD per source and a PUT or a
 * multipart upload) — which is most of what a small job's completion waits for. The rows are checked against the plan
 * before the stream ends, so a result with rows missing is never stored.
 */
export async function mergeWholeResult(
  objects: ObjectStore,
  plan: JobPlanRecord,
  chunks: AsyncIterable<ChunkRecord>,
  refs: { target: ObjectRef; review: ObjectRef },
): Promise<ComposedResult> {
  const { record: segment, info } = await writeRows(
    objects,
    plan.columns.length,
    { index: 0, first: 0, end: plan.chunks },
    chunks,
    { data: refs.target, review: refs.review },
    { header: resultHeader(plan), rows: plan.rows },
  );
  const totals: MergeTotals = { rows: segment.rows, ...emptyMatchCounts() };
  addCounts(totals, segment.counts);
  return {
    info,
    totals,
    ...(segment.review ? { review: segment.review } : {}),
    ...(segment.model ? { model: segment.model } : {}),
  };
}

/** What a job's result came to: the result object, the rows' totals, its review queue and linkage model if any. */
export interface ComposedResult {
  info: ObjectInfo;
  totals: MergeTotals;
  review?: { ref: ObjectRef; count: number };
  model?: ObjectRef;
}

async function writeRows(
  objects: ObjectStore,
  width: number,
  segment: { index: number; first: number; end: number },
  chunks: AsyncIterable<ChunkRecord>,
  refs: { data: ObjectRef; review: ObjectRef },
  whole?: { header: string; rows: number },
): Promise<{ record: SegmentRecord; info: ObjectInfo }> {
  const counts = emptyMatchCounts();
  const reviewItems: ReviewItem[] = [];
  let model: ObjectRefData | undefined;
  // A whole result starts at the job's first row; a segment where its first chunk does (composeResult checks that).
  let firstRow: number | undefined = whole ? 0 : undefined;
  let rows = 0;
  let expectedChunk = segment.first;
  async function* lines(): AsyncGenerator<string> {
    let buffer = whole?.header ?? '';
    for await (const { chunk, body } of readAhead(objects, chunks)) {
      if (chunk.index !== expectedChunk) throw new Error(`chunk ${expectedChunk + 1} is missing from the ledger (found ${chunk.index + 1})`);
      expectedChunk += 1;
      model ??= chunk.model;
      firstRow ??= chunk.rows.first;
      for await (const row of fromNdjson<LabeledRow>(await body)) {
        if (row.row !== firstRow + rows) throw new Error(`row ${firstRow + rows + 1} expected, chunk ${chunk.index + 1} has row ${row.row + 1}`);
        rows += 1;
        countRowOutcome(counts, row);
        const item = reviewItemOf(row);
        if (item) reviewItems.push(item);
        buffer += formatCsvRecord(resultCells(row, width));
        if (buffer.length >= 65_536) {
          yield buffer;
          buffer = '';
        }
      }
    }
    // Thrown before the stream ends: the store then keeps nothing of the object (ObjectStore.put).
    if (expectedChunk !== segment.end)
      throw new Error(`chunk ${expectedChunk + 1} is missing from the ledger (segment ${segment.index + 1} ends at chunk ${segment.end})`);
    if (whole && rows !== whole.rows) throw new Error(`${whole.rows} rows planned but ${rows} merged`);
    if (buffer) yield buffer;
  }
  const info = await objects.put(refs.data, lines(), { contentType: CSV });
  if (reviewItems.length > 0) await objects.put(refs.review, toNdjson(reviewItems), { contentType: NDJSON });
  const record: SegmentRecord = {
    index: segment.index,
    firstRow: firstRow ?? 0,
    rows,
    counts,
    data: refs.data,
    ...(reviewItems.length > 0 ? { review: { ref: refs.review, count: reviewItems.length } } : {}),
    ...(model ? { model } : {}),
  };
  return { record, info };
}

/**
 * Labeled chunks opened ahead of the rows being written: on S3 every read is a request's latency, and reading a
 * segment's 50 chunks one after another was most of its merge's wall time (and of a small job's completion). Each is
 * opened as a stream, so what waits is its first bytes, not its whole body: memory stays bounded whatever a chunk's size.
 */
export const CHUNKS_READ_AHEAD = 4;

type OpenedChunk = { chunk: ChunkRecord; body: Promise<Readable> };

/**
 * Each chunk with its body, in the chunks' order, the next CHUNKS_READ_AHEAD already opened. A read that fails is
 * reported when its chunk's turn comes; the streams opened ahead of a failure that ends the merge are closed.
 */
async function* readAhead(objects: ObjectStore, chunks: AsyncIterable<ChunkRecord>): AsyncGenerator<OpenedChunk> {
  const pending: OpenedChunk[] = [];
  const open = (chunk: ChunkRecord): OpenedChunk => {
    const body = objects.get(chunk.result);
    // Handled where it is awaited; this only keeps a read abandoned by an earlier failure from going unhandled.
    body.catch(() => undefined);
    return { chunk, body };
  };
  try {
    for await (const chunk of chunks) {
      pending.push(open(chunk));
      if (pending.length > CHUNKS_READ_AHEAD) yield pending.shift() as OpenedChunk;
    }
    while (pending.length > 0) yield pending.shift() as OpenedChunk;
  } finally {
    // Left unread when the merge stopped early: their connections (or files) are released.
    for (const { body } of pending)
      body.then(
        (stream) => stream.destroy(),
        () => undefined,
      );
  }
}

/** The result's header row: the book's columns, then the result columns. */
function resultHeader(plan: JobPlanRecord): string {
  return formatCsvRecord([...plan.columns.map((column) => column.name), ...RESULT_COLUMNS]);
}

/**
 * The job's result from its merged segments, in segment order: the header row (a small object of its own) and every
 * segment's rows composed into one CSV, the segments' review items into one review queue, their totals summed. The
 * store composes (server-side on S3), so this reads only the segments' ledger records, never their rows. Checks that
 * every segment is there and that each one's rows follow the previous one's.
 */
export async function composeResult(
  objects: ObjectStore,
  plan: JobPlanRecord,
  segments: AsyncIterable<SegmentRecord>,
  refs: { header: ObjectRef; target: ObjectRef; review: ObjectRef },
): Promise<ComposedResult> {
  const totals: MergeTotals = { rows: 0, ...emptyMatchCounts() };
  const data: ObjectRef[] = [refs.header];
  const reviews: ObjectRef[] = [];
  let reviewCount = 0;
  let model: ObjectRef | undefined;
  let expectedSegment = 0;
  for await (const segment of segments) {
    if (segment.index !== expectedSegment) throw new Error(`segment ${expectedSegment + 1} is missing from the ledger (found ${segment.index + 1})`);
    expectedSegment += 1;
    if (segment.rows > 0 && segment.firstRow !== totals.rows) {
      throw new Error(`row ${totals.rows + 1} expected, segment ${segment.index + 1} starts at row ${segment.firstRow + 1}`);
    }
    totals.rows += segment.rows;
    addCounts(totals, segment.counts);
    data.push(segment.data);
    if (segment.review) {
      reviews.push(segment.review.ref);
      reviewCount += segment.review.count;
    }
    model ??= segment.model;
  }
  const expectedSegments = segmentCount(plan.chunks);
  if (expectedSegment !== expectedSegments) throw new Error(`${expectedSegments} segments planned but ${expectedSegment} merged`);
  if (totals.rows !== plan.rows) throw new Error(`${plan.rows} rows planned but ${totals.rows} merged`);
  await objects.put(refs.header, resultHeader(plan), { contentType: CSV });
  const info = await objects.compose(refs.target, data, { contentType: CSV });
  if (reviewCount === 0) return { info, totals, ...(model ? { model } : {}) };
  await objects.compose(refs.review, reviews, { contentType: NDJSON });
  return { info, totals, review: { ref: refs.review, count: reviewCount }, ...(model ? { model } : {}) };
}

function addCounts(totals: MatchCountsData, counts: MatchCountsData): void {
  totals.matched += counts.matched;
  totals.unmatched += counts.unmatched;
  totals.invalid += counts.invalid;
  if (counts.review) totals.review = (totals.review ?? 0) + counts.review;
  for (const method of Object.keys(totals.byMethod) as (keyof MatchCountsData['byMethod'])[]) totals.byMethod[method] += counts.byMethod[method] ?? 0;
}

/** Copies the job's model beside its review queue, without the value frequencies (decisions are scored without them). */
export async function keepReviewModel(objects: ObjectStore, model: ObjectRef, target: ObjectRef): Promise<'kept' | 'missing' | 'unreadable'> {
  let text: string;
  try {
    text = (await objects.getBuffer(model)).toString('utf8');
  } catch (error) {
    // Without it the queue still works; pending rows are then not scored again as decisions come in.
    if (error instanceof ObjectNotFoundError) return 'missing';
    throw error;
  }
  let parsed: Record<string, unknown>;
  try {
    parsed = JSON.parse(text) as Record<string, unknown>;
  } catch {
    // Never worth failing a finished job for: the queue works without it.
    return 'unreadable';
  }
  await objects.put(target, JSON.stringify({ ...parsed, frequencies: {} }), { contentType: 'application/json' });
  return 'kept';
}

/** The review queue's item of a row in review. */
export function reviewItemOf(row: LabeledRow): ReviewItem | undefined {
  if (row.status !== 'review' || !row.review || !row.matchId || !row.method) return undefined;
  return { row: row.row, candidateId: row.matchId, method: row.method, score: row.score, reason: row.reason, ...row.review };
}
