// Throughput of the chunk planner and the range parser on ~150 MB of contact-book CSV generated in memory.
// Run: npx tsx libs/csv/bench/plan-bench.ts [rows]
import type { CsvFormat } from '../src/index';
import { parseCsvRecords, planChunks, sniffCsv } from '../src/index';

const ROWS = Number(process.argv[2] ?? 1_000_000);
const READ_SIZE = 64 * 1024;
const CHUNK_ROWS = 10_000;

const FIRST = ['Anna', 'Bernard', 'Chloé', 'Dmitri', 'Élodie', 'François', 'Grace', 'Hiroshi', 'Inès', 'José'];
const LAST = ['Martin', "O'Brien", 'Nguyễn', 'Schmidt', 'Dupont', 'García', 'Müller', 'Kowalski', 'Rossi', 'Smith'];
const STREETS = ['Main St', 'Rue de la Paix', 'Baker Street', 'Hauptstraße', 'Calle Mayor'];
const CITIES = ['Paris', 'London', 'Berlin', 'Madrid', 'New York, NY', 'Zürich'];
const COMPANIES = ['Acme', 'Globex, Inc.', 'Initech', 'Umbrella "Corp"', 'Soylent'];
const TITLES = ['Account Manager', 'Head of Sales, EMEA', 'Software Engineer', 'Office Manager', 'CFO'];

function generate(rows: number): Buffer {
  const header = 'first_name,last_name,email,phone,company,job_title,street,city,postcode,country,birth_date,website,notes\r\n';
  const parts: string[] = [header];
  let seed = 42;
  const next = (n: number): number => {
    seed = (Math.imul(seed, 1103515245) + 12345) >>> 0;
    return seed % n;
  };
  const pickFrom = (items: readonly string[]): string => items[next(items.length)] ?? '';
  for (let i = 0; i < rows; i++) {
    const first = pickFrom(FIRST);
    const last = pickFrom(LAST);
    const company = pickFrom(COMPANIES);
    const city = pickFrom(CITIES);
    const title = pickFrom(TITLES);
    // About one row in ten has a multi-line note, as address books exported from mail clients do.
    const notes = next(10) === 0 ? `"Met at the ""${pickFrom(CITIES)}"" fair;\r\ncall back, ask for ${first}"` : next(3) === 0 ? 'VIP' : '';
    parts.push(
      `${[
        first,
        last,
        `${first.toLowerCase()}.${i}@example.com`,
        `+33 6 ${String(10_000_000 + next(89_999_999)).padStart(8, '0')}`,
        company.includes(',') || company.includes('"') ? `"${company.replaceAll('"', '""')}"` : company,
        title.includes(',') ? `"${title}"` : title,
        `${1 + next(200)} ${pickFrom(STREETS)}`,
        city.includes(',') ? `"${city}"` : city,
        String(10_000 + next(89_999)),
        'FR',
        `19${50 + next(50)}-0${1 + next(9)}-${10 + next(18)}`,
        `https://ex.co/${first.toLowerCase()}`,
        notes,
      ].join(',')}\r\n`,
    );
  }
  return Buffer.from(parts.join(''));
}

async function* reads(bytes: Buffer): AsyncGenerator<Buffer> {
  for (let at = 0; at < bytes.length; at += READ_SIZE) yield bytes.subarray(at, at + READ_SIZE);
}

async function main(): Promise<void> {
  const file = generate(ROWS);
  const megabytes = file.length / 1e6;
  console.log(`generated ${megabytes.toFixed(1)} MB, ${ROWS.toLocaleString('en')} rows`);

  const sniffed = sniffCsv(file.subarray(0, 64 * 1024));
  if (!sniffed.ok) throw new Error(sniffed.reason);
  const { format, dataStart, dataStartLine } = sniffed.header;
  const data = file.subarray(dataStart);

  // The first run includes JIT warm-up, which is what a chunker pays once per file; later runs show the steady state.
  let planned = 0;
  for (let run = 1; run <= 3; run++) {
    planned = 0;
    let chunks = 0;
    const started = performance.now();
    for await (const chunk of planChunks(reads(data), format, { dataStart, dataStartLine, chunkRows: CHUNK_ROWS })) {
      planned += chunk.rowCount;
      chunks++;
    }
    const seconds = (performance.now() - started) / 1000;
    console.log(
      `planChunks run ${run}: ${(megabytes / seconds).toFixed(0)} MB/s ` +
        `(${planned.toLocaleString('en')} rows in ${chunks} chunks, ${seconds.toFixed(2)} s)`,
    );
  }

  const started = performance.now();
  const parsed = await countRecords(reads(data), format);
  const parseSeconds = (performance.now() - started) / 1000;
  console.log(
    `parseCsvRecords: ${Math.round(parsed / parseSeconds).toLocaleString('en')} rows/s, ` +
      `${(megabytes / parseSeconds).toFixed(0)} MB/s (${parsed.toLocaleString('en')} rows, ${parseSeconds.toFixed(2)} s)`,
  );
  if (parsed !== planned || planned !== ROWS) {
    throw new Error(`row counts disagree: planned ${planned}, parsed ${parsed}, generated ${ROWS}`);
  }
}

async function countRecords(source: AsyncIterable<Buffer>, format: CsvFormat): Promise<number> {
  let count = 0;
  for await (const _record of parseCsvRecords(source, format)) count++;
  return count;
}

main().catch((error: unknown) => {
  console.error(error);
  process.exitCode = 1;
});
