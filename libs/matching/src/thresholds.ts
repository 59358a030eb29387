// Where a match probability (the best candidate's, among the candidates of one row) lands a row.
export interface MatchThresholds {
  // At or above: matched, without asking anyone.
  match: number;
  // At or above (and below `match`): the row waits in the job's review queue with its best candidate.
  // Below: unmatched. Set equal to `match` for no review band.
  review: number;
}

export const DEFAULT_THRESHOLDS: Readonly<MatchThresholds> = Object.freeze({ match: 0.9, review: 0.5 });

// Refuses thresholds that cannot work, naming the one at fault.
export function checkThresholds(thresholds: MatchThresholds): MatchThresholds {
  for (const [name, value] of Object.entries(thresholds)) {
    if (typeof value !== 'number' || !Number.isFinite(value) || value <= 0 || value >= 1) {
      throw new RangeError(`the ${name} threshold must be a probability strictly between 0 and 1, got ${String(value)}`);
    }
  }
  if (thresholds.review > thresholds.match) {
    throw new RangeError(`the review threshold (${thresholds.review}) must not be above the match threshold (${thresholds.match})`);
  }
  return thresholds;
}
