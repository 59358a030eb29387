import { bookKindOf, type DatasetOptions } from '../options';
import { createRegisterContext } from '../register/register-context';
import { generateRegisterRow } from '../register/register-rows';
import { createBookContext } from './book-context';
import { type BookRow, generateRow } from './book-rows';

/** The rows of the book `options.book` asks for (a CRM book by default), each with its ground truth. */
export function* generateBook(options: DatasetOptions): Generator<BookRow> {
  if (bookKindOf(options) === 'register') {
    const context = createRegisterContext(options);
    for (let rowIndex = 0; rowIndex < options.bookSize; rowIndex++) {
      yield generateRegisterRow(context, rowIndex);
    }
    return;
  }
  const context = createBookContext(options);
  for (let rowIndex = 0; rowIndex < options.bookSize; rowIndex++) {
    const { cells, truth } = generateRow(context, rowIndex);
    yield { cells, truth };
  }
}
