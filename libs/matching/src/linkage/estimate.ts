import type { ContactFields } from '@refinery/contacts';
import { comparableCandidate, comparableContact } from '../comparable-contact';
import type { Candidate, NicknameLookup } from '../types';
import { COMPARISONS, type ComparisonName, compareRecords, type LevelPrior, NULL_LEVEL } from './comparisons';
import { type LinkageModel, priorModel, ScoringModel } from './model';

export interface SampleRow {
  readonly contact: ContactFields;
  readonly candidates: readonly Candidate[];
}

// A pair someone has decided: a reviewer's accept (same) or reject (not the same). `levels`, when given, is the
// pair's comparison vector as computed when it was matched (then the nickname table is not needed again).
export interface LabelledPair {
  readonly contact: ContactFields;
  readonly candidate: Candidate;
  readonly same: boolean;
  readonly levels?: readonly number[];
}

export interface EstimateOptions {
  readonly nicknames: NicknameLookup;
  readonly labelled?: readonly LabelledPair[];
  // Start from these (a job's earlier model) instead of the priors.
  readonly start?: LinkageModel;
  // How many people the provider holds, when it says (a directory's size).
  readonly population?: number;
  readonly maxIterations?: number;
}

// How many pairs' worth of belief the priors carry: a small job moves them a little, a large one a lot.
const M_PRIOR_PAIRS = 30;
const U_PRIOR_PAIRS = 1000;
const MATCH_RATE_PRIOR_ROWS = 10;
const MAX_RANDOM_PAIRS = 60_000;
// A reviewer's decision counts as much as this many unlabelled pairs.
const LABEL_WEIGHT = 5;
// Values seen at least this often in the book get their own frequency; rarer ones keep the level's u.
const MIN_FREQUENCY_COUNT = 2;
// Below this many rows with a value, frequencies say more about the sample than about the population
// (a book of six rows with two Paulsons): the field keeps its level's u.
const MIN_FREQUENCY_ROWS = 200;
const MAX_FREQUENCY_VALUES = 5000;
const CONVERGED = 1e-4;
const M_FLOOR = 1e-4;

function pairKey(contact: ContactFields, candidate: Candidate): string {
  return `${candidate.id}\u0000${JSON.stringify(contact)}`;
}

function smoothed(counts: Float64Array, total: number, prior: readonly number[], strength: number, floor: number): number[] {
  const values = Array.from(counts, (count, level) => Math.max(floor, (count + strength * (prior[level] ?? 0)) / (total + strength)));
  const sum = values.reduce((a, b) => a + b, 0);
  return values.map((value) => value / sum);
}

// Levels with a maxM keep at most that; what they give up goes to the other levels in proportion.
function bounded(m: number[], levels: readonly LevelPrior[]): number[] {
  let excess = 0;
  let free = 0;
  const result = m.map((value, level) => {
    const max = levels[level]?.maxM;
    if (max !== undefined && value > max) {
      excess += value - max;
      return max;
    }
    if (max === undefined) free += value;
    return value;
  });
  if (excess === 0 || free === 0) return result;
  return result.map((value, level) => (levels[level]?.maxM === undefined ? value + (excess * value) / free : value));
}

// Levels with a minU keep at least that; the other levels give it up in proportion.
function floored(u: number[], levels: readonly LevelPrior[]): number[] {
  let added = 0;
  const raised = u.map((value, level) => {
    const min = levels[level]?.minU;
    if (min === undefined || value >= min) return value;
    added += min - value;
    return min;
  });
  if (added === 0) return raised;
  const rest = raised.reduce((sum, value, level) => (levels[level]?.minU === undefined ? sum + value : sum), 0);
  return raised.map((value, level) => (levels[level]?.minU === undefined ? value - (added * value) / rest : value));
}

