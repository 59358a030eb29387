// Writes the example data set: examples/directory.csv (the provider's people), examples/contacts.csv (a contact
// book to enrich), examples/truth.csv (what a perfect system concludes per row) and examples/README.md.
// Flags make other sizes and places: npx tsx scripts/generate-examples.ts --seed 7 --book-size 1000000 --out /tmp/big
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join, relative, resolve } from 'node:path';
import { BOOK_ROW_KINDS, DEFAULT_MIX, writeDataset } from '@refinery/synthetic-data';
import { Command, InvalidArgumentError } from 'commander';

const ROOT = resolve(__dirname, '..');

export const EXAMPLE_SEED = 1990;
export const EXAMPLE_DIRECTORY_SIZE = 2_000;
export const EXAMPLE_BOOK_SIZE = 250;

const README_TITLE = '# Example data (synthetic)';

export interface ExampleOptions {
  seed: number;
  directorySize: number;
  bookSize: number;
  out: string;
}

function integer(minimum?: number): (value: string) => number {
  return (value) => {
    const parsed = Number(value);
    if (!Number.isSafeInteger(parsed) || (minimum !== undefined && parsed < minimum)) {
      throw new InvalidArgumentError(minimum === undefined ? 'expected an integer' : `expected an integer >= ${minimum}`);
    }
    return parsed;
  };
}

/** Paths inside the repository relative to its root (as in the README), others absolute. */
function shownPath(path: string, from = ROOT): string {
  return path.startsWith(`${ROOT}/`) || path === ROOT ? relative(from, path) || '.' : path;
}

export function parseExampleOptions(argv: readonly string[]): ExampleOptions {
  const program = new Command()
    .name('generate-examples')
    .description('Write a synthetic directory, contact book and ground truth (CSV).')
    .option('--seed <n>', 'random seed; the same seed gives the same files', integer(), EXAMPLE_SEED)
    .option('--directory-size <n>', 'people in the directory', integer(1), EXAMPLE_DIRECTORY_SIZE)
    .option('--book-size <n>', 'rows in the contact book', integer(0), EXAMPLE_BOOK_SIZE)
    .option('--out <dir>', 'output directory', join(ROOT, 'examples'))
    .parse([...argv], { from: 'user' });
  const options = program.opts<{ seed: number; directorySize: number; bookSize: number; out: string }>();
  return { ...options, out: resolve(options.out) };
}

function commandLine(options: ExampleOptions): string {
  const isDefault =
    options.seed === EXAMPLE_SEED &&
    options.directorySize === EXAMPLE_DIRECTORY_SIZE &&
    options.bookSize === EXAMPLE_BOOK_SIZE &&
    options.out === join(ROOT, 'examples');
  if (isDefault) {
    return 'npm run examples    # same as: npx tsx scripts/generate-examples.ts';
  }
  return `npx tsx scripts/generate-examples.ts --seed ${options.seed} --directory-size ${options.directorySize} --book-size ${options.bookSize} --out ${shownPath(options.out)}`;
}

export function examplesReadme(options: ExampleOptions): string {
  const total = BOOK_ROW_KINDS.reduce((sum, kind) => sum + DEFAULT_MIX[kind], 0);
  const mix = BOOK_ROW_KINDS.map((kind) => `| \`${kind}\` | ${Math.round((DEFAULT_MIX[kind] / total) * 100)}% |`).join('\n');
  return `${README_TITLE}

Every person in these files is synthetic: names are drawn from US Census 1990 name frequencies, everything else
is made up. Any resemblance to a real person is chance. Never put real contact data here.

| File | What it is |
| --- | --- |
| \`directory.csv\` | The data provider's current directory: ${options.directorySize.toLocaleString('en-US')} people, canonical header (\`id,first_name,...,updated_at\`). |
| \`contacts.csv\` | A contact book of ${options.bookSize.toLocaleString('en-US')} rows to enrich, with the header people type (\`First Name,Last Name,Email,...,Birthday\`) and the formats they use. |
| \`truth.csv\` | Ground truth per book row: \`row\` (1-based data row), \`kind\`, \`person_id\` it should match, \`expected_status\` (\`matched\` / \`unmatched\` / \`invalid\`), \`variations\` applied, and \`expected_<field>_status\` for every field (\`confirmed\` / \`old\` / \`new\` / \`unverified\` / \`empty\`). |

Seed: \`${options.seed}\`. The same seed and sizes always give byte-identical files. Regenerate with:

\`\`\`sh
${commandLine(options)}
\`\`\`

Row kinds in the book (default mix; see \`libs/synthetic-data/README.md\` for what each one means):

| Kind | Share |
| --- | --- |
${mix}
`;
}

/** Writes README.md unless the directory holds a README this script did not write. */
function writeReadme(options: ExampleOptions): string | undefined {
  const path = join(options.out, 'README.md');
  if (existsSync(path) && !readFileSync(path, 'utf8').startsWith(README_TITLE)) {
    return undefined;
  }
  writeFileSync(path, examplesReadme(options));
  return path;
}

export async function generateExamples(options: ExampleOptions): Promise<void> {
  const written = await writeDataset({ seed: options.seed, directorySize: options.directorySize, bookSize: options.bookSize, dir: options.out });
  const readme = writeReadme(options);
  const shown = [written.directoryPath, written.bookPath, written.truthPath, readme ?? `${join(options.out, 'README.md')} (kept: not ours)`];
  process.stdout.write(`${shown.map((path) => `wrote ${shownPath(path, process.cwd())}`).join('\n')}\n`);
}

if (require.main === module) {
  generateExamples(parseExampleOptions(process.argv.slice(2))).catch((error: unknown) => {
    process.stderr.write(`${error instanceof Error ? error.message : String(error)}\n`);
    process.exitCode = 1;
  });
}
