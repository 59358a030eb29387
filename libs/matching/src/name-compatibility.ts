import { type ComparableContact, lastNameWords } from './comparable-contact';
import { jaroWinklerFolded } from './similarity';
import type { MatchThresholds } from './thresholds';
import type { NicknameLookup } from './types';

export type FirstNameRelation = 'equal' | 'similar' | 'nickname' | 'initial' | 'counterpart' | 'different';
export type LastNameRelation = 'equal' | 'compound' | 'similar' | 'different';

export interface NameComparison {
  first: FirstNameRelation;
  last: LastNameRelation;
  firstSimilarity: number;
  lastSimilarity: number;
  // Jaro-Winkler of the two names with credits for nicknames, initials and compound surnames.
  score: number;
}

// How much a relation that Jaro-Winkler cannot see is worth, as a name similarity.
const NICKNAME_CREDIT = 0.9;
const INITIAL_CREDIT = 0.85;
const COMPOUND_CREDIT = 0.95;

// Paul/Paula, Daniel/Danielle, Mario/Maria, Michael/Michelle: Jaro-Winkler rates such pairs 0.9 and
// up, yet they are usually two people, often in one household. Names shorter than four letters are
// left alone (Ann/Anne is one name spelled two ways).
const COUNTERPART_ENDINGS = ['a', 'e', 'ia', 'la', 'le', 'ina', 'ine', 'ella', 'elle', 'etta', 'ette'];
// After dropping a final e only the endings that change the name's gender: Michel(e)+le is a typo
// of Michelle more often than a counterpart.
const COUNTERPART_ENDINGS_AFTER_E = ['a', 'ia', 'ina'];
const COUNTERPART_PAIRS: ReadonlySet<string> = new Set([
  'carl|carol',
  'christian|christina',
  'frances|francis',
  'frederica|frederick',
  'jesse|jessie',
  'michael|michelle',
]);

function areCounterparts(first: string, second: string): boolean {
  if (COUNTERPART_PAIRS.has(first < second ? `${first}|${second}` : `${second}|${first}`)) {
    return true;
  }
  const [shorter, longer] = first.length <= second.length ? [first, second] : [second, first];
  if (shorter.length < 4) {
    return false;
  }
  if (longer.startsWith(shorter) && COUNTERPART_ENDINGS.includes(longer.slice(shorter.length))) {
    return true;
  }
  // George/Georgia, Eugene/Eugenia: the final e gives way to the ending.
  const withoutFinalE = shorter.endsWith('e') ? shorter.slice(0, -1) : '';
  if (withoutFinalE !== '' && longer.startsWith(withoutFinalE) && COUNTERPART_ENDINGS_AFTER_E.includes(longer.slice(withoutFinalE.length))) {
    return true;
  }
  const stem = shorter.slice(0, -1);
  const endings = `${shorter.slice(-1)}${longer.slice(-1)}`;
  return shorter.length === longer.length && longer.startsWith(stem) && (endings === 'ao' || endings === 'oa');
}

function isInitialOf(initial: string, name: string): boolean {
  return initial.length === 1 && name.length > 1 && name.startsWith(initial);
}

function areNicknames(first: string, second: string, nicknames: NicknameLookup): boolean {
  return nicknames.variantsOf(first).has(second) || nicknames.variantsOf(second).has(first);
}

function compareFirstNames(
  contact: ComparableContact,
  candidate: ComparableContact,
  nicknames: NicknameLookup,
  thresholds: MatchThresholds,
): { relation: FirstNameRelation; similarity: number; credit: number } {
  const a = contact.first;
  const b = candidate.first;
  if (a === '' || b === '') {
    return { relation: 'different', similarity: 0, credit: 0 };
  }
  // "Mary Ann" vs "Mary": one side has a middle name the other left out. "Mary Ann" vs "Mary Beth"
  // are two given names that differ, so the first words alone are not compared then.
  const oneSideHasMiddleName = (a !== contact.firstToken) !== (b !== candidate.firstToken);
  if (a === b || (oneSideHasMiddleName && contact.firstToken === candidate.firstToken)) {
    return { relation: 'equal', similarity: 1, credit: 1 };
  }
  const similarity = oneSideHasMiddleName
    ? Math.max(jaroWinklerFolded(a, b), jaroWinklerFolded(contact.firstToken, candidate.firstToken))
    : jaroWinklerFolded(a, b);
  const counterparts = areCounterparts(contact.firstToken, candidate.firstToken);
  if (!counterparts && similarity >= thresholds.firstNameSimilarity) {
    return { relation: 'similar', similarity, credit: similarity };
  }
  // The table knows better than the spelling rule: it may relate a pair that looks like counterparts.
  if (areNicknames(a, b, nicknames) || (oneSideHasMiddleName && areNicknames(contact.firstToken, candidate.firstToken, nicknames))) {
    return similarity >= thresholds.firstNameSimilarity
      ? { relation: 'similar', similarity, credit: similarity }
      : { relation: 'nickname', similarity, credit: Math.max(similarity, NICKNAME_CREDIT) };
  }
  if (counterparts) {
    return { relation: 'counterpart', similarity, credit: similarity };
  }
  if (isInitialOf(a, b) || isInitialOf(b, a)) {
    return { relation: 'initial', similarity, credit: Math.max(similarity, INITIAL_CREDIT) };
  }
  return { relation: 'different', similarity, credit: similarity };
}

// "Garcia" and "Garcia Lopez": every word of the shorter surname is in the longer one.
function isCompoundOf(shorter: readonly string[], longer: readonly string[]): boolean {
  return shorter.length > 0 && shorter.length < longer.length && shorter.every((word) => longer.includes(word));
}

function compareLastNames(
  contact: ComparableContact,
  candidate: ComparableContact,
  thresholds: MatchThresholds,
): { relation: LastNameRelation; similarity: number; credit: number } {
  if (contact.last === '' || candidate.last === '') {
    return { relation: 'different', similarity: 0, credit: 0 };
  }
  if (contact.lastCompact === candidate.lastCompact) {
    return { relation: 'equal', similarity: 1, credit: 1 };
  }
  const compactDiffers = contact.lastCompact !== contact.last || candidate.lastCompact !== candidate.last;
  const similarity = compactDiffers
    ? Math.max(jaroWinklerFolded(contact.last, candidate.last), jaroWinklerFolded(contact.lastCompact, candidate.lastCompact))
    : jaroWinklerFolded(contact.last, candidate.last);
  const contactWords = compactDiffers ? lastNameWords(contact) : [];
  const candidateWords = compactDiffers ? lastNameWords(candidate) : [];
  if (isCompoundOf(contactWords, candidateWords) || isCompoundOf(candidateWords, contactWords)) {
    return { relation: 'compound', similarity, credit: Math.max(similarity, COMPOUND_CREDIT) };
  }
  if (similarity >= thresholds.lastNameSimilarity) {
    return { relation: 'similar', similarity, credit: similarity };
  }
  return { relation: 'different', similarity, credit: similarity };
}

export function compareNames(
  contact: ComparableContact,
  candidate: ComparableContact,
  nicknames: NicknameLookup,
  thresholds: MatchThresholds,
): NameComparison {
  const first = compareFirstNames(contact, candidate, nicknames, thresholds);
  const last = compareLastNames(contact, candidate, thresholds);
  return {
    first: first.relation,
    last: last.relation,
    firstSimilarity: first.similarity,
    lastSimilarity: last.similarity,
    score: (first.credit + last.credit) / 2,
  };
}
