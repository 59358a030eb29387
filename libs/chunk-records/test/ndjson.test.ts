import { Readable } from 'node:stream';
import { CANONICAL_FIELDS } from '@refinery/contacts';
import { fromNdjson, type LabeledRow, RESULT_COLUMNS, resultCells, toNdjson, toNdjsonBatches } from '../src';

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

  it('writes rows given in arrays as the same chunks of the same bytes as the rows one by one', async () => {
    // Enough rows for several 64 KB chunks, arrays of uneven lengths (an empty one too), and text JSON escapes.
    const rows = Array.from({ length: 2500 }, (_, i) => ({ row: i, name: `Zo\u00eb "${i}"\t\u0007 \ud800`, cells: ['a\\b', '\u{1F600}'] }));
    const sizes = [0, 1, 199, 200, 1000, 1100];
    async function* arrays() {
      let at = 0;
      for (const size of sizes) {
        yield rows.slice(at, at + size);
        at += size;
      }
    }
    const one = await collect(toNdjson(rows));
    const batched = await collect(toNdjsonBatches(arrays()));
    expect(one.length).toBeGreaterThan(2);
    expect(batched).toEqual(one);
    expect(await collect(toNdjsonBatches((async function* () {})()))).toEqual([]);
  });

  it('names the line that is not JSON', async () => {
    await expect(collect(fromNdjson(Readable.from(['{"a":1}\n', '\n', '{oops}\n'])))).rejects.toThrow('NDJSON line 3 is not valid JSON');
  });

  it('reads text chunks that split a character in two (a surrogate pair)', async () => {
    const text = '{"a":"\u{1F600}"}\n{"b":"\u{1F600}"}';
    const chunks = [text.slice(0, 7), text.slice(7, text.length - 2), text.slice(text.length - 2)];
    expect(await collect(fromNdjson(Readable.from(chunks)))).toEqual([{ a: '\u{1F600}' }, { b: '\u{1F600}' }]);
  });

  it('parses a last line without a line feed, split across chunks', async () => {
    expect(await collect(fromNdjson(Readable.from(['{"a":', '1}\n{"b"', Buffer.from(':"Zo\u00eb"}')])))).toEqual([{ a: 1 }, { b: 'Zoë' }]);
  });

  it('reads a first line that starts with a byte order mark, and keeps one anywhere else', async () => {
    const bom = Buffer.from([0xef, 0xbb, 0xbf]);
    const bytes = Buffer.concat([bom, Buffer.from('{"a":1}\n{"b":"'), bom, Buffer.from('x"}\n')]);
    // The mark split across the first chunks too.
    const chunks = [bytes.subarray(0, 1), bytes.subarray(1, 2), bytes.subarray(2)];
    expect(await collect(fromNdjson(Readable.from(chunks)))).toEqual([{ a: 1 }, { b: '\ufeffx' }]);
  });

  it('skips blank lines, counting them, and reads a line with a carriage return before its line feed', async () => {
    const text = ['{"a":1}\r', '', '  \t', '\u00a0', '{"b":2}', '{bad'].join('\n');
    await expect(collect(fromNdjson(Readable.from([Buffer.from(text)])))).rejects.toThrow('NDJSON line 6 is not valid JSON');
    expect(await collect(fromNdjson(Readable.from([Buffer.from(text.slice(0, text.lastIndexOf('\n')))])))).toEqual([{ a: 1 }, { b: 2 }]);
  });

  // A complexity check, not a speed target: reading one 16 MB line must cost about what JSON.parse of it costs (linear
  // in its length), whatever the chunks. The old reader appended each 64 KB chunk to one pending string and searched it
  // again: 6,090 ms for a 16 MB line, about a hundred times the parse. (Comparing a 1 MB line with a 16 MB one, as this
  // test did before, measured the caches as much as the reader: on a loaded machine a linear reader came out at 40-70x.)
  it('reads a long line in time linear in its length', async () => {
    const line = Buffer.from(`{"note":"${'x'.repeat(16 * 1024 * 1024)}"}\n`);
    let read = Number.POSITIVE_INFINITY;
    let parse = Number.POSITIVE_INFINITY;
    for (let run = 0; run < 3; run++) {
      const chunks: Buffer[] = [];
      for (let at = 0; at < line.length; at += 65_536) chunks.push(line.subarray(at, at + 65_536));
      let started = process.hrtime.bigint();
      const rows = await collect(fromNdjson<{ note: string }>(Readable.from(chunks)));
      read = Math.min(read, Number(process.hrtime.bigint() - started) / 1e6);
      expect(rows[0]?.note.length).toBe(line.length - 12);
      started = process.hrtime.bigint();
      JSON.parse(line.toString('utf8'));
      parse = Math.min(parse, Number(process.hrtime.bigint() - started) / 1e6);
    }
    // Measured 1.1-1.6x (this reader) and 2.9-4.2x (the one before it, also linear) at a load average of 13 on 2 cores.
    expect(read / Math.max(parse, 1)).toBeLessThan(12);
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
