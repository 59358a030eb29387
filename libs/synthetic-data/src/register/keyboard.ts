import type { Random } from '../random/random';

// QWERTY rows: a key's neighbours are the keys beside it and the nearest ones on the rows above and below, of its own
// class (a digit's neighbours are digits, a letter's letters: "12e Oak St" reads as a broken record, not a typo).
const ROWS = ['1234567890', 'qwertyuiop', 'asdfghjkl', 'zxcvbnm'] as const;
// How far right each row starts, in quarter keys (the usual stagger of a keyboard).
const ROW_OFFSETS = [0, 2, 3, 5] as const;

function buildNeighbours(): ReadonlyMap<string, string> {
  const positions: { key: string; row: number; x: number }[] = [];
  ROWS.forEach((keys, row) => {
    [...keys].forEach((key, column) => {
      positions.push({ key, row, x: column * 4 + (ROW_OFFSETS[row] ?? 0) });
    });
  });
  const neighbours = new Map<string, string>();
  for (const { key, row, x } of positions) {
    const near = positions.filter(
      (other) =>
        other.key !== key &&
        (other.row === 0) === (row === 0) &&
        ((other.row === row && Math.abs(other.x - x) === 4) || (Math.abs(other.row - row) === 1 && Math.abs(other.x - x) <= 3)),
    );
    neighbours.set(key, near.map((other) => other.key).join(''));
  }
  return neighbours;
}

const NEIGHBOURS = buildNeighbours();

/** The keys next to `key` on a QWERTY keyboard (lower case), e.g. "s" -> "adwezx"; '' for other characters. */
export function adjacentKeys(key: string): string {
  return NEIGHBOURS.get(key.toLowerCase()) ?? '';
}

export interface KeyboardTypo {
  text: string;
  /** The right character and the one typed instead: "a->s". */
  change: string;
}

/**
 * One adjacent-key substitution ("Maple" -> "Mapke", "123 Oak St" -> "124 Oak St"), keeping the letter's case;
 * undefined when the text has no key with neighbours.
 */
export function keyboardTypo(random: Random, text: string): KeyboardTypo | undefined {
  const characters = [...text];
  const positions = characters.flatMap((character, position) => (adjacentKeys(character) === '' ? [] : [position]));
  if (positions.length === 0) {
    return undefined;
  }
  const position = random.pick(positions);
  const original = characters[position] ?? '';
  const typed = random.pick([...adjacentKeys(original)]);
  characters[position] = original === original.toLowerCase() ? typed : typed.toUpperCase();
  return { text: characters.join(''), change: `${original}->${characters[position]}` };
}
