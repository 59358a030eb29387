import { foldCompact } from './text';

export interface NameParts {
  first_name?: string;
  last_name?: string;
}

// Honorifics and generational suffixes are not part of the first or last name we match on.
const honorifics = new Set(['mr', 'mrs', 'ms', 'miss', 'mx', 'dr', 'prof', 'sir', 'rev']);
const suffixes = new Set(['jr', 'sr', 'ii', 'iii', 'iv', 'phd', 'md', 'esq']);
// Surname particles belong to the last name: "Jan van der Berg" is a Van der Berg, not a Berg.
const surnameParticles = new Set(['van', 'von', 'der', 'den', 'de', 'del', 'della', 'da', 'di', 'du', 'la', 'le', 'st', 'bin', 'ibn', 'al']);

function words(text: string): string[] {
  return text.split(/\s+/u).filter((word) => word !== '');
}

function withoutHonorifics(parts: string[]): string[] {
  let start = 0;
  while (start < parts.length - 1 && honorifics.has(foldCompact(parts[start] ?? ''))) {
    start += 1;
  }
  return parts.slice(start);
}

function withoutSuffixes(parts: string[]): string[] {
  let end = parts.length;
  while (end > 1 && suffixes.has(foldCompact(parts[end - 1] ?? ''))) {
    end -= 1;
  }
  return parts.slice(0, end);
}

const leadingWord = /^(\S+)\s+(\S.*)$/su;
const trailingWord = /^(.*[^\s,])[\s,]+([^\s,]+)$/su;

// Honorifics and suffixes are ASCII words, at most with periods ("Dr.", "Ph.D."): no need to fold accents.
function titleKey(word: string): string {
  return word.toLowerCase().replace(/\./gu, '');
}

// A first-name column may carry the honorific too: "Dr. John" -> "John". A lone word is kept, so a person
// named "Miss" keeps her name.
export function stripHonorifics(firstName: string): string {
  let name = firstName;
  let parts = name.includes(' ') ? leadingWord.exec(name) : null;
  while (parts !== null && honorifics.has(titleKey(parts[1] ?? ''))) {
    name = parts[2] ?? '';
    parts = leadingWord.exec(name);
  }
  return name;
}

// A last-name column may carry the suffix too: "Smith Jr.", "Smith, Jr", "Smith III" -> "Smith". Only a
// word after another one is a suffix: a family named "Ii" keeps its name.
export function stripNameSuffixes(lastName: string): string {
  let name = lastName;
  let parts = name.includes(' ') || name.includes(',') ? trailingWord.exec(name) : null;
  while (parts !== null && suffixes.has(titleKey(parts[2] ?? ''))) {
    name = parts[1] ?? '';
    parts = trailingWord.exec(name);
  }
  return name;
}

function stripTrailingComma(word: string): string {
  return word.replace(/,+$/u, '');
}

// "First Last", "First Middle Last" (middle names are dropped: there is no field for them) and
// "Last, First [Middle]". A single word is taken as a first name.
export function splitFullName(fullName: string): NameParts {
  const commaAt = fullName.indexOf(',');
  if (commaAt >= 0) {
    const before = fullName.slice(0, commaAt);
    const after = words(fullName.slice(commaAt + 1).replace(/,/gu, ' '));
    // "John Smith, Jr." is "First Last, suffix", not "Last, First".
    if (after.every((word) => suffixes.has(foldCompact(word)))) {
      return splitFullName(before);
    }
    const last = withoutSuffixes(words(before));
    const first = withoutSuffixes(withoutHonorifics(after))[0];
    return {
      ...(first === undefined ? {} : { first_name: first }),
      ...(last.length === 0 ? {} : { last_name: last.join(' ') }),
    };
  }
  const parts = withoutSuffixes(withoutHonorifics(words(fullName).map(stripTrailingComma)));
  if (parts.length === 0) {
    return {};
  }
  if (parts.length === 1) {
    return { first_name: parts[0] };
  }
  let lastStart = parts.length - 1;
  while (lastStart > 1 && surnameParticles.has(foldCompact(parts[lastStart - 1] ?? ''))) {
    lastStart -= 1;
  }
  return { first_name: parts[0], last_name: parts.slice(lastStart).join(' ') };
}
