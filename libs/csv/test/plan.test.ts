import type { ChunkPlan, CsvHeader, PlanOptions } from '../src/index';
import { CsvFormatError, planChunks, sniffCsv } from '../src/index';
import { collect, format, parseRange, pieces, plan } from './helpers';

function sniffed(file: Buffer): CsvHeader {
  const result = sniffCsv(file, { complete: true });
  if (!result.ok) throw new Error(result.reason);
  return result.header;
}

type Sizing = Omit<PlanOptions, 'dataStart' | 'dataStartLine'>;

/** Sniffs a whole file, plans its data section and parses every planned range. */
async function planFile(text: string, sizing: Sizing, sizes?: number[]): Promise<{ chunks: ChunkPlan[]; records: string[][][] }> {
  const file = Buffer.from(text);
  const { format: csvFormat, dataStart, dataStartLine } = sniffed(file);
  const chunks = await plan(file, csvFormat, { dataStart, dataStartLine, ...sizing }, sizes);
  const records = await Promise.all(chunks.map((chunk) => parseRange(file, chunk, csvFormat)));
  return { chunks, records };
}

/** [start, end, firstRow, rowCount, firstLine] per chunk, and checks index and contiguity on the way. */
function ranges(chunks: ChunkPlan[]): number[][] {
  chunks.forEach((chunk, i) => {
    expect(chunk.index).toBe(i);
    if (i > 0) expect(chunk.start).toBe(chunks[i - 1]?.end);
  });
  return chunks.map((chunk) => [chunk.start, chunk.end, chunk.firstRow, chunk.rowCount, chunk.firstLine]);
}

// The middle row's quoted field holds LF and CRLF, the delimiter and doubled quotes.
const TRICKY = 'id,note\n1,plain\n2,"a, ""b""\nc\r\nd,e"\n3,last\n';
const TRICKY_ROWS = [
  ['1', 'plain'],
  ['2', 'a, "b"\nc\r\nd,e'],
  ['3', 'last'],
];

