// npx tsx bench/cpu-profile-top.ts PROFILE.cpuprofile [--top 30]
//
// The top entries of a V8 CPU profile (`node --cpu-prof`), as docs/performance.md lists them: self time per function
// and place, and inclusive time per function (a function counted once per sample however deep it recurses). Places in
// the bundled `refinery` command (apps/refinery/dist/refinery.js) are mapped back to their TypeScript sources through
// the bundle's inline source map, so `node --cpu-prof --cpu-prof-dir DIR apps/refinery/dist/refinery.js enrich ...`
// names libs/ and services/ files. Times are the profiler's samples: on a machine shared with other work they include
// the time the process waited for a core, so compare shares between runs made in the same conditions.
import { existsSync, readFileSync } from 'node:fs';
import { SourceMap } from 'node:module';
import { basename } from 'node:path';

interface CallFrame {
  functionName: string;
  url: string;
  lineNumber: number;
  columnNumber: number;
}

interface ProfileNode {
  id: number;
  callFrame: CallFrame;
  children?: number[];
}

interface CpuProfile {
  nodes: ProfileNode[];
  samples: number[];
  timeDeltas: number[];
}

export interface TopEntry {
  readonly name: string;
  readonly ms: number;
  readonly share: number;
}

/** The source map inlined in a bundle (esbuild's `sourcemap: 'inline'`), if the file has one. */
function inlineSourceMap(path: string): SourceMap | undefined {
  if (!existsSync(path)) return undefined;
  const match = /sourceMappingURL=data:application\/json;base64,([A-Za-z0-9+/=]+)\s*$/.exec(readFileSync(path, 'utf8'));
  return match ? new SourceMap(JSON.parse(Buffer.from(match[1] as string, 'base64').toString('utf8'))) : undefined;
}

export function topEntries(profile: CpuProfile): { self: TopEntry[]; inclusive: TopEntry[]; totalMs: number } {
  const maps = new Map<string, SourceMap | undefined>();
  const place = (frame: CallFrame): string => {
    if (frame.url === '') return '';
    const path = frame.url.replace(/^file:\/\//, '');
    if (!maps.has(path)) maps.set(path, path.endsWith('.js') ? inlineSourceMap(path) : undefined);
    const entry = maps.get(path)?.findEntry(frame.lineNumber, frame.columnNumber);
    if (entry && 'originalSource' in entry && entry.originalSource) {
      return `${entry.originalSource.replace(/^.*?\/((libs|services|apps)\/)/, '$1')}:${entry.originalLine + 1}`;
    }
    return `${path.replace(/^.*node_modules\//, '')}:${frame.lineNumber + 1}`;
  };
  const byId = new Map(profile.nodes.map((node) => [node.id, node]));
  const parentOf = new Map<number, number>();
  for (const node of profile.nodes) for (const child of node.children ?? []) parentOf.set(child, node.id);
  const names = new Map<number, string>();
  const nameOf = (id: number): string => {
    let name = names.get(id);
    if (name === undefined) {
      const frame = (byId.get(id) as ProfileNode).callFrame;
      name = `${frame.functionName || '(anonymous)'} ${place(frame)}`.trim();
      names.set(id, name);
    }
    return name;
  };
  const sampled = new Map<number, number>();
  profile.samples.forEach((id, i) => {
    sampled.set(id, (sampled.get(id) ?? 0) + (profile.timeDeltas[i] ?? 0));
  });
  const self = new Map<string, number>();
  const inclusive = new Map<string, number>();
  let total = 0;
  for (const [id, micros] of sampled) {
    total += micros;
    self.set(nameOf(id), (self.get(nameOf(id)) ?? 0) + micros);
    const counted = new Set<string>();
    for (let at: number | undefined = id; at !== undefined; at = parentOf.get(at)) {
      const name = nameOf(at);
      if (counted.has(name)) continue;
      counted.add(name);
      inclusive.set(name, (inclusive.get(name) ?? 0) + micros);
    }
  }
  const sorted = (times: Map<string, number>): TopEntry[] =>
    [...times].sort((a, b) => b[1] - a[1]).map(([name, micros]) => ({ name, ms: micros / 1000, share: micros / total }));
  return { self: sorted(self), inclusive: sorted(inclusive), totalMs: total / 1000 };
}

if (require.main === module) {
  const args = process.argv.slice(2);
  const topAt = args.indexOf('--top');
  const top = topAt >= 0 ? Number(args[topAt + 1]) : 30;
  const file = args.find((arg, i) => !arg.startsWith('--') && i !== topAt + 1);
  if (file === undefined || !Number.isInteger(top) || top < 1) {
    process.stderr.write('usage: npx tsx bench/cpu-profile-top.ts PROFILE.cpuprofile [--top 30]\n');
    process.exit(2);
  }
  const { self, inclusive, totalMs } = topEntries(JSON.parse(readFileSync(file, 'utf8')) as CpuProfile);
  const print = (title: string, entries: readonly TopEntry[]): void => {
    process.stdout.write(`\n${title} (${basename(file)}: ${(totalMs / 1000).toFixed(1)} s sampled)\n`);
    for (const entry of entries.slice(0, top)) {
      process.stdout.write(`${entry.ms.toFixed(0).padStart(8)} ms ${(100 * entry.share).toFixed(1).padStart(5)} %  ${entry.name}\n`);
    }
  };
  print('self time', self);
  print('inclusive time', inclusive);
}
