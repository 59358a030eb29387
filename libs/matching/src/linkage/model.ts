import type { ComparableContact } from '../comparable-contact';
import { COMPARISONS, type ComparisonName, type ComparisonVector, FIRST_NAME, FIRST_NAME_SLIP, NULL_LEVEL } from './comparisons';

// A Fellegi-Sunter model: per comparison, P(level | same person) = m and P(level | different people) = u;
// a pair's match weight is log2(prior odds) + the sum of log2(m / u) over its comparisons. Stored as JSON
// beside a job's chunks, so every chunk of a job decides with the same model.
export interface LinkageModel {
  readonly version: 1;
  // P(a row's person is among the provider's people at all), learnt per job.
  readonly matchRate: number;
  // How many people the provider holds (a directory's size; an estimate for a remote provider). With the
  // match rate it makes the prior: before looking, a row is one given person with odds
  // matchRate / ((1 - matchRate) * population), the probability that two random records match.
  readonly population: number;
  // The most, in bits, that the fields a household shares (surname, address, phone, e-mail) add up to
  // together. Among different people they agree together (one family, one address, one
  // landline), so counting each on its own would take a sister for the person.
  readonly comparisons: Readonly<Record<ComparisonName, { readonly m: readonly number[]; readonly u: readonly number[] }>>;
  // Per field, the frequency of the values common enough to matter: an exact agreement on a common
  // value (Smith, Springfield) weighs less than on a rare one.
  readonly frequencies: Readonly<Partial<Record<ComparisonName, Readonly<Record<string, number>>>>>;
  // What it was learnt from (all zero for the priors).
  readonly trainedOn: {
    readonly rows: number;
    readonly pairs: number;
    readonly randomPairs: number;
    readonly labelledPairs: number;
    readonly iterations: number;
  };
}

// The fields a household shares (surname, address, phone, e-mail) narrow the population down to one
// household, not to one person: together they weigh at most log2(population / HOUSEHOLD_SIZE) bits. Among
// different people they agree together (one family, one address, one landline); counted one by one they
// would take a sister for the person.
const HOUSEHOLD_SIZE = 3;
export const DEFAULT_MATCH_RATE = 0.5;
// Used when a provider does not say how many people it holds (a remote API).
export const DEFAULT_POPULATION = 1_000_000;

export function priorModel(): LinkageModel {
  const comparisons = {} as Record<ComparisonName, { m: number[]; u: number[] }>;
  for (const spec of COMPARISONS) {
    comparisons[spec.name] = { m: spec.levels.map((level) => level.m), u: spec.levels.map((level) => level.u) };
  }
  return {
    version: 1,
    matchRate: DEFAULT_MATCH_RATE,
    population: DEFAULT_POPULATION,
    comparisons,
    frequencies: {},
    trainedOn: { rows: 0, pairs: 0, randomPairs: 0, labelledPairs: 0, iterations: 0 },
  };
}

// What a stored model must look like; anything else is refused rather than half-used.
export function parseLinkageModel(json: string, origin: string): LinkageModel {
  const refuse = (why: string): never => {
    throw new Error(`${origin} is not a linkage model: ${why}`);
  };
  let parsed: Partial<LinkageModel>;
  try {
    parsed = JSON.parse(json) as Partial<LinkageModel>;
  } catch (error) {
    return refuse(`not JSON (${(error as Error).message})`);
  }
  if (typeof parsed !== 'object' || parsed === null) return refuse('not an object');
  if (parsed.version !== 1) refuse(`version ${String(parsed.version)}, not 1`);
  if (typeof parsed.matchRate !== 'number' || !(parsed.matchRate > 0 && parsed.matchRate < 1))
    refuse('matchRate must be a number strictly between 0 and 1');
  if (typeof parsed.population !== 'number' || !Number.isFinite(parsed.population) || parsed.population < 1)
    refuse('population must be a number of at least 1');
  if (typeof parsed.comparisons !== 'object' || parsed.comparisons === null) return refuse('no comparisons');
  const probabilities = (values: unknown, length: number): boolean =>
    Array.isArray(values) && values.length === length && values.every((value) => typeof value === 'number' && value >= 0 && value <= 1);
  for (const spec of COMPARISONS) {
    const comparison = (parsed.comparisons as Record<string, { m?: unknown; u?: unknown } | null | undefined>)[spec.name];
    if (!comparison || !probabilities(comparison.m, spec.levels.length) || !probabilities(comparison.u, spec.levels.length)) {
      refuse(`comparison ${spec.name} needs m and u: ${spec.levels.length} probabilities each`);
    }
  }
  return { ...priorModel(), ...parsed } as LinkageModel;
}

