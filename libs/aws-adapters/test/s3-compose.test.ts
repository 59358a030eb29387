import { CreateBucketCommand, ListMultipartUploadsCommand, S3Client } from '@aws-sdk/client-s3';
import { type MotoServer, startMotoServer } from '@refinery/aws-emulator';
import { describeObjectStoreComposeContract } from '@refinery/port-contracts/src/object-store-compose';
import { MIN_COMPOSE_PART_BYTES } from '@refinery/ports';
import { type ComposePart, planComposeParts } from '../src/s3-compose';
import { S3ObjectStore } from '../src/s3-object-store';

// ObjectStore.compose on S3: a multipart upload of UploadPartCopy parts, with runs of small sources sent. fauxqs has no
// UploadPartCopy (it stores an empty part), so these run on moto, which also enforces S3's 5 MiB smallest part.

const MiB = 1024 * 1024;

let moto: MotoServer;
let serial = 0;

beforeAll(async () => {
  moto = await startMotoServer();
}, 60_000);
afterAll(async () => {
  await moto?.stop();
});

interface SentRequest {
  readonly command: string;
  readonly input: Record<string, unknown>;
}

/** A client on moto that records every command it sends, and can fail the nth of one kind. */
function recordingClient(failing?: { command: string; nth: number }): { client: S3Client; sent: SentRequest[] } {
  const client = new S3Client({ ...moto.clientConfig, forcePathStyle: true });
  const sent: SentRequest[] = [];
  client.middlewareStack.add(
    (next, context) => async (args) => {
      const command = String(context.commandName).replace(/Command$/, '');
      sent.push({ command, input: args.input as Record<string, unknown> });
      if (failing?.command === command && sent.filter((request) => request.command === command).length === failing.nth) {
        throw new Error(`${command} failed (injected)`);
      }
      return next(args);
    },
    { step: 'initialize', name: 'recordRequests' },
  );
  return { client, sent };
}

async function newBucket(client: S3Client): Promise<string> {
  const bucket = `compose-${(serial += 1)}`;
  await client.send(new CreateBucketCommand({ Bucket: bucket }));
  return bucket;
}

function patterned(size: number, seed: number): Buffer {
  return Buffer.alloc(size, seed);
}

describeObjectStoreComposeContract('S3ObjectStore on moto', async () => {
  const client = new S3Client({ ...moto.clientConfig, forcePathStyle: true });
  const bucket = await newBucket(client);
  return {
    store: new S3ObjectStore({ client }),
    bucket,
    cleanup: async () => {
      // A compose that left its multipart upload open fails here.
      expect((await client.send(new ListMultipartUploadsCommand({ Bucket: bucket }))).Uploads ?? []).toEqual([]);
      client.destroy();
    },
  };
});

describe('planComposeParts', () => {
  const limits = { minPartBytes: 10, maxPartBytes: 25, maxParts: 10_000 };
  const bytesOf = (part: ComposePart) => (part.kind === 'copy' ? [part.piece] : part.pieces).reduce((sum, piece) => sum + piece.end - piece.start, 0);
  /** Every source byte exactly once, in order. */
  const covered = (parts: ComposePart[]) => parts.flatMap((part) => (part.kind === 'copy' ? [part.piece] : part.pieces));

  it.each([[[1, 30, 12, 3, 3, 9, 0, 60, 2]], [[3, 3, 3, 3]], [[100]], [[9, 11]], [[0, 0]], [[10, 10, 10]]])(
    'cuts %j into parts of at least the minimum but the last, none above the maximum, covering every byte in order',
    (sizes) => {
      const parts = planComposeParts(sizes, limits);
      for (const part of parts.slice(0, -1)) expect(bytesOf(part)).toBeGreaterThanOrEqual(limits.minPartBytes);
      for (const part of parts) expect(bytesOf(part)).toBeLessThanOrEqual(limits.maxPartBytes);
      const pieces = covered(parts);
      const expected = sizes.flatMap((size, source) => (size > 0 ? [{ source, size }] : []));
      let at = 0;
      for (const { source, size } of expected) {
        let offset = 0;
        while (offset < size) {
          const piece = pieces[at];
          expect(piece).toMatchObject({ source, start: offset });
          offset = piece?.end ?? size;
          at += 1;
        }
        expect(offset).toBe(size);
      }
      expect(at).toBe(pieces.length);
    },
  );

  it('copies what is large, sends only what it takes to fill a part', () => {
    expect(planComposeParts([1, 30, 12, 3], limits)).toEqual([
      {
        kind: 'send',
        pieces: [
          { source: 0, start: 0, end: 1 },
          { source: 1, start: 0, end: 9 },
        ],
      },
      { kind: 'copy', piece: { source: 1, start: 9, end: 30 } },
      { kind: 'copy', piece: { source: 2, start: 0, end: 12 } },
      { kind: 'send', pieces: [{ source: 3, start: 0, end: 3 }] },
    ]);
  });

  it('refuses more parts than one object can have, saying how many it needed', () => {
    expect(() =>
      planComposeParts(
        Array.from({ length: 5 }, () => 10),
        { ...limits, maxParts: 4 },
      ),
    ).toThrow('composing 5 objects needs 5 parts, more than the 4 one object can have');
  });
});

