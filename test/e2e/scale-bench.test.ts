import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { PER_CHUNK_FIGURES } from '../../bench/scale-bench';
import { REPO_ROOT } from '../support/cli';

// `npm run bench:scale` is measured by hand (docs/scale.md); this keeps it working: a job of 5 chunks on the emulated
// stage, its one JSON object complete and consistent. The counting itself is checked in
// libs/aws-emulator/test/request-meter.test.ts.

jest.setTimeout(300_000);

describe('npm run bench:scale -- --chunks 5 --json', () => {
  const outDir = mkdtempSync(join(tmpdir(), 'refinery-scale-bench-'));
  afterAll(() => rmSync(outDir, { recursive: true, force: true }));

  it('prints one JSON object: totals, per-chunk figures that are the totals over the chunks, and the merge time', async () => {
    const { stdout } = await promisify(execFile)(
      join(REPO_ROOT, 'node_modules', '.bin', 'tsx'),
      ['bench/scale-bench.ts', '--chunks', '5', '--json', '--out', outDir],
      { cwd: REPO_ROOT, maxBuffer: 10 * 1024 * 1024 },
    );
    expect(stdout.trim().split('\n')).toHaveLength(1);
    const result = JSON.parse(stdout) as {
      chunks: number;
      totals: Record<string, number> & { invocationsByFunction: Record<string, number> };
      perChunk: Record<string, number>;
      costPerChunkUsd: Record<'dynamodb' | 's3' | 'eventBridge' | 'sqs' | 'lambdaRequests' | 'lambdaDuration' | 'total', number>;
      mergeSeconds: number;
      jobSeconds: number;
    };
    expect(result.chunks).toBe(5);
    for (const figure of PER_CHUNK_FIGURES) {
      expect(result.totals[figure]).toBeGreaterThan(0);
      expect(result.perChunk[figure]).toBeCloseTo((result.totals[figure] as number) / 5, 2);
    }
    // Every chunk is matched and labeled (one invocation each at least), and each stage publishes per chunk.
    const byFunction = result.totals.invocationsByFunction;
    // By either of the matcher's lanes (a job this small goes express).
    expect((byFunction['refinery-matcher-ci-chunks'] ?? 0) + (byFunction['refinery-matcher-ci-expressChunks'] ?? 0)).toBeGreaterThanOrEqual(1);
    expect(result.totals.invocations).toBeGreaterThanOrEqual(2 * 5);
    expect(result.totals.eventBridgeEntries).toBeGreaterThanOrEqual(2 * 5);
    // Each chunk is written and read in S3 at least once per stage.
    expect(result.totals.s3Requests).toBeGreaterThanOrEqual(2 * 5);
    expect(result.totals.lambdaGbSeconds).toBeGreaterThan(0);
    // Priced at list prices: every service's share, adding up.
    const cost = result.costPerChunkUsd;
    expect(cost.dynamodb).toBeGreaterThan(0);
    expect(cost.total).toBeCloseTo(cost.dynamodb + cost.s3 + cost.eventBridge + cost.sqs + cost.lambdaRequests + cost.lambdaDuration, 12);
    expect(result.mergeSeconds).toBeGreaterThan(0);
    expect(result.mergeSeconds).toBeLessThan(result.jobSeconds);
  });
});
