import { foldName } from '@refinery/contacts';
import { jaroWinklerSimilarity } from './jaro-winkler';

// For names already folded by the caller (the matcher folds each name once and caches it).
export function jaroWinklerFolded(first: string, second: string): number {
  return jaroWinklerSimilarity(first, second);
}

// Jaro-Winkler similarity in [0, 1] of two names, ignoring case, accents and punctuation.
export function jaroWinkler(first: string, second: string): number {
  return jaroWinklerSimilarity(foldName(first), foldName(second));
}
