#!/usr/bin/env node

// The command runs from its build, dist/refinery.js (npm install builds it). In a development checkout, where esbuild
// is installed, a source newer than the build rebuilds it first, so what runs is always what is written.
const { build, isStale, OUT } = require('../build.js');

// The AWS SDK announces, on every Node.js 20 start, that its releases from 2027 on will need Node.js 22: news for
// whoever upgrades dependencies, noise for whoever runs a command. Every other warning is shown.
const emitWarning = process.emitWarning;
process.emitWarning = (warning, ...rest) => {
  const type = typeof rest[0] === 'string' ? rest[0] : rest[0]?.type;
  // The SDK passes it as a bare message that starts with its name (@aws-sdk/core, emitWarningIfUnsupportedVersion).
  if (type === 'NodeVersionSupportWarning' || String(warning?.message ?? warning).startsWith('NodeVersionSupportWarning')) return;
  return emitWarning.call(process, warning, ...rest);
};

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
