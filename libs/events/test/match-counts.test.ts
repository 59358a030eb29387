import { countRowOutcome, emptyMatchCounts, jobCompletedV1, jobViewSchema, matchCountsSchema } from '../src';

describe('match counts', () => {
  it('count each row once by status, and matched rows by method too', () => {
    const counts = emptyMatchCounts();
    for (const outcome of [
      { status: 'matched', method: 'exact' },
      { status: 'matched', method: 'nickname' },
      { status: 'unmatched', method: null },
      { status: 'invalid', method: null },
      { status: 'matched', method: 'exact' },
    ] as const) {
      countRowOutcome(counts, outcome);
    }
    expect(counts).toEqual({ matched: 3, unmatched: 1, invalid: 1, byMethod: { exact: 2, fuzzy: 0, nickname: 1 } });
    expect(matchCountsSchema.parse(counts)).toEqual(counts);
  });

  it('are the one shape of the counts in job results and job views', () => {
    const statuses = Object.keys(matchCountsSchema.shape).filter((key) => key !== 'byMethod');
    expect(Object.keys(jobCompletedV1.data.shape.rows.shape).sort()).toEqual(['total', ...statuses].sort());
    expect(Object.keys(jobViewSchema.shape.rows.shape).sort()).toEqual(['done', 'total', ...statuses].sort());
    expect(Object.keys(jobViewSchema.shape.byMethod.shape)).toEqual(Object.keys(matchCountsSchema.shape.byMethod.shape));
  });
});
