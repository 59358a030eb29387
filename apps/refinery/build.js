// Builds the `refinery` command: one CommonJS file, dist/refinery.js, from the TypeScript sources of this app and of
// the workspace packages it uses, so the command runs on Node.js alone (no TypeScript loader at run time). npm packages
// stay outside the bundle (required from node_modules as usual: better-sqlite3's native addon, the AWS SDK, ...).
//
//   node apps/refinery/build.js      # what `npm install` runs (the root's `prepare`), and `npm run build`
//
// bin/refinery.js rebuilds first when a source is newer than the bundle (a development checkout: esbuild is there),
// so an edit is never run stale.

const { mkdirSync, readdirSync, readFileSync, renameSync, statSync, writeFileSync } = require('node:fs');
const { dirname, join, relative } = require('node:path');

const APP = __dirname;
const ROOT = join(APP, '..', '..');
const OUT = join(APP, 'dist', 'refinery.js');
const ENTRY = join(APP, 'src', 'cli.ts');
/** The workspace folders whose sources end up in the bundle. */
const SOURCE_GROUPS = ['apps', 'libs', 'services'];

/** The newest modification time among the workspace sources (the TypeScript files under each src folder). */
function newestSource() {
  let newest = 0;
  const walk = (dir) => {
    for (const entry of readdirSync(dir, { withFileTypes: true })) {
      const path = join(dir, entry.name);
      if (entry.isDirectory()) walk(path);
      else if (entry.name.endsWith('.ts')) newest = Math.max(newest, statSync(path).mtimeMs);
    }
  };
  for (const group of SOURCE_GROUPS) {
    for (const workspace of readdirSync(join(ROOT, group), { withFileTypes: true })) {
      if (!workspace.isDirectory()) continue;
      const src = join(ROOT, group, workspace.name, 'src');
      try {
        walk(src);
      } catch {
        // no src/ (the platform service, the web page's static files)
      }
    }
  }
  return newest;
}

/** True when dist/refinery.js is missing or older than a source. */
function isStale() {
  try {
    return statSync(OUT).mtimeMs < newestSource();
  } catch {
    return true;
  }
}

/** Our workspace packages are bundled; everything else is required at run time from node_modules. */
const externalNpmPackages = {
  name: 'external-npm-packages',
  setup(build) {
    build.onResolve({ filter: /^[^./]/ }, (args) => (args.path.startsWith('@refinery/') ? undefined : { path: args.path, external: true }));
  },
};

/**
 * Modules find files beside their sources (the nickname table's data, the web page's static files): each keeps its
 * own directory as __dirname inside the bundle, instead of the bundle's.
 */
const ownDirname = {
  name: 'own-dirname',
  setup(build) {
    build.onLoad({ filter: /\.ts$/ }, (args) => {
      const source = readFileSync(args.path, 'utf8');
      if (!source.includes('__dirname')) return undefined;
      return { contents: source.replace(/\b__dirname\b/g, JSON.stringify(dirname(args.path))), loader: 'ts' };
    });
  },
};

async function build() {
  const esbuild = require('esbuild');
  const result = await esbuild.build({
    entryPoints: [ENTRY],
    bundle: true,
    platform: 'node',
    target: 'node20',
    format: 'cjs',
    sourcemap: 'inline',
    sourcesContent: false,
    write: false,
    logLevel: 'warning',
    plugins: [externalNpmPackages, ownDirname],
  });
  const [output] = result.outputFiles;
  mkdirSync(dirname(OUT), { recursive: true });
  // Written aside and renamed: commands started side by side never read half a file.
  const partial = `${OUT}.${process.pid}.partial`;
  writeFileSync(partial, output.contents);
  renameSync(partial, OUT);
  return relative(ROOT, OUT);
}

module.exports = { build, isStale, OUT };

if (require.main === module) {
  build().then(
    (out) => process.stdout.write(`built ${out}\n`),
    (error) => {
      process.stderr.write(`cannot build the refinery command: ${error.message}\n`);
      process.exitCode = 1;
    },
  );
}
