import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { writeDataset } from '@refinery/synthetic-data';
import { runCli } from '../support/cli';

// Killing `refinery enrich` with SIGKILL at random moments and running the same command again must finish the job
// with a result byte-for-byte identical to an uninterrupted run: no row lost, none duplicated. The uninterrupted run
// has every service on one thread, the killed ones run the matcher in a worker thread: killing the process kills it too,
// and what it had in flight is released by the next start like the main thread's.

jest.setTimeout(240_000);

/** mulberry32: a tiny seeded PRNG, so a failing run can be replayed with REFINERY_CRASH_SEED. */
function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

describe('crash safety', () => {
  const work = mkdtempSync(join(tmpdir(), 'refinery-crash-'));
  afterAll(() => rmSync(work, { recursive: true, force: true }));

  it('resumes after SIGKILL at random moments and produces the uninterrupted result', async () => {
    const seed = Number(process.env.REFINERY_CRASH_SEED ?? Date.now() % 1_000_000);
    const random = prng(seed);
    const dataset = await writeDataset({ seed: 11, directorySize: 3000, bookSize: 4000, dir: work });
    const args = (out: string, dataDir: string, workerThreads: number) => [
      'enrich',
      dataset.bookPath,
      '--out',
      out,
      '--directory',
      dataset.directoryPath,
      '--data-dir',
      dataDir,
      '--chunk-rows',
      '100',
      '--worker-threads',
      String(workerThreads),
    ];

    const started = Date.now();
    const baseline = await runCli(args(join(work, 'baseline.csv'), join(work, 'baseline-data'), 0)).done;
    const uninterruptedMs = Date.now() - started;
    expect(baseline).toMatchObject({ code: 0 });

    const crashData = join(work, 'crash-data');
    const crashOut = join(work, 'crashed.csv');
    // Three kills: one at a random moment of start-up, upload or planning, then two at random points of progress
    // (as the command reports it), each a little later than the last.
    const plan = [
      { percent: -1, delayMs: Math.round(300 + random() * 1700) },
      // Not too late: a kill that lands after the run has finished tests nothing (and made this test flaky on a
      // loaded machine, where the last 10% of a run can take less than the delay).
      { percent: Math.round(10 + random() * 30), delayMs: Math.round(random() * 150) },
      { percent: Math.round(45 + random() * 30), delayMs: Math.round(random() * 150) },
    ];
    const kills: { percent: number; delayMs: number; wasRunning: boolean }[] = [];
    for (const kill of plan) {
      // Info lines in the log say which thread matched each chunk.
      const run = runCli(args(crashOut, crashData, 1), { env: { LOG_LEVEL: 'info' } });
      await new Promise<void>((resolve) => {
        const fire = (): void => {
          setTimeout(resolve, kill.delayMs);
        };
        if (kill.percent < 0) return fire();
        const onData = (chunk: Buffer): void => {
          const reached = [...chunk.toString().matchAll(/enriching: (\d+)%/g)].some((m) => Number(m[1]) >= kill.percent);
          if (reached) {
            run.child.stderr?.off('data', onData);
            fire();
          }
        };
        run.child.stderr?.on('data', onData);
        void run.done.then(() => resolve());
      });
      const wasRunning = run.child.exitCode === null && run.child.signalCode === null;
      run.child.kill('SIGKILL');
      await run.done;
      kills.push({ ...kill, wasRunning });
    }
    const final = await runCli(args(crashOut, crashData, 1), { env: { LOG_LEVEL: 'info' } }).done;
    const context = `seed ${seed}, kills ${JSON.stringify(kills)}, uninterrupted ${uninterruptedMs} ms`;
    expect({ code: final.code, stderr: final.stderr.split('\n').filter((l) => l.startsWith('refinery')), context }).toEqual({
      code: 0,
      stderr: [],
      context,
    });
    expect(kills.filter((k) => k.wasRunning).length).toBeGreaterThanOrEqual(2);
    expect(final.stdout).toContain(baseline.stdout.match(/rows: +\d+/)?.[0]);
    // The chunks of the killed runs were matched in a worker thread (its id on each line), never on the main thread.
    const matchedBy = readFileSync(join(crashData, 'logs', 'refinery.log'), 'utf8')
      .split('\n')
      .filter((line) => line.includes('"msg":"chunk matched"'))
      .map((line) => (JSON.parse(line) as { threadId?: number }).threadId ?? 0);
    expect(matchedBy.length).toBeGreaterThan(0);
    expect(matchedBy.filter((thread) => thread === 0)).toEqual([]);
    const expected = readFileSync(join(work, 'baseline.csv'));
    const actual = readFileSync(crashOut);
    expect(actual.length).toBe(expected.length);
    expect(actual.equals(expected)).toBe(true);
  });
});
