import type { CsvLimits } from '../src/index';
import { CsvFormatError, describeRowProblem, readCsvRows } from '../src/index';
import { collect, format, pieces } from './helpers';

const SMALL: Pick<CsvLimits, 'maxFieldBytes' | 'maxRowBytes'> = { maxFieldBytes: 16, maxRowBytes: 40 };

async function rows(text: string | Buffer, sizes?: readonly number[], limits = SMALL) {
  const bytes = Buffer.isBuffer(text) ? text : Buffer.from(text);
  return collect(readCsvRows(pieces(bytes, sizes), format(','), { limits, firstLine: 2 }));
}

describe('readCsvRows', () => {
  it('reads rows with the line each starts on, blank lines skipped, quoted line breaks kept', async () => {
    const read = await rows('Ann,a@x.io\n\n"Bob\nJr",b@x.io\r\nCy,c@x.io', [3]);
    expect(read).toEqual([
      { cells: ['Ann', 'a@x.io'], line: 2 },
      { cells: ['Bob\nJr', 'b@x.io'], line: 4 },
      { cells: ['Cy', 'c@x.io'], line: 6 },
    ]);
  });

  it.each([[[1]], [[7]], [[64 * 1024]]])(
    'a record over the row limit becomes a row without cells, naming where the limit was reached; the next rows go on (pieces %j)',
    async (sizes) => {
      const big = 'x'.repeat(100);
      const read = await rows(`Ann,a@x.io\nBob,"${big}",tail\nCy,c@x.io\n`, sizes);
      expect(read).toEqual([
        { cells: ['Ann', 'a@x.io'], line: 2 },
        { cells: [], line: 3, problem: { kind: 'row-too-large', bytes: 112, column: 1 } },
        { cells: ['Cy', 'c@x.io'], line: 4 },
      ]);
    },
  );

  it('a value over the field limit is left empty and named; the row keeps its other values', async () => {
    const read = await rows('Ann,"aaaaaaaaaaaaaaaaaaaaaaaa",a@x.io\nBob,b\n');
    expect(read).toEqual([
      { cells: ['Ann', '', 'a@x.io'], line: 2, problem: { kind: 'field-too-large', bytes: 24, column: 1 } },
      { cells: ['Bob', 'b'], line: 3 },
    ]);
  });

  it('counts bytes, not characters: five 3-byte characters are 15 bytes, six are 18', async () => {
    const read = await rows('漢漢漢漢漢,漢漢漢漢漢漢\n');
    expect(read[0]?.problem).toEqual({ kind: 'field-too-large', bytes: 18, column: 1 });
    expect(read[0]?.cells).toEqual(['漢漢漢漢漢', '']);
  });

  it('a NUL character makes its row a problem, naming the column', async () => {
    const read = await rows(Buffer.from('Ann,a@x.io\nBo\u0000b,b@x.io\n'));
    expect(read[0]).toEqual({ cells: ['Ann', 'a@x.io'], line: 2 });
    expect(read[1]).toEqual({ cells: ['Bo\u0000b', 'b@x.io'], line: 3, problem: { kind: 'nul-character', column: 0 } });
  });

  it('bytes that are not UTF-8 in a UTF-8 file make their row a problem; a U+FFFD the file really holds does not', async () => {
    const read = await rows(Buffer.concat([Buffer.from('Ann,a@x.io\nB'), Buffer.from([0xe9]), Buffer.from('b,b@x.io\nZo\uFFFD,z@x.io\n')]));
    expect(read[0]).toEqual({ cells: ['Ann', 'a@x.io'], line: 2 });
    expect(read[1]).toEqual({ cells: ['B\uFFFDb', 'b@x.io'], line: 3, problem: { kind: 'not-utf-8', column: 0 } });
    // The third row's U+FFFD is encoded right (EF BF BD), but it shares the batch with a bad byte: flagged too.
    expect(read[2]?.problem).toEqual({ kind: 'not-utf-8', column: 0 });
    const clean = await rows(Buffer.from('Ann,a@x.io\nZo\uFFFD,z@x.io\n'));
    expect(clean[1]).toEqual({ cells: ['Zo\uFFFD', 'z@x.io'], line: 3 });
    expect(describeRowProblem({ kind: 'not-utf-8', column: 0 }, { line: 3, columns: ['name'] }, { maxFieldBytes: 1, maxRowBytes: 1 })).toBe(
      'column 1 ("name") at line 3 holds bytes that are not UTF-8 (the file is read as UTF-8, as its start is); save the file as UTF-8',
    );
  });

  it('throws unterminated-quote when the data ends inside quotes', async () => {
    await expect(rows('Ann,"open\n')).rejects.toBeInstanceOf(CsvFormatError);
  });

  it('describes each problem with the line, the column by name and the limit', () => {
    const where = { line: 12, columns: ['name', 'notes'] };
    const limits = { maxFieldBytes: 256 * 1024, maxRowBytes: 1024 * 1024 };
    expect(describeRowProblem({ kind: 'row-too-large', bytes: 50 * 1024 * 1024, column: 1 }, where, limits)).toBe(
      'the record at line 12 takes 50 MiB, over the 1 MiB limit for a row (reached in column 2 ("notes")); its values are not copied',
    );
    expect(describeRowProblem({ kind: 'field-too-large', bytes: 300 * 1024, column: 1 }, where, limits)).toBe(
      'column 2 ("notes") at line 12 holds 300 KiB, over the 256 KiB limit for a value; that value is left empty',
    );
    expect(describeRowProblem({ kind: 'nul-character', column: 4 }, where, limits)).toBe(
      'column 5 at line 12 contains a NUL character (byte 0x00), which text never holds',
    );
  });

  // The old path (csv-parse over the whole range, then the labeler's NDJSON reader) pinned a core for minutes on a
  // 50 MB value. Complexity, not speed: 16 times the value must cost about 16 times the time (40x allows for noise).
  it('reads past a huge value in time linear in its size, holding at most the row limit of it', async () => {
    const limits = { maxFieldBytes: 256 * 1024, maxRowBytes: 1024 * 1024 };
    const fileWith = (valueBytes: number) => Buffer.from(`Ann,"${'n'.repeat(valueBytes)}",a@x.io\nBob,b@x.io\n`);
    const fastest = async (file: Buffer): Promise<number> => {
      let best = Number.POSITIVE_INFINITY;
      for (let run = 0; run < 3; run++) {
        const started = process.hrtime.bigint();
        const read = await collect(readCsvRows(pieces(file, [65_536]), format(','), { limits }));
        best = Math.min(best, Number(process.hrtime.bigint() - started) / 1e6);
        expect(read.map((row) => row.problem?.kind ?? row.cells)).toEqual(['row-too-large', ['Bob', 'b@x.io']]);
      }
      return best;
    };
    const small = await fastest(fileWith(3 * 1024 * 1024));
    const large = await fastest(fileWith(48 * 1024 * 1024));
    expect(large / Math.max(small, 1)).toBeLessThan(40);
    // 50 MB end to end within seconds, not minutes.
    expect(large).toBeLessThan(5000);
  }, 60_000);
});
