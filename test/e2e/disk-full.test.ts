import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { freePort } from '@refinery/aws-emulator';
import { writeDataset } from '@refinery/synthetic-data';
import { mountTmpfs, remount, TMPFS_UNAVAILABLE, unmount } from '@refinery/test-support';
import { type CliRun, runCli, waitForStderr } from '../support/cli';

// A full disk or a read-only data dir, on a real small file system: the command says so at once with what to do, no
// message's retries are spent (nothing is dead-lettered), and once space is back the job resumes — by running the same
// command again (`refinery enrich`), or by itself (`refinery dev`) — with the result a clean run gives.

jest.setTimeout(240_000);

/** Enough for start-up and a few chunks of the book, far too little for the whole job (a clean run takes ~14 MB). */
const SMALL_FS_KB = 8 * 1024;

const skip = TMPFS_UNAVAILABLE !== undefined;
if (skip) process.stdout.write(`disk-full.test.ts: skipped: ${TMPFS_UNAVAILABLE}\n`);

/** Dead-lettered messages of every subscription of a data dir, as `refinery dlq list` counts them. */
async function deadLettered(dataDir: string): Promise<number> {
  const listed = await runCli(['dlq', 'list', '--data-dir', dataDir, '--json']).done;
  expect(listed.code).toBe(0);
  return (JSON.parse(listed.stdout) as { deadLettered: number }[]).reduce((sum, queue) => sum + queue.deadLettered, 0);
}

/** The error lines of a data dir's log (level 50 and up). */
function errorLines(dataDir: string): string[] {
  return readFileSync(join(dataDir, 'logs', 'refinery.log'), 'utf8')
    .split('\n')
    .filter((line) => line.trim() !== '')
    .map((line) => JSON.parse(line) as { level: number; msg: string })
    .filter((line) => line.level >= 50)
    .map((line) => line.msg);
}

