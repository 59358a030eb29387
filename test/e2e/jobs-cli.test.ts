import { spawnSync } from 'node:child_process';
import { hostname } from 'node:os';
import { join } from 'node:path';
import { LOCAL_PROVIDER_LIMITS_TABLE } from '@refinery/cli/src/provider-circuits';
import { DirectoryProvider } from '@refinery/directory-provider';
import { LocalQueues, LocalTable, openDatabase } from '@refinery/local-runtime';
import type { Candidate, ContactProvider } from '@refinery/matching';
import { CircuitRecorder } from '@refinery/providers';
import { startTestApp, waitForJob } from '../support/app';
import { runCli } from '../support/cli';
import { PEOPLE } from '../support/people';

// `refinery jobs stuck` and `refinery jobs fail` on the local mode, while `refinery dev` runs: an operator sees a job
// that stopped moving and what it waits for, and fails it with a reason its owner then reads.

jest.setTimeout(120_000);

it('lists a job that stopped moving, fails it with the reason, and then lists nothing', async () => {
  const directory = DirectoryProvider.fromRecords(PEOPLE);
  let release: () => void = () => undefined;
  const released = new Promise<void>((resolve) => {
    release = resolve;
  });
  let asked = false;
  // A provider that never answers (until the test ends): the job's only chunk waits on it.
  const silent: ContactProvider = {
    name: 'silent',
    findCandidates: async (contacts): Promise<Candidate[][]> => {
      asked = true;
      await released;
      return directory.findCandidates(contacts);
    },
  };
  const test = await startTestApp({ directory: silent });
  try {
    const { jobId } = await test.acme.submitCsv('First Name,Last Name,Email\nRobert,Smith,robert.smith@example.com\nPat,Doe,pat@example.com\n');
    const deadline = Date.now() + 30_000;
    while (!asked || (await test.acme.job(jobId)).status !== 'running') {
      if (Date.now() > deadline) throw new Error('the job never reached the provider');
      await new Promise((resolve) => setTimeout(resolve, 20));
    }

    const stuck = await runCli(['jobs', 'stuck', '--for', '0', '--data-dir', test.dataDir, '--json']).done;
    expect(stuck.stderr).not.toContain('refinery:');
    expect(JSON.parse(stuck.stdout)).toEqual([
      expect.objectContaining({
        jobId,
        tenantId: 'acme',
        status: 'running',
        chunks: '0/1',
        waitingFor: '0 of 1 chunks were labeled; chunk 1 (rows 1-2) never was',
      }),
    ]);
    const waiting = await runCli(['jobs', 'stuck', '--data-dir', test.dataDir]).done;
    expect(waiting.stdout).toBe('no job has gone 120 minutes without progress\n');

    // `refinery status` on the same state, plus a dead-lettered chunk (put straight into its dead-letter queue: how it
    // got there is the queues' business, tested in local-queues.test.ts).
    // Two provider circuits recorded as the matcher's chain records them (apps/refinery/test/provider-circuits.test.ts
    // opens one through the chain): crm's by a process that runs (this one), pdl's by a run that has stopped.
    const stopped = spawnSync(process.execPath, ['-e', '']).pid;
    const db = openDatabase(join(test.dataDir, 'refinery.db'));
    try {
      new LocalQueues(db).send('labeler-chunks-dlq', [
        JSON.stringify({ 'detail-type': 'chunk.matched.v1', detail: { metadata: { jobId: 'job_old' } } }),
      ]);
      const table = new LocalTable(db, LOCAL_PROVIDER_LIMITS_TABLE);
      const live = new CircuitRecorder({ table });
      live.observe({ provider: 'crm', from: 'closed', to: 'open', at: Date.now(), reason: '5 consecutive failed calls, the last: HTTP 503' });
      const old = new CircuitRecorder({ table, writer: { description: `pid ${stopped} on ${hostname()}`, host: hostname(), pid: stopped } });
      old.observe({ provider: 'pdl', from: 'half-open', to: 'open', at: Date.now() - 3_600_000, reason: 'the trial call failed: HTTP 502' });
      await Promise.all([live.settled(), old.settled()]);
    } finally {
      db.close();
    }
    const status = await runCli(['status', '--stuck-for', '0', '--data-dir', test.dataDir]).done;
    expect(status).toMatchObject({ code: 0, stderr: '' });
    expect(status.stdout).toMatch(
      new RegExp(
        `^attention: 1 dead-lettered message \\(labeler/chunks\\); 1 job stuck for \\d+s \\(${jobId}\\); provider circuit not closed: crm open for \\d+s$`,
        'm',
      ),
    );
    // The job's chunk is in the matcher's express lane, in flight while the provider says nothing.
    expect(status.stdout).toMatch(/^ {2}matcher\/expressChunks\s+0\s+1\s+\d+s\s+0\s+-$/m);
    expect(status.stdout).toMatch(/^ {2}labeler\/chunks\s+0\s+0\s+-\s+1\s+\d+s$/m);
    expect(status.stdout).toMatch(new RegExp(`^ {2}${jobId}\\s+acme\\s+running, STUCK\\s+0/2\\s+0/1\\s+\\d+s\\s+\\d+s$`, 'm'));
    expect(status.stdout).toContain(`  ${jobId}: 0 of 1 chunks were labeled; chunk 1 (rows 1-2) never was`);
    expect(status.stdout).toContain(
      "Providers (each provider's latest circuit transition recorded in the data dir by the processes that call the providers)\n",
    );
    expect(status.stdout).toMatch(
      new RegExp(`^ {2}crm\\s+open\\s+\\S+\\s+\\d+s\\s+pid ${process.pid} on \\S+\\s+5 consecutive failed calls, the last: HTTP 503$`, 'm'),
    );
    expect(status.stdout).toMatch(
      new RegExp(`^ {2}pdl\\s+open\\s+\\S+\\s+1h 0m\\s+pid ${stopped} on \\S+ \\(stopped\\)\\s+the trial call failed: HTTP 502$`, 'm'),
    );
    expect(status.stdout).toContain(`  pdl: open 1h 0m ago by a run that has stopped (pid ${stopped} on ${hostname()} no longer runs)`);
    expect(status.stdout).toContain('\n  any other provider: closed (no failure recorded)\n');

    const json = await runCli(['status', '--stuck-for', '0', '--data-dir', test.dataDir, '--json']).done;
    const state = JSON.parse(json.stdout);
    expect(state).toMatchObject({
      location: { kind: 'local', dataDir: test.dataDir },
      stuckAfterMinutes: 0,
      jobs: [{ jobId, tenantId: 'acme', status: 'running', rows: { done: 0, total: 2 }, chunks: { done: 0, total: 1 }, stuck: true }],
      providers: {
        circuits: [
          { provider: 'crm', state: 'open', recordedBy: `pid ${process.pid} on ${hostname()}`, writerRunning: true },
          { provider: 'pdl', state: 'open', recordedBy: `pid ${stopped} on ${hostname()}`, writerRunning: false },
        ],
      },
      attention: [
        '1 dead-lettered message (labeler/chunks)',
        expect.stringMatching(/^1 job stuck for \d+s/),
        expect.stringMatching(/^provider circuit not closed: crm open for /),
      ],
      notes: [],
    });
    const byName = new Map(
      (state.queues as { service: string; subscription: string; deadLetterOldestAgeMs: number }[]).map((queue) => [
        `${queue.service}/${queue.subscription}`,
        queue,
      ]),
    );
    expect(byName.get('matcher/expressChunks')).toMatchObject({ waiting: 0, inFlight: 1, oldestAgeMs: expect.any(Number), deadLettered: 0 });
    expect(byName.get('labeler/chunks')).toMatchObject({ waiting: 0, inFlight: 0, oldestAgeMs: 0, deadLettered: 1 });
    expect(byName.get('labeler/chunks')?.deadLetterOldestAgeMs).toBeGreaterThanOrEqual(0);
    expect(state.jobs[0].ageMs).toBeGreaterThan(0);

    const missing = await runCli(['status', '--data-dir', join(test.dataDir, 'nowhere')]).done;
    expect(missing.code).toBe(2);
    expect(missing.stderr).toBe(
      `refinery: ${join(test.dataDir, 'nowhere')} is not a data dir (no refinery.db); pass --data-dir, or --aws for a deployed stage\n`,
    );

    const fail = await runCli(['jobs', 'fail', jobId, '--reason', 'the provider contract ended', '--data-dir', test.dataDir]).done;
    expect(fail).toMatchObject({ code: 0 });
    expect(await waitForJob(test.acme, jobId)).toMatchObject({
      status: 'failed',
      error: { reason: 'failed by an operator: the provider contract ended', rows: { first: 0, count: 2 } },
    });
    expect((await runCli(['jobs', 'stuck', '--for', '0', '--data-dir', test.dataDir]).done).stdout).toBe(
      'no job has gone 0 minutes without progress\n',
    );

    const again = await runCli(['jobs', 'fail', jobId, '--reason', 'again', '--data-dir', test.dataDir]).done;
    expect(again.code).toBe(2);
    expect(again.stderr).toMatch(new RegExp(`refinery: job ${jobId} has already failed`));
    const nothing = await runCli(['jobs', 'fail', jobId, '--reason', ' ', '--data-dir', test.dataDir]).done;
    expect(nothing.stderr).toContain('refinery: --reason must say why');
  } finally {
    release();
    await test.stop();
  }
});
