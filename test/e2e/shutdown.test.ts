import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type IncomingMessage, type Server } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { freePort } from '@refinery/aws-emulator';
import { ApiClient } from '@refinery/cli';
import { waitForJob } from '../support/app';
import { runCli, waitForStderr } from '../support/cli';

jest.setTimeout(120_000);

const DIRECTORY_CSV = [
  'id,first_name,last_name,email,phone,company,title,street,city,state,postcode,country,birth_date,updated_at',
  'P1,Robert,Smith,robert.smith@example.com,+14155550134,Acme Inc,Engineer,1 Main St,San Francisco,CA,94105,US,1980-01-02,2025-01-01',
].join('\n');
// The directory does not know these rows, so the chain's second provider is asked about them.
const BOOK = [
  'First Name,Last Name,Email',
  'Robert,Smith,robert.smith@example.com',
  ...Array.from({ length: 50 }, (_, i) => `No,Body${i},nobody${i}@example.com`),
].join('\n');

describe('refinery dev: SIGTERM', () => {
  const work = mkdtempSync(join(tmpdir(), 'refinery-shutdown-'));
  let hanging: Server;
  const held: IncomingMessage[] = [];
  afterAll(async () => {
    hanging.closeAllConnections();
    await new Promise((resolve) => hanging.close(resolve));
    rmSync(work, { recursive: true, force: true });
  });

  it('stops within 10 s while a worker is busy with work that will not end soon, and the next start resumes the job', async () => {
    // A provider that takes the request and never answers: the matcher's handler stays busy with the chunk (retries
    // included, for far longer than 10 s), which is what a graceful stop used to wait for.
    hanging = createServer((request) => {
      held.push(request);
    });
    await new Promise<void>((resolve) => hanging.listen(0, '127.0.0.1', resolve));
    const providerPort = (hanging.address() as { port: number }).port;
    const providers = join(work, 'providers.json');
    writeFileSync(
      providers,
      JSON.stringify({
        providers: [{ type: 'directory' }, { type: 'people-data-labs', apiKeyEnv: 'PDL_API_KEY', baseUrl: `http://127.0.0.1:${providerPort}` }],
      }),
    );
    const directory = join(work, 'directory.csv');
    writeFileSync(directory, DIRECTORY_CSV);
    const dataDir = join(work, 'data');
    const port = await freePort();
    const env = { REFINERY_API_TOKENS: '', PDL_API_KEY: 'test-key', REFINERY_ALLOW_PRIVATE_DESTINATIONS: '1' };

    const busy = runCli(['dev', '--port', String(port), '--data-dir', dataDir, '--directory', directory, '--providers', providers], { env });
    let jobId: string;
    try {
      await waitForStderr(busy, /token \(tenant local\): \S+/);
      const client = new ApiClient(`http://127.0.0.1:${port}`, readFileSync(join(dataDir, 'token'), 'utf8').trim());
      ({ jobId } = await client.submitCsv(BOOK));
      const deadline = Date.now() + 30_000;
      while (held.length === 0) {
        if (Date.now() > deadline) throw new Error('the provider was never asked');
        await new Promise((resolve) => setTimeout(resolve, 50));
      }
    } catch (error) {
      busy.child.kill('SIGKILL');
      throw error;
    }
    const signalled = Date.now();
    busy.child.kill('SIGTERM');
    const stopped = await busy.done;
    const tookMs = Date.now() - signalled;
    expect(tookMs).toBeLessThan(10_000);
    expect(stopped.stderr).toContain('refinery dev: stopping');
    expect(stopped.stderr).toContain('refinery dev: the work in flight did not stop within 5 s; exiting (it resumes on the next start)');
    expect(stopped.code).toBe(143);

    // The next start (the directory alone this time) takes the chunk that was in flight back at once and finishes it.
    const again = runCli(['dev', '--port', String(port), '--data-dir', dataDir, '--directory', directory], { env });
    try {
      await waitForStderr(again, /token \(tenant local\)/);
      const client = new ApiClient(`http://127.0.0.1:${port}`, readFileSync(join(dataDir, 'token'), 'utf8').trim());
      expect(await waitForJob(client, jobId, 60_000)).toMatchObject({ status: 'completed', rows: { total: 51, matched: 1, unmatched: 50 } });
    } finally {
      again.child.kill('SIGTERM');
    }
    const stoppedAgain = await again.done;
    // With nothing in flight, a stop is clean and quick.
    expect(stoppedAgain.code).toBe(0);
  });
});
