// Jaro-Winkler similarity of two strings, compared code unit by code unit (case-sensitive: callers fold names
// first). The same arithmetic as the jaro-winkler package the matcher used before (its results are bit for bit
// equal, which test/jaro-winkler.test.ts checks), without its per-call allocations: the matcher calls this a
// few times for every candidate of every row, and the package's two arrays and options object per call were
// a tenth of a decision in garbage collection alone.

// Which positions of each string are matched: a position is matched in this call when it holds this call's stamp,
// so nothing needs clearing between calls. Grown when a longer string comes.
let firstMatched = new Uint32Array(64);
let secondMatched = new Uint32Array(64);
let stamp = 0;

function nextStamp(firstLength: number, secondLength: number): number {
  if (firstLength > firstMatched.length) firstMatched = new Uint32Array(firstLength * 2);
  if (secondLength > secondMatched.length) secondMatched = new Uint32Array(secondLength * 2);
  stamp += 1;
  if (stamp === 0xffffffff) {
    firstMatched.fill(0);
    secondMatched.fill(0);
    stamp = 1;
  }
  return stamp;
}

export function jaroWinklerSimilarity(first: string, second: string): number {
  const firstLength = first.length;
  const secondLength = second.length;
  if (firstLength === 0 || secondLength === 0) return 0;
  if (first === second) return 1;
  const matched = nextStamp(firstLength, secondLength);
  // Characters match when equal and no further apart than half the longer string, less one.
  const range = Math.floor(Math.max(firstLength, secondLength) / 2) - 1;
  let matches = 0;
  for (let i = 0; i < firstLength; i += 1) {
    const low = i >= range ? i - range : 0;
    const high = Math.min(i + range, secondLength - 1);
    const code = first.charCodeAt(i);
    for (let j = low; j <= high; j += 1) {
      if (secondMatched[j] !== matched && second.charCodeAt(j) === code) {
        matches += 1;
        firstMatched[i] = matched;
        secondMatched[j] = matched;
        break;
      }
    }
  }
  if (matches === 0) return 0;
  // Matched characters out of order: each pair of them is one transposition.
  let next = 0;
  let outOfOrder = 0;
  for (let i = 0; i < firstLength; i += 1) {
    if (firstMatched[i] !== matched) continue;
    let j = next;
    while (j < secondLength && secondMatched[j] !== matched) j += 1;
    next = j + 1;
    if (first.charCodeAt(i) !== second.charCodeAt(j)) outOfOrder += 1;
  }
  let similarity = (matches / firstLength + matches / secondLength + (matches - outOfOrder / 2) / matches) / 3;
  // Winkler's boost for a common prefix of up to four characters, only for strings already alike.
  if (similarity > 0.7) {
    let prefix = 0;
    while (prefix < 4 && prefix < firstLength && prefix < secondLength && first.charCodeAt(prefix) === second.charCodeAt(prefix)) prefix += 1;
    similarity += prefix * 0.1 * (1 - similarity);
  }
  return similarity;
}

// How often each code unit (by its low byte) occurs in the first string, for the bound below; left all zero.
const counts = new Int32Array(256);

// The Jaro-Winkler similarity when it is at least `floor`, else some number below `floor`: callers that only
// compare the result with thresholds of `floor` and up get the answer they would get from jaroWinklerSimilarity.
// Most pairs a matcher compares are two different names, streets or employers; a cheap upper bound — characters
// in common regardless of position (at least as many as Jaro's matches, so never an underestimate; two code
// units sharing a low byte only raise it), no transpositions, Winkler's boost for the actual common prefix —
// rules them out without the full comparison.
export function jaroWinklerAtLeast(first: string, second: string, floor: number): number {
  const firstLength = first.length;
  const secondLength = second.length;
  if (firstLength === 0 || secondLength === 0) return 0;
  if (first === second) return 1;
  for (let i = 0; i < firstLength; i += 1) {
    const bucket = first.charCodeAt(i) & 0xff;
    counts[bucket] = (counts[bucket] as number) + 1;
  }
  let common = 0;
  for (let j = 0; j < secondLength; j += 1) {
    const bucket = second.charCodeAt(j) & 0xff;
    const count = counts[bucket] as number;
    if (count > 0) {
      counts[bucket] = count - 1;
      common += 1;
    }
  }
  for (let i = 0; i < firstLength; i += 1) counts[first.charCodeAt(i) & 0xff] = 0;
  const jaroBound = (common / firstLength + common / secondLength + 1) / 3;
  let prefix = 0;
  while (prefix < 4 && prefix < firstLength && prefix < secondLength && first.charCodeAt(prefix) === second.charCodeAt(prefix)) prefix += 1;
  // Winkler's boost grows with the Jaro similarity, so the bound's boost bounds it; a hair of slack covers rounding.
  const bound = jaroBound + prefix * 0.1 * (1 - jaroBound);
  return bound < floor - 1e-9 ? bound : jaroWinklerSimilarity(first, second);
}
