import { CsvFormatError, parseCsvRecords } from '../src/index';
import { collect, format, pieces } from './helpers';

describe('parseCsvRecords', () => {
  test('parses a Buffer and an async stream of pieces to the same records', async () => {
    const data = Buffer.from('1,"a, ""quoted""\r\nvalue",x\r\n2,b,y\n');
    const expected = [
      ['1', 'a, "quoted"\r\nvalue', 'x'],
      ['2', 'b', 'y'],
    ];
    await expect(collect(parseCsvRecords(data, format(',')))).resolves.toEqual(expected);
    await expect(collect(parseCsvRecords(pieces(data, [1, 2, 3]), format(',')))).resolves.toEqual(expected);
  });

  test('uses the delimiter of the format', async () => {
    const data = Buffer.from('a|b,c|"d|e"\n');
    await expect(collect(parseCsvRecords(data, format('|')))).resolves.toEqual([['a', 'b,c', 'd|e']]);
    await expect(collect(parseCsvRecords(data, format(',')))).resolves.toEqual([['a|b', 'c|"d|e"']]);
  });

  test('returns ragged rows as they are', async () => {
    const data = Buffer.from('a,b,c\nd\ne,f,g,h\n');
    await expect(collect(parseCsvRecords(data, format(',')))).resolves.toEqual([['a', 'b', 'c'], ['d'], ['e', 'f', 'g', 'h']]);
  });

  test('skips zero-length lines but keeps a quoted empty cell and whitespace', async () => {
    const data = Buffer.from('\n\r\n""\n  \n\n,\n');
    await expect(collect(parseCsvRecords(data, format(',')))).resolves.toEqual([[''], ['  '], ['', '']]);
  });

  test('decodes windows-1252, including the characters it puts at 0x80-0x9F', async () => {
    const data = Buffer.from([
      ...Buffer.from('Jos'),
      0xe9,
      0x3b,
      0x80,
      ...Buffer.from(' 5;'),
      0x93,
      ...Buffer.from('hi'),
      0x94,
      0x3b,
      0x9f,
      0x81,
      0x0a,
    ]);
    const records = await collect(parseCsvRecords(pieces(data, [1]), { delimiter: ';', encoding: 'windows-1252', hasBom: false }));
    expect(records).toEqual([['José', '€ 5', '“hi”', 'Ÿ\u0081']]);
  });

  test('decodes UTF-8, replacing invalid bytes', async () => {
    const data = Buffer.from([...Buffer.from('Zürich,'), 0xff, 0x0a]);
    await expect(collect(parseCsvRecords(data, format(',')))).resolves.toEqual([['Zürich', '\ufffd']]);
  });

  test('throws CsvFormatError when the slice ends inside a quoted field', async () => {
    const failure = collect(parseCsvRecords(Buffer.from('a,b\n"open\nc\n'), format(',')));
    await expect(failure).rejects.toThrow(CsvFormatError);
    await expect(failure).rejects.toMatchObject({ code: 'unterminated-quote' });
  });

  test('passes on errors of the source', async () => {
    async function* failing(): AsyncGenerator<Buffer> {
      yield Buffer.from('a,b\n');
      throw new Error('read failed');
    }
    await expect(collect(parseCsvRecords(failing(), format(',')))).rejects.toThrow('read failed');
  });

  test('stopping early releases the source', async () => {
    let released = false;
    async function* rows(): AsyncGenerator<Buffer> {
      try {
        for (let i = 0; i < 1000; i++) yield Buffer.from(`${i},x\n`);
      } finally {
        released = true;
      }
    }
    const records: string[][] = [];
    for await (const record of parseCsvRecords(rows(), format(','))) {
      records.push(record);
      if (records.length === 2) break;
    }
    expect(records).toEqual([
      ['0', 'x'],
      ['1', 'x'],
    ]);
    // Stream teardown completes on a later tick.
    await new Promise((resolve) => setImmediate(resolve));
    expect(released).toBe(true);
  });
});
