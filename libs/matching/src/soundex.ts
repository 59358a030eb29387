// Soundex digits by letter (a-z), 0 for the letters that carry none (vowels, h, w, y).
const DIGIT_BY_LETTER = new Uint8Array(26);
for (const [letters, digit] of [
  ['bfpv', 1],
  ['cgjkqsxz', 2],
  ['dt', 3],
  ['l', 4],
  ['mn', 5],
  ['r', 6],
] as const) {
  for (const letter of letters) DIGIT_BY_LETTER[letter.charCodeAt(0) - 97] = digit;
}
const LOWER_A = 97;
const LOWER_H = 104;
const LOWER_W = 119;
const ZERO = 48;

function isLetter(code: number): boolean {
  return code >= LOWER_A && code < LOWER_A + 26;
}

// The three digits of a code, read after `start` (an index into `text`) whose own digit is `previous`: only a-z count,
// h and w do not separate two equal codes, a vowel does (Tymczak: the z and k both count).
function digitsAfter(text: string, start: number, previous: number): string {
  let last = previous;
  let digits = '';
  for (let index = start + 1; index < text.length && digits.length < 3; index += 1) {
    const letter = text.charCodeAt(index);
    if (!isLetter(letter)) continue;
    const digit = DIGIT_BY_LETTER[letter - LOWER_A] as number;
    if (digit !== 0) {
      if (digit !== last) digits += String.fromCharCode(ZERO + digit);
      last = digit;
    } else if (letter !== LOWER_H && letter !== LOWER_W) {
      last = 0;
    }
  }
  return digits.padEnd(3, '0');
}

function digitOf(text: string, index: number): number {
  return DIGIT_BY_LETTER[text.charCodeAt(index) - LOWER_A] as number;
}

function firstLetter(text: string, from = 0): number {
  let index = from;
  while (index < text.length && !isLetter(text.charCodeAt(index))) index += 1;
  return index;
}

// American Soundex of a folded name ("smith" and "smyth" -> S530): a phonetic block key, so a
// misspelled last name still lands among its look-alikes. Non a-z characters are ignored.
// Read in place (no cleaned copy of the name): every contact and every directory person needs several.
export function soundex(foldedName: string): string {
  const head = firstLetter(foldedName);
  if (head === foldedName.length) return '';
  return foldedName.charAt(head).toUpperCase() + digitsAfter(foldedName, head, digitOf(foldedName, head));
}

// Letters that sound alike at the start of a name (Catherine / Kathryn, Cyndi / Syndi, Philip / Filip).
const FIRST_SOUND: Readonly<Record<string, string>> = { c: 'k', q: 'k', z: 's', y: 'i', e: 'a', o: 'a', u: 'a', i: 'a', j: 'g' };

// Soundex with the first letter replaced by its sound class: Catherine and Kathryn both give k365.
export function phoneticCode(foldedName: string): string {
  const head = firstLetter(foldedName);
  if (head === foldedName.length) return '';
  const second = firstLetter(foldedName, head + 1);
  // "ph" sounds as f: Philip is Filip (f, whose digit is 1, then the letters after the h).
  if (foldedName.charAt(head) === 'p' && foldedName.charAt(second) === 'h') return `f${digitsAfter(foldedName, second, 1)}`;
  const letter = foldedName.charAt(head);
  return `${FIRST_SOUND[letter] ?? letter}${digitsAfter(foldedName, head, digitOf(foldedName, head))}`;
}
