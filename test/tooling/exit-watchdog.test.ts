import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

// The reporter that makes a Jest run that cannot exit fail (jest.config.js), tried on throw-away test files in a
// Jest of their own: one whose set-up fails after opening a server and never closes it, one that closes what it opens.

const ROOT = join(__dirname, '..', '..');
const JEST = join(ROOT, 'node_modules', 'jest', 'bin', 'jest.js');
const WATCHDOG = join(ROOT, 'test', 'support', 'exit-watchdog.js');

const LEAKING = `
const { createServer } = require('node:http');
let server;
beforeAll(async () => {
  server = createServer();
  await new Promise((resolve) => server.listen(0, '127.0.0.1', resolve));
  throw new Error('set-up failed half-way');
});
test('never runs', () => expect(server).toBeDefined());
`;

const TIDY = `
const { createServer } = require('node:http');
let server;
beforeAll(async () => {
  server = createServer();
  await new Promise((resolve) => server.listen(0, '127.0.0.1', resolve));
});
afterAll(() => new Promise((resolve) => server.close(resolve)));
test('serves', () => expect(server.listening).toBe(true));
`;

function runJest(testSource: string): { status: number | null; output: string; ms: number } {
  const dir = mkdtempSync(join(tmpdir(), 'refinery-watchdog-'));
  try {
    writeFileSync(join(dir, 'package.json'), '{}');
    writeFileSync(join(dir, 'case.test.js'), testSource);
    const started = Date.now();
    const run = spawnSync(process.execPath, [JEST, '--rootDir', dir, '--runInBand', '--reporters', 'default', '--reporters', WATCHDOG], {
      cwd: dir,
      env: { ...process.env, JEST_EXIT_GRACE_MS: '500' },
      encoding: 'utf8',
      // Without the watchdog the leaking case would never end: a bound that only a hang reaches.
      timeout: 60_000,
    });
    return { status: run.status, output: `${run.stdout}${run.stderr}`, ms: Date.now() - started };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

jest.setTimeout(90_000);

test('a run left unable to exit by a failed set-up ends, failed, naming what is open', () => {
  const run = runJest(LEAKING);
  expect(run.status).toBe(1);
  expect(run.output).toContain('set-up failed half-way');
  expect(run.output).toMatch(/exit-watchdog: Jest has not exited 500 ms after the last test: .*TCPServerWrap/);
});

test('a run that closes what it opened exits by itself, green, and the watchdog says nothing', () => {
  const run = runJest(TIDY);
  expect(run.status).toBe(0);
  expect(run.output).not.toContain('exit-watchdog');
});
