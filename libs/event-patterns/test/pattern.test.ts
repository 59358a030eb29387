import { type EventPattern, matchesEventPattern, validateEventPattern } from '../src';

const event = {
  source: 'refinery.chunker',
  'detail-type': 'chunk.planned.v1',
  detail: {
    metadata: { tenantId: 'acme', jobId: 'job_1' },
    data: { chunk: { index: 3, count: 10 }, tags: ['a', 'b'], empty: null },
    bucket: { name: 'ingest-uploads' },
    object: { key: 'tenants/acme/jobs/job_1/input.csv', size: 1200 },
  },
};

describe('matchesEventPattern', () => {
  it.each<[string, EventPattern, boolean]>([
    ['exact source and detail-type', { source: ['refinery.chunker'], 'detail-type': ['chunk.planned.v1'] }, true],
    ['any of several values', { 'detail-type': ['job.submitted.v1', 'chunk.planned.v1'] }, true],
    ['a different detail-type', { 'detail-type': ['chunk.matched.v1'] }, false],
    ['nested field', { detail: { metadata: { tenantId: ['acme'] } } }, true],
    ['nested field that differs', { detail: { metadata: { tenantId: ['other'] } } }, false],
    ['numeric value', { detail: { data: { chunk: { index: [3] } } } }, true],
    ['prefix', { detail: { object: { key: [{ prefix: 'tenants/' }] } } }, true],
    ['prefix that fails', { detail: { object: { key: [{ prefix: 'incoming/' }] } } }, false],
    ['suffix', { detail: { object: { key: [{ suffix: '.csv' }] } } }, true],
    ['equals-ignore-case', { source: [{ 'equals-ignore-case': 'REFINERY.CHUNKER' }] }, true],
    ['anything-but a value', { source: [{ 'anything-but': 'refinery.ingest' }] }, true],
    ['anything-but the value', { source: [{ 'anything-but': ['refinery.chunker'] }] }, false],
    ['anything-but a prefix', { source: [{ 'anything-but': { prefix: 'refinery.' } }] }, false],
    ['numeric range', { detail: { object: { size: [{ numeric: ['>', 1000, '<=', 1200] }] } } }, true],
    ['numeric range that fails', { detail: { object: { size: [{ numeric: ['<', 1000] }] } } }, false],
    ['exists true', { detail: { bucket: { name: [{ exists: true }] } } }, true],
    ['exists false on a missing field', { detail: { nothing: [{ exists: false }] } }, true],
    ['exists false on a present field', { detail: { bucket: { name: [{ exists: false }] } } }, false],
    ['a missing field does not match a value', { detail: { nothing: ['x'] } }, false],
    ['null matches null', { detail: { data: { empty: [null] } } }, true],
    ['array field matches any element', { detail: { data: { tags: ['b'] } } }, true],
    ['an object pattern on a scalar field fails', { source: { nested: ['x'] } }, false],
    ['$or with one matching branch', { $or: [{ source: ['nope'] }, { 'detail-type': ['chunk.planned.v1'] }] }, true],
    ['$or with no matching branch', { $or: [{ source: ['nope'] }, { 'detail-type': ['nope'] }] }, false],
  ])('%s', (_name, pattern, expected) => {
    expect(matchesEventPattern(pattern, event)).toBe(expected);
  });
});

describe('validateEventPattern', () => {
  it('accepts the patterns our services declare', () => {
    expect(() => validateEventPattern({ source: ['refinery.chunker'], 'detail-type': ['chunk.planned.v1'] })).not.toThrow();
  });
  it.each([
    ['not an object', ['x'], 'must be an object'],
    ['empty', {}, 'must not be empty'],
    ['an empty value list', { source: [] }, '$.source must list at least one value'],
    ['an unknown matcher', { source: [{ regex: '.*' }] }, 'unsupported matcher'],
    ['a one-branch $or', { $or: [{ source: ['a'] }] }, 'at least two patterns'],
  ])('rejects %s', (_name, pattern, message) => {
    expect(() => validateEventPattern(pattern)).toThrow(message);
  });
});
