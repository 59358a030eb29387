import { type CensusName, censusNames, type Gender } from '../data/census-names';
import type { Random } from '../random/random';
import { titleCase } from '../text/title-case';

export interface PersonName {
  gender: Gender;
  first: string;
  last: string;
  /** About how many people in the US have this very name (decides whether plain e-mail addresses are taken). */
  namesakes: number;
}

const US_POPULATION = 250_000_000;

const COMPOUND_FIRST_NAME_SHARE = 0.02;
const HYPHENATED_SURNAME_SHARE = 0.02;
const KEEPS_ACCENT_SHARE = 0.6;

function displayName(random: Random, censusName: CensusName): string {
  return censusName.accented !== undefined && random.chance(KEEPS_ACCENT_SHARE) ? censusName.accented : censusName.display;
}

function secondPart(random: Random, candidates: readonly string[], first: string): string {
  const second = random.pick(candidates);
  return second === first ? '' : titleCase(second);
}

/** A name drawn by census frequency: "Mary Ann" and "Garcia-Lopez" forms included, accents sometimes kept. */
export function drawPersonName(random: Random): PersonName {
  const census = censusNames();
  const gender = census.genders.sample(random);
  const firstCensus = census.firstNames[gender].sample(random);
  const lastCensus = census.surnames.sample(random);
  let first = displayName(random, firstCensus);
  let last = displayName(random, lastCensus);
  let namesakes = (US_POPULATION / 2) * firstCensus.share * lastCensus.share;
  if (random.chance(COMPOUND_FIRST_NAME_SHARE)) {
    const second = secondPart(random, census.commonFirstNames[gender], firstCensus.name);
    first = second === '' ? first : `${first} ${second}`;
    namesakes /= 100;
  }
  if (random.chance(HYPHENATED_SURNAME_SHARE)) {
    const second = secondPart(random, census.commonSurnames, lastCensus.name);
    last = second === '' ? last : `${last}-${second}`;
    namesakes /= 100;
  }
  return { gender, first, last, namesakes };
}
