import { createHash } from 'node:crypto';
import {
  InvalidPartError,
  MultipartUploadNotFoundError,
  ObjectExistsError,
  type ObjectRef,
  type ObjectStore,
  type UploadedPart,
} from '@refinery/ports';
import type { ObjectStoreContractSubject } from './object-store';

/** The same subject as the object-store contract's: a store, an empty bucket, presigned requests sent over HTTP. */
export type MultipartUploadContractSubject = ObjectStoreContractSubject;

const MiB = 1024 * 1024;
/** S3's smallest part but the last, so the same parts complete on S3 and on the local store. */
const PART_BYTES = 5 * MiB;
const LONG_TEST_MS = 120_000;

/**
 * Multipart uploads by clients without credentials: what both object stores (local files, S3) must do alike. What moto
 * cannot show (it checks no signature, completes an upload twice, lists an upload under another key) is tested on the
 * local store alone (libs/local-runtime/test/local-multipart-uploads.test.ts).
 */
export function describeMultipartUploadContract(name: string, setup: () => Promise<MultipartUploadContractSubject>): void {
  describe(`ObjectStore multipart upload contract: ${name}`, () => {
    let subject: MultipartUploadContractSubject;
    let store: ObjectStore;
    const ref = (key: string): ObjectRef => ({ bucket: subject.bucket, key });
    const file = Buffer.concat([patterned(PART_BYTES, 1), patterned(PART_BYTES, 2), patterned(1234, 3)]);
    const partOf = (n: number) => file.subarray((n - 1) * PART_BYTES, Math.min(n * PART_BYTES, file.length));

    beforeEach(async () => {
      subject = await setup();
      store = subject.store;
    });
    afterEach(async () => {
      await subject.cleanup();
    });

    async function sendPart(target: ObjectRef, uploadId: string, partNumber: number, body: Buffer, contentLength = body.length) {
      const request = await store.presignUploadPart(target, uploadId, partNumber, { expiresInSeconds: 300, contentLength });
      expect(request).toMatchObject({ method: 'PUT', headers: { 'content-length': String(contentLength) } });
      return subject.fetchPresigned(request, body);
    }

    async function allParts(target: ObjectRef, uploadId: string, limit: number): Promise<UploadedPart[]> {
      const parts: UploadedPart[] = [];
      let after: number | undefined;
      do {
        const page = await store.listUploadedParts(target, uploadId, { limit, ...(after ? { after } : {}) });
        expect(page.parts.length).toBeLessThanOrEqual(limit);
        parts.push(...page.parts);
        after = page.nextAfter;
      } while (after);
      return parts;
    }

    it(
      'takes parts at presigned URLs in any order, lists them in pages, and completes the object from them (invisible until then)',
      async () => {
        const target = ref('tenants/t1/jobs/j1/input.csv');
        const uploadId = await store.startMultipartUpload(target, { contentType: 'text/csv' });
        for (const n of [3, 1, 2]) expect((await sendPart(target, uploadId, n, partOf(n))).status).toBe(200);
        expect(await store.head(target)).toBeUndefined();

        const parts = await allParts(target, uploadId, 2);
        expect(parts).toEqual([1, 2, 3].map((n) => ({ partNumber: n, sizeBytes: partOf(n).length, etag: `"${md5(partOf(n))}"` })));

        const info = await store.completeMultipartUpload(target, uploadId, parts, { ifNoneMatch: '*' });
        expect(info.sizeBytes).toBe(file.length);
        expect((await store.getBuffer(target)).equals(file)).toBe(true);
        expect(await store.head(target)).toMatchObject({ sizeBytes: file.length, contentType: 'text/csv' });
      },
      LONG_TEST_MS,
    );

    it(
      'keeps the part sent last under a number',
      async () => {
        const target = ref('again.csv');
        const uploadId = await store.startMultipartUpload(target);
        expect((await sendPart(target, uploadId, 1, patterned(100, 9))).status).toBe(200);
        expect((await sendPart(target, uploadId, 1, partOf(1))).status).toBe(200);
        expect((await store.listUploadedParts(target, uploadId)).parts).toEqual([
          { partNumber: 1, sizeBytes: PART_BYTES, etag: `"${md5(partOf(1))}"` },
        ]);
        await store.abortMultipartUpload(target, uploadId);
      },
      LONG_TEST_MS,
    );

    it(
      'refuses to complete with a part never uploaded or an ETag that is not the stored one',
      async () => {
        const target = ref('refused.csv');
        const uploadId = await store.startMultipartUpload(target);
        await sendPart(target, uploadId, 1, partOf(1));
        await sendPart(target, uploadId, 2, partOf(3));
        const [one, two] = (await store.listUploadedParts(target, uploadId)).parts;
        if (!one || !two) throw new Error('two parts expected');
        await expect(store.completeMultipartUpload(target, uploadId, [one, { partNumber: 3, etag: two.etag }])).rejects.toThrow(InvalidPartError);
        await expect(store.completeMultipartUpload(target, uploadId, [one, { ...two, etag: `"${md5(Buffer.from('other'))}"` }])).rejects.toThrow(
          InvalidPartError,
        );
        expect(await store.head(target)).toBeUndefined();
        await store.completeMultipartUpload(target, uploadId, [one, two]);
        expect((await store.getBuffer(target)).equals(Buffer.concat([partOf(1), partOf(3)]))).toBe(true);
      },
      LONG_TEST_MS,
    );

    it('forgets an aborted upload', async () => {
      const target = ref('mine.csv');
      const uploadId = await store.startMultipartUpload(target);
      await store.abortMultipartUpload(target, uploadId);
      await expect(store.listUploadedParts(target, uploadId)).rejects.toThrow(MultipartUploadNotFoundError);
      // Refused: S3 (and the local store) with 404 NoSuchUpload, moto with a 500.
      expect((await sendPart(target, uploadId, 1, Buffer.from('x'))).status).toBeGreaterThanOrEqual(400);
      await store.abortMultipartUpload(target, uploadId); // aborting again is not an error
    });

    it(
      'does not replace an existing object when completing create-only',
      async () => {
        const target = ref('taken.csv');
        await store.put(target, 'already here');
        const uploadId = await store.startMultipartUpload(target);
        await sendPart(target, uploadId, 1, Buffer.from('new'));
        const parts = (await store.listUploadedParts(target, uploadId)).parts;
        await expect(store.completeMultipartUpload(target, uploadId, parts, { ifNoneMatch: '*' })).rejects.toThrow(ObjectExistsError);
        expect((await store.getBuffer(target)).toString()).toBe('already here');
        await store.abortMultipartUpload(target, uploadId);
      },
      LONG_TEST_MS,
    );
  });
}

function md5(buffer: Buffer): string {
  return createHash('md5').update(buffer).digest('hex');
}

/** Deterministic bytes that differ per seed, so a misplaced part cannot go unnoticed. */
function patterned(size: number, seed: number): Buffer {
  const buffer = Buffer.alloc(size);
  let state = seed;
  for (let i = 0; i < size; i += 1) {
    state = (state * 1103515245 + 12345) & 0x7fffffff;
    buffer[i] = state >>> 16;
  }
  return buffer;
}
