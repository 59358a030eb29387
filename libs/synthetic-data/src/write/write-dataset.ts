import { mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import { generateBook } from '../book/generate-book';
import { directoryCells } from '../directory/generate-directory';
import { datasetPerson } from '../directory/households';
import { BOOK_HEADER, DIRECTORY_HEADER, REGISTER_HEADER } from '../fields';
import { type BookKind, bookKindOf, type DatasetOptions, validateOptions } from '../options';
import { TRUTH_HEADER, truthCells } from '../truth/row-truth';
import { CsvFileWriter } from './csv-file-writer';

export interface WriteDatasetOptions extends DatasetOptions {
  dir: string;
  directoryFile?: string;
  bookFile?: string;
  truthFile?: string;
}

export interface WrittenDataset {
  directoryPath: string;
  bookPath: string;
  truthPath: string;
  /** Number of book data rows written. */
  rows: number;
}

async function writeAll(writers: readonly CsvFileWriter[], fill: () => Promise<void>): Promise<void> {
  try {
    await fill();
    await Promise.all(writers.map((writer) => writer.close()));
  } catch (error) {
    for (const writer of writers) writer.destroy();
    throw error;
  }
}

/** The header of a kind of book. */
export function bookHeader(book: BookKind): readonly string[] {
  return book === 'register' ? REGISTER_HEADER : BOOK_HEADER;
}

/** Streams the directory, the contact book and its ground truth to CSV files, one row at a time. */
export async function writeDataset(options: WriteDatasetOptions): Promise<WrittenDataset> {
  validateOptions(options);
  const book = bookKindOf(options);
  await mkdir(options.dir, { recursive: true });
  const directoryPath = join(options.dir, options.directoryFile ?? 'directory.csv');
  const bookPath = join(options.dir, options.bookFile ?? 'contacts.csv');
  const truthPath = join(options.dir, options.truthFile ?? 'truth.csv');

  const directory = new CsvFileWriter(directoryPath);
  await writeAll([directory], async () => {
    await directory.write([...DIRECTORY_HEADER]);
    for (let index = 0; index < options.directorySize; index++) {
      await directory.write(directoryCells(datasetPerson(book, options.seed, index)));
    }
  });

  const contacts = new CsvFileWriter(bookPath);
  const truth = new CsvFileWriter(truthPath);
  await writeAll([contacts, truth], async () => {
    await contacts.write([...bookHeader(book)]);
    await truth.write([...TRUTH_HEADER]);
    for (const row of generateBook(options)) {
      await contacts.write(row.cells);
      await truth.write(truthCells(row.truth));
    }
  });

  return { directoryPath, bookPath, truthPath, rows: options.bookSize };
}
