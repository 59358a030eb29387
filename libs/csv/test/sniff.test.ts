import type { CsvHeader, SniffResult } from '../src/index';
import { sniffCsv } from '../src/index';

function header(result: SniffResult): CsvHeader {
  if (!result.ok) throw new Error(`expected a header, got ${result.code}: ${result.reason}`);
  return result.header;
}

function failure(result: SniffResult): { code: string; reason: string } {
  if (result.ok) throw new Error(`expected a failure, got ${JSON.stringify(result.header)}`);
  return { code: result.code, reason: result.reason };
}

describe('sniffCsv: delimiter', () => {
  test.each([
    [',', 'name,email,city\nBob,bob@example.com,Paris\n'],
    [';', 'name;email;city\nDupont;d@example.fr;Paris, France\n'],
    ['\t', 'name\temail\tcity\nBob\tbob@example.com\tParis, France\n'],
    ['|', 'name|email|city\nBob|bob@example.com|Paris; France\n'],
  ])('detects %j', (delimiter, text) => {
    const result = header(sniffCsv(Buffer.from(text)));
    expect(result.format).toEqual({ delimiter, encoding: 'utf-8', hasBom: false });
    expect(result.columns).toEqual(['name', 'email', 'city']);
    expect(result.dataStart).toBe(text.indexOf('\n') + 1);
    expect(result.dataStartLine).toBe(2);
  });

  test('ignores delimiters inside quoted header cells', () => {
    const result = header(sniffCsv(Buffer.from('"Last, First";"E-mail, work";"Phone, home"\nSmith;s@example.com;123\n')));
    expect(result.format.delimiter).toBe(';');
    expect(result.columns).toEqual(['Last, First', 'E-mail, work', 'Phone, home']);
  });

  test('breaks a tie on the header with the records that follow', () => {
    // ',' and ';' both split this header in two; only ';' splits the data rows the same way.
    const result = header(sniffCsv(Buffer.from('id;name,first\n1;Smith John\n2;Doe Jane\n3;Roe Rick\n')));
    expect(result.format.delimiter).toBe(';');
    expect(result.columns).toEqual(['id', 'name,first']);
  });

  test('defaults to a comma for a single column', () => {
    const result = header(sniffCsv(Buffer.from('email\na@example.com\nb@example.com\n')));
    expect(result.format.delimiter).toBe(',');
    expect(result.columns).toEqual(['email']);
  });
});

describe('sniffCsv: header position', () => {
  test('skips a UTF-8 BOM, which counts in dataStart but not in the column names', () => {
    const file = Buffer.from('\ufeffname,email\nBob,b@example.com\n');
    const result = header(sniffCsv(file));
    expect(result.format.hasBom).toBe(true);
    expect(result.columns).toEqual(['name', 'email']);
    expect(result.dataStart).toBe(3 + 'name,email\n'.length);
    expect(file.subarray(result.dataStart).toString()).toBe('Bob,b@example.com\n');
  });

  test('ends the header after a CRLF terminator', () => {
    const file = Buffer.from('name,email\r\nBob,b@example.com\r\n');
    const result = header(sniffCsv(file));
    expect(result.columns).toEqual(['name', 'email']);
    expect(result.dataStart).toBe('name,email\r\n'.length);
    expect(result.dataStartLine).toBe(2);
  });

  test('skips leading blank and whitespace-only lines', () => {
    const file = Buffer.from('\ufeff\n\r\n  \t \nname,email\nBob,b@example.com\n');
    const result = header(sniffCsv(file));
    expect(result.columns).toEqual(['name', 'email']);
    expect(file.subarray(result.dataStart).toString()).toBe('Bob,b@example.com\n');
    expect(result.dataStartLine).toBe(5);
  });

  test('trims header cells and unescapes doubled quotes', () => {
    const result = header(sniffCsv(Buffer.from('  name ,"say ""hi""",  city  \nBob,hi,Paris\n')));
    expect(result.columns).toEqual(['name', 'say "hi"', 'city']);
  });

  test('a quote after leading spaces is literal, so it does not carry the header onto the next line', () => {
    const file = Buffer.from(' "first\r\nname", email\nBob,b@example.com\n');
    const result = header(sniffCsv(file));
    expect(result.columns).toEqual(['"first']);
    expect(result.dataStart).toBe(' "first\r\n'.length);
  });

  test('takes a quoted header cell at the start of its field as one cell across lines', () => {
    const file = Buffer.from('"first\nname",email\nBob,b@example.com\n');
    const result = header(sniffCsv(file));
    expect(result.columns).toEqual(['first\nname', 'email']);
    expect(result.dataStart).toBe('"first\nname",email\n'.length);
    expect(result.dataStartLine).toBe(3);
  });

  test('accepts a complete file that is only a header, with or without a terminator', () => {
    const bare = header(sniffCsv(Buffer.from('name,email'), { complete: true }));
    expect(bare.columns).toEqual(['name', 'email']);
    expect(bare.dataStart).toBe(10);
    expect(bare.dataStartLine).toBe(1);
    const terminated = header(sniffCsv(Buffer.from('name,email\n'), { complete: true }));
    expect(terminated.dataStart).toBe(11);
    expect(terminated.dataStartLine).toBe(2);
  });
});

