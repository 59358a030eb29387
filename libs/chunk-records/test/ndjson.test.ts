import { Readable } from 'node:stream';
import { CANONICAL_FIELDS } from '@refinery/contacts';
import { fromNdjson, type LabeledRow, RESULT_COLUMNS, resultCells, toNdjson } from '../src';

async function collect<T>(source: AsyncIterable<T>): Promise<T[]> {
  const out: T[] = [];
  for await (const item of source) out.push(item);
  return out;
}

describe('NDJSON rows', () => {
  it('round-trips rows through a stream split at arbitrary bytes, including multi-byte characters', async () => {
    const rows = Array.from({ length: 3000 }, (_, i) => ({ row: i, name: `Zoë ${i}`, note: 'a\nb' }));
    const bytes = Buffer.concat((await collect(toNdjson(rows))).map((chunk) => Buffer.from(chunk as string)));
    const pieces: Buffer[] = [];
    for (let i = 0; i < bytes.length; i += 7) pieces.push(bytes.subarray(i, i + 7));
    expect(await collect(fromNdjson(Readable.from(pieces)))).toEqual(rows);
  });

  it('names the line that is not JSON', async () => {
    await expect(collect(fromNdjson(Readable.from(['{"a":1}\n', '\n', '{oops}\n'])))).rejects.toThrow('NDJSON line 3 is not valid JSON');
  });
});

describe('result columns', () => {
  it('appends match columns and a status and latest column per canonical field', () => {
    expect(RESULT_COLUMNS.slice(0, 5)).toEqual(['match_status', 'match_method', 'match_score', 'match_id', 'match_reason']);
    expect(RESULT_COLUMNS).toHaveLength(5 + 2 * CANONICAL_FIELDS.length);
    expect(RESULT_COLUMNS).toContain('birth_date_latest');
  });

  it('pads short rows to the header width and fills every result column', () => {
    const labels = Object.fromEntries(CANONICAL_FIELDS.map((field) => [field, { status: 'empty' as const }]));
    labels.email = { status: 'old', latest: 'new@example.com' } as never;
    const row: LabeledRow = {
      row: 0,
      cells: ['Ann'],
      status: 'matched',
      method: 'fuzzy',
      score: 0.93456,
      matchId: 'P1',
      reason: 'r',
      labels: labels as never,
    };
    const cells = resultCells(row, 3);
    expect(cells.slice(0, 8)).toEqual(['Ann', '', '', 'matched', 'fuzzy', '0.935', 'P1', 'r']);
    expect(cells).toHaveLength(3 + RESULT_COLUMNS.length);
    const emailStatus = 3 + RESULT_COLUMNS.indexOf('email_status');
    expect(cells.slice(emailStatus, emailStatus + 2)).toEqual(['old', 'new@example.com']);
  });
});
