import { DirectoryProvider } from '@refinery/directory-provider';
import type { Candidate, ContactProvider } from '@refinery/matching';
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
