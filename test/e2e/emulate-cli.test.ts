import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { freePort } from '@refinery/aws-emulator';
import { type CliRun, REPO_ROOT, runCli, waitForStderr } from '../support/cli';

// What a user does: `refinery emulate` (AWS in a box: the packaged stacks on moto, the bundles run as Lambda runs
// them), then `refinery enrich --api` against it, as against any deployment. The demo book gives the local mode's
// result, byte for byte.

jest.setTimeout(180_000);

const GOLDEN = readFileSync(join(REPO_ROOT, 'test', 'golden', 'demo-result.csv'), 'utf8');

describe('refinery emulate, then refinery enrich --api', () => {
  const work = mkdtempSync(join(tmpdir(), 'refinery-emulate-'));
  let emulator: CliRun | undefined;
  afterAll(async () => {
    if (emulator && emulator.child.exitCode === null) emulator.child.kill('SIGTERM');
    await emulator?.done;
    rmSync(work, { recursive: true, force: true });
  });

  it("deploys, serves, and enriches the demo book into the local mode's result; stops cleanly", async () => {
    const [port, awsPort] = [await freePort(), await freePort()];
    emulator = runCli(['emulate', '--port', String(port), '--aws-port', String(awsPort), '--data-dir', join(work, 'emulator')]);
    const output = await waitForStderr(emulator, /token \(tenant (\S+)\): (\S+)/, 120_000);
    expect(output).toContain(`listening on http://127.0.0.1:${port}`);
    expect(output).toContain(`AWS (moto): http://127.0.0.1:${awsPort}`);
    const [, , token] = /token \(tenant (\S+)\): (\S+)/.exec(output) as RegExpExecArray;

    const out = join(work, 'result.csv');
    const enriched = await runCli(['enrich', join(REPO_ROOT, 'examples', 'contacts.csv'), '--out', out, '--api', `http://127.0.0.1:${port}`], {
      env: { REFINERY_TOKEN: token },
    }).done;
    expect({ code: enriched.code, stderr: enriched.stderr.split('\n').filter((line) => line.startsWith('refinery')) }).toEqual({
      code: 0,
      stderr: [],
    });
    expect(enriched.stdout).toContain('matched:   202 (exact 175, fuzzy 27, nickname 0)');
    expect(readFileSync(out, 'utf8')).toBe(GOLDEN);

    // The functions ran from their packages, each with its log (a small job: the matcher's express lane): JSON lines
    // through the Powertools Logger, with the invocation's context.
    const matcherLog = readFileSync(join(work, 'emulator', 'logs', 'refinery-matcher-ci-expressChunks.log'), 'utf8');
    const matched = matcherLog.split('\n').filter((line) => line.includes('"chunk matched"'));
    expect(matched.length).toBeGreaterThan(0);
    expect(JSON.parse(matched[0] as string)).toMatchObject({
      level: 30,
      msg: 'chunk matched',
      service: 'matcher',
      function_name: 'refinery-matcher-ci-expressChunks',
      function_request_id: expect.any(String),
      cold_start: expect.any(Boolean),
      jobId: expect.any(String),
    });

    emulator.child.kill('SIGTERM');
    const stopped = await emulator.done;
    expect(stopped.code).toBe(0);
    expect(stopped.stderr).toContain('refinery emulate: stopping');
    // moto went with it: its port is free again.
    await expect(fetch(`http://127.0.0.1:${awsPort}/moto-api/`)).rejects.toThrow();
  });

  it("refuses --api without a token, and this machine's providers with --api", async () => {
    const input = join(REPO_ROOT, 'examples', 'contacts.csv');
    const noToken = await runCli(['enrich', input, '--out', join(work, 'x.csv'), '--api', 'http://127.0.0.1:9'], { env: { REFINERY_TOKEN: '' } })
      .done;
    expect(noToken.code).toBe(2);
    expect(noToken.stderr).toContain('--api needs a token: --token TOKEN or REFINERY_TOKEN');
    const withDirectory = await runCli([
      'enrich',
      input,
      '--out',
      join(work, 'x.csv'),
      '--api',
      'http://127.0.0.1:9',
      '--token',
      't',
      '--directory',
      input,
    ]).done;
    expect(withDirectory.code).toBe(2);
    expect(withDirectory.stderr).toContain("--directory and --providers choose this machine's providers");
  });
});
