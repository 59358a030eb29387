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

  it('parses a last line without a line feed, split across chunks', async () => {
    expect(await collect(fromNdjson(Readable.from(['{"a":', '1}\n{"b"', Buffer.from(':"Zo\u00eb"}')])))).toEqual([{ a: 1 }, { b: 'Zoë' }]);
  });

  // A complexity check, not a speed target: reading a line 16 times as long must take about 16 times as long. The old
  // reader appended each 64 KB chunk to one pending string and searched it again, so a 16 MB line cost ~170 times a
  // 1 MB line (2/4/8/16 MB: 133/395/1,575/6,090 ms).
  it('reads a long line in time linear in its length', async () => {
    const lineOf = (bytes: number): Buffer => Buffer.from(`{"note":"${'x'.repeat(bytes)}"}\n`);
    const fastestRead = async (line: Buffer): Promise<number> => {
      let best = Number.POSITIVE_INFINITY;
      for (let run = 0; run < 3; run++) {
        const chunks: Buffer[] = [];
        for (let at = 0; at < line.length; at += 65_536) chunks.push(line.subarray(at, at + 65_536));
        const started = process.hrtime.bigint();
        const rows = await collect(fromNdjson<{ note: string }>(Readable.from(chunks)));
        best = Math.min(best, Number(process.hrtime.bigint() - started) / 1e6);
        expect(rows[0]?.note.length).toBe(line.length - 12);
      }
      return best;
    };
    const small = await fastestRead(lineOf(1024 * 1024));
    const large = await fastestRead(lineOf(16 * 1024 * 1024));
    // 16x the input; 40x leaves room for a noisy machine, far below the quadratic ~170x (and ~256x in theory).
    expect(large / Math.max(small, 1)).toBeLessThan(40);
  }, 60_000);
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
