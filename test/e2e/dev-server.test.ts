import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { freePort } from '@refinery/aws-emulator';
import { ApiClient } from '@refinery/cli';
import { waitForJob } from '../support/app';
import { REFINERY_BIN, REPO_ROOT, runCli, waitForStderr } from '../support/cli';

jest.setTimeout(90_000);

const BOOK = 'First Name,Last Name,Email\nRobert,Smith,robert.smith@example.com\nNo,Body,nobody@example.com\n';
const DIRECTORY_CSV = [
  'id,first_name,last_name,email,phone,company,title,street,city,state,postcode,country,birth_date,updated_at',
  'P1,Robert,Smith,robert.smith@example.com,+14155550134,Acme Inc,Engineer,1 Main St,San Francisco,CA,94105,US,1980-01-02,2025-01-01',
].join('\n');

describe('refinery dev', () => {
  const work = mkdtempSync(join(tmpdir(), 'refinery-dev-'));
  afterAll(() => rmSync(work, { recursive: true, force: true }));

  it('generates a token for tenant local, prints it, keeps it in the data dir and serves the API until stopped', async () => {
    const directory = join(work, 'directory.csv');
    writeFileSync(directory, DIRECTORY_CSV);
    const dataDir = join(work, 'data');
    const port = await freePort();
    const env = { REFINERY_API_TOKENS: '' };
    const run = runCli(['dev', '--port', String(port), '--data-dir', dataDir, '--directory', directory], { env });
    try {
      const output = await waitForStderr(run, /token \(tenant local\): \S+/);
      expect(output).toContain(`listening on http://127.0.0.1:${port}`);
      expect(output).toContain(`web page: http://127.0.0.1:${port}/`);
      expect(output).toContain(`live updates: ws://127.0.0.1:${port}/socket`);
      // The web page is served beside the API, with its config pointing at this server's socket.
      const page = await fetch(`http://127.0.0.1:${port}/`);
      expect(page.status).toBe(200);
      expect(page.headers.get('content-type')).toMatch(/^text\/html/);
      expect(await (await fetch(`http://127.0.0.1:${port}/config.json`)).json()).toMatchObject({ socketUrl: `ws://127.0.0.1:${port}/socket` });
      const token = readFileSync(join(dataDir, 'token'), 'utf8').trim();
      expect(output).toContain(`token (tenant local): ${token} (new, saved in ${join(dataDir, 'token')})`);

      const client = new ApiClient(`http://127.0.0.1:${port}`, token);
      expect((await fetch(`http://127.0.0.1:${port}/jobs/x`)).status).toBe(401);
      const { jobId } = await client.submitCsv(BOOK);
      expect(await waitForJob(client, jobId)).toMatchObject({ status: 'completed', rows: { total: 2, matched: 1, unmatched: 1 } });
    } finally {
      run.child.kill('SIGTERM');
    }
    const stopped = await run.done;
    expect(stopped.code).toBe(0);
    expect(stopped.stderr).toContain('refinery dev: stopping');

    // The same data dir keeps the same token, and the finished job is still there.
    const again = runCli(['dev', '--port', String(port), '--data-dir', dataDir, '--directory', directory], { env });
    try {
      const output = await waitForStderr(again, /token \(tenant local\)/);
      expect(output).toContain(`(from ${join(dataDir, 'token')})`);
    } finally {
      again.child.kill('SIGTERM');
      await again.done;
    }
  });

  it('takes tenants and tokens from REFINERY_API_TOKENS', async () => {
    const directory = join(work, 'directory.csv');
    const port = await freePort();
    const run = runCli(['dev', '--port', String(port), '--data-dir', join(work, 'data-env'), '--directory', directory], {
      env: { REFINERY_API_TOKENS: 'acme:acme-token-0001' },
    });
    try {
      const output = await waitForStderr(run, /tokens: from REFINERY_API_TOKENS/);
      expect(output).not.toContain('acme-token-0001');
      const client = new ApiClient(`http://127.0.0.1:${port}`, 'acme-token-0001');
      const { jobId } = await client.submitCsv(BOOK);
      expect((await client.job(jobId)).jobId).toBe(jobId);
      expect((await new ApiClient(`http://127.0.0.1:${port}`, 'wrong-token-9999').request('GET', `/jobs/${jobId}`)).status).toBe(401);
    } finally {
      run.child.kill('SIGTERM');
      await run.done;
    }
  });

  it("takes services' settings with --setting (a tenant quota here), and refuses a bad one naming what is wrong", async () => {
    const directory = join(work, 'directory.csv');
    const port = await freePort();
    const run = runCli(
      ['dev', '--port', String(port), '--data-dir', join(work, 'data-settings'), '--directory', directory, '--setting', 'ingest.maxJobsPerMinute=1'],
      { env: { REFINERY_API_TOKENS: 'acme:acme-token-0001' } },
    );
    try {
      await waitForStderr(run, /listening on/);
      const client = new ApiClient(`http://127.0.0.1:${port}`, 'acme-token-0001');
      // The quota counts jobs per clock minute: two submissions that straddle a minute's end are both admitted (it
      // happened once in a full, loaded run), so both are made well inside one minute.
      const intoMinute = Date.now() % 60_000;
      if (intoMinute > 45_000) await new Promise((resolve) => setTimeout(resolve, 60_000 - intoMinute + 100));
      await client.submitCsv(BOOK);
      const refused = await client.request('POST', '/jobs', BOOK, { 'content-type': 'text/csv' });
      expect(refused.status).toBe(429);
      expect(await refused.text()).toContain('maxJobsPerMinute 1');
    } finally {
      run.child.kill('SIGTERM');
      await run.done;
    }
    const bad = await runCli([
      'dev',
      '--port',
      String(port),
      '--data-dir',
      join(work, 'data-settings'),
      '--directory',
      directory,
      '--setting',
      'ingest.maxJobsPerMinute=lots',
    ]).done;
    expect(bad.code).not.toBe(0);
    expect(bad.stderr).toMatch(/--setting ingest\.maxJobsPerMinute=lots: .*number/);
    const unknown = await runCli([
      'dev',
      '--port',
      String(port),
      '--data-dir',
      join(work, 'data-settings'),
      '--directory',
      directory,
      '--setting',
      'ingest.nope=1',
    ]).done;
    expect(unknown.stderr).toContain('ingest has no setting "nope" (it has: ');
  });

  it('refuses a second process on the same data dir with a clear message', async () => {
    const directory = join(work, 'directory.csv');
    const dataDir = join(work, 'data-lock');
    const first = runCli(['dev', '--port', String(await freePort()), '--data-dir', dataDir, '--directory', directory]);
    try {
      await waitForStderr(first, /listening on/);
      const second = await runCli(['dev', '--port', String(await freePort()), '--data-dir', dataDir, '--directory', directory]).done;
      expect(second.code).not.toBe(0);
      expect(second.stderr).toContain(`data dir ${dataDir} is in use by process ${first.child.pid}`);
    } finally {
      first.child.kill('SIGTERM');
      await first.done;
    }
  });

  it('starts at once on a data dir whose last server was killed with SIGKILL and is not yet reaped', async () => {
    const directory = join(work, 'directory-killed.csv');
    writeFileSync(directory, DIRECTORY_CSV);
    const dataDir = join(work, 'data-killed');
    // A parent that never reaps its child (Python's Popen without wait): once killed, the server stays a zombie, its pid
    // still alive to kill(pid, 0), as while a supervisor or the kernel is still tearing it down.
    const parent = spawn(
      'python3',
      [
        '-c',
        'import subprocess, sys, time\n' +
          'child = subprocess.Popen(sys.argv[1:], stderr=subprocess.PIPE)\n' +
          'print(child.pid, flush=True)\n' +
          'for line in child.stderr:\n' +
          '    if b"listening on" in line:\n' +
          '        print("listening", flush=True)\n' +
          '        time.sleep(600)\n' +
          'sys.exit("the server stopped before listening")\n',
        process.execPath,
        REFINERY_BIN,
        'dev',
        '--port',
        String(await freePort()),
        '--data-dir',
        dataDir,
        '--directory',
        directory,
      ],
      { cwd: REPO_ROOT, stdio: ['ignore', 'pipe', 'inherit'], env: { ...process.env, LOG_LEVEL: 'warn' } },
    );
    try {
      let output = '';
      await new Promise<void>((resolve, reject) => {
        parent.stdout.on('data', (chunk: Buffer) => {
          output += chunk.toString();
          if (output.includes('listening')) resolve();
        });
        parent.on('exit', () => reject(new Error(`the server never listened: ${output}`)));
      });
      const pid = Number(output.split('\n')[0]);
      process.kill(pid, 'SIGKILL');
      await until(() => readFileSync(`/proc/${pid}/stat`, 'utf8').split(' ')[2] === 'Z');
      expect(() => process.kill(pid, 0)).not.toThrow(); // the zombie still answers to its pid

      const port = await freePort();
      const next = runCli(['dev', '--port', String(port), '--data-dir', dataDir, '--directory', directory]);
      try {
        const started = await Promise.race([waitForStderr(next, /listening on/), next.done.then((done) => Promise.reject(new Error(done.stderr)))]);
        expect(started).toContain(`listening on http://127.0.0.1:${port}`);
      } finally {
        next.child.kill('SIGTERM');
        await next.done;
      }
    } finally {
      parent.kill('SIGKILL');
    }
  });

  it('logs to the terminal and to DATA_DIR/logs/refinery.log', async () => {
    const directory = join(work, 'directory-logs.csv');
    writeFileSync(directory, DIRECTORY_CSV);
    const dataDir = join(work, 'data-logs');
    const port = await freePort();
    const run = runCli(['dev', '--port', String(port), '--data-dir', dataDir, '--directory', directory], {
      env: { REFINERY_API_TOKENS: 'acme:acme-token-0001', LOG_LEVEL: 'info' },
    });
    try {
      await waitForStderr(run, /listening on/);
      const client = new ApiClient(`http://127.0.0.1:${port}`, 'acme-token-0001');
      const { jobId } = await client.submitCsv(BOOK);
      await waitForJob(client, jobId);
    } finally {
      run.child.kill('SIGTERM');
    }
    const { stdout } = await run.done;
    const logFile = join(dataDir, 'logs', 'refinery.log');
    expect(existsSync(logFile)).toBe(true);
    const fileLines = readFileSync(logFile, 'utf8').trim().split('\n');
    const stdoutLines = stdout.trim().split('\n');
    // The same JSON lines in both places, the job's among them.
    expect(fileLines.length).toBeGreaterThan(0);
    expect(fileLines).toEqual(stdoutLines);
    expect(fileLines.some((line) => line.includes('"jobId"'))).toBe(true);
  });
});

async function until(condition: () => boolean, timeoutMs = 10_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error('condition not met in time');
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}
