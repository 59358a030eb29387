// Writes schemas/<event type>.json (JSON Schema of each event's detail) and docs/events.md (the event catalog)
// from the zod schemas in libs/events and the services' declarations. `--check` compares instead of writing and exits
// 1 when anything is stale, naming what.
import { existsSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { SERVICE_DECLARATIONS } from '@refinery/cli/src/services';
import { generateEventSchemas } from '@refinery/events';
import { renderEventCatalog } from './lib/event-catalog-doc';

export const ROOT = resolve(__dirname, '..');

export interface GeneratedFile {
  readonly path: string;
  readonly content: string;
}

export function generatedFiles(): GeneratedFile[] {
  return [
    ...generateEventSchemas().map((schema) => ({ path: join('schemas', schema.fileName), content: schema.content })),
    { path: join('docs', 'events.md'), content: renderEventCatalog(SERVICE_DECLARATIONS) },
  ];
}

/** Files that differ from what the generator would write, and schema files it would not write at all. */
export function staleFiles(root = ROOT): string[] {
  const files = generatedFiles();
  const stale = files
    .filter((file) => !existsSync(join(root, file.path)) || readFileSync(join(root, file.path), 'utf8') !== file.content)
    .map((f) => f.path);
  const expected = new Set(files.map((file) => file.path));
  const schemaDir = join(root, 'schemas');
  const extra = existsSync(schemaDir)
    ? readdirSync(schemaDir)
        .filter((name) => name.endsWith('.json'))
        .map((name) => join('schemas', name))
        .filter((path) => !expected.has(path))
    : [];
  return [...stale, ...extra.map((path) => `${path} (no such event type)`)];
}

if (require.main === module) {
  if (process.argv.includes('--check')) {
    const stale = staleFiles();
    if (stale.length) {
      process.stderr.write(`stale generated files (run \`npm run schemas\`):\n${stale.map((path) => `  ${path}`).join('\n')}\n`);
      process.exit(1);
    }
    process.stdout.write('schemas/ and docs/events.md are up to date\n');
  } else {
    for (const file of generatedFiles()) {
      mkdirSync(join(ROOT, file.path, '..'), { recursive: true });
      writeFileSync(join(ROOT, file.path), file.content);
    }
    process.stdout.write(`wrote ${generatedFiles().length} files\n`);
  }
}
