// What the bench scripts' options take, checked the same way everywhere.
import { resolve } from 'node:path';
import { BOOK_KINDS, type BookKind } from '@refinery/synthetic-data';

/** A whole number >= 0 (`10_000` allowed), or an error naming the flag. */
export function wholeNumber(flag: string, value: string | undefined): number {
  const parsed = Number((value ?? '').replace(/_/g, ''));
  if (!Number.isSafeInteger(parsed) || parsed < 0) throw new Error(`${flag} takes a whole number, got "${value ?? ''}"`);
  return parsed;
}

/** `--seeds 1,2,3`. */
export function wholeNumbers(flag: string, value: string | undefined): number[] {
  return (value ?? '').split(',').map((seed) => wholeNumber(flag, seed));
}

/** `--books crm,register`: known book kinds, each once. */
export function bookKinds(flag: string, value: string | undefined): BookKind[] {
  const names = (value ?? '').split(',').map((name) => name.trim());
  if (names.some((name) => !(BOOK_KINDS as readonly string[]).includes(name))) {
    throw new Error(`${flag} takes ${BOOK_KINDS.join(', ')} separated by commas, got "${value ?? ''}"`);
  }
  return [...new Set(names as BookKind[])];
}

/** What a bench's command line said: `--json`, `--out DIR` (resolved), and each whole-number flag it takes. */
export interface BenchFlags {
  readonly json: boolean;
  readonly outDir?: string;
  readonly numbers: Readonly<Record<string, number>>;
}

/**
 * The flags the one-job benches share: `--json` alone, `--out DIR`, and `numeric` flags each followed by a whole
 * number; any other flag is an error whose message `unknown` gives.
 */
export function benchFlags(argv: readonly string[], numeric: readonly string[], unknown: (flag: string) => string): BenchFlags {
  let json = false;
  let outDir: string | undefined;
  const numbers: Record<string, number> = {};
  for (let i = 0; i < argv.length; i += 1) {
    const flag = argv[i] as string;
    if (flag === '--json') {
      json = true;
      continue;
    }
    const value = argv[(i += 1)];
    if (numeric.includes(flag)) numbers[flag] = wholeNumber(flag, value);
    else if (flag === '--out') outDir = resolve(value ?? '');
    else throw new Error(unknown(flag));
  }
  return { json, ...(outDir !== undefined ? { outDir } : {}), numbers };
}
