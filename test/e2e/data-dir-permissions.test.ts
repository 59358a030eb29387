import { mkdtempSync, readdirSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { ApiClient, startLocalApp } from '@refinery/cli';
import { fileLogger } from '@refinery/cli/src/logging';
import { DirectoryProvider } from '@refinery/directory-provider';
import { waitForJob } from '../support/app';
import { PEOPLE } from '../support/people';

// The data dir holds contact data, tokens and keys: whatever the umask, it is the user's alone — every directory 0700,
// every file 0600 (refinery.db and its -wal/-shm, uploads, chunks, results, the key and token files, the logs).

jest.setTimeout(60_000);

const TOKEN = 'token-acme-0001';
const BOOK = 'first_name,last_name,email\nAda,Lovelace,ada@example.com\nAlan,Turing,alan@example.com\n';

/** Every path under the directory with its permission bits, as `relative path: mode` (octal). */
function modesUnder(root: string): Record<string, string> {
  const modes: Record<string, string> = {};
  const walk = (dir: string) => {
    for (const entry of readdirSync(dir, { withFileTypes: true })) {
      const path = join(dir, entry.name);
      modes[relative(root, path)] = (statSync(path).mode & 0o777).toString(8);
      if (entry.isDirectory()) walk(path);
    }
  };
  modes['.'] = (statSync(root).mode & 0o777).toString(8);
  walk(root);
  return modes;
}

it('keeps the data dir 0700 and every file in it 0600 with a permissive umask (022), through a whole job', async () => {
  const parent = mkdtempSync(join(tmpdir(), 'refinery-modes-'));
  const dataDir = join(parent, 'data');
  const previousUmask = process.umask(0o022);
  try {
    const app = await startLocalApp({
      dataDir,
      port: 0,
      apiTokens: `acme:${TOKEN}`,
      directory: DirectoryProvider.fromRecords(PEOPLE),
      logger: fileLogger(dataDir),
    });
    try {
      const client = new ApiClient(app.url, TOKEN);
      const { jobId } = await client.submitCsv(BOOK);
      expect((await waitForJob(client, jobId)).status).toBe('completed');
      // A stored secret and a presigned upload too.
      await fetch(`${app.url}/webhook-sources`, {
        method: 'POST',
        headers: { authorization: `Bearer ${TOKEN}`, 'content-type': 'application/json' },
        body: '{"source":"hubspot"}',
      });
      const upload = await client.createUploadJob({ filename: 'book.csv', sizeBytes: Buffer.byteLength(BOOK) });
      await fetch(upload.upload!.url, { method: upload.upload!.method, headers: upload.upload!.headers, body: BOOK });
      expect((await waitForJob(client, upload.jobId)).status).toBe('completed');

      const modes = modesUnder(dataDir);
      // What this run wrote: the database and its log, the objects of each stage, the keys, the logs.
      for (const expected of ['refinery.db', 'refinery.db-wal', 'key-encryption.key', 'signing-secret', 'logs/refinery.log', 'objects'])
        expect(modes).toHaveProperty([expected]);
      expect(Object.keys(modes).some((path) => path.startsWith('objects/merger-results/'))).toBe(true);
      expect(Object.keys(modes).some((path) => path.startsWith('objects/ingest-uploads/'))).toBe(true);
      const wrong = Object.entries(modes).filter(([path, mode]) => {
        const isDir = statSync(join(dataDir, path)).isDirectory();
        return mode !== (isDir ? '700' : '600');
      });
      expect(wrong).toEqual([]);
    } finally {
      await app.close();
    }
  } finally {
    process.umask(previousUmask);
    rmSync(parent, { recursive: true, force: true });
  }
});
