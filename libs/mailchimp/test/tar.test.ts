import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gunzipSync } from 'node:zlib';
import { buildTar } from '@refinery/test-support';
import { readTar, TarFormatError } from '../src';

const LONG_DIR = `${'d'.repeat(60)}/${'e'.repeat(60)}`;
const LONG_NAME = `${LONG_DIR}/${'f'.repeat(40)}.json`; // > 100 bytes: ustar prefix, GNU 'L' or pax 'x' entries

describe('readTar', () => {
  it('reads regular files, skips directories, joins the ustar prefix of long names', () => {
    const archive = buildTar([
      { name: 'batch', directory: true },
      { name: 'batch/a.json', content: '[1]' },
      { name: 'batch/empty.json', content: '' },
      { name: LONG_NAME, content: 'x'.repeat(1500) },
    ]);
    const entries = readTar(archive);
    expect(entries.map((entry) => entry.name)).toEqual(['batch/a.json', 'batch/empty.json', LONG_NAME]);
    expect(entries[0]!.data.toString()).toBe('[1]');
    expect(entries[1]!.data.length).toBe(0);
    expect(entries[2]!.data.toString()).toBe('x'.repeat(1500));
  });

  it('refuses a damaged header and a truncated entry', () => {
    const archive = buildTar([{ name: 'a.json', content: 'y'.repeat(700) }]);
    const damaged = Buffer.from(archive);
    damaged[10] = 0x41;
    expect(() => readTar(damaged)).toThrow(TarFormatError);
    expect(() => readTar(archive.subarray(0, 512 + 600))).toThrow(/past the end/);
  });

  it('reads an empty archive', () => {
    expect(readTar(Buffer.alloc(1024))).toEqual([]);
    expect(readTar(Buffer.alloc(0))).toEqual([]);
  });

  // The real thing: archives written by GNU tar, in its default (gnu: 'L' long names) and pax formats.
  it.each([['gnu'], ['pax'], ['ustar']])('reads what GNU tar writes (--format=%s)', (format) => {
    const dir = mkdtempSync(join(tmpdir(), 'mailchimp-tar-'));
    try {
      mkdirSync(join(dir, 'in', LONG_DIR), { recursive: true });
      writeFileSync(join(dir, 'in', 'r0.json'), JSON.stringify([{ status_code: 200, operation_id: 'a', response: '{}' }]));
      writeFileSync(join(dir, 'in', LONG_NAME), 'z'.repeat(513));
      execFileSync('tar', ['-czf', join(dir, 'out.tar.gz'), `--format=${format}`, '-C', join(dir, 'in'), 'r0.json', LONG_NAME]);
      const entries = readTar(gunzipSync(readFileSync(join(dir, 'out.tar.gz'))));
      expect(entries.map((entry) => entry.name)).toEqual(['r0.json', LONG_NAME]);
      expect(JSON.parse(entries[0]!.data.toString())).toEqual([{ status_code: 200, operation_id: 'a', response: '{}' }]);
      expect(entries[1]!.data.toString()).toBe('z'.repeat(513));
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
