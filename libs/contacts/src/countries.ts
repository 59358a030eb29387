import { getCountries } from 'libphonenumber-js';
import { foldCompact } from './text';

// The countries contact books mention most, with the names, native names and ISO alpha-3 codes
// people type. Keys are compared in compact folded form ("U.S.A." = "usa", "Österreich" = "osterreich").
const namesByCountryCode: Readonly<Record<string, readonly string[]>> = {
  US: ['United States', 'United States of America', 'USA', 'U.S.A.', 'U.S.', 'America', 'US of A'],
  CA: ['Canada', 'CAN'],
  MX: ['Mexico', 'México', 'MEX'],
  GB: ['United Kingdom', 'UK', 'U.K.', 'Great Britain', 'Britain', 'England', 'Scotland', 'Wales', 'Northern Ireland', 'GBR'],
  IE: ['Ireland', 'Éire', 'Republic of Ireland', 'IRL'],
  DE: ['Germany', 'Deutschland', 'Allemagne', 'Alemania', 'DEU'],
  FR: ['France', 'FRA'],
  ES: ['Spain', 'España', 'ESP'],
  IT: ['Italy', 'Italia', 'ITA'],
  PT: ['Portugal', 'PRT'],
  NL: ['Netherlands', 'The Netherlands', 'Holland', 'Nederland', 'NLD'],
  BE: ['Belgium', 'Belgique', 'België', 'BEL'],
  LU: ['Luxembourg', 'LUX'],
  CH: ['Switzerland', 'Schweiz', 'Suisse', 'Svizzera', 'CHE'],
  AT: ['Austria', 'Österreich', 'AUT'],
  DK: ['Denmark', 'Danmark', 'DNK'],
  SE: ['Sweden', 'Sverige', 'SWE'],
  NO: ['Norway', 'Norge', 'NOR'],
  FI: ['Finland', 'Suomi', 'FIN'],
  IS: ['Iceland', 'Ísland', 'ISL'],
  PL: ['Poland', 'Polska', 'POL'],
  CZ: ['Czech Republic', 'Czechia', 'Česko', 'CZE'],
  SK: ['Slovakia', 'Slovensko', 'SVK'],
  HU: ['Hungary', 'Magyarország', 'HUN'],
  RO: ['Romania', 'România', 'ROU'],
  BG: ['Bulgaria', 'BGR'],
  GR: ['Greece', 'Hellas', 'GRC'],
  HR: ['Croatia', 'Hrvatska', 'HRV'],
  RS: ['Serbia', 'Srbija', 'SRB'],
  SI: ['Slovenia', 'Slovenija', 'SVN'],
  EE: ['Estonia', 'Eesti', 'EST'],
  LV: ['Latvia', 'Latvija', 'LVA'],
  LT: ['Lithuania', 'Lietuva', 'LTU'],
  TR: ['Turkey', 'Türkiye', 'TUR'],
  RU: ['Russia', 'Russian Federation', 'RUS'],
  UA: ['Ukraine', 'UKR'],
  IL: ['Israel', 'ISR'],
  AE: ['United Arab Emirates', 'UAE', 'U.A.E.', 'ARE'],
  SA: ['Saudi Arabia', 'SAU'],
  EG: ['Egypt', 'EGY'],
  ZA: ['South Africa', 'RSA', 'ZAF'],
  NG: ['Nigeria', 'NGA'],
  KE: ['Kenya', 'KEN'],
  MA: ['Morocco', 'Maroc', 'MAR'],
  IN: ['India', 'Bharat', 'IND'],
  PK: ['Pakistan', 'PAK'],
  BD: ['Bangladesh', 'BGD'],
  CN: ['China', "People's Republic of China", 'PRC', 'CHN'],
  HK: ['Hong Kong', 'HKG'],
  TW: ['Taiwan', 'TWN'],
  JP: ['Japan', 'Nippon', 'JPN'],
  KR: ['South Korea', 'Korea', 'Republic of Korea', 'KOR'],
  SG: ['Singapore', 'SGP'],
  MY: ['Malaysia', 'MYS'],
  TH: ['Thailand', 'THA'],
  VN: ['Vietnam', 'Viet Nam', 'VNM'],
  PH: ['Philippines', 'PHL'],
  ID: ['Indonesia', 'IDN'],
  AU: ['Australia', 'AUS'],
  NZ: ['New Zealand', 'Aotearoa', 'NZL'],
  BR: ['Brazil', 'Brasil', 'BRA'],
  AR: ['Argentina', 'ARG'],
  CL: ['Chile', 'CHL'],
  CO: ['Colombia', 'COL'],
  PE: ['Peru', 'Perú', 'PER'],
  VE: ['Venezuela', 'VEN'],
};

let codeByKey: Map<string, string> | undefined;

// Built on first use: English names of every other region come from ICU, so rarer countries are
// recognised too; the hand-written table wins where both know a name.
function countryCodesByKey(): Map<string, string> {
  if (codeByKey !== undefined) {
    return codeByKey;
  }
  const table = new Map<string, string>();
  const regionNames = new Intl.DisplayNames(['en'], { type: 'region' });
  for (const code of getCountries()) {
    table.set(code.toLowerCase(), code);
    const name = regionNames.of(code);
    if (name !== undefined && name !== code) {
      table.set(foldCompact(name), code);
    }
  }
  for (const [code, names] of Object.entries(namesByCountryCode)) {
    table.set(code.toLowerCase(), code);
    for (const name of names) {
      table.set(foldCompact(name), code);
    }
  }
  codeByKey = table;
  return table;
}

export function countryCode(country: string): string | undefined {
  return countryCodesByKey().get(foldCompact(country));
}

export function standardizeCountry(country: string): string {
  return countryCode(country) ?? country;
}
