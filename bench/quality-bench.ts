// npm run bench:quality [-- --rows 10000 --directory-size 50000 --seeds 1,2,3 --books crm,register --errors 20]
//
// Generates synthetic contact books with ground truth (libs/synthetic-data), of each kind asked for: `crm` books (stale
// fields, missing fields, typos, transpositions, nicknames, accents and case, phone/e-mail/date formats, strangers,
// look-alikes, duplicates, invalid rows) and identifier-free `register` books (names, address and birth date only:
// keyboard and OCR typos, phonetic spellings, missing values, swapped names, birth date errors, households and twins,
// surname changes, moves, strangers, look-alikes, invalid rows). Runs `refinery enrich` on each in a child process (the
// real pipeline, exactly as a user would), and prints per seed and book kind precision, recall and F1 of match
// decisions (a match counts only with the right record), accuracy of invalid detection, of field labels and of latest
// values, then the rows still wrong, per kind, with the matcher's reasons; and one line per book kind over all seeds.
import { mkdirSync, rmSync } from 'node:fs';
import { cpus } from 'node:os';
import { join, resolve } from 'node:path';
import { BOOK_KINDS, type BookKind, writeDataset } from '@refinery/synthetic-data';
import { runEnrich } from './enrich-bench';
import { bookKinds, wholeNumber, wholeNumbers } from './lib/args';
import { type QualityReport, scoreResult } from './lib/quality-score';

/** The score of one book: which seed and kind of book it was, and how the pipeline did on it. */
export interface BookQualityReport extends QualityReport {
  readonly seed: number;
  readonly book: BookKind;
}

export interface QualityOptions {
  rows: number;
  directorySize: number;
  seeds: number[];
  /** The kinds of book to run for each seed; default both, CRM first. */
  books?: BookKind[];
  chunkRows: number;
  outDir: string;
  /** How many wrong rows to print per seed and book. */
  errors: number;
}

function parseArgs(argv: readonly string[]): QualityOptions {
  const options: QualityOptions = {
    rows: 10_000,
    directorySize: 50_000,
    seeds: [1],
    books: [...BOOK_KINDS],
    chunkRows: 1000,
    outDir: resolve(__dirname, 'out'),
    errors: 20,
  };
  for (let i = 0; i < argv.length; i += 2) {
    const flag = argv[i] ?? '';
    const value = argv[i + 1];
    if (flag === '--rows') options.rows = wholeNumber(flag, value);
    else if (flag === '--directory-size') options.directorySize = wholeNumber(flag, value);
    else if (flag === '--seeds') options.seeds = wholeNumbers(flag, value);
    else if (flag === '--books') options.books = bookKinds(flag, value);
    else if (flag === '--chunk-rows') options.chunkRows = wholeNumber(flag, value);
    else if (flag === '--errors') options.errors = wholeNumber(flag, value);
    else if (flag === '--out') options.outDir = resolve(value ?? '');
    else throw new Error(`unknown option ${flag} (options: --rows, --directory-size, --seeds, --books, --chunk-rows, --errors, --out)`);
  }
  return options;
}

const percent = (value: number): string => value.toFixed(4);

function printReport(report: BookQualityReport, errors: number, log: (line: string) => void): void {
  const { match, invalid, labels, latest } = report;
  log(`\nseed ${report.seed}, ${report.book} book: ${report.rows} rows`);
  log(
    `  match decisions: precision ${percent(match.precision)}, recall ${percent(match.recall)}, F1 ${percent(match.f1)} (tp ${match.tp}, fp ${match.fp}, fn ${match.fn})`,
  );
  log(`  invalid detection: accuracy ${percent(invalid.accuracy)} (missed ${invalid.missed}, false alarms ${invalid.falseAlarms})`);
  log(`  field labels: accuracy ${percent(labels.accuracy)} (${labels.total - labels.correct} wrong of ${labels.total})`);
  log(`  latest values: accuracy ${percent(latest.accuracy)} (${latest.total - latest.correct} wrong of ${latest.total})`);
  log('  wrong rows by kind:');
  for (const [kind, count] of Object.entries(report.rowsByKind).sort()) {
    log(`    ${kind}: ${report.errorsByKind[kind] ?? 0} of ${count}`);
  }
  for (const error of report.errors.slice(0, errors)) {
    log(`  row ${error.row} [${error.kind}${error.variations ? `: ${error.variations}` : ''}] ${error.problem} -- ${error.reason}`);
  }
}

