import { BOOK_ROW_KINDS, type BookRowKind, type DatasetOptions, resolveMix, validateOptions } from '../options';
import { WeightedTable } from '../random/weighted-table';
import { type PhoneSpace, phoneSpaceFor } from '../values/phones';

/** What every book row needs to know about the data set it belongs to. */
export interface BookContext {
  seed: number;
  directorySize: number;
  kinds: WeightedTable<BookRowKind>;
  phones: PhoneSpace;
}

export function createBookContext(options: DatasetOptions): BookContext {
  validateOptions(options);
  const mix = resolveMix(options.mix);
  return {
    seed: options.seed,
    directorySize: options.directorySize,
    kinds: new WeightedTable(BOOK_ROW_KINDS.map((kind) => [kind, mix[kind]] as const)),
    phones: phoneSpaceFor(options.seed),
  };
}
