import type { EventPublisher, PublishEntry } from '@refinery/ports';

export interface PublisherContractSubject {
  readonly publisher: EventPublisher;
  /** Every entry the bus has accepted so far, in the order it accepted them (detail compared as a JSON value). */
  accepted(): Promise<PublishEntry[]>;
  cleanup(): Promise<void>;
}

const MAX_ENTRY_BYTES = 256 * 1024;

/**
 * What every EventPublisher must agree on (see the doc comment of `EventPublisher.publish`): each entry of a call
 * accepted exactly once and in order, however the adapter splits the call; entries that can never be accepted refused
 * before any entry of the call is; sizes counted in UTF-8 bytes of source, detail-type and detail, up to 256 KB.
 */
export function describePublisherContract(name: string, setup: () => Promise<PublisherContractSubject>): void {
  describe(`EventPublisher contract: ${name}`, () => {
    let subject: PublisherContractSubject;
    beforeEach(async () => {
      subject = await setup();
    });
    afterEach(() => subject.cleanup());

    it('accepts every entry of a call exactly once, in order, whatever its size (25 entries, one of 200 KB)', async () => {
      // Ten entries of the call come to more than 256 KB: an adapter must cut by bytes, not only by count.
      const entries = Array.from({ length: 25 }, (_, index) =>
        entry(`item.published.v${index}`, { index, pad: 'x'.repeat(index === 7 ? 200 * 1024 : index * 2000) }),
      );
      await subject.publisher.publish(entries);
      expect(normalized(await subject.accepted())).toEqual(normalized(entries));
    });

    it('keeps calls in order, does not deduplicate, and accepts nothing for an empty call', async () => {
      const first = entry('job.submitted.v1', { jobId: 'j1' });
      const second = entry('job.completed.v1', { jobId: 'j1' });
      await subject.publisher.publish([]);
      expect(await subject.accepted()).toEqual([]);
      await subject.publisher.publish([first, first]);
      await subject.publisher.publish([second]);
      expect(normalized(await subject.accepted())).toEqual(normalized([first, first, second]));
    });

    it('counts an entry as EventBridge does, in UTF-8 bytes of source, detail-type and detail: 256 KB fits, one byte more does not', async () => {
      // 'é' is two bytes in UTF-8: a size counted in characters would let the larger entry through.
      const fitting = entryOfSize('big.fitting.v1', MAX_ENTRY_BYTES);
      const over = entryOfSize('big.over.v1', MAX_ENTRY_BYTES + 1);
      await expect(subject.publisher.publish([entry('small.first.v1', {}), over])).rejects.toThrow(/big\.over\.v1.*262144/);
      expect(await subject.accepted()).toEqual([]);
      await subject.publisher.publish([fitting]);
      expect(normalized(await subject.accepted())).toEqual(normalized([fitting]));
    });

    it('refuses a detail that is not a JSON object before accepting any entry of the call', async () => {
      const good = entry('chunk.planned.v1', { chunk: 1 });
      await expect(subject.publisher.publish([good, { ...good, detailType: 'bad.json.v1', detail: '{"a":' }])).rejects.toThrow(
        /bad\.json\.v1.*not JSON/,
      );
      await expect(subject.publisher.publish([good, { ...good, detailType: 'bad.array.v1', detail: '[1,2]' }])).rejects.toThrow(
        /bad\.array\.v1.*JSON object/,
      );
      await expect(subject.publisher.publish([good, { ...good, detailType: 'bad.string.v1', detail: '"text"' }])).rejects.toThrow(
        /bad\.string\.v1.*JSON object/,
      );
      expect(await subject.accepted()).toEqual([]);
    });

    it('refuses an entry without a source or a detail-type before accepting any entry of the call', async () => {
      const good = entry('chunk.planned.v1', { chunk: 1 });
      await expect(subject.publisher.publish([good, { ...good, source: '' }])).rejects.toThrow(/source/);
      await expect(subject.publisher.publish([good, { ...good, detailType: '' }])).rejects.toThrow(/detail-type/);
      expect(await subject.accepted()).toEqual([]);
    });
  });
}

function entry(detailType: string, detail: Record<string, unknown>): PublishEntry {
  return { source: 'refinery.contract', detailType, detail: JSON.stringify({ metadata: { eventId: `e-${detailType}` }, data: detail }) };
}

/** An entry of exactly `bytes` bytes, its detail made of two-byte characters (and one ASCII one when odd). */
function entryOfSize(detailType: string, bytes: number): PublishEntry {
  const source = 'refinery.contract';
  const frame = Buffer.byteLength(source) + Buffer.byteLength(detailType) + Buffer.byteLength('{"pad":""}');
  const room = bytes - frame;
  const pad = 'é'.repeat(Math.floor(room / 2)) + 'x'.repeat(room % 2);
  const result = { source, detailType, detail: JSON.stringify({ pad }) };
  expect(Buffer.byteLength(result.source) + Buffer.byteLength(result.detailType) + Buffer.byteLength(result.detail)).toBe(bytes);
  return result;
}

/** Entries with their detail parsed: a bus may re-serialize the JSON it keeps. */
function normalized(entries: readonly PublishEntry[]): { source: string; detailType: string; detail: unknown }[] {
  return entries.map((item) => ({ source: item.source, detailType: item.detailType, detail: JSON.parse(item.detail) as unknown }));
}
