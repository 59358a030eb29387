// The directory look-up alone (DirectoryIndex.candidatesFor) over a bench book's contacts, in process CPU time.
// Run: npx tsx libs/directory-provider/bench/lookup-bench.ts bench/out/book-100000-dir-100000-seed-1 [passes=5]
// (the directory from `npm run bench -- --rows 100000 --directory-size 100000`). For figures close to the bundled
// matcher's, bundle it first, as docs/performance.md does for bench/matched-digest.ts:
//   mkdir -p /tmp/lb/src && ln -sfn "$PWD/libs/nicknames/data" /tmp/lb/data &&
//   npx esbuild libs/directory-provider/bench/lookup-bench.ts --bundle --platform=node --outfile=/tmp/lb/src/lb.js &&
//   node /tmp/lb/src/lb.js bench/out/book-100000-dir-100000-seed-1
// The contacts' comparable forms are built before the clock starts: the matcher builds them anyway, and the look-up
// finds them in comparableContact's cache. Every pass looks up every contact; the fastest pass is printed, in µs of
// CPU per look-up, with a digest of every candidate list (ids in order): a change meant only to be faster must print
// the same digest.
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fieldsFromRecord, mapColumns, standardizeContact } from '@refinery/contacts';
import { comparableContact } from '@refinery/matching';
import { loadBundledNicknames } from '@refinery/nicknames';
import { parse } from 'csv-parse/sync';
import { DirectoryProvider } from '../src';

async function main(): Promise<void> {
  const [book, passesArgument] = process.argv.slice(2);
  if (book === undefined) throw new Error('usage: lookup-bench.ts BOOK_DIRECTORY [passes]');
  const passes = Number(passesArgument ?? 5);
  const provider = await DirectoryProvider.fromFile(join(book, 'directory.csv'), { nicknames: loadBundledNicknames() });
  const [header, ...rows] = parse(readFileSync(join(book, 'contacts.csv'), 'utf8'), { relaxColumnCount: true }) as string[][];
  if (header === undefined) throw new Error('contacts.csv is empty');
  const mapping = mapColumns(header);
  const contacts = rows.map((cells) => standardizeContact(fieldsFromRecord(cells, mapping)));
  for (const contact of contacts) comparableContact(contact);
  const digest = createHash('sha256');
  let fastest = Number.POSITIVE_INFINITY;
  for (let pass = 0; pass < passes; pass += 1) {
    const before = process.cpuUsage();
    for (const contact of contacts) {
      const found = provider.candidatesFor(contact);
      if (pass === 0) digest.update(`${found.map((candidate) => candidate.id).join(',')}\n`);
    }
    const used = process.cpuUsage(before);
    fastest = Math.min(fastest, (used.user + used.system) / contacts.length);
  }
  console.log(
    JSON.stringify({ contacts: contacts.length, passes, cpuMicrosPerLookup: Number(fastest.toFixed(2)), digest: digest.digest('hex').slice(0, 16) }),
  );
}

void main();
