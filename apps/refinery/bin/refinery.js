#!/usr/bin/env node
// The sources are TypeScript; tsx compiles them on load (and caches the result), so there is no build step.
require('tsx/cjs');
require('../src/cli.ts').main(process.argv).then(
  (code) => {
    process.exitCode = code;
  },
  (error) => {
    process.stderr.write(`refinery: ${error && error.message ? error.message : String(error)}\n`);
    process.exitCode = 1;
  },
);
