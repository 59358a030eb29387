import type { Random } from '../random/random';
import { stripAccents } from '../text/accents';
import { titleCase } from '../text/title-case';

export const TYPO_OPERATIONS = ['substitution', 'deletion', 'insertion', 'transposition'] as const;

export type TypoOperation = (typeof TYPO_OPERATIONS)[number];

const ALPHABET = 'abcdefghijklmnopqrstuvwxyz';
const LETTER = /\p{L}/u;

function letterPositions(letters: readonly string[]): number[] {
  return letters.flatMap((letter, position) => (LETTER.test(letter) ? [position] : []));
}

function applyOperation(random: Random, letters: string[], operation: TypoOperation): string[] | undefined {
  const positions = letterPositions(letters);
  switch (operation) {
    case 'substitution': {
      const position = random.pick(positions);
      return letters.map((letter, at) => (at === position ? random.pick([...ALPHABET]) : letter));
    }
    case 'deletion': {
      // Keep at least two letters: "Al" -> "A" no longer reads as a name.
      if (positions.length < 3) {
        return undefined;
      }
      const position = random.pick(positions);
      return letters.filter((_, at) => at !== position);
    }
    case 'insertion': {
      const position = random.pick(positions) + random.int(2);
      return [...letters.slice(0, position), random.pick([...ALPHABET]), ...letters.slice(position)];
    }
    case 'transposition': {
      const pairs = positions.filter((position) => positions.includes(position + 1));
      if (pairs.length === 0) {
        return undefined;
      }
      const position = random.pick(pairs);
      const swapped = [...letters];
      swapped[position] = letters[position + 1] ?? '';
      swapped[position + 1] = letters[position] ?? '';
      return swapped;
    }
  }
}

function comparable(name: string): string {
  return stripAccents(name).toLowerCase();
}

/**
 * One typing mistake in a name ("Jonh", "Jhn", "Joohn", "Kohn"), kept in the name's capitalization, and
 * always a real change (swapping "ll" or replacing "o" by "o" would not be a typo).
 */
export function typoName(random: Random, name: string): { name: string; operation: TypoOperation } | undefined {
  const keepsTitleCase = titleCase(name) === name;
  for (let attempt = 0; attempt < 20; attempt++) {
    const operation = random.pick(TYPO_OPERATIONS);
    const mutated = applyOperation(random, [...name.toLowerCase()], operation);
    if (mutated === undefined) {
      continue;
    }
    const joined = mutated.join('');
    const result = keepsTitleCase ? titleCase(joined) : joined;
    if (comparable(result) !== comparable(name)) {
      return { name: result, operation };
    }
  }
  return undefined;
}
