// npx tsx bench/directory-load.ts [directory.csv] [loads]
//
// Loads a directory CSV with DirectoryProvider.fromFile several times in one process (default: the bench book's
// 100,000 people, 3 loads) and prints, for each load, its wall time, the process's CPU time (user + system, every thread)
// and, after a full collection when run with --expose-gc, the heap in use: what `refinery enrich` spends before its job
// starts, in the worker thread (docs/performance.md, "Outside the pipeline"). The first load includes compiling the code.
import { resolve } from 'node:path';
import { DirectoryProvider } from '@refinery/directory-provider';

async function main(): Promise<void> {
  const path = process.argv[2] || resolve(__dirname, 'out/book-100000-dir-100000-seed-1/directory.csv');
  const loads = Number(process.argv[3] ?? 3);
  for (let load = 1; load <= loads; load += 1) {
    const cpu = process.cpuUsage();
    const started = process.hrtime.bigint();
    const provider = await DirectoryProvider.fromFile(path);
    const wall = Number(process.hrtime.bigint() - started) / 1e9;
    const used = process.cpuUsage(cpu);
    (globalThis as { gc?: () => void }).gc?.();
    const heap = process.memoryUsage().heapUsed / 2 ** 20;
    process.stdout.write(
      `load ${load}: ${provider.size} people, wall ${wall.toFixed(2)} s, cpu ${((used.user + used.system) / 1e6).toFixed(2)} s, heap used ${heap.toFixed(0)} MB\n`,
    );
  }
}

main().catch((error: unknown) => {
  process.stderr.write(`directory-load: ${(error as Error).message}\n`);
  process.exit(1);
});
