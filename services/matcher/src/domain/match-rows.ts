import type { MatchedRow } from '@refinery/chunk-records';
import { type ColumnMapping, type ContactFields, fieldsFromRecord, standardizeContact, validateContact } from '@refinery/contacts';
import { type CsvLimits, type CsvRow, describeRowProblem } from '@refinery/csv';
import { countRowOutcome, LINKAGE_SAMPLE_ROWS, type MatchCountsData } from '@refinery/events';
import {
  type Candidate,
  type ContactProvider,
  decideMatch,
  estimateModel,
  type LinkageModel,
  type MatchDecision,
  type MatchThresholds,
  prepareContact,
  type SampleRow,
  ScoringModel,
} from '@refinery/matching';
import { isProviderUnavailable, ProviderBatchError } from '@refinery/providers';
import type { StoredNicknames } from './nickname-store';
import type { ProviderAnswers } from './provider-answers';

interface PendingRow {
  readonly row: number;
  readonly cells: string[];
  readonly contact: ContactFields;
  readonly invalidReason?: string;
}

export interface MatchRowsOptions {
  readonly firstRow: number;
  readonly columns: readonly ColumnMapping[];
  /** The limits the rows were read with (readCsvRows), named in the reasons of rows over them. */
  readonly limits: Pick<CsvLimits, 'maxFieldBytes' | 'maxRowBytes'>;
  /** Asked in order: each provider only for the rows the ones before it could not match. Never empty. */
  readonly providers: readonly ContactProvider[];
  readonly nicknames: StoredNicknames;
  readonly defaultRegion: string;
  readonly batchSize: number;
  /** Remote providers' answers so far (loaded from the chunk's progress; new ones are added). */
  readonly answers: ProviderAnswers;
  /** Filled in as rows go by. */
  readonly counts: MatchCountsData;
  /** The job's linkage model (see learnJobModel). */
  readonly model: LinkageModel;
  readonly thresholds?: Partial<MatchThresholds>;
}

interface Decider {
  readonly options: MatchRowsOptions;
  readonly scoring: ScoringModel;
}

/**
 * Validates, standardizes and matches records in batches: one provider call per batch, so a slow provider is asked
 * in bulk and memory holds one batch, not the chunk. Invalid rows are results too (status `invalid` with the reason),
 * never failures of the chunk. A provider outage (ProviderUnavailableError) ends the generator with that error once
 * the answers received are in `answers`, for the caller to keep. Each batch's records come out as one array, in the
 * rows' order (the matcher's chunk handler writes them so: one turn of async iteration per batch, not per row).
 */
export async function* matchRowBatches(records: AsyncIterable<CsvRow>, options: MatchRowsOptions): AsyncGenerator<MatchedRow[]> {
  if (options.providers.length === 0) throw new Error('matchRowBatches needs at least one provider');
  const decider: Decider = { options, scoring: new ScoringModel(options.model) };
  let batch: PendingRow[] = [];
  let row = options.firstRow;
  for await (const record of records) {
    batch.push(prepareRow(row, record, options));
    row += 1;
    if (batch.length >= options.batchSize) {
      yield await decideBatch(batch, decider);
      batch = [];
    }
  }
  if (batch.length) yield await decideBatch(batch, decider);
}

export type LearnOptions = Pick<
  MatchRowsOptions,
  'firstRow' | 'columns' | 'limits' | 'providers' | 'nicknames' | 'defaultRegion' | 'answers' | 'batchSize'
>;

/**
 * Learns the job's model from its first LINKAGE_SAMPLE_ROWS rows (whichever chunk asks first: every chunk reads the same
 * rows, so the model is the same whichever learns it) with the first provider's candidates. Reading stops after the
 * sample, however large the range.
 */
