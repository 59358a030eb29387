import type { ComparableContact } from '../comparable-contact';
import { signedBits } from '../fixed-decimals';
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
type ComparisonSpecOf = (typeof COMPARISONS)[number];
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

// What combine() asks of each comparison's spec, as one byte per comparison: the specs are objects of different shapes
// (some change with a group, some are places, some have frequencies), and reading their properties in the loop that
// weighs every candidate made each read a megamorphic look-up — most of the time of a weight.
const CHANGES_WITH_NOTHING = 0;
const CHANGES_WITH_ADDRESS = 1;
const CHANGES_WITH_JOB = 2;
const CHANGES_WITH_CONTACT_DETAILS = 3;
const CHANGES_WITH = Uint8Array.from(COMPARISONS, (spec) =>
  spec.changesWith === 'address'
    ? CHANGES_WITH_ADDRESS
    : spec.changesWith === 'job'
      ? CHANGES_WITH_JOB
      : spec.changesWith === 'contact details'
        ? CHANGES_WITH_CONTACT_DETAILS
        : CHANGES_WITH_NOTHING,
);
const NESTED_PLACE = Uint8Array.from(COMPARISONS, (spec) => (spec.nestedPlace === true ? 1 : 0));
const SHARED = Uint8Array.from(COMPARISONS, (spec) => (spec.shared ? 1 : 0));
const STREET = Uint8Array.from(COMPARISONS, (spec) => (spec.name === 'street_name' || spec.name === 'street_number' ? 1 : 0));
const PROVIDER = COMPARISONS.findIndex((spec) => spec.name === 'provider');
const MAX_LEVELS = Math.max(...COMPARISONS.map((spec) => spec.levels.length));

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
  // The exact agreements' weights of the contact last weighed (see levelWeight).
  private exactWeightsOf: ComparableContact | undefined;
  private readonly exactWeights = new Float64Array(COMPARISONS.length).fill(Number.NaN);
  // The parts of describeWeights that do not depend on the contact (see levelPart).
  private priorPart: string | undefined;
  private readonly levelParts: (string | undefined)[] = new Array<string | undefined>(COMPARISONS.length * MAX_LEVELS).fill(undefined);
  // The parts of the last combine() besides the weight (see combine).
  private combinedCapped = 0;
  private combinedChangedTogether = 0;
  private combinedNested = 0;

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
    if (level !== 0 || !(comparison >= 0 && comparison < this.exactWeights.length)) return this.baseWeight(comparison, level);
    this.knowExactWeight(comparison, contact);
    return this.exactWeights[comparison] as number;
  }

  // Makes exactWeights[comparison] the contact's weight for an exact agreement. An exact agreement's weight depends
  // on the contact alone, and a row's contact is weighed against each of its candidates in turn: its weights are kept
  // until another contact comes (NaN: not yet known). Written, not returned: a number returned by a call the
  // compiler does not inline is a new heap object each time, and this runs for every candidate.
  private knowExactWeight(comparison: number, contact: ComparableContact): void {
    if (contact !== this.exactWeightsOf) {
      this.exactWeightsOf = contact;
      this.exactWeights.fill(Number.NaN);
    }
    if (Number.isNaN(this.exactWeights[comparison] as number)) this.exactWeights[comparison] = this.frequencyWeight(comparison, contact);
  }

  // weights[comparison][level], 0 for a level the comparison does not have. Not `?.[level] ?? 0`: a number that may be
  // undefined is kept as a heap object, and this runs for every comparison of every candidate.
  private baseWeight(comparison: number, level: number): number {
    const weights = this.weights[comparison];
    return weights !== undefined && level >= 0 && level < weights.length ? (weights[level] as number) : 0;
  }

  private frequencyWeight(comparison: number, contact: ComparableContact): number {
    const base = this.baseWeight(comparison, 0);
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
    const weight = this.combine(vector.levels, contact, contributions, missing);
    return {
      weight,
      prior: this.priorWeight,
      contributions,
      capped: this.combinedCapped,
      changedTogether: this.combinedChangedTogether,
      nested: this.combinedNested,
      namesSwapped: vector.namesSwapped,
      missing,
    };
  }

  // describeWeights(this.score(vector, contact)) — the same text — without the score's objects: every row's reason
  // spells out its best candidate's weights, and the contributions, their strings and the parts' array were a sixth
  // of what the matcher allocated per row. A part whose weight is the level's own (all but a frequency-adjusted exact
  // agreement) is a string made once per model.
  describeWeights(vector: ComparisonVector, contact: ComparableContact): string {
    const levels = vector.levels;
    this.combine(levels, contact, undefined, undefined);
    this.priorPart ??= `prior ${signedBits(this.priorWeight)}`;
    let text = this.priorPart;
    let missing = '';
    for (let comparison = 0; comparison < levels.length; comparison += 1) {
      const level = levels[comparison] ?? NULL_LEVEL;
      if (level === NULL_LEVEL) {
        if (comparison !== PROVIDER) {
          const name = (COMPARISONS[comparison] as ComparisonSpecOf).name;
          missing = missing === '' ? name : `${missing}, ${name}`;
        }
        continue;
      }
      if (level === 0) {
        this.knowExactWeight(comparison, contact);
        const weight = this.exactWeights[comparison] as number;
        if (weight !== this.baseWeight(comparison, 0)) {
          text += `, ${this.partText(comparison, level, weight)}`;
          continue;
        }
      }
      text += this.levelPart(comparison, level);
    }
    if (this.combinedNested > 0.05) text += `, places nest (one town, one street) ${signedBits(-this.combinedNested)}`;
    if (this.combinedCapped > 0) text += `, household evidence capped ${signedBits(-this.combinedCapped)}`;
    if (this.combinedChangedTogether > 0.05) text += `, changes counted once ${signedBits(this.combinedChangedTogether)}`;
    if (vector.namesSwapped) text += ', first and last name swapped';
    if (missing !== '') text += `, missing: ${missing}`;
    return text;
  }

  // "field level +w", as score()'s contributions and describeWeights write them.
  private partText(comparison: number, level: number, weight: number): string {
    const spec = COMPARISONS[comparison] as ComparisonSpecOf;
    return `${spec.name} ${spec.levels[level]?.label ?? String(level)} ${signedBits(weight)}`;
  }

  // ", " and a level's part at the level's own weight (one string less to join per part), made when first asked: a model
  // made for one decision (decideMatch given a LinkageModel) makes only the parts it shows.
  private levelPart(comparison: number, level: number): string {
    const index = comparison * MAX_LEVELS + level;
    if (!(level >= 0 && level < MAX_LEVELS)) return `, ${this.partText(comparison, level, this.baseWeight(comparison, level))}`;
    let part = this.levelParts[index];
    if (part === undefined) {
      part = `, ${this.partText(comparison, level, this.baseWeight(comparison, level))}`;
      this.levelParts[index] = part;
    }
    return part;
  }

  // The weight with the frequency adjustment, without the parts (for candidates that are not explained).
  weightFor(levels: Int8Array, contact: ComparableContact): number {
    return this.combine(levels, contact, undefined, undefined);
  }

  // Only the weight, for EM's many passes (no frequency adjustment: it is learnt without one).
  weightOf(levels: Int8Array): number {
    return this.combine(levels, undefined, undefined, undefined);
  }

  // Personal fields add up; household fields' agreements add up to householdCap at most; the
  // disagreements of fields that change together count once, as the strongest of them. Returns the weight; the
  // parts an explanation shows are left in combinedCapped, combinedChangedTogether and combinedNested (not an object
  // per call: the matcher weighs every candidate, and EM every pair many times).
  private combine(
    levels: Int8Array,
    contact: ComparableContact | undefined,
    contributions: Contribution[] | undefined,
    missing: ComparisonName[] | undefined,
  ): number {
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
      if (level === NULL_LEVEL) {
        if (missing !== undefined && comparison !== PROVIDER) missing.push((COMPARISONS[comparison] as ComparisonSpecOf).name);
        continue;
      }
      let weight: number;
      if (contact === undefined || level !== 0) weight = this.baseWeight(comparison, level);
      else {
        this.knowExactWeight(comparison, contact);
        weight = this.exactWeights[comparison] as number;
      }
      if (contributions !== undefined) {
        const spec = COMPARISONS[comparison] as ComparisonSpecOf;
        contributions.push({ comparison: spec.name, level: spec.levels[level]?.label ?? String(level), weight });
      }
      const changesWith = CHANGES_WITH[comparison] ?? CHANGES_WITH_NOTHING;
      const nestedPlace = NESTED_PLACE[comparison] === 1;
      if (weight < 0 && changesWith !== CHANGES_WITH_NOTHING) groupDisagreement += weight;
      if (weight < 0 && nestedPlace) placeDisagrees = true;
      if (weight > 0 && STREET[comparison] === 1) streetAgreement += weight;
      if (weight > 0 && nestedPlace) {
        placeAgreement += weight;
        strongestPlace = Math.max(strongestPlace, weight);
        sharedAgreement += weight;
      } else if (weight > 0 && SHARED[comparison] === 1) sharedAgreement += weight;
      else if (weight < 0 && changesWith === CHANGES_WITH_ADDRESS) strongestAddressChange = Math.min(strongestAddressChange, weight);
      else if (weight < 0 && changesWith === CHANGES_WITH_JOB) strongestJobChange = Math.min(strongestJobChange, weight);
      else if (weight < 0 && changesWith === CHANGES_WITH_CONTACT_DETAILS) strongestContactChange = Math.min(strongestContactChange, weight);
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
    this.combinedCapped = capped;
    this.combinedChangedTogether = groups - groupDisagreement;
    this.combinedNested = nested;
    return total + sharedAgreement - capped + groups;
  }
}

export function priorWeightOf(matchRate: number, population: number): number {
  return Math.log2(matchRate / (1 - matchRate)) - Math.log2(Math.max(1, population));
}

export function probabilityOfWeight(weight: number): number {
  const odds = 2 ** weight;
  return odds / (1 + odds);
}
