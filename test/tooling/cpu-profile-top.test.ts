import { topEntries } from '../../bench/cpu-profile-top';

// A profile of (root) -> main -> work -> work (recursion) and main -> parse, sampled 10 + 30 + 60 µs.
const frame = (functionName: string) => ({ functionName, url: '', lineNumber: 0, columnNumber: 0 });
const profile = {
  nodes: [
    { id: 1, callFrame: frame('(root)'), children: [2] },
    { id: 2, callFrame: frame('main'), children: [3, 5] },
    { id: 3, callFrame: frame('work'), children: [4] },
    { id: 4, callFrame: frame('work') },
    { id: 5, callFrame: frame('parse') },
  ],
  samples: [2, 4, 5, 4],
  timeDeltas: [10, 10, 60, 20],
};

test('self time sums the samples of each function, inclusive time counts a recursing function once per sample', () => {
  const { self, inclusive, totalMs } = topEntries(profile);
  expect(totalMs).toBeCloseTo(0.1);
  expect(self.map((entry) => [entry.name, entry.ms])).toEqual([
    ['parse', 0.06],
    ['work', 0.03],
    ['main', 0.01],
  ]);
  expect(self[0]?.share).toBeCloseTo(0.6);
  const work = inclusive.find((entry) => entry.name === 'work');
  expect(work?.ms).toBeCloseTo(0.03);
  expect(inclusive.find((entry) => entry.name === '(root)')?.share).toBe(1);
  expect(inclusive.find((entry) => entry.name === 'main')?.ms).toBeCloseTo(0.1);
});
