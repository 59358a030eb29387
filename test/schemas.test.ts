import { cpSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { EVENT_TYPES } from '@refinery/events';
import { generatedFiles, ROOT, staleFiles } from '../scripts/generate-schemas';

describe('generated schemas and event catalog', () => {
  it('schemas/ and docs/events.md match the zod schemas and service manifests (run `npm run schemas` if not)', () => {
    expect(staleFiles()).toEqual([]);
  });

  it('notices a stale schema, a stale catalog and a schema of an event type that no longer exists', () => {
    const copy = mkdtempSync(join(tmpdir(), 'schemas-'));
    try {
      cpSync(join(ROOT, 'schemas'), join(copy, 'schemas'), { recursive: true });
      cpSync(join(ROOT, 'docs'), join(copy, 'docs'), { recursive: true });
      expect(staleFiles(copy)).toEqual([]);
      writeFileSync(join(copy, 'schemas', 'job.submitted.v1.json'), '{}\n');
      writeFileSync(join(copy, 'docs', 'events.md'), '# outdated\n');
      writeFileSync(join(copy, 'schemas', 'job.renamed.v1.json'), '{}\n');
      expect(staleFiles(copy)).toEqual([
        join('schemas', 'job.submitted.v1.json'),
        join('docs', 'events.md'),
        `${join('schemas', 'job.renamed.v1.json')} (no such event type)`,
      ]);
    } finally {
      rmSync(copy, { recursive: true, force: true });
    }
  });

  it('documents every event type with its producer, consumers, fields and example', () => {
    const catalog = generatedFiles().find((file) => file.path.endsWith('events.md'))!.content;
    for (const type of EVENT_TYPES) {
      expect(catalog).toContain(`## \`${type.type}\``);
    }
    expect(catalog).toContain('| [`chunk.planned.v1`](#chunkplannedv1) | chunker | matcher (chunks), matcher (expressChunks) |');
    expect(catalog).toContain('| `data.range.start` | integer | yes |');
  });
});
