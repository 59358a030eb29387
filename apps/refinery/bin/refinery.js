#!/usr/bin/env node

// The command runs from its build, dist/refinery.js (npm install builds it). In a development checkout, where esbuild
// is installed, a source newer than the build rebuilds it first, so what runs is always what is written.
const { build, isStale, OUT } = require('../build.js');

async function command() {
  let canBuild = true;
  try {
    require.resolve('esbuild');
  } catch {
    canBuild = false;
  }
  if (isStale()) {
    if (canBuild) await build();
    else if (!require('node:fs').existsSync(OUT))
      throw new Error('the command is not built: run `npm install` (or `npm run build`) at the repository root');
  }
  return require(OUT);
}

command()
  .then((cli) => cli.main(process.argv))
  .then(
    (code) => {
      process.exitCode = code;
    },
    (error) => {
      process.stderr.write(`refinery: ${error?.message ? error.message : String(error)}\n`);
      process.exitCode = 1;
    },
  );
