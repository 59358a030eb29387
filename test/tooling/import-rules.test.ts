import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';

// The import rules (.dependency-cruiser.cjs, checked by `npm run lint:imports` in `npm test`) on a small monorepo made
// up for the test: every rule must catch what it forbids, and allow what it allows. The repository itself is checked
// by the test command, not here.

const ROOT = join(__dirname, '..', '..');
const DEPCRUISE = join(ROOT, 'node_modules', 'dependency-cruiser', 'bin', 'dependency-cruise.mjs');

function workspace(files: Record<string, string>): string {
  const dir = mkdtempSync(join(tmpdir(), 'refinery-imports-'));
  for (const [path, content] of Object.entries(files)) {
    mkdirSync(dirname(join(dir, path)), { recursive: true });
    writeFileSync(join(dir, path), content);
  }
  // The real packages (nock, commander, zod) resolve as they do in the repository.
  symlinkSync(join(ROOT, 'node_modules'), join(dir, 'node_modules'), 'dir');
  return dir;
}

const pkg = (name: string, dependencies: Record<string, string> = {}, devDependencies: Record<string, string> = {}) =>
  JSON.stringify({ name, version: '0.1.0', main: 'src/index.ts', dependencies, devDependencies });

function violations(dir: string): string[] {
  const folders = ['libs', 'services', 'apps'].filter((folder) => existsSync(join(dir, folder)));
  const run = spawnSync(process.execPath, [DEPCRUISE, ...folders, '--config', join(ROOT, '.dependency-cruiser.cjs'), '--output-type', 'err'], {
    cwd: dir,
    encoding: 'utf8',
  });
  return `${run.stdout}${run.stderr}`
    .split('\n')
    .filter((line) => line.trim().startsWith('error '))
    .map((line) => line.trim().replace(/ → \S*node_modules\/(@[^/]+\/[^/]+|[^/]+)\/.*$/, ' → $1'));
}

let dir: string;
afterEach(() => rmSync(dir, { recursive: true, force: true }));

test('catch a service importing another service, a lib importing a service or an app, and a service importing an app', () => {
  dir = workspace({
    'services/alpha/package.json': pkg('@x/alpha'),
    'services/alpha/src/index.ts':
      "import { beta } from '../../beta/src/index';\nimport { cli } from '../../../apps/cli/src/index';\nexport const alpha = [beta, cli];\n",
    'services/beta/package.json': pkg('@x/beta'),
    'services/beta/src/index.ts': 'export const beta = 1;\n',
    'libs/common/package.json': pkg('@x/common'),
    'libs/common/src/index.ts': "import { beta } from '../../../services/beta/src/index';\nexport const common = beta;\n",
    'apps/cli/package.json': pkg('@x/cli'),
    'apps/cli/src/index.ts': "import { alpha } from '../../../services/alpha/src/index';\nexport const cli = alpha;\n",
  });
  expect(violations(dir).sort()).toEqual([
    'error libs-never-import-services-or-apps: libs/common/src/index.ts → services/beta/src/index.ts',
    'error services-never-import-apps: services/alpha/src/index.ts → apps/cli/src/index.ts',
    'error services-never-import-each-other: services/alpha/src/index.ts → services/beta/src/index.ts',
  ]);
});

test('catch a package a workspace does not declare, and a development package imported by code that runs', () => {
  dir = workspace({
    'libs/common/package.json': pkg('@x/common', { zod: '*' }, { nock: '*' }),
    'libs/common/src/index.ts':
      "import { z } from 'zod';\nimport { Command } from 'commander';\nimport nock from 'nock';\nexport const common = [z, Command, nock];\n",
    // Tests may use what the workspace declares for development.
    'libs/common/test/index.test.ts': "import nock from 'nock';\nexport const used = nock;\n",
    // The test-only libraries may build on test tools.
    'libs/test-support/package.json': pkg('@x/test-support', {}, { nock: '*' }),
    'libs/test-support/src/index.ts': "import nock from 'nock';\nexport const support = nock;\n",
  });
  expect(violations(dir).sort()).toEqual([
    'error no-development-packages-at-run-time: libs/common/src/index.ts → nock',
    'error no-undeclared-packages: libs/common/src/index.ts → commander',
  ]);
});

test('find nothing wrong where every rule is kept', () => {
  dir = workspace({
    'libs/common/package.json': pkg('@x/common', { zod: '*' }),
    'libs/common/src/index.ts': "import { z } from 'zod';\nexport const common = z;\n",
    'services/alpha/package.json': pkg('@x/alpha'),
    'services/alpha/src/index.ts': "import { common } from '../../../libs/common/src/index';\nexport const alpha = common;\n",
  });
  expect(violations(dir)).toEqual([]);
});