// u from pairs that are almost surely two different people: each row against other rows of the book.
function estimateU(
  rows: readonly SampleRow[],
  nicknames: NicknameLookup,
  prior: LinkageModel,
): { u: Record<ComparisonName, number[]>; pairs: number } {
  const counts = COMPARISONS.map((spec) => new Float64Array(spec.levels.length));
  const totals = new Float64Array(COMPARISONS.length);
  let pairs = 0;
  const n = rows.length;
  // Two rows of the book are two people (unless the provider answers both with one person: then they are left out),
  // drawn from the same population as the provider's: what they share by chance is u. Not the candidates: a provider hands out people that look
  // like the row asked about, and how many it hands out would change u.
  for (let offset = 1; offset < n && pairs < MAX_RANDOM_PAIRS; offset += 1) {
    for (let index = 0; index < n && pairs < MAX_RANDOM_PAIRS; index += 1) {
      const row = rows[index] as SampleRow;
      const other = rows[(index + offset) % n] as SampleRow;
      // Two rows the provider answers with the same person may be that person twice (a book's duplicates).
      if (row.candidates.some((mine) => other.candidates.some((theirs) => theirs.id === mine.id))) continue;
      const candidate = { id: '', fields: other.contact };
      const { levels } = compareRecords(comparableContact(row.contact), comparableContact(other.contact), candidate, nicknames);
      levels.forEach((level, comparison) => {
        if (level === NULL_LEVEL) return;
        (counts[comparison] as Float64Array)[level] = ((counts[comparison] as Float64Array)[level] ?? 0) + 1;
        totals[comparison] = (totals[comparison] ?? 0) + 1;
      });
      pairs += 1;
    }
  }
  const u = {} as Record<ComparisonName, number[]>;
  COMPARISONS.forEach((spec, comparison) => {
    const priorU = prior.comparisons[spec.name].u;
    // The provider's confidence is about the row it was asked for: crossed with another row it says nothing.
    u[spec.name] =
      spec.name === 'provider'
        ? [...priorU]
        : floored(smoothed(counts[comparison] as Float64Array, totals[comparison] ?? 0, priorU, U_PRIOR_PAIRS, 1e-7), spec.levels);
  });
  return { u, pairs };
}

function valueFrequencies(rows: readonly SampleRow[]): LinkageModel['frequencies'] {
  const frequencies: Partial<Record<ComparisonName, Record<string, number>>> = {};
  for (const spec of COMPARISONS) {
    const read = spec.frequencyOf;
    if (read === undefined) continue;
    const counts = new Map<string, number>();
    let total = 0;
    for (const row of rows) {
      const value = read(comparableContact(row.contact));
      if (value === undefined) continue;
      total += 1;
      counts.set(value, (counts.get(value) ?? 0) + 1);
    }
    if (total < MIN_FREQUENCY_ROWS) continue;
    const common = [...counts].filter(([, count]) => count >= MIN_FREQUENCY_COUNT).sort((a, b) => b[1] - a[1]);
    if (common.length === 0) continue;
    frequencies[spec.name] = Object.fromEntries(common.slice(0, MAX_FREQUENCY_VALUES).map(([value, count]) => [value, count / total]));
  }
  return frequencies;
}

/**
 * Learns a job's model from its own rows and their candidates: u from random pairs, then m and the prior by
 * expectation-maximisation over the candidate pairs (reviewers' decisions held fixed), value frequencies from the
 * book. Deterministic: the same sample gives the same model.
 */
