import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import type { ChunkBenchResult, Timing } from '../../bench/chunk-bench';
import { REPO_ROOT } from '../support/cli';

// `npm run bench:chunk` is measured by hand (docs/performance.md); this keeps it working: two chunks of 50 rows
// against 200 people (a few seconds), its one JSON object complete. No timing is asserted.

jest.setTimeout(60_000);

describe('npm run bench:chunk -- --chunks 2 --chunk-rows 50 --directory-size 200 --json', () => {
  const outDir = mkdtempSync(join(tmpdir(), 'refinery-chunk-bench-'));
  afterAll(() => rmSync(outDir, { recursive: true, force: true }));

  it('prints one JSON object: the cold start and the warm chunks of both stages, in positive figures', async () => {
    const { stdout } = await promisify(execFile)(
      join(REPO_ROOT, 'node_modules', '.bin', 'tsx'),
      ['bench/chunk-bench.ts', '--chunks', '2', '--chunk-rows', '50', '--directory-size', '200', '--json', '--out', outDir],
      { cwd: REPO_ROOT, maxBuffer: 10 * 1024 * 1024 },
    );
    expect(stdout.trim().split('\n')).toHaveLength(1);
    const result = JSON.parse(stdout) as ChunkBenchResult;
    expect(result).toMatchObject({ chunks: 2, chunkRows: 50, rows: 100, directorySize: 200, warm: { chunks: 1 } });
    expect(result.machine.cpuModel).not.toBe('');
    expect(result.machine.node).toBe(process.version);
    expect(typeof result.pinned).toBe('boolean');
    expect(result.pinning).not.toBe('');

    const positive = (value: unknown) => expect(typeof value === 'number' && Number.isFinite(value) && value > 0).toBe(true);
    const timings: Timing[] = [result.coldStart.matcherInit, result.coldStart.firstChunk.matcher, result.coldStart.firstChunk.labeler];
    for (const timing of timings) {
      positive(timing.wallMs);
      positive(timing.cpuMs);
    }
    // The labeler's composition builds two handlers, well under a millisecond: rounded to 0.1 ms it may be 0.
    expect(result.coldStart.labelerInit.wallMs).toBeGreaterThanOrEqual(0);
    expect(result.coldStart.labelerInit.cpuMs).toBeGreaterThanOrEqual(0);
    for (const stage of [result.warm.matcher, result.warm.labeler]) {
      for (const spread of [stage.wallMs, stage.cpuMs]) {
        positive(spread.median);
        positive(spread.p90);
        expect(spread.p90).toBeGreaterThanOrEqual(spread.median);
      }
    }
    positive(result.peakRssMb);
    positive(result.bytesPerChunk.inputRange);
    positive(result.bytesPerChunk.matched);
    positive(result.bytesPerChunk.labeled);

    // Each warm chunk: the matcher reads its byte range and writes its matched rows, the labeler reads those and writes
    // its labeled rows — the requests that S3 would answer.
    expect(result.warm.matcher.requests['objects.get']).toBeGreaterThanOrEqual(1);
    expect(result.warm.matcher.requests['objects.put']).toBe(1);
    expect(result.warm.labeler.requests).toEqual({ 'objects.get': 1, 'objects.put': 1 });
    expect(result.notIncluded).toMatch(/round trips/);
  });
});
