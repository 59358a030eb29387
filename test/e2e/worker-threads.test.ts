import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { writeDataset } from '@refinery/synthetic-data';
import { runCli } from '../support/cli';

// `refinery enrich --worker-threads N` runs the matcher's consumers in N worker threads (docs/local-mode.md, "Worker
// threads"): the chunks are matched there, and the result is byte-for-byte the one of every service on one thread.

jest.setTimeout(180_000);

/** The "chunk matched" lines of a data dir's log: which chunk, and the thread that matched it (0: the main thread). */
function matchedChunks(dataDir: string): { chunk: number; threadId: number }[] {
  return readFileSync(join(dataDir, 'logs', 'refinery.log'), 'utf8')
    .split('\n')
    .filter((line) => line.includes('"msg":"chunk matched"'))
    .map((line) => {
      const record = JSON.parse(line) as { chunk: number; threadId?: number };
      return { chunk: record.chunk, threadId: record.threadId ?? 0 };
    });
}

describe('refinery enrich --worker-threads', () => {
  const work = mkdtempSync(join(tmpdir(), 'refinery-threads-'));
  afterAll(() => rmSync(work, { recursive: true, force: true }));

  it('matches every chunk in the worker threads, once, with the result of a single-thread run', async () => {
    const dataset = await writeDataset({ seed: 5, directorySize: 2000, bookSize: 3000, dir: work });
    const enrich = (threads: number) =>
      runCli(
        [
          'enrich',
          dataset.bookPath,
          '--out',
          join(work, `result-${threads}.csv`),
          '--directory',
          dataset.directoryPath,
          '--data-dir',
          join(work, `data-${threads}`),
          '--chunk-rows',
          '100',
          '--worker-threads',
          String(threads),
        ],
        { env: { LOG_LEVEL: 'info' } },
      ).done;
    const [single, threaded] = [await enrich(0), await enrich(2)];
    expect({ code: single.code, stderr: single.stderr.split('\n').filter((line) => line.startsWith('refinery')) }).toEqual({ code: 0, stderr: [] });
    expect({ code: threaded.code, stderr: threaded.stderr.split('\n').filter((line) => line.startsWith('refinery')) }).toEqual({
      code: 0,
      stderr: [],
    });
    const chunks = Array.from({ length: 30 }, (_, i) => i);
    const onMain = matchedChunks(join(work, 'data-0'));
    expect(onMain.map((line) => line.chunk).sort((a, b) => a - b)).toEqual(chunks);
    expect(new Set(onMain.map((line) => line.threadId))).toEqual(new Set([0]));
    const inThreads = matchedChunks(join(work, 'data-2'));
    expect(inThreads.map((line) => line.chunk).sort((a, b) => a - b)).toEqual(chunks);
    expect(inThreads.filter((line) => line.threadId === 0)).toEqual([]);
    const expected = readFileSync(join(work, 'result-0.csv'));
    const actual = readFileSync(join(work, 'result-2.csv'));
    expect(actual.length).toBe(expected.length);
    expect(actual.equals(expected)).toBe(true);
  });
});