export interface Contribution {
  readonly comparison: ComparisonName;
  readonly level: string;
  // log2(m / u), after the frequency adjustment; 0 when the field is missing on either side.
  readonly weight: number;
}

export interface PairScore {
  // log2 of the odds that the pair is the same person, prior included.
  readonly weight: number;
  readonly contributions: readonly Contribution[];
  readonly prior: number;
  // How many bits of household evidence the cap took away (0 when under it).
  readonly capped: number;
  // How many bits of disagreement were forgiven because the fields change together (a move).
  readonly changedTogether: number;
  // How many bits of place agreement were not counted because places nest (postcode, city, state; a street
  // name agreeing in another town).
  readonly nested: number;
  readonly namesSwapped: boolean;
  readonly missing: readonly ComparisonName[];
}

const WEIGHT_FLOOR = 1e-6;
// Details that go stale together are not independent, but not one either: a new street in the same town
// is a smaller change than a new town. Their weaker disagreements count at this rate.
const CHANGED_TOGETHER_RATE = 0.15;

// log2(m/u) of every level, computed once per model.
export class ScoringModel {
  private readonly weights: Float64Array[];
  private readonly exactM: Float64Array;
  private readonly exactU: Float64Array;
  // Per comparison, the learnt value frequencies as a Map: a look-up per candidate, and a value named like an
  // object's own property (a first name "constructor") is only a value.
  private readonly frequencies: (ReadonlyMap<string, number> | undefined)[];
  readonly priorWeight: number;
  readonly householdCap: number;

  constructor(readonly model: LinkageModel) {
    this.weights = COMPARISONS.map((spec) => {
      const { m, u } = model.comparisons[spec.name];
      return Float64Array.from(spec.levels, (_, level) => Math.log2(Math.max(m[level] ?? 0, WEIGHT_FLOOR) / Math.max(u[level] ?? 0, WEIGHT_FLOOR)));
    });
    this.exactM = Float64Array.from(COMPARISONS, (spec) => model.comparisons[spec.name].m[0] ?? 0);
    this.exactU = Float64Array.from(COMPARISONS, (spec) => model.comparisons[spec.name].u[0] ?? 0);
    this.frequencies = COMPARISONS.map((spec) => {
      const table = spec.frequencyOf === undefined ? undefined : model.frequencies[spec.name];
      return table === undefined ? undefined : new Map(Object.entries(table));
    });
    this.priorWeight = priorWeightOf(model.matchRate, model.population);
    this.householdCap = Math.log2(Math.max(HOUSEHOLD_SIZE * 2, model.population) / HOUSEHOLD_SIZE);
  }

  // The weight of one comparison at one level; an exact agreement on a common value weighs what its
  // frequency says when that is more than the level's u (never more than without the adjustment).
  levelWeight(comparison: number, level: number, contact: ComparableContact): number {
    const base = this.weights[comparison]?.[level] ?? 0;
    if (level !== 0) return base;
    const table = this.frequencies[comparison];
    const frequencyOf = COMPARISONS[comparison]?.frequencyOf;
    if (table === undefined || frequencyOf === undefined) return base;
    const value = frequencyOf(contact);
    const frequency = value === undefined ? undefined : table.get(value);
    const u = this.exactU[comparison] ?? 0;
    if (frequency === undefined || frequency <= u) return base;
    return Math.log2(Math.max(this.exactM[comparison] ?? 0, WEIGHT_FLOOR) / frequency);
  }

  // The match weight of a pair (prior included) from its comparison vector, with every contribution.
  score(vector: ComparisonVector, contact: ComparableContact): PairScore {
    const contributions: Contribution[] = [];
    const missing: ComparisonName[] = [];
    const { weight, capped, changedTogether, nested } = this.combine(vector.levels, contact, contributions, missing);
    return { weight, prior: this.priorWeight, contributions, capped, changedTogether, nested, namesSwapped: vector.namesSwapped, missing };
  }

