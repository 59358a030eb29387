import { createReadStream, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Candidate } from '@refinery/matching';
import { isPlainCsv, readDirectory, readDirectoryStream } from '../src/read-directory';

// readDirectory reads a plain file (no quote, no carriage return, as many fields on every line) without csv-parse; what
// it yields must be exactly what csv-parse's reading (readDirectoryStream) yields, and every other file goes to csv-parse.

const HEADER = 'id,first_name,last_name,email,phone,company,title,street,city,state,postcode,country,birth_date,updated_at';

let dir: string;
beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'read-directory-'));
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

let files = 0;
function fileOf(content: string | Buffer): string {
  files += 1;
  const path = join(dir, `directory-${files}.csv`);
  writeFileSync(path, content);
  return path;
}

async function outcome(read: AsyncGenerator<Candidate>): Promise<{ candidates: Candidate[] } | { error: string }> {
  const candidates: Candidate[] = [];
  try {
    for await (const candidate of read) candidates.push(candidate);
    return { candidates };
  } catch (error) {
    return { error: (error as Error).message };
  }
}

const viaCsvParse = (path: string) => outcome(readDirectoryStream(createReadStream(path), path));

const plainFiles: Record<string, string | Buffer> = {
  'ordinary rows': `${HEADER}\nP1,Ann,Lee,ann@x.com,+14155550134,Acme Corp,CEO,12 Main St,Springfield,IL,62701,US,1980-04-05,2025-01-01\nP2,Bob,Ray,,,,,,,,,,,\n`,
  'no line feed after the last row': `${HEADER}\nP1,Ann,Lee,,,,,,,,,,,`,
  'a byte order mark': `\ufeff${HEADER}\nP1,Ann,Lee,,,,,,,,,,,\n`,
  'white space around fields, of every kind csv-parse trims': `${HEADER}\n  P1 ,\tAnn\u00a0,\u3000Lee\u2009,\u000b a@b.c \u000c,,,,,,,,,,\u2028\n`,
  'white space inside fields kept': `${HEADER}\nP1,Mary  Ann,de la Cruz,,,,,1  High   St,,,,,,\n`,
  'blank lines and lines of white space skipped': `\n${HEADER}\n\n   \nP1,Ann,Lee,,,,,,,,,,,\n\t\u00a0\n\nP2,Bo,Ng,,,,,,,,,,,\n\n`,
  'letters outside ASCII at the ends of fields': `${HEADER}\nP1,José,Peña,,,,,,Bogotá,,,CO,,\nP2,Zoë,Ørsted,,,,,,,,,,,\n`,
  'bytes that are not UTF-8': Buffer.concat([
    Buffer.from(`${HEADER}\nP1,Ann`),
    Buffer.from([0xc3]),
    Buffer.from(',Lee'),
    Buffer.from([0xff, 0xfe]),
    Buffer.from(',,,,,,,,,,,\n'),
  ]),
  'a missing id': `${HEADER}\nP1,Ann,Lee,,,,,,,,,,,\n,Bob,Ray,,,,,,,,,,,\n`,
  'a header without the required columns': 'name,email\nx,y\n',
  'extra columns, in another order': 'last_name,nickname,id,first_name\nLee,Annie,P1,Ann\n',
  'only a header': `${HEADER}\n`,
  'empty lines only': '\n\n  \n',
  'an empty file': '',
  'quoted fields': `${HEADER}\nP1,"Ann","Lee, Jr.",,,"Hunt, Scott & Co","",," 12 Main St ",,,,,""\nP2,"Bo ""Bobby""","""Ng""",,,,,,,,,,,"2025"\n`,
  'a quoted field of quotes only, and a quoted field ending the file': `${HEADER}\nP1,"""""",Lee,,,,,,,,,,,"x"`,
  'a line of one quoted empty field among blank ones': 'id\nP1\n""\n  \n',
  'a line longer than two reads (64 KiB each)': `${HEADER}\nP1,Ann,Lee,,,"${'Acme, '.repeat(30_000)}",,,,,,,,\nP2,Bo,Ng,,,,,,,,,,,\n`,
  'a byte order mark alone': '\ufeff',
};

const otherFiles: Record<string, string> = {
  'carriage returns': `${HEADER}\r\nP1,Ann,Lee,,,,,,,,,,,\r\n`,
  'a row with fewer fields': `${HEADER}\nP1,Ann,Lee\n`,
  'a row with more fields': `${HEADER}\nP1,Ann,Lee,,,,,,,,,,,,\n`,
  'a quote inside a field': `${HEADER}\nP1,Ann "Annie",Lee,,,,,,,,,,,\n`,
  'white space before an opening quote': `${HEADER}\nP1, "Ann",Lee,,,,,,,,,,,\n`,
  'white space after a closing quote': `${HEADER}\nP1,"Ann" ,Lee,,,,,,,,,,,\n`,
  'a line feed inside quotes': `${HEADER}\nP1,"Ann\nMarie",Lee,,,,,,,,,,,\n`,
  'a quote not closed': `${HEADER}\nP1,"Ann,Lee,,,,,,,,,,,\n`,
  'a lone quote inside a quoted field': `${HEADER}\nP1,"An"n",Lee,,,,,,,,,,,\n`,
};

describe('readDirectory', () => {
  it.each(Object.entries(plainFiles))('reads a plain file (%s) as csv-parse does', async (_name, content) => {
    const path = fileOf(content);
    expect(await isPlainCsv(path)).toBe(true);
    expect(await outcome(readDirectory(path))).toEqual(await viaCsvParse(path));
  });

  it.each(Object.entries(otherFiles))('gives a file that is not plain (%s) to csv-parse', async (_name, content) => {
    const path = fileOf(content);
    expect(await isPlainCsv(path)).toBe(false);
    expect(await outcome(readDirectory(path))).toEqual(await viaCsvParse(path));
  });

  it('reads a plain file of many reads (64 KiB each) as csv-parse does, rows across the reads', async () => {
    const rows = Array.from(
      { length: 30_000 },
      (_, i) =>
        `P${i}, Name${i % 97} ,Last${i % 1013},n${i}@example.com,,Co ${i % 50},,${i} Elm St,City${i % 300},CA,9${String(i % 10_000).padStart(4, '0')},US,,`,
    );
    const path = fileOf(`\ufeff${HEADER}\n${rows.join('\n')}\n`);
    expect(await isPlainCsv(path)).toBe(true);
    const plain = await outcome(readDirectory(path));
    expect('candidates' in plain && plain.candidates.length).toBe(30_000);
    expect(plain).toEqual(await viaCsvParse(path));
  });

  it('fails as before on a file that is missing', async () => {
    const path = join(dir, 'missing.csv');
    expect(await outcome(readDirectory(path))).toEqual(await viaCsvParse(path));
  });
});
