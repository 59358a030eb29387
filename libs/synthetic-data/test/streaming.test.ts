import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

interface HeapReport {
  baseline: number;
  peak: number;
  after: number;
  rows: number;
}

const MB = 1024 * 1024;

// A regression guard, not a benchmark: holding 200,000 rows in memory takes about 160 MB of heap, streaming
// them about 30 MB of transient garbage. Measured in a child process so that Jest's own heap and the other
// tests do not blur the numbers.
describe('writeDataset streaming', () => {
  it('writes 200,000 rows without the heap growing by more than a few tens of MB', () => {
    const dir = mkdtempSync(join(tmpdir(), 'synthetic-data-heap-'));
    try {
      const script = join(__dirname, 'fixtures', 'measure-write-heap.ts');
      const child = spawnSync(process.execPath, ['--expose-gc', '--import', 'tsx', script, dir, '200000'], { encoding: 'utf8' });
      // Shows the child's stderr when it fails.
      expect({ status: child.status, stderr: child.stderr }).toMatchObject({ status: 0 });
      const report = JSON.parse(child.stdout) as HeapReport;
      expect(report.rows).toBe(200_000);
      expect(statSync(join(dir, 'contacts.csv')).size).toBeGreaterThan(200_000 * 60);
      expect((report.peak - report.baseline) / MB).toBeLessThan(64);
      expect((report.after - report.baseline) / MB).toBeLessThan(8);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  }, 120_000);
});
