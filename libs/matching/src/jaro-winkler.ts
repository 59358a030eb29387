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
