// Zero-width characters and controls survive NFKC and would make equal-looking values differ.
// biome-ignore lint/suspicious/noControlCharactersInRegex: matching control characters is the point: they are removed.
const invisibleCharacters = /[\u0000-\u0008\u000B\u000C\u000E-\u001F\u007F\u200B-\u200D\u2060\uFEFF]/gu;
const whitespaceRun = /\s+/gu;

// Printable ASCII is already NFKC and has no invisible characters; most values are, and directories
// clean millions of them.
const printableAscii = /^[\x20-\x7E]*$/;
const untidySpaces = /^ | $| {2}/;

// Display form: Unicode-normalized (full-width letters, ligatures), trimmed, inner whitespace folded.
export function cleanText(value: string): string {
  if (printableAscii.test(value)) {
    return untidySpaces.test(value) ? value.replace(whitespaceRun, ' ').trim() : value;
  }
  return value.normalize('NFKC').replace(invisibleCharacters, '').replace(whitespaceRun, ' ').trim();
}

// Letters that NFKD does not split into a base letter plus a combining mark.
const unsplittableLetters: Readonly<Record<string, string>> = {
  ß: 'ss',
  ẞ: 'ss',
  æ: 'ae',
  œ: 'oe',
  ø: 'o',
  ł: 'l',
  đ: 'd',
  ð: 'd',
  þ: 'th',
  ı: 'i',
};
const unsplittableLetter = /[ßẞæœøłđðþı]/gu;
const combiningMarks = /\p{M}+/gu;
const apostrophesAndPeriods = /['’‘ʼ`´.]/gu;
const otherPunctuation = /[^\p{L}\p{N}]+/gu;
const asciiWord = /^[a-z0-9]+$/;
// The same rules for printable ASCII, without Unicode property look-ups.
const asciiApostrophesAndPeriods = /['`.]/g;
const asciiPunctuation = /[^a-z0-9]+/g;

// Comparison form of a person's name: "José O'Brien-Smith" -> "jose obrien smith".
// Apostrophes and periods join (O'Brien = OBrien, J.R. = JR); hyphens and other punctuation separate
// (Jean-Luc = Jean Luc), so hyphenated and spaced compound names fold alike.
export function foldName(name: string): string {
  const lower = name.toLowerCase();
  if (asciiWord.test(lower)) {
    return lower;
  }
  if (printableAscii.test(lower)) {
    return lower.replace(asciiApostrophesAndPeriods, '').replace(asciiPunctuation, ' ').trim();
  }
  return lower
    .normalize('NFKD')
    .replace(combiningMarks, '')
    .replace(unsplittableLetter, (letter) => unsplittableLetters[letter] ?? letter)
    .replace(apostrophesAndPeriods, '')
    .replace(otherPunctuation, ' ')
    .trim();
}

// foldName without spaces, for codes and abbreviations written with dots or gaps ("U.S.A.", "U S").
export function foldCompact(value: string): string {
  return foldName(value).replace(/ /g, '');
}
