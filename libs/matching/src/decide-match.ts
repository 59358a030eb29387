import type { ContactFields } from '@refinery/contacts';
import { type ComparableContact, comparableCandidate, comparableContact } from './comparable-contact';
import { explainDecision, type ScoredCandidate } from './explain';
import { roundToDigits } from './fixed-decimals';
import { COMPARISON_COUNT, type ComparisonVector, compareInto, FIRST_NAME, IDENTIFIER_COMPARISONS } from './linkage/comparisons';
import { type LinkageModel, type PairScore, priorModel, ScoringModel } from './linkage/model';
import { DEFAULT_THRESHOLDS, type MatchThresholds } from './thresholds';
import type { Candidate, MatchDecision, MatchMethod, NicknameLookup } from './types';

export interface DecideOptions {
  // The job's model (estimateModel); the priors when absent.
  model?: LinkageModel | ScoringModel;
  thresholds?: Partial<MatchThresholds>;
}

// Names are looked up once per candidate, and a book and a directory repeat the same few thousand first names: the
// answers are kept per nickname table (names arrive folded, so each name is one entry), up to a bound.
const REMEMBERED_NAMES = 50_000;
const rememberedByTable = new WeakMap<NicknameLookup, NicknameLookup>();

function rememberingLookups(nicknames: NicknameLookup): NicknameLookup {
  let remembering = rememberedByTable.get(nicknames);
  if (remembering === undefined) {
    const remembered = new Map<string, ReadonlySet<string>>();
    remembering = {
      variantsOf(name: string): ReadonlySet<string> {
        let variants = remembered.get(name);
        if (variants === undefined) {
          variants = nicknames.variantsOf(name);
          if (remembered.size >= REMEMBERED_NAMES) remembered.clear();
          remembered.set(name, variants);
        }
        return variants;
      },
    };
    rememberedByTable.set(nicknames, remembering);
  }
  return remembering;
}

class Scored implements ScoredCandidate {
  readonly levels: Int8Array;
  probability = 0;
  #explained: PairScore | undefined;

  constructor(
    readonly candidate: Candidate,
    readonly comparable: ComparableContact,
    private readonly vector: ComparisonVector,
    readonly weight: number,
    private readonly scoring: ScoringModel,
    private readonly subject: ComparableContact,
  ) {
    this.levels = vector.levels;
  }

  // Every contribution, spelled out only when asked for (the best two candidates' reasons): it costs more than the
  // weight alone.
  get score(): PairScore {
    this.#explained ??= this.scoring.score(this.vector, this.subject);
    return this.#explained;
  }

  describeWeights(): string {
    return this.scoring.describeWeights(this.vector, this.subject);
  }
}

// What the fetching pass read, kept so that the compiler cannot drop the reads.
// biome-ignore lint/correctness/noUnusedVariables: written only, on purpose (see the fetching pass in weighRow)
let touched = 0;

let priorScoring: ScoringModel | undefined;

function scoringModel(model: LinkageModel | ScoringModel | undefined): ScoringModel {
  if (model instanceof ScoringModel) return model;
  if (model !== undefined) return new ScoringModel(model);
  priorScoring ??= new ScoringModel(priorModel());
  return priorScoring;
}

function methodOf(levels: Int8Array): MatchMethod {
  for (const comparison of IDENTIFIER_COMPARISONS) if (levels[comparison] === 0) return 'exact';
  return levels[FIRST_NAME] === 1 ? 'nickname' : 'fuzzy';
}

// What weighRow keeps of each candidate of the row, reused from row to row (grown when a row has more candidates): a
// comparison vector, a weight and an object per candidate were garbage by the next row, and only the best two
// candidates are ever explained (rankCandidates).
const rowComparables: ComparableContact[] = [];
let rowLevels = new Int8Array(COMPARISON_COUNT * 32);
let rowWeights = new Float64Array(32);
let rowSwapped = new Uint8Array(32);
const pairLevels = new Int8Array(COMPARISON_COUNT);

// Weighs every candidate of the row into the row's buffers, and answers what turns a weight into a probability within
// the row: P(candidate i is the person) = odds_i / (1 + the sum of all odds), at most one candidate being the person.
// Weights are taken relative to the best one (`top`), so 2^weight never overflows.
function weighRow(
  subject: ComparableContact,
  candidates: readonly Candidate[],
  nicknames: NicknameLookup,
  scoring: ScoringModel,
): { readonly top: number; readonly total: number } {
  const count = candidates.length;
  if (count > rowWeights.length) {
    const room = Math.max(count, rowWeights.length * 2);
    rowLevels = new Int8Array(COMPARISON_COUNT * room);
    rowWeights = new Float64Array(room);
    rowSwapped = new Uint8Array(room);
  }
  const lookup = rememberingLookups(nicknames);
  // Fetched in a pass of their own: a directory's people lie far apart in memory, and a short loop lets the
  // processor wait for several of them at once instead of for each in turn inside the comparisons.
  for (let index = 0; index < count; index += 1) {
    const comparable = comparableCandidate(candidates[index] as Candidate);
    rowComparables[index] = comparable;
    touched += comparable.first.length + comparable.last.length + (comparable.corroborating.birth_date?.length ?? 0);
  }
  let top = Number.NEGATIVE_INFINITY;
  for (let index = 0; index < count; index += 1) {
    const swapped = compareInto(subject, rowComparables[index] as ComparableContact, candidates[index] as Candidate, lookup, pairLevels);
    const weight = scoring.weightFor(pairLevels, subject);
    rowWeights[index] = weight;
    rowSwapped[index] = swapped ? 1 : 0;
    rowLevels.set(pairLevels, index * COMPARISON_COUNT);
    top = Math.max(top, weight);
  }
  let total = 2 ** -top;
  for (let index = 0; index < count; index += 1) total += 2 ** ((rowWeights[index] as number) - top);
  return { top, total };
}

