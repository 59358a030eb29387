import type { MatchedRow } from '@refinery/chunk-records';
import { fieldsFromRecord, standardizeContact, validateContact, type ColumnMapping, type ContactFields } from '@refinery/contacts';
import { decideMatch, type Candidate, type ContactProvider } from '@refinery/matching';
import type { StoredNicknames } from './nickname-store';

export interface MatchCounts {
  matched: number;
  unmatched: number;
  invalid: number;
  byMethod: { exact: number; fuzzy: number; nickname: number };
}

export function emptyCounts(): MatchCounts {
  return { matched: 0, unmatched: 0, invalid: 0, byMethod: { exact: 0, fuzzy: 0, nickname: 0 } };
}

interface PendingRow {
  readonly row: number;
  readonly cells: string[];
  readonly contact: ContactFields;
  readonly invalidReason?: string;
}

export interface MatchRowsOptions {
  readonly firstRow: number;
  readonly columns: readonly ColumnMapping[];
  readonly provider: ContactProvider;
  readonly nicknames: StoredNicknames;
  readonly defaultRegion: string;
  readonly batchSize: number;
  /** Filled in as rows go by. */
  readonly counts: MatchCounts;
}

/**
 * Validates, standardizes and matches records in batches: one provider call per batch, so a slow provider is asked
 * in bulk and memory holds one batch, not the chunk. Invalid rows are results too (status `invalid` with the reason),
 * never failures of the chunk.
 */
export async function* matchRows(records: AsyncIterable<string[]>, options: MatchRowsOptions): AsyncGenerator<MatchedRow> {
  let batch: PendingRow[] = [];
  let row = options.firstRow;
  for await (const cells of records) {
    batch.push(prepareRow(row, cells, options));
    row += 1;
    if (batch.length >= options.batchSize) {
      yield* decideBatch(batch, options);
      batch = [];
    }
  }
  if (batch.length) yield* decideBatch(batch, options);
}

function prepareRow(row: number, cells: string[], options: MatchRowsOptions): PendingRow {
  const contact = standardizeContact(fieldsFromRecord(cells, options.columns), { defaultRegion: options.defaultRegion });
  const width = options.columns.length;
  const extra = cells.slice(width).filter((cell) => cell.trim() !== '');
  if (extra.length > 0) {
    // Never drop data silently: the extra values are quoted in the reason.
    const shown = extra.slice(0, 3).map((cell) => JSON.stringify(cell.length > 40 ? `${cell.slice(0, 40)}…` : cell));
    return {
      row,
      cells,
      contact,
      invalidReason: `the row has ${cells.length} values but the header has ${width} columns; extra values: ${shown.join(', ')}${extra.length > 3 ? ', …' : ''}`,
    };
  }
  const validation = validateContact(contact);
  return validation.valid ? { row, cells, contact } : { row, cells, contact, invalidReason: validation.reason };
}

async function* decideBatch(batch: readonly PendingRow[], options: MatchRowsOptions): AsyncGenerator<MatchedRow> {
  const valid = batch.filter((pending) => pending.invalidReason === undefined);
  const candidateLists = valid.length ? await options.provider.findCandidates(valid.map((pending) => pending.contact)) : [];
  const candidatesOf = new Map<PendingRow, Candidate[]>(valid.map((pending, i) => [pending, candidateLists[i] ?? []]));
  await options.nicknames.prefetch(
    [...valid.map((pending) => pending.contact.first_name ?? ''), ...candidateLists.flat().map((candidate) => candidate.fields.first_name ?? '')],
  );
  const { counts } = options;
  for (const pending of batch) {
    if (pending.invalidReason !== undefined) {
      counts.invalid += 1;
      yield { row: pending.row, cells: pending.cells, contact: pending.contact, status: 'invalid', method: null, score: 0, matchId: null, reason: pending.invalidReason, provider: null };
      continue;
    }
    const decision = decideMatch(pending.contact, candidatesOf.get(pending) ?? [], options.nicknames);
    if (decision.status === 'matched') {
      counts.matched += 1;
      counts.byMethod[decision.method] += 1;
      yield {
        row: pending.row,
        cells: pending.cells,
        contact: pending.contact,
        status: 'matched',
        method: decision.method,
        score: decision.score,
        matchId: decision.candidate.id,
        reason: decision.reason,
        provider: decision.candidate.fields,
      };
    } else {
      counts.unmatched += 1;
      yield { row: pending.row, cells: pending.cells, contact: pending.contact, status: 'unmatched', method: null, score: decision.score, matchId: null, reason: decision.reason, provider: null };
    }
  }
}