export function estimateModel(rows: readonly SampleRow[], options: EstimateOptions): LinkageModel {
  const start = options.start ?? priorModel();
  const { nicknames } = options;
  // A decided pair is held at its decision: it is left out of the pairs EM guesses about.
  const decided = new Set((options.labelled ?? []).map((pair) => pairKey(pair.contact, pair.candidate)));
  const pairs: Int8Array[] = [];
  const rowRanges: [number, number][] = [];
  for (const row of rows) {
    const first = pairs.length;
    const contact = comparableContact(row.contact);
    for (const candidate of row.candidates) {
      if (decided.size > 0 && decided.has(pairKey(row.contact, candidate))) continue;
      pairs.push(compareRecords(contact, comparableCandidate(candidate), candidate, nicknames).levels);
    }
    if (pairs.length > first) rowRanges.push([first, pairs.length]);
  }
  const labelled = (options.labelled ?? []).map((pair) => ({
    levels:
      pair.levels === undefined
        ? compareRecords(comparableContact(pair.contact), comparableCandidate(pair.candidate), pair.candidate, nicknames).levels
        : Int8Array.from(pair.levels),
    same: pair.same,
  }));
  const accepted = labelled.filter((pair) => pair.same).length;
  const { u, pairs: randomPairs } = rows.length > 1 ? estimateU(rows, nicknames, start) : { u: undefined, pairs: 0 };
  const comparisons = {} as Record<ComparisonName, { m: number[]; u: number[] }>;
  for (const spec of COMPARISONS) {
    comparisons[spec.name] = { m: [...start.comparisons[spec.name].m], u: u?.[spec.name] ?? [...start.comparisons[spec.name].u] };
  }
  let model: LinkageModel = {
    ...start,
    ...(options.population === undefined ? {} : { population: options.population }),
    comparisons,
    // Without rows (a model taught by decisions only) the frequencies learnt before stay.
    frequencies: rows.length === 0 ? start.frequencies : valueFrequencies(rows),
  };
  const maxIterations = options.maxIterations ?? 20;
  let iterations = 0;
  const posteriors = new Float64Array(pairs.length);
  const weights = new Float64Array(pairs.length);
  while (iterations < maxIterations && pairs.length + labelled.length > 0) {
    iterations += 1;
    const scoring = new ScoringModel(model);
    // A row is at most one person: its candidates share one unit of belief (as decisions do).
    let expectedMatches = 0;
    for (const [from, to] of rowRanges) {
      let top = Number.NEGATIVE_INFINITY;
      for (let index = from; index < to; index += 1) {
        weights[index] = scoring.weightOf(pairs[index] as Int8Array);
        top = Math.max(top, weights[index] ?? 0);
      }
      let total = 2 ** -top;
      for (let index = from; index < to; index += 1) total += 2 ** ((weights[index] ?? 0) - top);
      for (let index = from; index < to; index += 1) {
        const posterior = 2 ** ((weights[index] ?? 0) - top) / total;
        posteriors[index] = posterior;
        expectedMatches += posterior;
      }
    }
    const counts = COMPARISONS.map((spec) => new Float64Array(spec.levels.length));
    const totals = new Float64Array(COMPARISONS.length);
    const add = (levels: Int8Array, weight: number): void => {
      levels.forEach((level, comparison) => {
        if (level === NULL_LEVEL) return;
        (counts[comparison] as Float64Array)[level] = ((counts[comparison] as Float64Array)[level] ?? 0) + weight;
        totals[comparison] = (totals[comparison] ?? 0) + weight;
      });
    };
    pairs.forEach((levels, index) => {
      add(levels, posteriors[index] ?? 0);
    });
    for (const pair of labelled) if (pair.same) add(pair.levels, LABEL_WEIGHT);
    let change = 0;
    const next = {} as Record<ComparisonName, { m: number[]; u: number[] }>;
    COMPARISONS.forEach((spec, comparison) => {
      const prior = start.comparisons[spec.name].m;
      const m = bounded(smoothed(counts[comparison] as Float64Array, totals[comparison] ?? 0, prior, M_PRIOR_PAIRS, M_FLOOR), spec.levels);
      const old = model.comparisons[spec.name].m;
      m.forEach((value, level) => {
        change = Math.max(change, Math.abs(value - (old[level] ?? 0)));
      });
      next[spec.name] = { m, u: model.comparisons[spec.name].u as number[] };
    });
    // Rows without a candidate count too: their person is, as far as anyone can tell, not there.
    const matchRate = Math.min(
      0.99,
      Math.max(
        0.01,
        (expectedMatches + accepted + MATCH_RATE_PRIOR_ROWS * start.matchRate) / (rows.length + labelled.length + MATCH_RATE_PRIOR_ROWS),
      ),
    );
    change = Math.max(change, Math.abs(matchRate - model.matchRate));
    model = { ...model, matchRate, comparisons: next };
    if (change < CONVERGED) break;
  }
  return {
    ...model,
    trainedOn:
      rows.length === 0
        ? { ...start.trainedOn, labelledPairs: labelled.length, iterations }
        : { rows: rows.length, pairs: pairs.length, randomPairs, labelledPairs: labelled.length, iterations },
  };
}
