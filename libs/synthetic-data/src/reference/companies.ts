import { censusNames } from '../data/census-names';
import { lazy } from '../data/data-files';
import { Random } from '../random/random';
import { titleCase } from '../text/title-case';

export interface Company {
  name: string;
  /** The company's e-mail domain, unique per company. */
  domain: string;
}

export interface CompanyLists {
  /** Where directory people work now and worked before. */
  active: readonly Company[];
  /** Employers of people outside the directory, so they never share a company with a directory person. */
  outside: readonly Company[];
}

const ACTIVE_COUNT = 500;
const OUTSIDE_COUNT = 120;
// The company list is part of the world, not of one data set: the same for every seed.
const COMPANY_LIST_KEY = 0x0c0a1e5;

const PREFIXES = [
  'Acme',
  'Northwind',
  'Blue Ridge',
  'Summit',
  'Pinecrest',
  'Silverline',
  'Redwood',
  'Harbor',
  'Keystone',
  'Lakeside',
  'Ironbridge',
  'Golden Gate',
  'Prairie',
  'Cascade',
  'Evergreen',
  'Granite',
  'Bright Path',
  'Copper Creek',
  'Meridian',
  'Horizon',
  'Atlas',
  'Beacon',
  'Riverbend',
  'Oakmont',
  'Stonegate',
  'Sunrise',
  'Crescent',
  'Liberty',
  'Pioneer',
  'Frontier',
  'Bluewater',
  'Highland',
  'Maple Leaf',
  'Cedar Point',
  'Orion',
  'Vertex',
  'Nimbus',
  'Quantum',
  'Apex',
  'Sterling',
  'Westfield',
  'Eastgate',
  'Northstar',
  'Southport',
  'Clearview',
  'Fairway',
  'Greenfield',
  'Brookside',
  'Hillcrest',
  'Mountain View',
  'Silver Oak',
  'Red Rock',
  'Twin Pines',
  'Coastal',
  'Heartland',
  'Lone Star',
  'Great Lakes',
  'Bay Area',
  'Patriot',
  'Union',
  'Allied',
  'Premier',
  'Pacific',
  'Atlantic',
  'Central',
  'Capital',
  'Metro',
  'Summit Ridge',
];

const INDUSTRIES = [
  'Traders',
  'Logistics',
  'Analytics',
  'Health',
  'Foods',
  'Labs',
  'Systems',
  'Software',
  'Consulting',
  'Manufacturing',
  'Builders',
  'Energy',
  'Financial',
  'Insurance',
  'Media',
  'Realty',
  'Partners',
  'Robotics',
  'Biotech',
  'Pharma',
  'Retail',
  'Outfitters',
  'Freight',
  'Aviation',
  'Marine',
  'Telecom',
  'Networks',
  'Security',
  'Solutions',
  'Design',
  'Studios',
  'Hospitality',
  'Dental',
  'Legal',
  'Engineering',
  'Motors',
  'Textiles',
  'Farms',
  'Brewing',
  'Coffee',
  'Supply',
  'Electric',
  'Water',
  'Capital',
  'Ventures',
  'Learning',
];

const SUFFIXES = ['Inc', 'LLC', 'Co', 'Corp', 'Group', 'Ltd', 'Company', 'Holdings'];

function slug(text: string): string {
  return text.toLowerCase().replace(/[^a-z0-9]/g, '');
}

function tradeCompany(random: Random): { core: string; name: string } {
  const prefix = random.pick(PREFIXES);
  const industry = random.pick(INDUSTRIES);
  const core = `${prefix} ${industry}`;
  // "Capital Capital" is not a name anybody would pick.
  return { core: prefix === industry ? '' : core, name: `${core} ${random.pick(SUFFIXES)}` };
}

/** Firm names like "Smith, Jones & Co": commas inside a field exercise CSV quoting. */
function firm(random: Random, surnames: readonly string[]): { core: string; name: string } {
  const first = titleCase(random.pick(surnames));
  const second = titleCase(random.pick(surnames));
  const core = `${first} ${second}`;
  const style = random.int(3);
  const name = style === 0 ? `${first}, ${second} & Co` : style === 1 ? `${first} & ${second} LLP` : `${first}, ${second} & Associates`;
  return { core: first === second ? '' : core, name };
}

export const companyLists = lazy((): CompanyLists => {
  const random = new Random(COMPANY_LIST_KEY);
  const surnames = censusNames().commonSurnames;
  const companies: Company[] = [];
  const seenDomains = new Set<string>();
  while (companies.length < ACTIVE_COUNT + OUTSIDE_COUNT) {
    const { core, name } = random.chance(0.1) ? firm(random, surnames) : tradeCompany(random);
    const domain = `${slug(core)}.com`;
    if (core === '' || seenDomains.has(domain)) {
      continue;
    }
    seenDomains.add(domain);
    companies.push({ name, domain });
  }
  return { active: companies.slice(0, ACTIVE_COUNT), outside: companies.slice(ACTIVE_COUNT) };
});

const domainsByName = lazy((): ReadonlyMap<string, string> => {
  const lists = companyLists();
  return new Map([...lists.active, ...lists.outside].map((company) => [company.name, company.domain]));
});

/** The e-mail domain of a company on either list, e.g. "acmelogistics.com" for "Acme Logistics LLC". */
export function companyDomain(name: string): string | undefined {
  return domainsByName().get(name);
}
