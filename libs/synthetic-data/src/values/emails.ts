import type { Random } from '../random/random';
import { WeightedTable } from '../random/weighted-table';
import { stripAccents } from '../text/accents';

/** "José María" -> "josemaria": what a name looks like in the local part of an address. */
function emailWord(name: string): string {
  return stripAccents(name)
    .toLowerCase()
    .replace(/[^a-z]/g, '');
}

type LocalPartStyle = (first: string, last: string, random: Random, birthYear: string) => string;

const initial = (word: string): string => word.slice(0, 1);

// Styles that keep the whole name; shortened ones (jsmith, johns) would be shared by people with other
// names, so they only appear where the namespace is one company's.
const PLAIN_STYLES = new WeightedTable<LocalPartStyle>([
  [(first, last) => `${first}.${last}`, 50],
  [(first, last) => `${first}${last}`, 20],
  [(first, last) => `${first}_${last}`, 10],
  [(first, last) => `${last}.${first}`, 10],
]);

const COMPANY_STYLES = new WeightedTable<LocalPartStyle>([
  [(first, last) => `${first}.${last}`, 50],
  [(first, last) => `${initial(first)}${last}`, 25],
  [(first, last) => `${first}${last}`, 10],
  [(first, last) => `${first}_${last}`, 5],
  [(first, last) => `${first}${initial(last)}`, 10],
]);

const NUMBERED_STYLES = new WeightedTable<LocalPartStyle>([
  [(first, last, _random, birthYear) => `${first}.${last}${birthYear.slice(2)}`, 15],
  [(first, last, _random, birthYear) => `${first}${last}${birthYear}`, 10],
  [(first, last, random) => `${first}.${last}${random.between(1, 999)}`, 30],
  [(first, last, random) => `${first}${last}${random.between(100, 9999)}`, 30],
  [(first, last, random) => `${initial(first)}${last}${random.between(10, 9999)}`, 15],
]);

// A plain address like john.smith@gmail.com goes to one of the people sharing the name; the others add
// digits. So the more namesakes a name has, the likelier the address carries a number, which also keeps
// directory addresses apart (two John Smiths rarely end up with the same address).
const NAMESAKES_FOR_PLAIN_ADDRESS = 3;
// A local binding: global lookups are slow under Jest's test context (see random/random.ts).
const { min } = Math;
const NUMBERED_SHARE_FOR_RARE_NAMES = 0.2;

export type Mailbox =
  /** A company domain: few people share it, so short forms like jsmith are fine. */
  | { kind: 'company' }
  /** A big provider: `namesakes` is about how many people in the US share the name (see PersonName). */
  | { kind: 'provider'; namesakes: number };

/** A plausible local part for a person, e.g. "john.smith", "jsmith", "john.smith85", "johnsmith4821". */
export function emailLocalPart(random: Random, first: string, last: string, birthYear: string, mailbox: Mailbox): string {
  const firstWord = emailWord(first) || 'contact';
  const lastWord = emailWord(last) || 'mail';
  const year = /^\d{4}$/.test(birthYear) ? birthYear : String(random.between(1950, 2004));
  const styles = chooseStyles(random, mailbox);
  return styles.sample(random)(firstWord, lastWord, random, year);
}

function chooseStyles(random: Random, mailbox: Mailbox): WeightedTable<LocalPartStyle> {
  if (mailbox.kind === 'company') {
    return COMPANY_STYLES;
  }
  const plainShare = min(1 - NUMBERED_SHARE_FOR_RARE_NAMES, NAMESAKES_FOR_PLAIN_ADDRESS / mailbox.namesakes);
  return random.chance(plainShare) ? PLAIN_STYLES : NUMBERED_STYLES;
}
