import { foldName } from './text';

// USPS-style short forms, so "123 North Main Street, Apartment 4" = "123 N Main St Apt 4".
const shortFormByWord: Readonly<Record<string, string>> = {
  street: 'st',
  avenue: 'ave',
  av: 'ave',
  road: 'rd',
  boulevard: 'blvd',
  drive: 'dr',
  lane: 'ln',
  court: 'ct',
  place: 'pl',
  square: 'sq',
  terrace: 'ter',
  circle: 'cir',
  parkway: 'pkwy',
  highway: 'hwy',
  expressway: 'expy',
  freeway: 'fwy',
  trail: 'trl',
  way: 'way',
  alley: 'aly',
  crescent: 'cres',
  suite: 'ste',
  apartment: 'apt',
  building: 'bldg',
  floor: 'fl',
  room: 'rm',
  unit: 'unit',
  north: 'n',
  south: 's',
  east: 'e',
  west: 'w',
  northeast: 'ne',
  northwest: 'nw',
  southeast: 'se',
  southwest: 'sw',
  mount: 'mt',
  fort: 'ft',
  saint: 'st',
};

const shortForms = new Map(Object.entries(shortFormByWord));

export function comparableStreet(street: string): string {
  const words = foldName(street).split(' ');
  for (let index = 0; index < words.length; index += 1) {
    const word = words[index] ?? '';
    words[index] = shortForms.get(word) ?? word;
  }
  return words.join(' ');
}