/** Match decisions, invalid detection, labels and latest values summed over several reports, as one line. */
export function overallLine(reports: readonly QualityReport[]): string {
  const sum = (pick: (report: QualityReport) => [number, number]): string => {
    const [part, whole] = reports.reduce(
      ([p, w], report) => {
        const [a, b] = pick(report);
        return [p + a, w + b];
      },
      [0, 0],
    );
    return percent(whole === 0 ? 1 : part / whole);
  };
  const tp = reports.reduce((n, r) => n + r.match.tp, 0);
  const fp = reports.reduce((n, r) => n + r.match.fp, 0);
  const fn = reports.reduce((n, r) => n + r.match.fn, 0);
  const precision = tp / (tp + fp || 1);
  const recall = tp / (tp + fn || 1);
  return (
    `precision ${percent(precision)}, recall ${percent(recall)}, F1 ${percent((2 * precision * recall) / (precision + recall || 1))}, ` +
    `invalid ${sum((r) => [r.invalid.correct, r.invalid.total])}, labels ${sum((r) => [r.labels.correct, r.labels.total])}, ` +
    `latest ${sum((r) => [r.latest.correct, r.latest.total])}`
  );
}

/** Runs every kind of book asked for on every seed (seed by seed, CRM first); one report per seed and book. */
export async function qualityBench(
  options: QualityOptions,
  log: (line: string) => void = (line) => process.stdout.write(`${line}\n`),
): Promise<BookQualityReport[]> {
  const books = options.books ?? [...BOOK_KINDS];
  mkdirSync(options.outDir, { recursive: true });
  log(`machine: ${cpus().length} x ${cpus()[0]?.model ?? 'cpu'}, Node ${process.version}`);
  log(
    `${books.join(' and ')} books of ${options.rows} contacts against a directory of ${options.directorySize} people, seeds ${options.seeds.join(', ')}`,
  );
  const reports: BookQualityReport[] = [];
  for (const seed of options.seeds) {
    for (const book of books) {
      const dir = join(options.outDir, `quality-${book}-${options.rows}-dir-${options.directorySize}-seed-${seed}`);
      const paths = {
        book: join(dir, 'contacts.csv'),
        truth: join(dir, 'truth.csv'),
        directory: join(dir, 'directory.csv'),
        result: join(dir, 'result.csv'),
      };
      // Always generated afresh (a few seconds): a dataset left from an older generator would score the wrong truth.
      await writeDataset({ seed, directorySize: options.directorySize, bookSize: options.rows, book, dir });
      const dataDir = join(dir, 'data');
      rmSync(dataDir, { recursive: true, force: true });
      const run = await runEnrich([
        'enrich',
        paths.book,
        '--out',
        paths.result,
        '--directory',
        paths.directory,
        '--data-dir',
        dataDir,
        '--chunk-rows',
        String(options.chunkRows),
      ]);
      const report: BookQualityReport = { ...scoreResult(paths), seed, book };
      reports.push(report);
      log(`(${book} book of seed ${seed} enriched in ${run.seconds.toFixed(1)} s)`);
      printReport(report, options.errors, log);
    }
  }
  log('');
  for (const book of books) {
    const ofBook = reports.filter((report) => report.book === book);
    log(`all seeds (${options.seeds.join(', ')}), ${book} books: ${overallLine(ofBook)}`);
  }
  return reports;
}

if (require.main === module) {
  qualityBench(parseArgs(process.argv.slice(2))).catch((error: unknown) => {
    process.stderr.write(`bench:quality: ${(error as Error).message}\n`);
    process.exit(1);
  });
}
