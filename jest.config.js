// One Jest run for the whole monorepo. TypeScript is transpiled by SWC (no type checking here:
// `npm run typecheck` does that with the native compiler), so tests start fast.
/** @type {import('jest').Config} */
const transform = {
  '^.+\\.ts$': ['@swc/jest', { jsc: { parser: { syntax: 'typescript' }, target: 'es2022' }, module: { type: 'commonjs' } }],
  // Some dependencies (fauxqs) ship only ES modules; Jest's module system needs them as CommonJS.
  '^.+\\.m?js$': ['@swc/jest', { jsc: { parser: { syntax: 'ecmascript' }, target: 'es2022' }, module: { type: 'commonjs' } }],
};
const transformIgnorePatterns = ['/node_modules/(?!(fauxqs)/)'];
// fauxqs (the SQS/S3 emulator) exports only an `import` condition, which CommonJS resolution does not see.
const moduleNameMapper = { '^fauxqs$': '<rootDir>/node_modules/fauxqs/dist/app.js' };
// Tests are local testing: their receivers and fakes listen on 127.0.0.1 (REFINERY_ALLOW_PRIVATE_DESTINATIONS=1).
const setupFiles = ['<rootDir>/test/support/local-testing-env.js'];

module.exports = {
  // Timeouts end a test that hangs; they never measure speed (benchmarks do). Jest's 5 s default was missed by healthy
  // tests on a loaded 2-core run (npm test runs the emulator suites beside the rest): a demo job on the embedded runtime
  // (job-progress.test.ts), a synthetic register book. Global only: Jest ignores it in a project's settings.
  testTimeout: 30_000,
  // exit-watchdog fails a run that cannot exit by itself (something a test opened is still open) instead of hanging.
  reporters: ['default', '<rootDir>/test/support/exit-watchdog.js'],
  projects: [
    {
      displayName: 'unit',
      testEnvironment: 'node',
      transform,
      transformIgnorePatterns,
      moduleNameMapper,
      setupFiles,
      testMatch: ['<rootDir>/libs/*/test/**/*.test.ts', '<rootDir>/services/*/test/**/*.test.ts', '<rootDir>/apps/*/test/**/*.test.ts'],
    },
    {
      displayName: 'e2e',
      testEnvironment: 'node',
      transform,
      transformIgnorePatterns,
      moduleNameMapper,
      setupFiles,
      testMatch: ['<rootDir>/test/**/*.test.ts'],
    },
  ],
};
