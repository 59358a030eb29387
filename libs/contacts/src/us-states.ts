import { foldCompact } from './text';

const codeByStateName: Readonly<Record<string, string>> = {
  alabama: 'AL',
  alaska: 'AK',
  arizona: 'AZ',
  arkansas: 'AR',
  california: 'CA',
  colorado: 'CO',
  connecticut: 'CT',
  delaware: 'DE',
  florida: 'FL',
  georgia: 'GA',
  hawaii: 'HI',
  idaho: 'ID',
  illinois: 'IL',
  indiana: 'IN',
  iowa: 'IA',
  kansas: 'KS',
  kentucky: 'KY',
  louisiana: 'LA',
  maine: 'ME',
  maryland: 'MD',
  massachusetts: 'MA',
  michigan: 'MI',
  minnesota: 'MN',
  mississippi: 'MS',
  missouri: 'MO',
  montana: 'MT',
  nebraska: 'NE',
  nevada: 'NV',
  newhampshire: 'NH',
  newjersey: 'NJ',
  newmexico: 'NM',
  newyork: 'NY',
  northcarolina: 'NC',
  northdakota: 'ND',
  ohio: 'OH',
  oklahoma: 'OK',
  oregon: 'OR',
  pennsylvania: 'PA',
  rhodeisland: 'RI',
  southcarolina: 'SC',
  southdakota: 'SD',
  tennessee: 'TN',
  texas: 'TX',
  utah: 'UT',
  vermont: 'VT',
  virginia: 'VA',
  washington: 'WA',
  westvirginia: 'WV',
  wisconsin: 'WI',
  wyoming: 'WY',
  districtofcolumbia: 'DC',
  washingtondc: 'DC',
  puertorico: 'PR',
  guam: 'GU',
  usvirginislands: 'VI',
  americansamoa: 'AS',
  northernmarianaislands: 'MP',
};

// A Map, not the object itself: a property look-up with a key built at run time costs a string-table look-up per
// call (every contact's state is looked up, twice), and a name like "constructor" would find Object.prototype's.
const codeByName: ReadonlyMap<string, string> = new Map(Object.entries(codeByStateName));
const stateCodes: ReadonlySet<string> = new Set(Object.values(codeByStateName));

export function usStateCode(state: string): string | undefined {
  const key = foldCompact(state);
  const code = codeByName.get(key);
  if (code !== undefined) return code;
  const upper = key.toUpperCase();
  return stateCodes.has(upper) ? upper : undefined;
}