describe('sniffCsv: encoding', () => {
  test('reads bytes that are not UTF-8 as windows-1252, including its 0x80-0x9F characters', () => {
    // "prénom" with é as 0xE9, "prix €" with € as 0x80, "l’âge" with ’ as 0x92.
    const file = Buffer.concat([
      Buffer.from('nom;pr'),
      Buffer.from([0xe9]),
      Buffer.from('nom;prix '),
      Buffer.from([0x80]),
      Buffer.from(';l'),
      Buffer.from([0x92, 0xe2]),
      Buffer.from('ge\nDupont;Jos'),
      Buffer.from([0xe9]),
      Buffer.from(';5;40\n'),
    ]);
    const result = header(sniffCsv(file));
    expect(result.format.encoding).toBe('windows-1252');
    expect(result.columns).toEqual(['nom', 'prénom', 'prix €', 'l’âge']);
  });

  test('keeps UTF-8 when the head stops in the middle of a multi-byte character', () => {
    const file = Buffer.from('name,city\nBob,Zürich\nAnn,東京\n');
    const cut = file.subarray(0, file.length - 3);
    expect(header(sniffCsv(cut)).format.encoding).toBe('utf-8');
    // The same cut is invalid UTF-8 when it is the whole file.
    expect(header(sniffCsv(cut, { complete: true })).format.encoding).toBe('windows-1252');
  });
});