  // The weight with the frequency adjustment, without the parts (for candidates that are not explained).
  weightFor(levels: Int8Array, contact: ComparableContact): number {
    return this.combine(levels, contact, undefined, undefined).weight;
  }

  // Only the weight, for EM's many passes (no frequency adjustment: it is learnt without one).
  weightOf(levels: Int8Array): number {
    return this.combine(levels, undefined, undefined, undefined).weight;
  }

  // Personal fields add up; household fields' agreements add up to householdCap at most; the
  // disagreements of fields that change together count once, as the strongest of them.
  private combine(
    levels: Int8Array,
    contact: ComparableContact | undefined,
    contributions: Contribution[] | undefined,
    missing: ComparisonName[] | undefined,
  ): { weight: number; capped: number; changedTogether: number; nested: number } {
    let total = this.priorWeight;
    let sharedAgreement = 0;
    // The strongest disagreement of each group that changes together (address, job, contact details).
    let strongestAddressChange = 0;
    let strongestJobChange = 0;
    let strongestContactChange = 0;
    let strongestPlace = 0;
    let placeAgreement = 0;
    let placeDisagrees = false;
    let streetAgreement = 0;
    let groupDisagreement = 0;
    for (let comparison = 0; comparison < levels.length; comparison += 1) {
      const level = levels[comparison] ?? NULL_LEVEL;
      const spec = COMPARISONS[comparison] as (typeof COMPARISONS)[number];
      if (level === NULL_LEVEL) {
        if (spec.name !== 'provider') missing?.push(spec.name);
        continue;
      }
      const weight = contact === undefined ? (this.weights[comparison]?.[level] ?? 0) : this.levelWeight(comparison, level, contact);
      contributions?.push({ comparison: spec.name, level: spec.levels[level]?.label ?? String(level), weight });
      if (weight < 0 && spec.changesWith !== undefined) groupDisagreement += weight;
      if (weight < 0 && spec.nestedPlace === true) placeDisagrees = true;
      if (weight > 0 && (spec.name === 'street_name' || spec.name === 'street_number')) streetAgreement += weight;
      if (weight > 0 && spec.nestedPlace === true) {
        placeAgreement += weight;
        strongestPlace = Math.max(strongestPlace, weight);
        sharedAgreement += weight;
      } else if (weight > 0 && spec.shared) sharedAgreement += weight;
      else if (weight < 0 && spec.changesWith === 'address') strongestAddressChange = Math.min(strongestAddressChange, weight);
      else if (weight < 0 && spec.changesWith === 'job') strongestJobChange = Math.min(strongestJobChange, weight);
      else if (weight < 0 && spec.changesWith === 'contact details') strongestContactChange = Math.min(strongestContactChange, weight);
      else total += weight;
    }
    // Places: the strongest agreement only (see nestedPlace). A street nests in its town too: the same street
    // name and number in another town (no place agrees, one differs) is a coincidence, not an address.
    const otherTown = placeAgreement === 0 && placeDisagrees ? streetAgreement : 0;
    const nested = placeAgreement - strongestPlace + otherTown;
    sharedAgreement -= nested;
    // Only a first name that does not tell the person apart (one slip away, sounding alike, an initial, a
    // counterpart, different, or missing: Jon and Jan, Hayden and Jayden, J. and Jane live together too) leaves
    // the household as the only evidence: then it counts as one household, not as one person. With the first
    // name agreeing, the shared fields say what they say.
    const firstName = levels[FIRST_NAME] ?? NULL_LEVEL;
    const capped = firstName === NULL_LEVEL || firstName >= FIRST_NAME_SLIP ? Math.max(0, sharedAgreement - this.householdCap) : 0;
    // The strongest disagreement of each group counts in full, the rest at CHANGED_TOGETHER_RATE.
    const strongest = strongestAddressChange + strongestJobChange + strongestContactChange;
    const groups = strongest + CHANGED_TOGETHER_RATE * (groupDisagreement - strongest);
    return { weight: total + sharedAgreement - capped + groups, capped, changedTogether: groups - groupDisagreement, nested };
  }
}

export function priorWeightOf(matchRate: number, population: number): number {
  return Math.log2(matchRate / (1 - matchRate)) - Math.log2(Math.max(1, population));
}

export function probabilityOfWeight(weight: number): number {
  const odds = 2 ** weight;
  return odds / (1 + odds);
}
