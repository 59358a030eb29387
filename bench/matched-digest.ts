// npx tsx bench/matched-digest.ts BOOK_DIR [--chunk-rows 1000] [--out FILE]
// e.g. npx tsx bench/matched-digest.ts bench/out/book-100000-dir-100000-seed-1 (the book of `npm run bench -- --rows
// 100000 --directory-size 100000`)
//
// The before/after check of a change to the matcher meant only to make it faster (issue 16). Matches a synthetic
// book (bench/out/book-*: contacts.csv and directory.csv) as the matcher's chunk handler does — the directory provider
// built from the CSV, the nickname table seeded into a local table and read through StoredNicknames, the job's model
// learnt from the first rows, then matchRowBatches over the whole book in chunks of --chunk-rows rows, each chunk's rows
// written as NDJSON (toNdjsonBatches, as the matched chunk objects) — and prints the sha256 of all the NDJSON (a change meant
// only to be faster must print the same), the rows by status and the CPU time of the matching alone (the model
// learnt and every chunk matched and serialized; the directory's load is not in it). --out FILE keeps the NDJSON.
import { createHash } from 'node:crypto';
import { createReadStream, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { toNdjsonBatches } from '@refinery/chunk-records';
import { mapColumns } from '@refinery/contacts';
import { type CsvRow, DEFAULT_CSV_LIMITS, readCsvRows, sniffCsv } from '@refinery/csv';
import { DirectoryProvider } from '@refinery/directory-provider';
import { emptyMatchCounts } from '@refinery/events';
import { LocalRuntime } from '@refinery/local-runtime';
import { loadNicknameTable, StoredNicknames, seedNicknames } from '@refinery/matcher';
import { loadBundledNicknames, NICKNAMES_CSV_PATH } from '@refinery/nicknames';
import { learnJobModel, matchRowBatches } from '../services/matcher/src/domain/match-rows';
import { ProviderAnswers } from '../services/matcher/src/domain/provider-answers';

async function main(): Promise<void> {
  const [dir, ...args] = process.argv.slice(2);
  if (dir === undefined || dir.startsWith('--')) throw new Error('matched-digest takes BOOK_DIR [--chunk-rows N] [--out FILE]');
  const flag = (name: string) => {
    const at = args.indexOf(name);
    return at < 0 ? undefined : args[at + 1];
  };
  const chunkRows = Number(flag('--chunk-rows') ?? 1000);
  const out = flag('--out');
  const limits = { maxFieldBytes: DEFAULT_CSV_LIMITS.maxFieldBytes, maxRowBytes: DEFAULT_CSV_LIMITS.maxRowBytes };
  const dataDir = mkdtempSync(join(tmpdir(), 'matched-digest-'));
  const runtime = await LocalRuntime.open({ dataDir });
  try {
    const table = runtime.table('matcher-nicknames');
    await seedNicknames(table, loadBundledNicknames(), NICKNAMES_CSV_PATH);
    const provider = await DirectoryProvider.fromStream(createReadStream(join(dir, 'directory.csv')), 'directory.csv', {
      defaultRegion: 'US',
      nicknames: await loadNicknameTable(table),
    });
    const book = readFileSync(join(dir, 'contacts.csv'));
    const sniffed = sniffCsv(book.subarray(0, 65536), { complete: book.length <= 65536, limits: DEFAULT_CSV_LIMITS });
    if (!sniffed.ok) throw new Error(sniffed.reason);
    const { header } = sniffed;
    const columns = mapColumns(header.columns);
    const body = book.subarray(header.dataStart);
    const nicknames = new StoredNicknames(table);
    const common = { columns, limits, providers: [provider], nicknames, defaultRegion: 'US', batchSize: 200 };
    const cpuAt = process.cpuUsage();
    const model = await learnJobModel(readCsvRows(body, header.format, { limits }), {
      ...common,
      firstRow: 1,
      answers: new ProviderAnswers(),
    });
    const digest = createHash('sha256');
    const counts = emptyMatchCounts();
    const all = readCsvRows(body, header.format, { limits, firstLine: header.dataStartLine });
    const iterator = all[Symbol.asyncIterator]();
    let first = 1;
    let done = false;
    const kept: Buffer[] = [];
    while (!done) {
      const rows: CsvRow[] = [];
      while (rows.length < chunkRows) {
        const next = await iterator.next();
        if (next.done) {
          done = true;
          break;
        }
        rows.push(next.value);
      }
      if (rows.length === 0) break;
      const matched = matchRowBatches(
        (async function* () {
          yield* rows;
        })(),
        { ...common, firstRow: first, answers: new ProviderAnswers(), counts, model },
      );
      for await (const piece of toNdjsonBatches(matched)) {
        const bytes = Buffer.isBuffer(piece) ? piece : Buffer.from(piece);
        digest.update(bytes);
        if (out !== undefined) kept.push(bytes);
      }
      first += rows.length;
    }
    const cpu = process.cpuUsage(cpuAt);
    if (out !== undefined) writeFileSync(out, Buffer.concat(kept));
    console.log(
      JSON.stringify({
        rows: first - 1,
        sha256: digest.digest('hex'),
        counts,
        cpuSeconds: Math.round((cpu.user + cpu.system) / 1e4) / 100,
      }),
    );
  } finally {
    await runtime.close();
    rmSync(dataDir, { recursive: true, force: true });
  }
}

main().catch((error) => {
  console.error(error);
  process.exitCode = 1;
});
