import { ulid, ulidIds } from '../src';

describe('ulid', () => {
  it('is 26 Crockford base32 characters whose first ten encode the time, so ids sort by creation time', () => {
    const earlier = ulid(Date.parse('2026-01-01T00:00:00Z'));
    const later = ulid(Date.parse('2026-01-01T00:00:00.001Z'));
    expect(earlier).toMatch(/^[0-9A-HJKMNP-TV-Z]{26}$/);
    expect(earlier < later).toBe(true);
    expect(ulid(0).slice(0, 10)).toBe('0000000000');
    expect(ulid(1).slice(0, 10)).toBe('0000000001');
  });

  it('does not repeat, and prefixes ids with their kind', () => {
    const ids = new Set(Array.from({ length: 10_000 }, () => ulidIds.newId('job')));
    expect(ids.size).toBe(10_000);
    expect([...ids][0]).toMatch(/^job_[0-9A-Z]{26}$/);
  });
});