describe('planChunks and parseCsvRecords agree', () => {
  test('a quoted field with newlines, delimiters and "" is never split across chunks', async () => {
    const { chunks, records } = await planFile(TRICKY, { chunkRows: 1 });
    const third = TRICKY.indexOf('3,last');
    expect(ranges(chunks)).toEqual([
      [8, 16, 0, 1, 2],
      [16, third, 1, 1, 3],
      [third, TRICKY.length, 2, 1, 6],
    ]);
    expect(records).toEqual(TRICKY_ROWS.map((row) => [row]));
  });

  test('the plan does not depend on where the input buffers are split', async () => {
    const file = Buffer.from(TRICKY);
    const header = sniffed(file);
    const options = { dataStart: header.dataStart, dataStartLine: header.dataStartLine, chunkRows: 1 };
    const expected = await plan(file, header.format, options);
    const dataLength = file.length - header.dataStart;
    // Every split point: inside "", inside \r\n, right after a quote, and so on.
    for (let cut = 1; cut < dataLength; cut++) {
      await expect(plan(file, header.format, options, [cut, dataLength])).resolves.toEqual(expected);
    }
    await expect(plan(file, header.format, options, [1])).resolves.toEqual(expected);
  });

  test('multi-byte UTF-8 characters split across buffers parse whole', async () => {
    const { records } = await planFile('name,city\nAnn,"東京, 日本"\nBob,Zürich 😀\n', { chunkRows: 1 }, [1, 2]);
    expect(records.flat()).toEqual([
      ['Ann', '東京, 日本'],
      ['Bob', 'Zürich 😀'],
    ]);
  });

  test('CRLF files: chunks end after the CRLF and no CR leaks into cells', async () => {
    const text = 'a,b\r\n1,"x\r\ny"\r\n2,z\r\n3,w\r\n';
    const { chunks, records } = await planFile(text, { chunkRows: 2 }, [3]);
    expect(ranges(chunks)).toEqual([
      [5, text.indexOf('3,w'), 0, 2, 2],
      [text.indexOf('3,w'), text.length, 2, 1, 5],
    ]);
    expect(records).toEqual([
      [
        ['1', 'x\r\ny'],
        ['2', 'z'],
      ],
      [['3', 'w']],
    ]);
  });

  test('blank lines are not rows; between chunks they open the next chunk, at the end they belong to none', async () => {
    const text = 'h\n\n1\n\r\n\n2\n3\n\n\r\n';
    const { chunks, records } = await planFile(text, { chunkRows: 1 });
    expect(ranges(chunks)).toEqual([
      [2, 5, 0, 1, 2],
      [5, 10, 1, 1, 4],
      [10, 12, 2, 1, 7],
    ]);
    expect(records).toEqual([[['1']], [['2']], [['3']]]);
    // The same when the last chunk is not full and closes at the end of the data.
    const partial = await planFile(text, { chunkRows: 2 });
    expect(ranges(partial.chunks)).toEqual([
      [2, 10, 0, 2, 2],
      [10, 12, 2, 1, 7],
    ]);
  });

  test('a line holding only a CR before its LF is a row, not a blank line', async () => {
    const { chunks, records } = await planFile('h\n\r\r\n1\n', { chunkRows: 5 }, [1]);
    expect(chunks.map((chunk) => chunk.rowCount)).toEqual([2]);
    expect(records).toEqual([[['\r'], ['1']]]);
  });

  test('a file that is only a header, or a header and blank lines, yields no chunks', async () => {
    expect((await planFile('name,email\n', { chunkRows: 10 })).chunks).toEqual([]);
    expect((await planFile('name,email', { chunkRows: 10 })).chunks).toEqual([]);
    expect((await planFile('name,email\n\n\r\n\n', { chunkRows: 10 })).chunks).toEqual([]);
  });

  test('a last row without a line terminator ends the last chunk at the end of the file', async () => {
    const text = 'h\n1\n2\n"3\n3"';
    const { chunks, records } = await planFile(text, { chunkRows: 2 });
    expect(ranges(chunks)).toEqual([
      [2, 6, 0, 2, 2],
      [6, text.length, 2, 1, 4],
    ]);
    expect(records.flat()).toEqual([['1'], ['2'], ['3\n3']]);
  });

  test('maxChunkBytes closes a chunk early once it holds a row', async () => {
    // Data rows of 10 bytes each.
    const text = `h\n${['aaaa,bbbb', 'cccc,dddd', 'eeee,ffff', 'gggg,hhhh', 'iiii,jjjj'].join('\n')}\n`;
    const { chunks, records } = await planFile(text, { chunkRows: 100, maxChunkBytes: 25 });
    expect(ranges(chunks)).toEqual([
      [2, 32, 0, 3, 2],
      [32, 52, 3, 2, 5],
    ]);
    expect(records.map((rows) => rows.length)).toEqual([3, 2]);
    // A row larger than the limit still makes a chunk of its own.
    const big = await planFile(`h\n"${'x'.repeat(50)}"\ny\n`, { chunkRows: 100, maxChunkBytes: 10 });
    expect(big.chunks.map((chunk) => chunk.rowCount)).toEqual([1, 1]);
  });

  test('a quote opens a quoted field only at the start of a field, which depends on the delimiter', async () => {
    const data = Buffer.from('x;"a\nb"\n');
    const options = { dataStart: 0, dataStartLine: 1, chunkRows: 1 };
    expect((await plan(data, format(','), options)).map((chunk) => chunk.end)).toEqual([5, 8]);
    expect((await plan(data, format(';'), options)).map((chunk) => chunk.end)).toEqual([8]);
    // After a relaxed close ("a"b) the field is unquoted, so the next quote is literal.
    expect((await plan(Buffer.from('"a"b"c\nd\n'), format(','), options)).map((chunk) => chunk.end)).toEqual([7, 9]);
  });

  test('the data ending inside a quoted field throws CsvFormatError with the line where the field opened', async () => {
    const file = Buffer.from('name,note\nBob,"fine\nstill fine"\nAnn,"multi\nline",open "not a quote\nEve,"never closed\nx\ny\n');
    const header = sniffed(file);
    const failure = plan(file, header.format, { dataStart: header.dataStart, dataStartLine: header.dataStartLine, chunkRows: 1 }, [7]);
    await expect(failure).rejects.toThrow(CsvFormatError);
    await expect(failure).rejects.toMatchObject({ code: 'unterminated-quote', line: 6 });
    // The quote opened in a second field, after another quoted field with a line break inside.
    const second = plan(Buffer.from('a\n"x\ny","z\n'), format(','), { dataStart: 2, dataStartLine: 2, chunkRows: 1 });
    await expect(second).rejects.toMatchObject({ code: 'unterminated-quote', line: 3 });
  });
});

describe('planChunks streaming', () => {
  test('yields the first chunks before the source is exhausted', async () => {
    let pulled = 0;
    async function* endless(): AsyncGenerator<Buffer> {
      for (;;) {
        pulled++;
        yield Buffer.from('Bob,"b@example.com",Paris\n'.repeat(100));
      }
    }
    const chunks = planChunks(endless(), format(','), { dataStart: 0, dataStartLine: 1, chunkRows: 1000 });
    const first = await chunks.next();
    await chunks.return(undefined);
    expect(first.value).toMatchObject({ index: 0, rowCount: 1000, firstRow: 0 });
    expect(pulled).toBeLessThanOrEqual(11);
  });

  test('rejects options that cannot make chunks', async () => {
    const run = (options: PlanOptions): Promise<ChunkPlan[]> => collect(planChunks(pieces(Buffer.from('a\n')), format(','), options));
    await expect(run({ dataStart: 0, dataStartLine: 1, chunkRows: 0 })).rejects.toThrow(RangeError);
    await expect(run({ dataStart: 0, dataStartLine: 0, chunkRows: 1 })).rejects.toThrow(RangeError);
    await expect(run({ dataStart: -1, dataStartLine: 1, chunkRows: 1 })).rejects.toThrow(RangeError);
    await expect(run({ dataStart: 0, dataStartLine: 1, chunkRows: 1, maxChunkBytes: 0 })).rejects.toThrow(RangeError);
  });
});
