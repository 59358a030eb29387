import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parse } from 'csv-parse/sync';
import { BOOK_HEADER, DIRECTORY_HEADER, directoryCells, TRUTH_HEADER, truthCells, writeDataset } from '../src';
import { csvRecord } from '../src/write/csv-record';
import { FIXTURE_OPTIONS, loadFixture } from './dataset-fixture';

const tempDirs: string[] = [];

function tempDir(): string {
  const dir = mkdtempSync(join(tmpdir(), 'synthetic-data-'));
  tempDirs.push(dir);
  return dir;
}

afterAll(() => {
  for (const dir of tempDirs) {
    rmSync(dir, { recursive: true, force: true });
  }
});

function readCsv(path: string): string[][] {
  return parse(readFileSync(path), { relax_column_count: false });
}

describe('csvRecord', () => {
  it('quotes only fields that need it, per RFC 4180', () => {
    expect(csvRecord(['a', 'Smith, Jones & Co', 'say "hi"', 'two\nlines', ' padded ', ''])).toBe(
      'a,"Smith, Jones & Co","say ""hi""","two\nlines", padded ,\n',
    );
    const tricky = ['', ',', '"', '""', '\r\n', ' x ', 'José', "O'Brien"];
    expect(parse(csvRecord(tricky))).toEqual([tricky]);
  });
});

describe('writeDataset', () => {
  it('writes the three files that csv-parse reads back to the generated values', async () => {
    const dir = tempDir();
    const written = await writeDataset({ ...FIXTURE_OPTIONS, dir });
    expect(written).toEqual({
      directoryPath: join(dir, 'directory.csv'),
      bookPath: join(dir, 'contacts.csv'),
      truthPath: join(dir, 'truth.csv'),
      rows: FIXTURE_OPTIONS.bookSize,
    });
    const { directory, book } = loadFixture();

    const [directoryHeader, ...people] = readCsv(written.directoryPath);
    expect(directoryHeader).toEqual(DIRECTORY_HEADER);
    expect(people).toEqual(directory.map(directoryCells));

    const [bookHeader, ...contacts] = readCsv(written.bookPath);
    expect(bookHeader).toEqual(BOOK_HEADER);
    expect(contacts).toEqual(book.map((row) => row.cells));

    const [truthHeader, ...truths] = readCsv(written.truthPath);
    expect(truthHeader).toEqual(TRUTH_HEADER);
    expect(truths).toEqual(book.map((row) => truthCells(row.truth)));
  });

  it('quotes company names with commas and keeps empty rows of delimiters', async () => {
    const dir = tempDir();
    const written = await writeDataset({ ...FIXTURE_OPTIONS, dir });
    const text = readFileSync(written.bookPath, 'utf8');
    expect(text).toMatch(/,"[A-Z][a-z]+, [A-Z][a-z]+ & (Co|Associates)",/);
    expect(text).toContain('\n,,,,,,,,,,,\n');
  });

  it('uses the file names it is given', async () => {
    const dir = tempDir();
    const written = await writeDataset({
      seed: 1,
      directorySize: 10,
      bookSize: 3,
      dir,
      directoryFile: 'd.csv',
      bookFile: 'b.csv',
      truthFile: 't.csv',
    });
    expect([written.directoryPath, written.bookPath, written.truthPath]).toEqual(['d.csv', 'b.csv', 't.csv'].map((file) => join(dir, file)));
    expect(readCsv(written.bookPath)).toHaveLength(4);
  });

  it('is deterministic: the same seed gives byte-identical files, another seed different ones', async () => {
    const options = { seed: 77, directorySize: 500, bookSize: 800 };
    const first = await writeDataset({ ...options, dir: tempDir() });
    const second = await writeDataset({ ...options, dir: tempDir() });
    const other = await writeDataset({ ...options, seed: 78, dir: tempDir() });
    for (const file of ['directoryPath', 'bookPath', 'truthPath'] as const) {
      expect(readFileSync(first[file]).equals(readFileSync(second[file]))).toBe(true);
      expect(readFileSync(first[file]).equals(readFileSync(other[file]))).toBe(false);
    }
  });
});
