import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';

// Rules of the architecture that code review alone would let slip: services never import each other, and every
// workspace declares the packages it imports (so each service's bundle and each lib's README tell the truth).

const ROOT = join(__dirname, '..');
const SERVICES = readdirSync(join(ROOT, 'services')).filter((name) => statSync(join(ROOT, 'services', name)).isDirectory());
const SERVICE_PACKAGES = new Map(
  SERVICES.flatMap((name) => {
    try {
      return [[JSON.parse(readFileSync(join(ROOT, 'services', name, 'package.json'), 'utf8')).name as string, name] as const];
    } catch {
      return [];
    }
  }),
);

function filesUnder(dir: string): string[] {
  let entries: string[];
  try {
    entries = readdirSync(dir);
  } catch {
    return [];
  }
  return entries.flatMap((entry) => {
    const path = join(dir, entry);
    if (entry === 'node_modules') return [];
    return statSync(path).isDirectory() ? filesUnder(path) : path.endsWith('.ts') ? [path] : [];
  });
}

function importsOf(file: string): string[] {
  const source = readFileSync(file, 'utf8');
  return [...source.matchAll(/(?:^|\n)\s*(?:import|export)[^'"]*?from\s+['"]([^'"]+)['"]|require\(['"]([^'"]+)['"]\)/g)].map((m) => (m[1] ?? m[2]) as string);
}

function packageName(specifier: string): string | undefined {
  if (specifier.startsWith('.') || specifier.startsWith('node:')) return undefined;
  const parts = specifier.split('/');
  return specifier.startsWith('@') ? `${parts[0]}/${parts[1]}` : parts[0];
}

const WORKSPACES = ['libs', 'services', 'apps'].flatMap((group) =>
  readdirSync(join(ROOT, group))
    .map((name) => join(ROOT, group, name))
    .filter((dir) => {
      try {
        statSync(join(dir, 'package.json'));
        return true;
      } catch {
        return false;
      }
    }),
);

describe('architecture', () => {
  it.each(SERVICES.map((name) => [name]))('service %s imports no other service', (service) => {
    const offences: string[] = [];
    for (const file of filesUnder(join(ROOT, 'services', service))) {
      for (const specifier of importsOf(file)) {
        const other = SERVICE_PACKAGES.get(packageName(specifier) ?? '');
        const relativeEscape = specifier.startsWith('.') && !join(file, '..', specifier).startsWith(join(ROOT, 'services', service));
        if ((other && other !== service) || relativeEscape) offences.push(`${relative(ROOT, file)} imports ${specifier}`);
      }
    }
    expect(offences).toEqual([]);
  });

  it.each(WORKSPACES.map((dir) => [relative(ROOT, dir), dir]))('%s declares every package it imports', (_name, dir) => {
    const manifest = JSON.parse(readFileSync(join(dir, 'package.json'), 'utf8')) as {
      name: string;
      dependencies?: Record<string, string>;
      devDependencies?: Record<string, string>;
    };
    const declared = new Set([...Object.keys(manifest.dependencies ?? {}), manifest.name]);
    const declaredForTests = new Set([...declared, ...Object.keys(manifest.devDependencies ?? {})]);
    const builtins = new Set(['aws-lambda']); // types only (@types/aws-lambda at the root)
    const missing = new Set<string>();
    for (const file of filesUnder(dir)) {
      const isTest = /[/\\](test|bench)[/\\]/.test(relative(dir, file)) || relative(dir, file).startsWith('test') || relative(dir, file).startsWith('bench');
      for (const specifier of importsOf(file)) {
        const name = packageName(specifier);
        if (!name || builtins.has(name)) continue;
        if (!(isTest ? declaredForTests : declared).has(name)) missing.add(`${name} (${relative(ROOT, file)})`);
      }
    }
    expect([...missing]).toEqual([]);
  });
});
