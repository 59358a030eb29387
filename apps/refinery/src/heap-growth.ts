import { setFlagsFromString } from 'node:v8';

/**
 * How far V8 lets a heap grow past what its last full collection kept, in percent, for the commands that run the
 * pipeline here (`refinery enrich` on this machine, `refinery dev`): 50 lets the old generation reach 1.5 times its live
 * size before the next full collection. Set when the command starts, before the directory loads: set after the load
 * instead, it saved a few full collections, but the limit V8 had chosen during the load held until the next one, and a
 * run peaked at 589 MB (docs/performance.md).
 *
 * Left to itself, V8 picks that factor between 1.1 and 4 from how fast it collects against how fast the program
 * allocates, and for this work it picks a large one: the matcher thread's heap held about 145 MB that was alive but
 * grew to 400 MB of mostly garbage over 100,000 rows (more over 1,000,000) before a full collection came, which put
 * `refinery enrich` at 630–980 MB of resident memory (docs/performance.md, "Peak memory at default V8 settings").
 *
 * This is a growth policy, not a limit: the heap limit stays V8's default, so a chunk that needs more memory (up to
 * `--chunk-rows 100000`) gets it, and nothing can fail for want of memory that could not fail before. What it costs is
 * more full collections, each marking the whole directory index again: about 8–10 % more CPU per 100,000 rows as
 * measured (docs/performance.md, where the trade-off is stated). A factor of 2 (100) kept 100,000 rows under 512 MB
 * but not 1,000,000.
 *
 * The flag is process-wide (every thread's heap, the worker threads' too) and read at each full collection; a
 * `--heap-growing-percent` given to node by the user is left alone.
 */
export const HEAP_GROWING_PERCENT = 50;

/**
 * Sets V8's heap growing factor for this process unless the user gave one, on node's command line or in NODE_OPTIONS
 * (which `execArgv` does not show); returns whether it did.
 */
export function moderateHeapGrowth(execArgv: readonly string[] = process.execArgv, nodeOptions = process.env.NODE_OPTIONS ?? ''): boolean {
  const given = /(^|\s)--heap[-_]growing[-_]percent\b/;
  if (execArgv.some((arg) => given.test(arg)) || given.test(nodeOptions)) return false;
  setFlagsFromString(`--heap-growing-percent=${HEAP_GROWING_PERCENT}`);
  return true;
}
