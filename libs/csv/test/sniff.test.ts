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

  test('binary: NUL bytes, with their offset', () => {
    const result = failure(sniffCsv(Buffer.concat([Buffer.from('name,email\nBob,'), Buffer.alloc(4)]), { complete: true }));
    expect(result).toEqual({ code: 'binary', reason: 'not a CSV file: NUL byte at byte offset 15 (binary data or UTF-16 text)' });
  });

  test('binary: mostly control characters', () => {
    const bytes = Buffer.from(Array.from({ length: 200 }, (_, i) => (i % 3 === 0 ? 0x41 : 1 + (i % 8))));
    const result = failure(sniffCsv(bytes, { complete: true }));
    expect(result.code).toBe('binary');
    expect(result.reason).toMatch(/^not a CSV file: \d+% of the first 200 bytes are control characters$/);
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
