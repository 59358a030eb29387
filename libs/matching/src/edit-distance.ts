// True when one insertion, deletion, substitution or swap of adjacent letters turns one string into the
// other (optimal string alignment distance <= 1). Jaro-Winkler punishes a swap in a short name hard
// (Pam/Pma 0.56) although it is the commonest typing slip; this is the typo test for that case.
export function withinOneEdit(a: string, b: string): boolean {
  if (a === b) return true;
  const lengthGap = a.length - b.length;
  if (lengthGap > 1 || lengthGap < -1) return false;
  const [shorter, longer] = a.length <= b.length ? [a, b] : [b, a];
  let start = 0;
  while (start < shorter.length && shorter[start] === longer[start]) start += 1;
  if (shorter.length !== longer.length) {
    // One letter inserted into the shorter string at `start`.
    return shorter.slice(start) === longer.slice(start + 1);
  }
  if (shorter.slice(start + 1) === longer.slice(start + 1)) return true;
  // Adjacent letters swapped at start and start + 1.
  return shorter[start] === longer[start + 1] && shorter[start + 1] === longer[start] && shorter.slice(start + 2) === longer.slice(start + 2);
}