(skip ? describe.skip : describe)('a full or read-only data dir', () => {
  const work = mkdtempSync(join(tmpdir(), 'refinery-disk-full-'));
  const mounts: string[] = [];
  let dataset: Awaited<ReturnType<typeof writeDataset>>;
  let baseline: Buffer;

  const enrichArgs = (out: string, dataDir: string) => [
    'enrich',
    dataset.bookPath,
    '--out',
    out,
    '--directory',
    dataset.directoryPath,
    '--data-dir',
    dataDir,
    '--chunk-rows',
    '500',
  ];

  beforeAll(async () => {
    dataset = await writeDataset({ seed: 11, directorySize: 3000, bookSize: 4000, dir: work });
    const clean = await runCli(enrichArgs(join(work, 'clean.csv'), join(work, 'clean-data'))).done;
    expect(clean).toMatchObject({ code: 0 });
    baseline = readFileSync(join(work, 'clean.csv'));
  });
  afterAll(() => {
    for (const mount of mounts.splice(0).reverse()) unmount(mount);
    rmSync(work, { recursive: true, force: true });
  });

  function smallFileSystem(name: string): { mount: string; dataDir: string } {
    const mount = join(work, name);
    mountTmpfs(mount, SMALL_FS_KB);
    mounts.push(mount);
    return { mount, dataDir: join(mount, 'data') };
  }

  it('refinery enrich stops at once saying the disk is full, spends no retry, and resumes on a rerun once space is back', async () => {
    const { mount, dataDir } = smallFileSystem('enrich-fs');
    const out = join(work, 'enrich.csv');
    const full = await runCli(enrichArgs(out, dataDir)).done;
    expect(full.code).toBe(75);
    expect(full.stderr).toMatch(
      new RegExp(
        `refinery: no space left in the data dir ${dataDir} \\((ENOSPC|SQLITE_FULL): [^)]+\\); free space there and run the same command again: nothing is lost, the work resumes where it stopped\\n$`,
      ),
    );
    expect(full.stderr).not.toContain('the job failed');
    // Said once in the log, as one error line with what to do.
    expect(errorLines(dataDir)).toEqual([expect.stringMatching(new RegExp(`^no space left in the data dir ${dataDir} .*free space there`))]);

    // Run again on the still full disk: said again, still nothing dead-lettered.
    const again = await runCli(enrichArgs(out, dataDir)).done;
    expect(again.code).toBe(75);
    expect(again.stderr).toContain(`refinery: no space left in the data dir ${dataDir}`);
    expect(await deadLettered(dataDir)).toBe(0);

    remount(mount, 'size=64m');
    const resumed = await runCli(enrichArgs(out, dataDir)).done;
    expect(resumed.code).toBe(0);
    expect(readFileSync(out).equals(baseline)).toBe(true);
    expect(await deadLettered(dataDir)).toBe(0);

    // A read-only data dir is said as plainly, and refused before any work.
    remount(mount, 'ro');
    const readOnly = await runCli(enrichArgs(join(work, 'read-only.csv'), dataDir)).done;
    remount(mount, 'rw');
    expect(readOnly.code).toBe(75);
    expect(readOnly.stderr).toBe(
      `refinery: the data dir ${dataDir} cannot be written (EROFS: read-only file system); make it writable (remount it read-write, or give this user write permission) and run the same command again: nothing is lost, the work resumes where it stopped\n`,
    );
  });

  it('refinery dev says the disk is full, shows the pause on the job, and resumes by itself once space is back', async () => {
    const { mount, dataDir } = smallFileSystem('dev-fs');
    const port = await freePort();
    const dev = runCli(['dev', '--port', String(port), '--data-dir', dataDir, '--directory', dataset.directoryPath], {
      env: { REFINERY_API_TOKENS: '' },
    });
    let devOutput = '';
    let client: CliRun | undefined;
    dev.child.stderr?.on('data', (chunk: Buffer) => (devOutput += chunk.toString()));
    try {
      const started = await waitForStderr(dev, /token \(tenant local\): \S+/, 60_000);
      const token = /token \(tenant local\): (\S+)/.exec(started)?.[1] as string;
      const url = `http://127.0.0.1:${port}`;
      const out = join(work, 'dev.csv');
      client = runCli(['enrich', dataset.bookPath, '--out', out, '--api', url, '--token', token, '--chunk-rows', '500']);
      const said = await waitForStderr(dev, /refinery dev: no space left in the data dir/, 60_000);
      expect(said).toContain(`refinery dev: no space left in the data dir ${dataDir} (`);
      expect(said).toMatch(/free space there: work is paused, nothing is lost, and it resumes by itself once it can write\n/);
      // The client hears of the pause from the job's state, and waits.
      await waitForStderr(client, /enriching: paused: no space left in the data dir/, 60_000);
      const jobs = (await (await fetch(`${url}/jobs`, { headers: { authorization: `Bearer ${token}` } })).json()) as {
        jobs: { jobId: string }[];
      };
      const jobId = jobs.jobs[0]?.jobId as string;
      const view = (await (await fetch(`${url}/jobs/${jobId}`, { headers: { authorization: `Bearer ${token}` } })).json()) as {
        status: string;
        paused?: { reason: string; since: string };
      };
      expect(view.status).not.toBe('failed');
      expect(view.paused?.reason).toMatch(new RegExp(`^no space left in the data dir ${dataDir} .*work is paused`));
      expect(await deadLettered(dataDir)).toBe(0);

      remount(mount, 'size=64m');
      await waitForStderr(dev, /refinery dev: the data dir .* takes writes again; work resumed/, 60_000);
      let giveUp: NodeJS.Timeout | undefined;
      const finished = await Promise.race([
        client.done,
        new Promise<never>((_resolve, reject) => {
          giveUp = setTimeout(() => reject(new Error(`the job did not finish after the resume; refinery dev said:\n${devOutput}`)), 120_000);
        }),
      ]).finally(() => clearTimeout(giveUp)); // left running, it kept Jest from exiting for two minutes
      expect(finished.code).toBe(0);
      expect(finished.stderr).toContain('enriching: resumed');
      expect(readFileSync(out).equals(baseline)).toBe(true);
    } finally {
      client?.child.kill('SIGTERM');
      dev.child.kill('SIGTERM');
      await dev.done;
    }
    expect(await deadLettered(dataDir)).toBe(0);
  });
});
