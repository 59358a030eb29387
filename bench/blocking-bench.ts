// npm run bench:blocking [-- --rows 10000 --directory-size 50000 --seeds 1 --books crm,register --errors 10]
//
// How good the directory provider's blocking is, apart from the match decision: generates a book with ground truth
// (libs/synthetic-data) of each kind asked for, loads its directory with DirectoryProvider.fromFile, turns every book
// row into the standardized contact the pipeline would (mapColumns on the header, fieldsFromRecord, standardizeContact:
// the matcher's prepareRow), asks provider.candidatesFor(contact) for every row, and prints per book kind:
// - pair completeness: the share of rows expected to match whose person is among the candidates (a person the blocking
//   does not bring back can never be matched, whatever the decision);
// - candidates per row (mean, p50, p99, max) and the rows without any candidate;
// - the time per row of candidatesFor;
// - the missed true pairs, per row kind, and the first --errors of them with the row's values beside the person's.
// In process, without queues or files besides the generated data set.
import { readFileSync } from 'node:fs';
import { cpus } from 'node:os';
import { join, resolve } from 'node:path';
import { performance } from 'node:perf_hooks';
import { type CanonicalField, type ColumnMapping, type ContactFields, fieldsFromRecord, mapColumns, standardizeContact } from '@refinery/contacts';
import { DirectoryProvider } from '@refinery/directory-provider';
import { BOOK_KINDS, type BookKind, CONTACT_FIELDS, writeDataset } from '@refinery/synthetic-data';
import { parse } from 'csv-parse/sync';
import { bookKinds, wholeNumber, wholeNumbers } from './lib/args';

export interface BlockingOptions {
  rows: number;
  directorySize: number;
  seeds: number[];
  books: BookKind[];
  /** How many missed true pairs to print per seed and book. */
  errors: number;
  outDir: string;
}

/** One true pair the blocking did not bring back: the book row and the person it should have found. */
export interface MissedPair {
  readonly row: number;
  readonly kind: string;
  readonly variations: string;
  readonly personId: string;
  readonly contact: ContactFields;
  readonly person: Readonly<Record<string, string>>;
  readonly candidates: number;
}

export interface BlockingReport {
  readonly seed: number;
  readonly book: BookKind;
  readonly rows: number;
  /** Rows expected to match, and those of them whose person is among the candidates. */
  readonly truePairs: number;
  readonly found: number;
  readonly pairCompleteness: number;
  readonly candidates: { readonly mean: number; readonly p50: number; readonly p99: number; readonly max: number };
  readonly rowsWithoutCandidates: number;
  /** Mean wall time of one candidatesFor call, in microseconds. */
  readonly microsecondsPerRow: number;
  readonly loadSeconds: number;
  /** Per row kind: true pairs and those found. */
  readonly byKind: Readonly<Record<string, { pairs: number; found: number }>>;
  readonly missed: readonly MissedPair[];
}

function parseArgs(argv: readonly string[]): BlockingOptions {
  const options: BlockingOptions = {
    rows: 10_000,
    directorySize: 50_000,
    seeds: [1],
    books: [...BOOK_KINDS],
    errors: 10,
    outDir: resolve(__dirname, 'out'),
  };
  for (let i = 0; i < argv.length; i += 2) {
    const flag = argv[i] ?? '';
    const value = argv[i + 1];
    if (flag === '--rows') options.rows = wholeNumber(flag, value);
    else if (flag === '--directory-size') options.directorySize = wholeNumber(flag, value);
    else if (flag === '--seeds') options.seeds = wholeNumbers(flag, value);
    else if (flag === '--books') options.books = bookKinds(flag, value);
    else if (flag === '--errors') options.errors = wholeNumber(flag, value);
    else if (flag === '--out') options.outDir = resolve(value ?? '');
    else throw new Error(`unknown option ${flag} (options: --rows, --directory-size, --seeds, --books, --errors, --out)`);
  }
  return options;
}

