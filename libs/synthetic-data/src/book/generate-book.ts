import type { DatasetOptions } from '../options';
import { createBookContext } from './book-context';
import { type BookRow, generateRow } from './book-rows';

export function* generateBook(options: DatasetOptions): Generator<BookRow> {
  const context = createBookContext(options);
  for (let rowIndex = 0; rowIndex < options.bookSize; rowIndex++) {
    const { cells, truth } = generateRow(context, rowIndex);
    yield { cells, truth };
  }
}