describe('S3ObjectStore.compose requests', () => {
  it('copies large sources server-side and sends only small runs, every part but the last at least 5 MiB', async () => {
    const { client, sent } = recordingClient();
    const bucket = await newBucket(client);
    const store = new S3ObjectStore({ client });
    const bodies = [Buffer.from('header\n'), patterned(12 * MiB, 1), patterned(6 * MiB, 2), patterned(MiB, 3), patterned(MiB, 4)];
    const refs = bodies.map((_, index) => ({ bucket, key: `job/merge/${index}` }));
    for (const [index, body] of bodies.entries()) await store.put(refs[index] as (typeof refs)[number], body);
    sent.length = 0;

    const info = await store.compose({ bucket, key: 'job/result.csv' }, refs, { contentType: 'text/csv' });

    const partSizes = sent
      .filter((request) => request.command === 'UploadPart' || request.command === 'UploadPartCopy')
      .sort((a, b) => Number(a.input.PartNumber) - Number(b.input.PartNumber))
      .map((request) => {
        if (request.command === 'UploadPart') return { sent: (request.input.Body as Buffer).length };
        const [start, end] = String(request.input.CopySourceRange).replace('bytes=', '').split('-').map(Number);
        return { copied: (end as number) - (start as number) + 1 };
      });
    // The header and the first 5 MiB less 7 bytes of the first source sent; the rest of it and the next copied; the
    // two small ones sent together as the last part.
    expect(partSizes).toEqual([{ sent: MIN_COMPOSE_PART_BYTES }, { copied: 7 * MiB + 7 }, { copied: 6 * MiB }, { sent: 2 * MiB }]);
    // Bytes through the caller: the two sent parts, not the 20 MiB composed.
    const read = sent
      .filter((request) => request.command === 'GetObject')
      .map((request) => String(request.input.Range).replace('bytes=', '').split('-').map(Number))
      .reduce((sum, [start, end]) => sum + (end as number) - (start as number) + 1, 0);
    expect(read).toBe(MIN_COMPOSE_PART_BYTES + 2 * MiB);
    expect(info.sizeBytes).toBe(Buffer.concat(bodies).length);
    expect((await store.getBuffer({ bucket, key: 'job/result.csv' })).equals(Buffer.concat(bodies))).toBe(true);
    client.destroy();
  }, 120_000);

  it('aborts the multipart upload when a part fails, and leaves no object', async () => {
    const { client } = recordingClient({ command: 'UploadPartCopy', nth: 2 });
    const bucket = await newBucket(client);
    const store = new S3ObjectStore({ client });
    const refs = [0, 1, 2].map((index) => ({ bucket, key: `job/merge/${index}` }));
    for (const [index, ref] of refs.entries()) await store.put(ref, patterned(6 * MiB, index));

    await expect(store.compose({ bucket, key: 'job/result.csv' }, refs)).rejects.toThrow('UploadPartCopy failed (injected)');

    expect((await client.send(new ListMultipartUploadsCommand({ Bucket: bucket }))).Uploads ?? []).toEqual([]);
    expect(await store.head({ bucket, key: 'job/result.csv' })).toBeUndefined();
    client.destroy();
  }, 120_000);
});