type Row = Record<string, string>;

function readRecords(path: string): string[][] {
  return parse(readFileSync(path), { bom: true, relax_column_count: true }) as string[][];
}

function readTable(path: string): Row[] {
  return parse(readFileSync(path), { columns: true, bom: true, skip_empty_lines: true, relax_column_count: true }) as Row[];
}

/** The value at quantile q (0..1) of sorted numbers, nearest rank. */
function quantile(sorted: readonly number[], q: number): number {
  if (sorted.length === 0) return 0;
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil(q * sorted.length) - 1))] ?? 0;
}

/** What the pipeline makes of one book record before asking a provider (services/matcher prepareRow). */
function contactOf(cells: readonly string[], columns: readonly ColumnMapping[]): ContactFields {
  return standardizeContact(fieldsFromRecord(cells, columns), { defaultRegion: 'US' });
}

export async function blockingRun(seed: number, book: BookKind, options: BlockingOptions): Promise<BlockingReport> {
  const dir = join(options.outDir, `blocking-${book}-${options.rows}-dir-${options.directorySize}-seed-${seed}`);
  // Always generated afresh: a dataset left from an older generator would hold another truth.
  const written = await writeDataset({ seed, directorySize: options.directorySize, bookSize: options.rows, book, dir });
  const loadStarted = performance.now();
  const provider = await DirectoryProvider.fromFile(written.directoryPath);
  const loadSeconds = (performance.now() - loadStarted) / 1000;

  const [header = [], ...records] = readRecords(written.bookPath);
  const columns = mapColumns(header);
  const truths = readTable(written.truthPath);
  if (truths.length !== records.length) throw new Error(`the book has ${records.length} rows but the truth ${truths.length}`);
  const people = new Map(readTable(written.directoryPath).map((person) => [person.id ?? '', person]));

  const counts: number[] = [];
  const byKind: Record<string, { pairs: number; found: number }> = {};
  const missed: MissedPair[] = [];
  let truePairs = 0;
  let found = 0;
  let elapsed = 0;
  records.forEach((cells, index) => {
    const contact = contactOf(cells, columns);
    const started = performance.now();
    const candidates = provider.candidatesFor(contact);
    elapsed += performance.now() - started;
    counts.push(candidates.length);
    const truth = truths[index] as Row;
    if (truth.expected_status !== 'matched') return;
    const kind = truth.kind ?? '?';
    const tally = (byKind[kind] ??= { pairs: 0, found: 0 });
    truePairs += 1;
    tally.pairs += 1;
    const personId = truth.person_id ?? '';
    if (candidates.some((candidate) => candidate.id === personId)) {
      found += 1;
      tally.found += 1;
    } else {
      missed.push({
        row: Number(truth.row),
        kind,
        variations: truth.variations ?? '',
        personId,
        contact,
        person: people.get(personId) ?? {},
        candidates: candidates.length,
      });
    }
  });
  const sorted = [...counts].sort((a, b) => a - b);
  return {
    seed,
    book,
    rows: records.length,
    truePairs,
    found,
    pairCompleteness: truePairs === 0 ? 1 : found / truePairs,
    candidates: {
      mean: counts.reduce((sum, count) => sum + count, 0) / (counts.length || 1),
      p50: quantile(sorted, 0.5),
      p99: quantile(sorted, 0.99),
      max: sorted.at(-1) ?? 0,
    },
    rowsWithoutCandidates: counts.filter((count) => count === 0).length,
    microsecondsPerRow: (elapsed * 1000) / (records.length || 1),
    loadSeconds,
    byKind,
    missed,
  };
}

/** The fields of the book's kind that a row or a person has, "field=value" joined; the row's empty ones as "field=". */
function describe(values: Readonly<Partial<Record<CanonicalField, string>>>, fields: readonly CanonicalField[]): string {
  return fields.map((field) => `${field}=${values[field] ?? ''}`).join(' | ');
}