// The probability of the row's candidate `index`, as weighRow weighed it.
function probabilityAt(index: number, row: { readonly top: number; readonly total: number }): number {
  return 2 ** ((rowWeights[index] as number) - row.top) / row.total;
}

// The row's candidate `index`, as weighRow weighed it, made into an object of its own (its levels copied out of the
// row's buffers, which the next row reuses).
function scoredAt(index: number, candidates: readonly Candidate[], subject: ComparableContact, scoring: ScoringModel, probability: number): Scored {
  const at = index * COMPARISON_COUNT;
  const vector = { levels: rowLevels.slice(at, at + COMPARISON_COUNT), namesSwapped: rowSwapped[index] === 1 };
  const entry = new Scored(
    candidates[index] as Candidate,
    rowComparables[index] as ComparableContact,
    vector,
    rowWeights[index] as number,
    scoring,
    subject,
  );
  entry.probability = probability;
  return entry;
}

// Every candidate scored, best first. Two candidates that fit equally well share the probability, so neither is taken
// without a person saying which.
export function scoreCandidates(
  subject: ComparableContact,
  candidates: readonly Candidate[],
  nicknames: NicknameLookup,
  scoring: ScoringModel,
): ScoredCandidate[] {
  const row = weighRow(subject, candidates, nicknames, scoring);
  const scored = candidates.map((_, index) => scoredAt(index, candidates, subject, scoring, probabilityAt(index, row)));
  // Best first, candidates of equal probability in the provider's order (what a stable sort gives): an insertion sort,
  // as a row has about ten candidates, without the work array and the comparator calls of Array.prototype.sort.
  for (let index = 1; index < scored.length; index += 1) {
    const entry = scored[index] as Scored;
    let at = index;
    while (at > 0 && (scored[at - 1] as Scored).probability < entry.probability) {
      scored[at] = scored[at - 1] as Scored;
      at -= 1;
    }
    scored[at] = entry;
  }
  return scored;
}

interface Ranked {
  readonly best: Scored | undefined;
  readonly runnerUp: Scored | undefined;
}

// The first two of scoreCandidates(...) — the same candidates with the same weights and probabilities — without
// making the rest into objects: the best is the first candidate of the highest probability, the runner-up the first
// of the highest among the others (the order scoreCandidates' stable sort gives).
function rankCandidates(subject: ComparableContact, candidates: readonly Candidate[], nicknames: NicknameLookup, scoring: ScoringModel): Ranked {
  const row = weighRow(subject, candidates, nicknames, scoring);
  let best = -1;
  let bestProbability = 0;
  let runnerUp = -1;
  let runnerUpProbability = 0;
  for (let index = 0; index < candidates.length; index += 1) {
    const probability = probabilityAt(index, row);
    if (best < 0 || probability > bestProbability) {
      runnerUp = best;
      runnerUpProbability = bestProbability;
      best = index;
      bestProbability = probability;
    } else if (runnerUp < 0 || probability > runnerUpProbability) {
      runnerUp = index;
      runnerUpProbability = probability;
    }
  }
  return {
    best: best < 0 ? undefined : scoredAt(best, candidates, subject, scoring, bestProbability),
    runnerUp: runnerUp < 0 ? undefined : scoredAt(runnerUp, candidates, subject, scoring, runnerUpProbability),
  };
}

export function decideMatch(
  contact: ContactFields,
  candidates: readonly Candidate[],
  nicknames: NicknameLookup,
  options: DecideOptions = {},
): MatchDecision {
  const given: MatchThresholds = { ...DEFAULT_THRESHOLDS, ...options.thresholds };
  // A match threshold set below the default review threshold leaves no review band, rather than an inverted one.
  const thresholds: MatchThresholds = { match: given.match, review: Math.min(given.review, given.match) };
  const subject = comparableContact(contact);
  const { best, runnerUp } = rankCandidates(subject, candidates, nicknames, scoringModel(options.model));
  if (best === undefined) {
    return { status: 'unmatched', score: 0, reason: explainDecision(subject, undefined, undefined, 'unmatched', thresholds) };
  }
  const score = roundToDigits(best.probability, 6);
  if (best.probability >= thresholds.match) {
    return {
      status: 'matched',
      method: methodOf(best.levels),
      score,
      candidate: best.candidate,
      reason: explainDecision(subject, best, runnerUp, 'matched', thresholds),
    };
  }
  if (best.probability >= thresholds.review) {
    return {
      status: 'review',
      method: methodOf(best.levels),
      score,
      candidate: best.candidate,
      reason: explainDecision(subject, best, runnerUp, 'review', thresholds),
      levels: Array.from(best.levels),
      namesSwapped: best.score.namesSwapped,
    };
  }
  return { status: 'unmatched', score, reason: explainDecision(subject, best, runnerUp, 'unmatched', thresholds) };
}