export async function learnJobModel(records: AsyncIterable<CsvRow>, options: LearnOptions): Promise<LinkageModel> {
  const rows: PendingRow[] = [];
  let row = options.firstRow;
  for await (const record of records) {
    rows.push(prepareRow(row, record, options));
    row += 1;
    if (rows.length >= LINKAGE_SAMPLE_ROWS) break;
  }
  const provider = options.providers[0] as ContactProvider;
  const sample: SampleRow[] = [];
  const valid = rows.filter((pending) => pending.invalidReason === undefined);
  for (let start = 0; start < valid.length; start += options.batchSize) {
    const batch = valid.slice(start, start + options.batchSize);
    let lists: Candidate[][];
    try {
      lists = await candidatesFrom(provider, batch, options.answers);
    } catch (error) {
      // An outage waits for the provider (the chunk comes back); a batch the provider refuses is left out of the
      // sample: its rows fail in the chunk that holds them, not in every chunk that learns the model.
      if (isProviderUnavailable(error)) throw error;
      continue;
    }
    await prefetchNames(batch, lists, options);
    batch.forEach((pending, i) => {
      sample.push({ contact: pending.contact, candidates: lists[i] ?? [] });
    });
  }
  return estimateModel(sample, {
    nicknames: options.nicknames,
    ...(provider.population === undefined ? {} : { population: provider.population }),
  });
}

// The first names of a batch's rows and of all their candidates (about ten per row), read only if the store asks for
// them: a store answered from its snapshot does not, and reading every candidate's name was a cache miss per candidate
// (a directory's people lie far apart in memory) for nothing.
function* firstNames(rows: readonly PendingRow[], lists: readonly Candidate[][]): Generator<string> {
  for (const row of rows) yield row.contact.first_name ?? '';
  for (const list of lists) for (const candidate of list) yield candidate.fields.first_name ?? '';
}

async function prefetchNames(
  rows: readonly PendingRow[],
  lists: readonly Candidate[][],
  options: Pick<MatchRowsOptions, 'nicknames'>,
): Promise<void> {
  await options.nicknames.prefetch(firstNames(rows, lists));
}

