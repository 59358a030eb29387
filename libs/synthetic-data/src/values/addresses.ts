import type { Random } from '../random/random';
import { WeightedTable } from '../random/weighted-table';
import { CITIES, type City } from '../reference/places';
import { STREET_NAMES, STREET_TYPES } from '../reference/street-names';

const CITY_TABLE = new WeightedTable<City>(CITIES.map((place) => [place, place.population] as const));

export function drawCity(random: Random): City {
  return CITY_TABLE.sample(random);
}

/** A city that `accept` allows (e.g. not the one a person lives in now); the table has plenty of each. */
export function drawCityWhere(random: Random, accept: (place: City) => boolean): City {
  for (let attempt = 0; attempt < 1_000; attempt++) {
    const place = drawCity(random);
    if (accept(place)) {
      return place;
    }
  }
  const fallback = CITIES.find(accept);
  if (fallback === undefined) {
    throw new Error('no city satisfies the constraint');
  }
  return fallback;
}

// Directory addresses use house numbers below 10,000 and outside people at or above it, so a stranger's
// street address never equals a directory person's.
export type HouseNumberRange = 'directory' | 'outside';

export function drawStreet(random: Random, range: HouseNumberRange): string {
  const number = range === 'directory' ? random.between(1, 9_999) : random.between(10_000, 29_999);
  return `${number} ${random.pick(STREET_NAMES)} ${random.pick(STREET_TYPES)}`;
}

export function drawPostcode(random: Random, place: City): string {
  return `${place.zipPrefix}${String(random.between(1, 99)).padStart(2, '0')}`;
}
