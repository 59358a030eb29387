import { type LabeledRow, resultCells } from '@refinery/chunk-records';
import type { ContactFields } from '@refinery/contacts';
import { formatPlainCsvRecord, neutralizeFormula, parseCsvRecords } from '@refinery/csv';
import { labelFields } from '@refinery/labeling';
import type { MatchMethod } from '@refinery/matching';
import type { ObjectInfo, ObjectRef, ObjectStore } from '@refinery/ports';

export interface ReviewDecision {
  readonly row: number;
  readonly decision: 'accept' | 'reject';
  readonly candidateId: string;
  readonly method: MatchMethod;
  readonly score: number;
  readonly contact: ContactFields;
  readonly candidate: ContactFields;
}

const RESULT_FORMAT = { delimiter: ',', encoding: 'utf-8', hasBom: false } as const;

/** What a decided row becomes: matched to the candidate, labels recomputed against it; or unmatched, as before review. */
export function decidedRow(decision: ReviewDecision): LabeledRow {
  const accepted = decision.decision === 'accept';
  return {
    row: decision.row,
    cells: [],
    status: accepted ? 'matched' : 'unmatched',
    method: accepted ? decision.method : null,
    score: decision.score,
    matchId: accepted ? decision.candidateId : null,
    reason: accepted
      ? `accepted in review: the person is ${decision.candidateId} (probability ${decision.score.toFixed(4)} before review)`
      : `rejected in review: ${decision.candidateId} is not this person (probability ${decision.score.toFixed(4)} before review)`,
    labels: labelFields(decision.contact, accepted ? decision.candidate : undefined),
  };
}

/**
 * Writes a new version of a result file: every record of `source` as it was, but the decided row's result columns
 * (status, method, score, id, reason, labels). Streams: memory holds one record, whatever the file's size. The input
 * cells are written back as read (they were made spreadsheet-safe when first written).
 */
export async function reviseResult(
  objects: ObjectStore,
  source: ObjectRef,
  target: ObjectRef,
  inputColumnCount: number,
  decision: ReviewDecision,
): Promise<ObjectInfo> {
  const records = parseCsvRecords(await objects.get(source), RESULT_FORMAT);
  const replacement = resultCells(decidedRow(decision), inputColumnCount).slice(inputColumnCount).map(neutralizeFormula);
  let found = false;
  async function* lines(): AsyncGenerator<string> {
    let index = -1;
    let buffer = '';
    for await (const record of records) {
      const cells = index === decision.row ? [...record.slice(0, inputColumnCount), ...replacement] : record;
      if (index === decision.row) found = true;
      buffer += formatPlainCsvRecord(cells);
      index += 1;
      if (buffer.length >= 65_536) {
        yield buffer;
        buffer = '';
      }
    }
    if (!found) throw new Error(`row ${decision.row + 1} is not in ${source.key}`);
    if (buffer) yield buffer;
  }
  return objects.put(target, lines(), { contentType: 'text/csv; charset=utf-8' });
}
