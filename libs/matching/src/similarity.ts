import { foldName } from '@refinery/contacts';
import { jaroWinklerSimilarity } from './jaro-winkler';

// Jaro-Winkler similarity in [0, 1] of two names, ignoring case, accents and punctuation. (The matcher compares names
// it has folded once already with jaroWinklerAtLeast, in ./jaro-winkler.)
export function jaroWinkler(first: string, second: string): number {
  return jaroWinklerSimilarity(foldName(first), foldName(second));
}
