import { spawnSync } from 'node:child_process';
import { readFileSync, statSync, utimesSync } from 'node:fs';
import { join } from 'node:path';
import { REFINERY_BIN, REPO_ROOT } from '../support/cli';

// The `refinery` command runs from its build (apps/refinery/dist/refinery.js, made by `npm install`), on Node.js alone:
// no TypeScript loader at run time. A development checkout rebuilds it when a source is newer.

const BUNDLE = join(REPO_ROOT, 'apps', 'refinery', 'dist', 'refinery.js');

const help = () => spawnSync(process.execPath, [REFINERY_BIN, '--help'], { cwd: REPO_ROOT, encoding: 'utf8' });

test('is one CommonJS file of our sources that requires npm packages from node_modules, and no TypeScript loader', () => {
  expect(help().status).toBe(0);
  const bundle = readFileSync(BUNDLE, 'utf8');
  expect(bundle).not.toMatch(/require\(["']tsx/);
  expect(bundle).not.toMatch(/require\(["'][^"']*\.ts["']\)/);
  expect(bundle).toMatch(/require\(["']better-sqlite3["']\)/);
  // Each module keeps its own folder for the files beside it (the nickname table, the web page).
  expect(bundle).toContain(JSON.stringify(join(REPO_ROOT, 'libs', 'nicknames', 'src')));
});

test('is rebuilt before it runs when a source is newer than it', () => {
  utimesSync(BUNDLE, new Date(0), new Date(0));
  const run = help();
  expect(run.status).toBe(0);
  expect(run.stdout).toContain('Usage: refinery');
  expect(statSync(BUNDLE).mtimeMs).toBeGreaterThan(Date.now() - 60_000);
});
