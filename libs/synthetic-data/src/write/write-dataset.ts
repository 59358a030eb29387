import { mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import { createBookContext } from '../book/book-context';
import { generateRow } from '../book/book-rows';
import { directoryPerson } from '../directory/directory-person';
import { directoryCells } from '../directory/generate-directory';
import { BOOK_HEADER, DIRECTORY_HEADER } from '../fields';
import type { DatasetOptions } from '../options';
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

/** Streams the directory, the contact book and its ground truth to CSV files, one row at a time. */
export async function writeDataset(options: WriteDatasetOptions): Promise<WrittenDataset> {
  const context = createBookContext(options);
  await mkdir(options.dir, { recursive: true });
  const directoryPath = join(options.dir, options.directoryFile ?? 'directory.csv');
  const bookPath = join(options.dir, options.bookFile ?? 'contacts.csv');
  const truthPath = join(options.dir, options.truthFile ?? 'truth.csv');

  const directory = new CsvFileWriter(directoryPath);
  await writeAll([directory], async () => {
    await directory.write([...DIRECTORY_HEADER]);
    for (let index = 0; index < options.directorySize; index++) {
      await directory.write(directoryCells(directoryPerson(options.seed, index)));
    }
  });

  const book = new CsvFileWriter(bookPath);
  const truth = new CsvFileWriter(truthPath);
  await writeAll([book, truth], async () => {
    await book.write([...BOOK_HEADER]);
    await truth.write([...TRUTH_HEADER]);
    for (let rowIndex = 0; rowIndex < options.bookSize; rowIndex++) {
      const row = generateRow(context, rowIndex);
      await book.write(row.cells);
      await truth.write(truthCells(row.truth));
    }
  });

  return { directoryPath, bookPath, truthPath, rows: options.bookSize };
}
