const DIGIT_BY_LETTER: Readonly<Record<string, string>> = {
  b: '1',
  f: '1',
  p: '1',
  v: '1',
  c: '2',
  g: '2',
  j: '2',
  k: '2',
  q: '2',
  s: '2',
  x: '2',
  z: '2',
  d: '3',
  t: '3',
  l: '4',
  m: '5',
  n: '5',
  r: '6',
};

// American Soundex of a folded name ("smith" and "smyth" -> S530): a phonetic block key, so a
// misspelled last name still lands among its look-alikes. Non a-z characters are ignored.
export function soundex(foldedName: string): string {
  const letters = foldedName.replace(/[^a-z]/g, '');
  const head = letters[0];
  if (head === undefined) {
    return '';
  }
  let code = head.toUpperCase();
  let previous = DIGIT_BY_LETTER[head] ?? '';
  for (let index = 1; index < letters.length && code.length < 4; index += 1) {
    const letter = letters[index] ?? '';
    const digit = DIGIT_BY_LETTER[letter];
    if (digit !== undefined) {
      if (digit !== previous) {
        code += digit;
      }
      previous = digit;
    } else if (letter !== 'h' && letter !== 'w') {
      // A vowel separates two equal codes (Tymczak: the z and k both count); h and w do not.
      previous = '';
    }
  }
  return code.padEnd(4, '0');
}

// Letters that sound alike at the start of a name (Catherine / Kathryn, Cyndi / Syndi, Philip / Filip).
const FIRST_SOUND: Readonly<Record<string, string>> = { c: 'k', q: 'k', z: 's', y: 'i', e: 'a', o: 'a', u: 'a', i: 'a', j: 'g' };

// Soundex with the first letter replaced by its sound class: Catherine and Kathryn both give k365.
export function phoneticCode(foldedName: string): string {
  const letters = foldedName.replace(/[^a-z]/g, '');
  if (letters === '') return '';
  const spelled = letters.startsWith('ph') ? `f${letters.slice(2)}` : letters;
  const code = soundex(spelled);
  const head = spelled[0] ?? '';
  return `${FIRST_SOUND[head] ?? head}${code.slice(1)}`;
}
