// One contact as a job: the one-row input file `POST /contacts/match` stores, and its one result row read back.
import { CANONICAL_FIELDS, type MappedField } from '@refinery/contacts';
// RFC 4180 without the spreadsheet guard for the input (our own parser reads it, and `+1 ...` must stay as given).
import { type CsvFormat, formatPlainCsvRecord, parseCsvRecords, withoutFormulaGuard } from '@refinery/csv';
import type { ObjectRefData } from '@refinery/events';
import type { ObjectStore } from '@refinery/ports';

/**
 * The input file's columns: every canonical field, then `full_name`, always all of them. A fixed header is always a
 * usable one, so a contact that cannot be matched (only a name, say) still reaches the matcher and comes back as an
 * `invalid` row with the reason, like any row of a file; and the result row has the same columns for every contact.
 */
export const SINGLE_CONTACT_COLUMNS: readonly MappedField[] = [...CANONICAL_FIELDS, 'full_name'];

export const SINGLE_CONTACT_FILENAME = 'contact.csv';

export type SingleContact = Partial<Record<MappedField, string>>;

/** The one-row CSV of a contact: the fixed header, then its values (absent ones empty), quoted where needed. */
export function singleContactCsv(contact: SingleContact): Buffer {
  const header = formatPlainCsvRecord(SINGLE_CONTACT_COLUMNS);
  const row = formatPlainCsvRecord(SINGLE_CONTACT_COLUMNS.map((field) => contact[field] ?? ''));
  return Buffer.from(`${header}${row}`, 'utf8');
}

/** How the merger writes results (services/merger: formatCsvRecord, UTF-8, no BOM). */
export const RESULT_FORMAT: CsvFormat = { delimiter: ',', encoding: 'utf-8', hasBom: false };

/**
 * The first row of a result file as `{ column: value }`, in the file's column order: the input columns, then the
 * result columns. Values lose the apostrophe the result writer puts before a spreadsheet formula character (a JSON
 * answer is no spreadsheet: `'+14155550134` is `+14155550134`).
 */
export async function readResultRow(objects: ObjectStore, ref: ObjectRefData): Promise<Record<string, string>> {
  let header: string[] | undefined;
  for await (const record of parseCsvRecords(await objects.get(ref), RESULT_FORMAT)) {
    if (!header) {
      header = record;
      continue;
    }
    return Object.fromEntries(header.map((column, index) => [column, withoutFormulaGuard(record[index] ?? '')]));
  }
  throw new Error(`the result ${ref.bucket}/${ref.key} has ${header ? 'no row' : 'no header'}`);
}
