import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type BenchResult, bench, parseRatioTarget, peakGrowth } from '../../bench/enrich-bench';

// The benchmark is measured by hand (docs/performance.md); this only keeps it working: a tiny run must go through
// generation, `refinery enrich` and the event log, and report every figure. No timing is asserted.

jest.setTimeout(120_000);

describe('npm run bench', () => {
  const outDir = mkdtempSync(join(tmpdir(), 'refinery-bench-'));
  afterAll(() => rmSync(outDir, { recursive: true, force: true }));

  it('reports rows per second, wall time per stage, peak memory and the issue 16 targets for each size', async () => {
    const lines: string[] = [];
    const results = await bench({ rows: [300, 600], directorySize: 500, chunkRows: 100, seed: 3, outDir }, (line) => lines.push(line));
    expect(results.map((r) => r.rows)).toEqual([300, 600]);
    for (const result of results) {
      expect(result.rowsPerSecond).toBeGreaterThan(0);
      expect(result.peakRssMb).toBeGreaterThan(0);
      // Issue 16's targets: the csv-parse passthrough of the same file and the ratio to it; no target this small.
      expect(result.parseRowsPerSecond).toBeGreaterThan(0);
      expect(result.parseRatio).toBeGreaterThan(0);
      expect(result.parseRatioTarget).toBeNull();
      expect(result.peakRssTargetMb).toBe(512);
      // CPU from /proc: the whole process's, at least its main thread's plus its busiest other thread's (the matcher's).
      expect(result.cpu.mainThread).toBeGreaterThan(0);
      expect(result.cpu.busiestOtherThread).toBeGreaterThan(0);
      expect(result.cpu.total).toBeGreaterThanOrEqual(Math.round((result.cpu.mainThread + result.cpu.busiestOtherThread) * 10) / 10 - 0.1);
      expect(Object.keys(result.stages)).toEqual([
        'ingest (created -> submitted)',
        'chunker (submitted -> planned)',
        'matcher (first chunk planned -> last chunk matched)',
        'labeler (first matched -> last labeled)',
        'merger (last labeled -> completed)',
        'pipeline (submitted -> completed)',
      ]);
      for (const seconds of Object.values(result.stages)) expect(Number.isFinite(seconds) && seconds >= 0).toBe(true);
      // The live updates: some states published (the last one completed), never more than the chunks' events allow.
      expect(result.liveUpdates.chunks).toBe(result.rows / 100);
      expect(result.liveUpdates.published).toBeGreaterThan(0);
      expect(result.liveUpdates.published).toBeLessThanOrEqual(result.liveUpdates.chunks + 4);
      expect(result.liveUpdates.lastStatus).toBe('completed');
    }
    expect(lines.join('\n')).toContain('| 600 |');
    expect(lines.join('\n')).toMatch(/300 rows: \d+ rows\/s ÷ csv-parse \d+ rows\/s = [\d.]+ \(no target below 100,000 rows\)/);
    expect(lines.join('\n')).toMatch(/600 rows: peak RSS \d+ MB, target <= 512 MB at default V8 settings: (met|NOT met)/);
    expect(lines.join('\n')).toContain('peak growth: needs both 100000 and 1000000 rows');
    expect(lines.join('\n')).toMatch(/CPU \(user \+ system\): [\d.]+ s, of which main thread [\d.]+ s, busiest other thread [\d.]+ s/);
    expect(lines.join('\n')).toMatch(/live updates: \d+ job\.progressed\.v1 for 6 chunks, at most \d+ in any second, the last one completed/);
  });

  it('prints one JSON object with --json, the same figures as it returns', async () => {
    const lines: string[] = [];
    const results = await bench({ rows: [300], directorySize: 500, chunkRows: 100, seed: 3, outDir, json: true }, (line) => lines.push(line));
    expect(lines).toHaveLength(1);
    const printed = JSON.parse(lines[0] as string) as { machine: string; results: BenchResult[]; targets: object; peakGrowth: number | null };
    expect(printed.results).toEqual(results);
    expect(printed.machine).toMatch(/\d+ x .+, \d+ GiB, Node v\d+/);
    expect(printed.targets).toEqual({ peakRssMb: 512, peakGrowth: 1.2, parseRatioAt1M: 0.2, parseRatioAt100k: 0.15 });
    expect(printed.peakGrowth).toBeNull();
  });

  it('states the parse-ratio target of each size and the peak growth only when 100,000 and 1,000,000 rows both ran', () => {
    expect([99_999, 100_000, 999_999, 1_000_000, 10_000_000].map(parseRatioTarget)).toEqual([null, 0.15, 0.15, 0.2, 0.2]);
    const result = (rows: number, peakRssMb: number) => ({ rows, peakRssMb }) as BenchResult;
    expect(peakGrowth([result(100_000, 400), result(1_000_000, 440)])).toBe(1.1);
    expect(peakGrowth([result(300, 400), result(600, 440)])).toBeUndefined();
  });
});
