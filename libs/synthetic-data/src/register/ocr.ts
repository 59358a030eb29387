import type { Random } from '../random/random';

// What optical character recognition of a printed or hand-filled form gets wrong: letters and digits that look
// alike, and letter pairs read as one letter (or the reverse).
const OCR_CONFUSIONS: readonly (readonly [string, string])[] = [
  ['0', 'O'],
  ['O', '0'],
  ['o', '0'],
  ['1', 'l'],
  ['1', 'I'],
  ['l', '1'],
  ['l', 'I'],
  ['I', 'l'],
  ['I', '1'],
  ['5', 'S'],
  ['S', '5'],
  ['s', '5'],
  ['rn', 'm'],
  ['m', 'rn'],
  ['cl', 'd'],
  ['d', 'cl'],
];

export interface OcrTypo {
  text: string;
  /** What was read instead of what: "rn->m". */
  change: string;
}

function occurrences(text: string, pattern: string): number[] {
  const found: number[] = [];
  for (let at = text.indexOf(pattern); at >= 0; at = text.indexOf(pattern, at + 1)) {
    found.push(at);
  }
  return found;
}

/** One OCR misreading ("Fernando" -> "Femando", "150 Oak St" -> "1S0 Oak St"); undefined when none applies. */
export function ocrTypo(random: Random, text: string): OcrTypo | undefined {
  const options = OCR_CONFUSIONS.flatMap(([from, to]) => occurrences(text, from).map((at) => ({ from, to, at })));
  if (options.length === 0) {
    return undefined;
  }
  const { from, to, at } = random.pick(options);
  return { text: `${text.slice(0, at)}${to}${text.slice(at + from.length)}`, change: `${from}->${to}` };
}
