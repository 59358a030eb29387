// Letters that start the same name in different spellings (Catherine/Katherine, Sofia/Zofia,
// Phillip/Filip) share a class, so a block keyed by the first initial still holds both.
const INITIAL_CLASS: Readonly<Record<string, string>> = { c: 'k', q: 'k', z: 's', y: 'i' };

export function initialClass(first: string): string {
  if (first.startsWith('ph')) {
    return 'f';
  }
  const initial = first.charAt(0);
  return INITIAL_CLASS[initial] ?? initial;
}