function prepareRow(row: number, record: CsvRow, options: Pick<MatchRowsOptions, 'columns' | 'defaultRegion' | 'limits'>): PendingRow {
  const { cells, problem } = record;
  // Prepared: the look-up and the decision each ask for the row's comparable form, built once and kept with it.
  const contact = prepareContact(standardizeContact(fieldsFromRecord(cells, options.columns), { defaultRegion: options.defaultRegion }));
  if (problem !== undefined) {
    // Too large, or not text: the reader has kept what could be kept; the row says why it is not matched.
    const names: string[] = [];
    for (const column of options.columns) names[column.index] = column.name;
    return { row, cells, contact, invalidReason: describeRowProblem(problem, { line: record.line, columns: names }, options.limits) };
  }
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

/** Candidates for each row from one provider: kept answers first, the provider asked only for the others. */
async function candidatesFrom(provider: ContactProvider, rows: readonly PendingRow[], answers: ProviderAnswers): Promise<Candidate[][]> {
  const lists = rows.map((pending) => answers.get(provider, pending.row));
  const ask = rows.filter((_, i) => lists[i] === undefined);
  if (ask.length === 0) return lists as Candidate[][];
  let fresh: Candidate[][];
  try {
    fresh = await provider.findCandidates(ask.map((pending) => pending.contact));
  } catch (error) {
    if (error instanceof ProviderBatchError) {
      for (const [index, candidates] of error.answered) {
        const pending = ask[index];
        if (pending !== undefined) answers.set(provider, pending.row, candidates);
      }
    }
    throw error;
  }
  for (const [i, pending] of ask.entries()) answers.set(provider, pending.row, fresh[i] ?? []);
  const byRow = new Map(ask.map((pending, i) => [pending, fresh[i] ?? []]));
  return rows.map((pending, i) => lists[i] ?? byRow.get(pending) ?? []);
}

interface Outcome {
  decision: MatchDecision;
  provider: ContactProvider;
}

/** Each provider in turn for the rows still unmatched; a row's outcome is its first match, else every "no". */
async function decideWithProviders(valid: readonly PendingRow[], decider: Decider): Promise<Map<PendingRow, Outcome>> {
  const { options } = decider;
  const decide = { model: decider.scoring, ...(options.thresholds ? { thresholds: options.thresholds } : {}) };
  const outcomes = new Map<PendingRow, Outcome>();
  const declined = new Map<PendingRow, Outcome[]>();
  let pending = valid;
  for (const provider of options.providers) {
    if (pending.length === 0) break;
    const candidateLists = await candidatesFrom(provider, pending, options.answers);
    await prefetchNames(pending, candidateLists, options);
    const stillUnmatched: PendingRow[] = [];
    pending.forEach((row, i) => {
      const decision = decideMatch(row.contact, candidateLists[i] ?? [], options.nicknames, decide);
      if (decision.status === 'matched') outcomes.set(row, { decision, provider });
      else {
        const noes = declined.get(row);
        if (noes === undefined) declined.set(row, [{ decision, provider }]);
        else noes.push({ decision, provider });
        stillUnmatched.push(row);
      }
    });
    pending = stillUnmatched;
  }
  const several = options.providers.length > 1;
  for (const row of pending) {
    const noes = declined.get(row) ?? [];
    // No provider was sure: the likeliest candidate any of them proposed goes to review, if one did.
    const review = noes.filter((no) => no.decision.status === 'review').sort((a, b) => b.decision.score - a.decision.score)[0];
    if (review !== undefined) {
      outcomes.set(row, review);
      continue;
    }
    const score = Math.max(0, ...noes.map((no) => no.decision.score));
    const reason = several ? noes.map((no) => `${no.provider.name}: ${no.decision.reason}`).join('; ') : (noes[0]?.decision.reason ?? '');
    outcomes.set(row, { decision: { status: 'unmatched', score, reason }, provider: noes[0]?.provider ?? (options.providers[0] as ContactProvider) });
  }
  if (several) {
    for (const outcome of outcomes.values()) {
      if (outcome.decision.status !== 'unmatched')
        outcome.decision = { ...outcome.decision, reason: `${outcome.provider.name}: ${outcome.decision.reason}` };
    }
  }
  return outcomes;
}

// The batch's records, in its rows' order. An array rather than a generator of its own: the batch is decided at once
// anyway, and each level of async generators a row passes through costs promises and turns of the event loop per row.
async function decideBatch(batch: readonly PendingRow[], decider: Decider): Promise<MatchedRow[]> {
  const valid = batch.filter((pending) => pending.invalidReason === undefined);
  const outcomes = await decideWithProviders(valid, decider);
  const { counts } = decider.options;
  const records: MatchedRow[] = [];
  // One record per row, written out whole rather than spread from a shared base (same keys, same order).
  for (const pending of batch) {
    const { row, cells, contact } = pending;
    if (pending.invalidReason !== undefined) {
      countRowOutcome(counts, { status: 'invalid', method: null });
      records.push({ row, cells, contact, status: 'invalid', method: null, score: 0, matchId: null, reason: pending.invalidReason, provider: null });
      continue;
    }
    const decision = outcomes.get(pending)?.decision;
    if (decision !== undefined && decision.status !== 'unmatched') {
      // A row in review carries its proposed candidate like a match does; only its status tells them apart.
      countRowOutcome(counts, { status: decision.status, method: decision.status === 'matched' ? decision.method : null });
      const matched: MatchedRow = {
        row,
        cells,
        contact,
        status: decision.status,
        method: decision.method,
        score: decision.score,
        matchId: decision.candidate.id,
        reason: decision.reason,
        provider: decision.candidate.fields,
      };
      records.push(
        decision.status === 'review' ? { ...matched, comparison: { levels: decision.levels, namesSwapped: decision.namesSwapped } } : matched,
      );
    } else {
      countRowOutcome(counts, { status: 'unmatched', method: null });
      records.push({
        row,
        cells,
        contact,
        status: 'unmatched',
        method: null,
        score: decision?.score ?? 0,
        matchId: null,
        reason: decision?.reason ?? 'no provider answered',
        provider: null,
      });
    }
  }
  return records;
}