const REGISTER_SHOWN: readonly CanonicalField[] = ['first_name', 'last_name', 'street', 'city', 'state', 'postcode', 'birth_date'];
const CRM_SHOWN: readonly CanonicalField[] = CONTACT_FIELDS.filter((field) => field !== 'country');

export function printBlockingReport(report: BlockingReport, errors: number, log: (line: string) => void): void {
  const { candidates } = report;
  const percent = (part: number, whole: number): string => `${((100 * part) / (whole || 1)).toFixed(2)}%`;
  log(`\nseed ${report.seed}, ${report.book} book: ${report.rows} rows (directory loaded in ${report.loadSeconds.toFixed(1)} s)`);
  log(
    `  pair completeness: ${report.pairCompleteness.toFixed(4)} (${report.found} of ${report.truePairs} rows expected to match have their person among the candidates; ${report.truePairs - report.found} missed)`,
  );
  log(`  candidates per row: mean ${candidates.mean.toFixed(2)}, p50 ${candidates.p50}, p99 ${candidates.p99}, max ${candidates.max}`);
  log(`  rows with no candidate: ${report.rowsWithoutCandidates} (${percent(report.rowsWithoutCandidates, report.rows)})`);
  log(`  time per row (candidatesFor): ${report.microsecondsPerRow.toFixed(1)} µs`);
  const kinds = Object.entries(report.byKind).sort(([a], [b]) => a.localeCompare(b));
  log('  missed true pairs by kind:');
  for (const [kind, { pairs, found }] of kinds) {
    log(`    ${kind}: ${pairs - found} of ${pairs}`);
  }
  const shown = report.book === 'register' ? REGISTER_SHOWN : CRM_SHOWN;
  for (const miss of report.missed.slice(0, errors)) {
    log(`  row ${miss.row} [${miss.kind}${miss.variations ? `: ${miss.variations}` : ''}] ${miss.candidates} candidates, none ${miss.personId}`);
    log(`    row:     ${describe(miss.contact, shown)}`);
    log(`    ${miss.personId}: ${describe(miss.person, shown)}`);
  }
}

export async function blockingBench(
  options: BlockingOptions,
  log: (line: string) => void = (line) => process.stdout.write(`${line}\n`),
): Promise<BlockingReport[]> {
  log(`machine: ${cpus().length} x ${cpus()[0]?.model ?? 'cpu'}, Node ${process.version}`);
  log(
    `${options.books.join(' and ')} books of ${options.rows} contacts against a directory of ${options.directorySize} people, seeds ${options.seeds.join(', ')}`,
  );
  const reports: BlockingReport[] = [];
  for (const seed of options.seeds) {
    for (const book of options.books) {
      const report = await blockingRun(seed, book, options);
      reports.push(report);
      printBlockingReport(report, options.errors, log);
    }
  }
  if (options.seeds.length > 1) {
    log('');
    for (const book of options.books) {
      const ofBook = reports.filter((report) => report.book === book);
      const pairs = ofBook.reduce((sum, report) => sum + report.truePairs, 0);
      const found = ofBook.reduce((sum, report) => sum + report.found, 0);
      const rows = ofBook.reduce((sum, report) => sum + report.rows, 0);
      const none = ofBook.reduce((sum, report) => sum + report.rowsWithoutCandidates, 0);
      const mean = ofBook.reduce((sum, report) => sum + report.candidates.mean * report.rows, 0) / (rows || 1);
      log(
        `all seeds, ${book} books: pair completeness ${(found / (pairs || 1)).toFixed(4)} (${pairs - found} missed of ${pairs}), ` +
          `mean candidates ${mean.toFixed(2)}, rows with no candidate ${none} of ${rows}`,
      );
    }
  }
  return reports;
}

if (require.main === module) {
  blockingBench(parseArgs(process.argv.slice(2))).catch((error: unknown) => {
    process.stderr.write(`bench:blocking: ${(error as Error).message}\n`);
    process.exit(1);
  });
}
