import type { Random } from '../random/random';
import { accentablePositions, accentLetterAt, hasAccents, stripAccents } from '../text/accents';

export type CaseOrAccentChange = 'upper' | 'lower' | 'accents_added' | 'accents_removed' | 'upper_accents_added';

function addAccent(random: Random, name: string): string | undefined {
  const positions = accentablePositions(name);
  return positions.length === 0 ? undefined : accentLetterAt(name, random.pick(positions), random.int(4));
}

/**
 * The same name written differently: "JOSÉ", "mcdonald", "Zoë", or "Jose" for a directory "José". A perfect
 * system sees through all of these, so the field stays confirmed.
 */
export function changeCaseOrAccents(random: Random, name: string): { name: string; change: CaseOrAccentChange } {
  if (hasAccents(name) && random.chance(0.5)) {
    return { name: stripAccents(name), change: 'accents_removed' };
  }
  const change = random.pick<CaseOrAccentChange>(['upper', 'lower', 'accents_added', 'upper_accents_added']);
  if (change === 'upper') {
    return { name: name.toUpperCase(), change };
  }
  if (change === 'lower') {
    return { name: name.toLowerCase(), change };
  }
  const accented = addAccent(random, name);
  if (accented === undefined) {
    return { name: name.toUpperCase(), change: 'upper' };
  }
  return change === 'upper_accents_added' ? { name: accented.toUpperCase(), change } : { name: accented, change };
}