describe('sniffCsv: failures', () => {
  test('empty file', () => {
    expect(failure(sniffCsv(Buffer.alloc(0), { complete: true }))).toEqual({ code: 'empty', reason: 'the file is empty (0 bytes)' });
  });

  test('whitespace only, or only a BOM, is empty', () => {
    expect(failure(sniffCsv(Buffer.from(' \n\r\n\t\n'), { complete: true })).code).toBe('empty');
    expect(failure(sniffCsv(Buffer.from('\ufeff'), { complete: true })).reason).toContain('byte order mark');
  });

  test.each([
    ['PNG', [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a, 0x00, 0x00, 0x00, 0x0d], 'PNG image'],
    ['gzip', [0x1f, 0x8b, 0x08, 0x00, 0x5c, 0x2f, 0x5d, 0x60], 'gzip archive'],
    ['xlsx', [0x50, 0x4b, 0x03, 0x04, 0x14, 0x00, 0x06, 0x00], '.xlsx'],
  ])('binary: %s', (_, bytes, name) => {
    const result = failure(sniffCsv(Buffer.from(bytes), { complete: true }));
    expect(result.code).toBe('binary');
    expect(result.reason).toMatch(/^not a CSV file: /);
    expect(result.reason).toContain(name);
  });

  test('one stray NUL byte in a name is no reason to refuse the file (its row is reported, not the file)', () => {
    const file = Buffer.from('name,email\nBo\u0000b,b@example.com\nAnn,a@example.com\n');
    expect(header(sniffCsv(file, { complete: true })).columns).toEqual(['name', 'email']);
  });

  test('binary: a share of NUL bytes', () => {
    const result = failure(sniffCsv(Buffer.concat([Buffer.from('name,email\nBob,'), Buffer.alloc(40, 0)]), { complete: true }));
    expect(result).toEqual({
      code: 'binary',
      reason: 'not a CSV file: 73% of the first 55 bytes are control characters, NUL bytes or undecodable characters (binary data)',
    });
  });

  test('binary: mostly control characters', () => {
    const bytes = Buffer.from(Array.from({ length: 200 }, (_, i) => (i % 3 === 0 ? 0x41 : 1 + (i % 8))));
    const result = failure(sniffCsv(bytes, { complete: true }));
    expect(result.code).toBe('binary');
    expect(result.reason).toMatch(
      /^not a CSV file: \d+% of the first 200 bytes are control characters, NUL bytes or undecodable characters \(binary data\)$/,
    );
  });

  test('binary: an image decoded as text by a browser (its bytes turned into U+FFFD) is still binary', () => {
    const random = Array.from({ length: 4000 }, (_, i) => (i * 7919 + 13) % 256);
    const asText = Buffer.from(new TextDecoder().decode(Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, ...random])), 'utf8');
    expect(failure(sniffCsv(asText)).reason).toContain('undecodable characters (binary data)');
  });

  test.each([
    ['a PNG image', '\u2030PNG\r\n\u001a\n'],
    ['a PNG image', '\u0089PNG\r\n\u001a\n'],
    ['a legacy Office document', '\u00d0\u00cf\u0011\u00e0\u00a1\u00b1\u001a\u00e1'],
    ['a gzip archive', '\u001f\u2039\b\u0000'],
    ['a JPEG image', '\u00ff\u00d8\u00ff\u00e0'],
  ])('binary: %s whose head the web page sent as text (decoded as Windows-1252, as browsers do) is still named', (name, start) => {
    // Text-like bytes after the signature: the share of control characters alone would not tell.
    const asText = Buffer.from(`${start}${'a,b,c\n'.repeat(200)}`, 'utf8');
    expect(failure(sniffCsv(asText, { complete: true })).reason).toContain(`looks like ${name}`);
  });

  test('UTF-16 without a byte order mark is told as such', () => {
    const result = failure(sniffCsv(Buffer.from('name\temail\nBob\tb@example.com\n', 'utf16le'), { complete: true }));
    expect(result.code).toBe('binary');
    expect(result.reason).toContain('UTF-16 text without a byte order mark');
  });

  test.each([
    ['LE', [0xff, 0xfe]],
    ['BE', [0xfe, 0xff]],
  ])('UTF-16%s with its byte order mark is left to be transcoded', (order, mark) => {
    const result = failure(sniffCsv(Buffer.from([...mark, 0x41, 0x00]), { complete: true }));
    expect(result).toEqual({
      code: 'utf-16',
      reason: `UTF-16${order} text (it starts with a byte order mark): transcode it to UTF-8 before reading it`,
    });
  });

  test('too many columns: the count and the limit', () => {
    const columns = Array.from({ length: 1001 }, (_, i) => `c${i}`).join(',');
    const result = failure(sniffCsv(Buffer.from(`${columns}\n`), { complete: true }));
    expect(result).toEqual({ code: 'too-many-columns', reason: 'the header record at line 1 names 1,001 columns, over the limit of 1,000 columns' });
    expect(
      header(sniffCsv(Buffer.from(`${columns}\n`), { complete: true, limits: { maxRowBytes: 1024 * 1024, maxColumns: 1001 } })).columns,
    ).toHaveLength(1001);
  });

  test('header over the record limit: complete or not, terminated or not', () => {
    const limits = { maxRowBytes: 1024, maxColumns: 1000 };
    const long = `${'column,'.repeat(200)}last`;
    expect(failure(sniffCsv(Buffer.from(long), { complete: false, limits }))).toEqual({
      code: 'header-too-long',
      reason: 'the header record starting at line 1 is longer than the 1 KiB limit for a record',
    });
    expect(failure(sniffCsv(Buffer.from(long), { complete: true, limits })).reason).toBe(
      'the header record starting at line 1 takes 1.4 KiB, over the 1 KiB limit for a record',
    );
    expect(failure(sniffCsv(Buffer.from(`${long}\nBob\n`), { complete: true, limits }))).toEqual({
      code: 'header-too-long',
      reason: 'the header record starting at line 1 takes 1.4 KiB, over the 1 KiB limit for a record',
    });
    // With the default limits, 4 MB without a line feed is refused however many of its bytes are given.
    expect(failure(sniffCsv(Buffer.alloc(4 * 1024 * 1024, 'a'), { complete: true })).code).toBe('header-too-long');
  });

  test('header too long: no terminator within an incomplete head', () => {
    const result = failure(sniffCsv(Buffer.from(`${'column,'.repeat(100)}last`)));
    expect(result.code).toBe('header-too-long');
    expect(result.reason).toContain('not terminated within the first 704 bytes');
  });

  test('header too long mentions a quote still open at the end of an incomplete head', () => {
    const result = failure(sniffCsv(Buffer.from('name,"email\nBob,b@example.com\n')));
    expect(result.code).toBe('header-too-long');
    expect(result.reason).toContain('a quoted field opened at line 1 (byte 5) is still open');
  });

  test('unterminated quote in the header of a complete file, with its line', () => {
    const result = failure(sniffCsv(Buffer.from('\n\nname,"email\nBob,b@example.com\n'), { complete: true }));
    expect(result).toEqual({ code: 'unterminated-quote', reason: "the header's quoted field opened at line 3 (byte 7) never closes" });
  });

  test('no header: every header cell is empty', () => {
    expect(failure(sniffCsv(Buffer.from(',,\n1,2,3\n'))).code).toBe('no-header');
    const quotedBlanks = failure(sniffCsv(Buffer.from('" ";"";  \nBob;b;c\n')));
    expect(quotedBlanks.code).toBe('no-header');
    expect(quotedBlanks.reason).toContain('line 1');
  });
});
