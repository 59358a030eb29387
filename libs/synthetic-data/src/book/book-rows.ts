import { CONTACT_FIELDS, type ContactValues, contactCells } from '../fields';
import type { BookRowKind } from '../options';
import { Random } from '../random/random';
import { expectedFieldStatuses } from '../truth/field-status';
import type { RowTruth } from '../truth/row-truth';
import type { BookContext } from './book-context';
import type { DraftRow } from './draft-row';
import { formatBookValues } from './formatting';
import { invalidRow } from './invalid-rows';
import { currentRow, sparseRow, staleRow } from './matched-rows';
import { accentsCaseRow, nicknameRow, typoRow, typoStaleRow } from './name-variant-rows';
import { lookalikeRow, strangerRow } from './unmatched-rows';

/** One row of the contact book and its ground truth. */
export interface BookRow {
  /** Values in BOOK_HEADER order. */
  cells: string[];
  truth: RowTruth;
}

interface GeneratedRow extends BookRow {
  draft: DraftRow;
  /** The cells as a record. */
  bookValues: ContactValues;
}

const BOOK_STREAM = 11;
const DUPLICATE_SOURCE_ATTEMPTS = 8;
const EXACT_DUPLICATE_SHARE = 0.5;

type DraftMaker = (context: BookContext, random: Random) => DraftRow;

const DRAFT_MAKERS: Record<Exclude<BookRowKind, 'duplicate'>, DraftMaker> = {
  current: currentRow,
  stale: staleRow,
  sparse: sparseRow,
  typo: typoRow,
  typo_stale: typoStaleRow,
  nickname: nicknameRow,
  accents_case: accentsCaseRow,
  stranger: strangerRow,
  lookalike: lookalikeRow,
  invalid: invalidRow,
};

function finish(rowIndex: number, draft: DraftRow, bookValues: ContactValues, variations: readonly string[]): GeneratedRow {
  const expectedStatus = draft.match !== undefined ? 'matched' : draft.kind === 'invalid' ? 'invalid' : 'unmatched';
  const truth: RowTruth = {
    row: rowIndex + 1,
    kind: draft.kind,
    personId: draft.match?.id ?? '',
    expectedStatus,
    variations,
    fieldStatuses: expectedFieldStatuses(bookValues, draft.match),
  };
  return { cells: contactCells(bookValues), bookValues, truth, draft };
}

function formatAndFinish(random: Random, rowIndex: number, draft: DraftRow): GeneratedRow {
  if (!draft.applyFormatting) {
    return finish(rowIndex, draft, draft.values, draft.variations);
  }
  const { formatted, variations } = formatBookValues(random, draft.values);
  return finish(rowIndex, draft, formatted, [...draft.variations, ...variations]);
}

/**
 * An exact or near copy of an earlier row that must match someone. The earlier row is regenerated from its
 * own random stream, so nothing about earlier rows has to be kept in memory.
 */
function duplicateRow(context: BookContext, rowIndex: number, random: Random): GeneratedRow | undefined {
  for (let attempt = 0; attempt < DUPLICATE_SOURCE_ATTEMPTS && rowIndex > 0; attempt++) {
    const sourceIndex = random.int(rowIndex);
    const source = generateRow(context, sourceIndex);
    if (source.truth.expectedStatus !== 'matched') {
      continue;
    }
    const draft: DraftRow = { ...source.draft, kind: 'duplicate', variations: [`duplicate_of_row:${sourceIndex + 1}`] };
    if (random.chance(EXACT_DUPLICATE_SHARE)) {
      return finish(rowIndex, draft, source.bookValues, [...draft.variations, 'duplicate:exact']);
    }
    const { formatted, variations } = formatBookValues(random, draft.values);
    const same = CONTACT_FIELDS.every((field) => formatted[field] === source.bookValues[field]);
    return finish(rowIndex, draft, formatted, [...draft.variations, same ? 'duplicate:exact' : 'duplicate:near', ...variations]);
  }
  return undefined;
}

/** Book row `rowIndex` (0-based), computed from the seed and the index alone. */
export function generateRow(context: BookContext, rowIndex: number): GeneratedRow {
  const random = new Random(context.seed, BOOK_STREAM, rowIndex);
  const kind = context.kinds.sample(random);
  if (kind === 'duplicate') {
    const duplicate = duplicateRow(context, rowIndex, random);
    if (duplicate !== undefined) {
      return duplicate;
    }
    // The first rows have nothing (matched) to copy yet.
    const fallback = currentRow(context, random);
    fallback.variations.push('fallback_from:duplicate');
    return formatAndFinish(random, rowIndex, fallback);
  }
  return formatAndFinish(random, rowIndex, DRAFT_MAKERS[kind](context, random));
}
