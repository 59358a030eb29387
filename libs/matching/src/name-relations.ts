import type { NicknameLookup } from './types';

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

export function areCounterparts(first: string, second: string): boolean {
  // Every counterpart below shares its first three letters and has four or more: most pairs a matcher sees do
  // not, and leave here without building a key or a slice.
  if (
    first.length < 4 ||
    second.length < 4 ||
    first.charCodeAt(0) !== second.charCodeAt(0) ||
    first.charCodeAt(1) !== second.charCodeAt(1) ||
    first.charCodeAt(2) !== second.charCodeAt(2)
  ) {
    return false;
  }
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

export function isInitialOf(initial: string, name: string): boolean {
  return initial.length === 1 && name.length > 1 && name.startsWith(initial);
}

export function areNicknames(first: string, second: string, nicknames: NicknameLookup): boolean {
  return nicknames.variantsOf(first).has(second) || nicknames.variantsOf(second).has(first);
}

// "Garcia" and "Garcia Lopez": every word of the shorter surname is in the longer one.
export function isCompoundOf(shorter: readonly string[], longer: readonly string[]): boolean {
  return shorter.length > 0 && shorter.length < longer.length && shorter.every((word) => longer.includes(word));
}
