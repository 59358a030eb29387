// The import rules of the monorepo, checked by dependency-cruiser on every import of every source and test file
// (`npm run lint:imports`, part of `npm test`). Workspace packages are followed through their node_modules links to
// their folders, so a rule about `services/` also catches `@refinery/<service>`.

/** Packages whose own sources exist for tests only: they may build on test tools (emulators, nock). */
const TEST_ONLY = '^libs/(test-support|port-contracts)/';

/** @type {import('dependency-cruiser').IConfiguration} */
module.exports = {
  forbidden: [
    {
      name: 'services-never-import-each-other',
      comment: 'Services talk only through events: a service never imports another service (shared code lives in libs/).',
      severity: 'error',
      from: { path: '^services/([^/]+)/' },
      to: { path: '^services/', pathNot: '^services/$1/' },
    },
    {
      name: 'libs-never-import-services-or-apps',
      comment: 'libs/ are the shared building blocks: they never depend on a service or an app.',
      severity: 'error',
      from: { path: '^libs/' },
      to: { path: '^(services|apps)/' },
    },
    {
      name: 'services-never-import-apps',
      comment: 'A service deploys on its own: it never depends on an app (the CLI, the web page).',
      severity: 'error',
      from: { path: '^services/' },
      to: { path: '^apps/' },
    },
    {
      name: 'no-undeclared-packages',
      comment:
        "Every workspace declares the packages it imports in its own package.json (so each service's bundle and each lib's README tell the truth).",
      severity: 'error',
      from: {},
      to: { dependencyTypes: ['npm-no-pkg', 'npm-unknown'] },
    },
    {
      name: 'no-development-packages-at-run-time',
      comment: 'What runs (a Lambda bundle, the refinery command) never imports a test tool or any other development dependency.',
      severity: 'error',
      from: { path: '^(libs|services|apps)/[^/]+/src/', pathNot: TEST_ONLY },
      to: { dependencyTypes: ['npm-dev'] },
    },
    {
      name: 'no-unresolvable-imports',
      severity: 'error',
      from: {},
      to: { couldNotResolve: true },
    },
  ],
  options: {
    doNotFollow: { path: 'node_modules' },
    exclude: { path: ['\\.serverless/', '\\.esbuild/', '^apps/refinery/dist/', '^apps/web/public/'] },
    // TypeScript 7 has no compiler API to parse with; SWC (already used by Jest) parses the sources.
    parser: 'swc',
    tsPreCompilationDeps: true,
    enhancedResolveOptions: {
      extensions: ['.ts', '.js', '.cjs', '.mjs', '.json', '.d.ts'],
      exportsFields: ['exports'],
      conditionNames: ['require', 'node', 'import', 'default'],
      mainFields: ['main', 'types', 'module'],
    },
    builtInModules: { add: ['aws-lambda'] },
    reporterOptions: { text: { highlightFocused: true } },
  },
};
