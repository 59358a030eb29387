// npx tsx bench/threshold-sweep.ts [--dataset DIR] [--rows 10000 --directory-size 50000 --seed 1 --book crm|register
//   --sample 1000 --errors 0]
//
// How the match and review thresholds were chosen: decides every contact of a generated book (the same dataset files
// `npm run bench:quality` writes) against the directory provider, with the prior model and with the model a job
// learns (estimateModel on the first --sample rows, as the matcher does), at several match thresholds, and prints
// precision, recall and F1 of match decisions and the size of the review band for each. Decisions only: the book is
// read, standardized, looked up and decided in process with the pipeline's own functions (mapColumns,
// fieldsFromRecord, standardizeContact, validateContact, DirectoryProvider, estimateModel, decideMatch), without
// queues or files.
import { existsSync, readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { type ContactFields, fieldsFromRecord, mapColumns, standardizeContact, validateContact } from '@refinery/contacts';
import { DirectoryProvider } from '@refinery/directory-provider';
import { DEFAULT_THRESHOLDS, decideMatch, estimateModel, type LinkageModel, priorModel, ScoringModel } from '@refinery/matching';
import { loadBundledNicknames } from '@refinery/nicknames';
import { type BookKind, writeDataset } from '@refinery/synthetic-data';
import { parse } from 'csv-parse/sync';
import { bookKinds, wholeNumber } from './lib/args';

interface SweepOptions {
  rows: number;
  directorySize: number;
  seed: number;
  sample: number;
  errors: number;
  book: BookKind;
  dataset?: string;
}

function parseArgs(argv: readonly string[]): SweepOptions {
  const options: SweepOptions = { rows: 10_000, directorySize: 50_000, seed: 1, sample: 1000, errors: 0, book: 'crm' };
  const numbers = { '--rows': 'rows', '--directory-size': 'directorySize', '--seed': 'seed', '--sample': 'sample', '--errors': 'errors' } as const;
  for (let i = 0; i < argv.length; i += 2) {
    const [flag = '', value = ''] = [argv[i], argv[i + 1]];
    if (flag === '--dataset') options.dataset = resolve(value);
    else if (flag === '--book') [options.book] = bookKinds(flag, value) as [BookKind];
    else if (flag in numbers) options[numbers[flag as keyof typeof numbers]] = wholeNumber(flag, value);
    else throw new Error(`unknown option ${flag} (options: --dataset, --rows, --directory-size, --seed, --book, --sample, --errors)`);
  }
  return options;
}

const MATCH_THRESHOLDS = [0.5, 0.8, 0.9, 0.95, 0.99, 0.999];

interface Row {
  contact: ContactFields;
  valid: boolean;
  expectedId: string;
  kind: string;
}

async function main(options: SweepOptions): Promise<void> {
  const dir = options.dataset ?? join(__dirname, 'out', `sweep-${options.book}-${options.rows}-dir-${options.directorySize}-seed-${options.seed}`);
  if (options.dataset === undefined) {
    const dataset = { seed: options.seed, directorySize: options.directorySize, bookSize: options.rows, dir };
    await writeDataset({ ...dataset, book: options.book });
  } else if (!existsSync(join(dir, 'truth.csv'))) throw new Error(`${dir} has no truth.csv: pass a directory written by npm run bench:quality`);
  const [header = [], ...records] = parse(readFileSync(join(dir, 'contacts.csv')), { bom: true, relax_column_count: true }) as string[][];
  const truth = parse(readFileSync(join(dir, 'truth.csv')), { columns: true, bom: true }) as Record<string, string>[];
  const columns = mapColumns(header);
  const rows: Row[] = records.map((cells, i) => {
    const contact = standardizeContact(fieldsFromRecord(cells, columns));
    const expectedId = truth[i]?.expected_status === 'matched' ? (truth[i]?.person_id ?? '') : '';
    return { contact, valid: validateContact(contact).valid, expectedId, kind: truth[i]?.kind ?? '?' };
  });
  const provider = await DirectoryProvider.fromFile(join(dir, 'directory.csv'));
  const nicknames = loadBundledNicknames();
  const candidates = await provider.findCandidates(rows.map((row) => row.contact));
  process.stdout.write(`${rows.length} contacts (${dir}), directory ${provider.size} people, ${candidates.flat().length} candidates\n`);

  const started = process.hrtime.bigint();
  const sample = rows.slice(0, options.sample).flatMap((row, i) => (row.valid ? [{ contact: row.contact, candidates: candidates[i] ?? [] }] : []));
  const learnt = estimateModel(sample, { nicknames, population: provider.size });
  const fitMs = Number(process.hrtime.bigint() - started) / 1e6;
  process.stdout.write(
    `model learnt from ${sample.length} rows in ${fitMs.toFixed(0)} ms: ${JSON.stringify(learnt.trainedOn)}, match rate ${learnt.matchRate.toFixed(4)}, population ${learnt.population}\n`,
  );
  for (const [name, { m, u }] of Object.entries(learnt.comparisons)) {
    process.stdout.write(`  ${name.padEnd(14)} m ${m.map((x) => x.toFixed(4)).join(' ')}  u ${u.map((x) => x.toExponential(1)).join(' ')}\n`);
  }

  const evaluate = (model: LinkageModel, match: number, errors = 0): string => {
    let tp = 0;
    let fp = 0;
    let fn = 0;
    let review = 0;
    const shown: string[] = [];
    const scoring = new ScoringModel(model);
    rows.forEach((row, i) => {
      const decision = row.valid
        ? decideMatch(row.contact, candidates[i] ?? [], nicknames, { model: scoring, thresholds: { match, review: Math.min(match, 0.5) } })
        : undefined;
      const matchedId = decision?.status === 'matched' ? decision.candidate.id : '';
      if (decision?.status === 'review') review += 1;
      if (row.expectedId !== '' && matchedId === row.expectedId) tp += 1;
      else {
        if (row.expectedId !== '') fn += 1;
        if (matchedId !== '') fp += 1;
        if (shown.length < errors && (row.expectedId !== '' || matchedId !== '')) {
          const found = (candidates[i] ?? []).some((candidate) => candidate.id === row.expectedId);
          shown.push(
            `  row ${i + 1} [${row.kind}] expected ${row.expectedId || 'no match'}${found ? '' : ' (not a candidate)'}, got ${decision?.status ?? 'invalid'} ${matchedId}: ${JSON.stringify(row.contact)}\n    ${decision?.reason ?? ''}`,
          );
        }
      }
    });
    const precision = tp / (tp + fp || 1);
    const recall = tp / (tp + fn || 1);
    const f1 = (2 * precision * recall) / (precision + recall || 1);
    return `precision ${precision.toFixed(4)}  recall ${recall.toFixed(4)}  F1 ${f1.toFixed(4)}  (fp ${fp}, fn ${fn}, review ${review})${shown.map((line) => `\n${line}`).join('')}`;
  };

  for (const [name, model] of [
    ['prior model', { ...priorModel(), population: provider.size }],
    ['learnt model', learnt],
  ] as const) {
    process.stdout.write(`\n${name}\n`);
    for (const match of MATCH_THRESHOLDS) {
      const marker = DEFAULT_THRESHOLDS.match === match ? ' (default)' : '';
      process.stdout.write(
        `  match >= ${String(match).padEnd(6)}${marker.padEnd(10)} ${evaluate(model, match, marker === '' ? 0 : options.errors)}\n`,
      );
    }
  }
}

main(parseArgs(process.argv.slice(2))).catch((error: unknown) => {
  process.stderr.write(`threshold-sweep: ${(error as Error).stack}\n`);
  process.exit(1);
});
