// npx tsx bench/cpu-profile-split.ts PROFILE.cpuprofile
//
// A matcher thread's profile split by what the samples were doing (issue 16): each sample goes to the innermost frame
// on its stack that names a part (the directory's look-up, the scoring, the NDJSON of the matched chunk, ...), places
// in a bundle mapped back to their TypeScript sources as bench/cpu-profile-top.ts does. Shares are of the busy samples
// (idle left out); the profiler samples wall time, so on a shared machine compare shares, not milliseconds.
import { existsSync, readFileSync } from 'node:fs';
import { SourceMap } from 'node:module';

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

const PARTS: readonly [string, (frame: CallFrame) => boolean][] = [
  ['(idle)', (frame) => frame.functionName === '(idle)'],
  ['garbage collector', (frame) => frame.functionName === '(garbage collector)'],
  ['NDJSON of the matched chunk (toNdjson, toNdjsonBatches)', (frame) => frame.url.includes('chunk-records/src/ndjson')],
  [
    'directory look-up (findCandidates, the subject comparable form included)',
    (frame) => ['findCandidates', 'candidatesFor'].includes(frame.functionName),
  ],
  ['scoring (decideMatch)', (frame) => frame.functionName === 'decideMatch'],
  ['validation and standardization (prepareRow)', (frame) => frame.functionName === 'prepareRow'],
  ["the job's model learnt (learnJobModel)", (frame) => frame.functionName === 'learnJobModel'],
  ['chunk read and CSV parse (readCsvRows, csv-parse)', (frame) => frame.functionName === 'readCsvRows' || frame.url.includes('csv-parse')],
  ['object write (local object store)', (frame) => frame.url.includes('local-object-store') || frame.functionName === 'writeBuffer'],
  ['queues and events (local runtime, SQLite)', (frame) => /local-queues|local-runtime|better-sqlite3/.test(frame.url)],
];
const OTHER = 'other (the rows loop, decideBatch, module loading, ...)';

function inlineSourceMap(path: string): SourceMap | undefined {
  if (!existsSync(path)) return undefined;
  const text = readFileSync(path, 'utf8');
  const marker = 'sourceMappingURL=data:application/json;base64,';
  const at = text.lastIndexOf(marker);
  if (at < 0) return undefined;
  return new SourceMap(JSON.parse(Buffer.from(text.slice(at + marker.length).trim(), 'base64').toString('utf8')));
}

function main(): void {
  const file = process.argv[2];
  if (file === undefined) {
    process.stderr.write('usage: npx tsx bench/cpu-profile-split.ts PROFILE.cpuprofile\n');
    process.exitCode = 1;
    return;
  }
  const profile = JSON.parse(readFileSync(file, 'utf8')) as CpuProfile;
  const maps = new Map<string, SourceMap | undefined>();
  for (const node of profile.nodes) {
    const frame = node.callFrame;
    if (!frame.url.startsWith('file://')) continue;
    const path = frame.url.slice('file://'.length);
    if (!maps.has(path)) maps.set(path, inlineSourceMap(path));
    const entry = maps.get(path)?.findEntry(frame.lineNumber, frame.columnNumber);
    if (entry !== undefined && 'originalSource' in entry) frame.url = entry.originalSource;
  }
  const byId = new Map(profile.nodes.map((node) => [node.id, node]));
  const parentOf = new Map<number, number>();
  for (const node of profile.nodes) for (const child of node.children ?? []) parentOf.set(child, node.id);
  const partOf = new Map<number, string>();
  const part = (id: number): string => {
    const known = partOf.get(id);
    if (known !== undefined) return known;
    let found: string | undefined;
    for (let at: number | undefined = id; at !== undefined && found === undefined; at = parentOf.get(at)) {
      const frame = (byId.get(at) as ProfileNode).callFrame;
      found = PARTS.find(([, test]) => test(frame))?.[0];
    }
    partOf.set(id, found ?? OTHER);
    return found ?? OTHER;
  };
  const totals = new Map<string, number>();
  profile.samples.forEach((id, index) => {
    const name = part(id);
    totals.set(name, (totals.get(name) ?? 0) + (profile.timeDeltas[index] ?? 0));
  });
  const all = [...totals.values()].reduce((sum, value) => sum + value, 0);
  const busy = all - (totals.get('(idle)') ?? 0);
  console.log(`${file}: ${(all / 1e6).toFixed(1)} s sampled, ${(busy / 1e6).toFixed(1)} s busy`);
  for (const [name, micros] of [...totals].sort((a, b) => b[1] - a[1])) {
    const share = name === '(idle)' ? '      ' : `${((100 * micros) / busy).toFixed(1).padStart(5)} %`;
    console.log(`${(micros / 1e3).toFixed(0).padStart(8)} ms ${share}  ${name}`);
  }
}

main();
