// npx tsx bench/threshold-sweep.ts [--dataset DIR] [--rows 10000 --directory-size 50000 --seed 1]
//
// How the matching thresholds were chosen: decides every contact of a generated book (the same dataset files
// `npm run bench:quality` writes) against the directory provider under different threshold settings, one at a time
// around the defaults, and prints precision, recall and F1 of match decisions for each. Decisions only: the book is
// read, standardized, looked up and decided in process with the pipeline's own functions (mapColumns,
// fieldsFromRecord, standardizeContact, validateContact, DirectoryProvider, decideMatch), without queues or files.
import { existsSync, readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { type ContactFields, fieldsFromRecord, mapColumns, standardizeContact, validateContact } from '@refinery/contacts';
import { DirectoryProvider } from '@refinery/directory-provider';
import { DEFAULT_THRESHOLDS, decideMatch, type MatchThresholds } from '@refinery/matching';
import { loadBundledNicknames } from '@refinery/nicknames';
import { writeDataset } from '@refinery/synthetic-data';
import { parse } from 'csv-parse/sync';

interface SweepOptions {
  rows: number;
  directorySize: number;
  seed: number;
  dataset?: string;
}

function parseArgs(argv: readonly string[]): SweepOptions {
  const options: SweepOptions = { rows: 10_000, directorySize: 50_000, seed: 1 };
  for (let i = 0; i < argv.length; i += 2) {
    const [flag, value = ''] = [argv[i], argv[i + 1]];
    if (flag === '--dataset') options.dataset = resolve(value);
    else if (flag === '--rows' || flag === '--directory-size' || flag === '--seed') {
      const number = Number(value.replace(/_/g, ''));
      if (!Number.isSafeInteger(number) || number < 0) throw new Error(`${flag} takes a whole number, got "${value}"`);
      if (flag === '--rows') options.rows = number;
      else if (flag === '--directory-size') options.directorySize = number;
      else options.seed = number;
    } else throw new Error(`unknown option ${flag} (options: --dataset, --rows, --directory-size, --seed)`);
  }
  return options;
}

const SWEEPS: ReadonlyArray<[keyof MatchThresholds, readonly number[]]> = [
  ['firstNameSimilarity', [0.8, 0.85, 0.88, 0.9, 0.92, 0.95]],
  ['lastNameSimilarity', [0.8, 0.85, 0.88, 0.9, 0.92, 0.95]],
  ['minCorroboration', [0, 0.1, 0.15, 0.2, 0.3, 0.4, 0.5]],
  ['minTypoCorroboration', [0.5, 0.6, 0.7, 0.8]],
  ['ambiguityMargin', [0, 0.02, 0.05, 0.1, 0.2]],
];

interface Row {
  contact: ContactFields;
  valid: boolean;
  expectedId: string;
}

async function main(options: SweepOptions): Promise<void> {
  const dir = options.dataset ?? join(__dirname, 'out', `sweep-${options.rows}-dir-${options.directorySize}-seed-${options.seed}`);
  if (options.dataset === undefined) await writeDataset({ seed: options.seed, directorySize: options.directorySize, bookSize: options.rows, dir });
  else if (!existsSync(join(dir, 'truth.csv'))) throw new Error(`${dir} has no truth.csv: pass a directory written by npm run bench:quality`);
  const [header = [], ...records] = parse(readFileSync(join(dir, 'contacts.csv')), { bom: true, relax_column_count: true }) as string[][];
  const truth = parse(readFileSync(join(dir, 'truth.csv')), { columns: true, bom: true }) as Record<string, string>[];
  const columns = mapColumns(header);
  const rows: Row[] = records.map((cells, i) => {
    const contact = standardizeContact(fieldsFromRecord(cells, columns));
    return { contact, valid: validateContact(contact).valid, expectedId: truth[i]?.expected_status === 'matched' ? (truth[i]?.person_id ?? '') : '' };
  });
  const provider = await DirectoryProvider.fromFile(join(dir, 'directory.csv'));
  const nicknames = loadBundledNicknames();
  const candidates = await provider.findCandidates(rows.map((row) => row.contact));
  process.stdout.write(`${rows.length} contacts (${dir}), directory ${provider.size} people, ${candidates.flat().length} candidates\n`);

  const evaluate = (thresholds: Partial<MatchThresholds>): string => {
    let tp = 0;
    let fp = 0;
    let fn = 0;
    rows.forEach((row, i) => {
      const decision = row.valid ? decideMatch(row.contact, candidates[i] ?? [], nicknames, thresholds) : undefined;
      const matchedId = decision?.status === 'matched' ? decision.candidate.id : '';
      if (row.expectedId !== '' && matchedId === row.expectedId) tp += 1;
      else {
        if (row.expectedId !== '') fn += 1;
        if (matchedId !== '') fp += 1;
      }
    });
    const precision = tp / (tp + fp || 1);
    const recall = tp / (tp + fn || 1);
    const f1 = (2 * precision * recall) / (precision + recall || 1);
    return `precision ${precision.toFixed(4)}  recall ${recall.toFixed(4)}  F1 ${f1.toFixed(4)}  (fp ${fp}, fn ${fn})`;
  };

  process.stdout.write(`defaults ${JSON.stringify(DEFAULT_THRESHOLDS)}: ${evaluate({})}\n`);
  for (const [name, values] of SWEEPS) {
    process.stdout.write(`\n${name}\n`);
    for (const value of values) {
      const marker = DEFAULT_THRESHOLDS[name] === value ? ' (default)' : '';
      process.stdout.write(`  ${value.toFixed(2)}${marker.padEnd(10)} ${evaluate({ [name]: value })}\n`);
    }
  }
}

main(parseArgs(process.argv.slice(2))).catch((error: unknown) => {
  process.stderr.write(`threshold-sweep: ${(error as Error).message}\n`);
  process.exit(1);
});
