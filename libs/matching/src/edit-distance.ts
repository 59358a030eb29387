// True when one insertion, deletion, substitution or swap of adjacent letters turns one string into the
// other (optimal string alignment distance <= 1). Jaro-Winkler punishes a swap in a short name hard
// (Pam/Pma 0.56) although it is the commonest typing slip; this is the typo test for that case.
// Compared in place, code unit by code unit: the matcher asks this for most candidates of every row.
export function withinOneEdit(a: string, b: string): boolean {
  if (a === b) return true;
  const lengthGap = a.length - b.length;
  if (lengthGap > 1 || lengthGap < -1) return false;
  const shorter = a.length <= b.length ? a : b;
  const longer = shorter === a ? b : a;
  let start = 0;
  while (start < shorter.length && shorter.charCodeAt(start) === longer.charCodeAt(start)) start += 1;
  if (shorter.length !== longer.length) {
    // One letter inserted into the shorter string at `start`.
    return sameFrom(shorter, start, longer, start + 1);
  }
  if (sameFrom(shorter, start + 1, longer, start + 1)) return true;
  // Adjacent letters swapped at start and start + 1.
  return (
    start + 1 < shorter.length &&
    shorter.charCodeAt(start) === longer.charCodeAt(start + 1) &&
    shorter.charCodeAt(start + 1) === longer.charCodeAt(start) &&
    sameFrom(shorter, start + 2, longer, start + 2)
  );
}

// a.slice(aFrom) === b.slice(bFrom), without the slices.
export function sameFrom(a: string, aFrom: number, b: string, bFrom: number): boolean {
  const aStart = Math.min(aFrom, a.length);
  const bStart = Math.min(bFrom, b.length);
  if (a.length - aStart !== b.length - bStart) return false;
  for (let offset = 0; aStart + offset < a.length; offset += 1) {
    if (a.charCodeAt(aStart + offset) !== b.charCodeAt(bStart + offset)) return false;
  }
  return true;
}
