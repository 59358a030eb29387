import { createHash } from 'node:crypto';
import { Readable } from 'node:stream';
import { ObjectExistsError, ObjectNotFoundError, type ObjectRef, type ObjectStore, type PresignedRequest } from '@refinery/ports';

export interface ObjectStoreContractSubject {
  readonly store: ObjectStore;
  /** A bucket the store can write to, empty at the start of each test. */
  readonly bucket: string;
  /** Sends a presigned request over real HTTP, as a client without credentials would. */
  fetchPresigned(request: PresignedRequest, body?: Buffer | string): Promise<{ status: number; body: Buffer }>;
  cleanup(): Promise<void>;
}

const MiB = 1024 * 1024;
/** Larger than two S3 parts of the minimum size (5 MiB), so the AWS adapter completes a real multipart upload. */
const LARGE_BYTES = 12 * MiB;
/** More than one minimum-size part: a multipart upload has begun when the stream fails. */
const PAST_FIRST_PART_BYTES = 6 * MiB;
const LONG_TEST_MS = 120_000;

/** What both object stores (local files, S3) must do alike. */
export function describeObjectStoreContract(name: string, setup: () => Promise<ObjectStoreContractSubject>): void {
  describe(`ObjectStore contract: ${name}`, () => {
    let subject: ObjectStoreContractSubject;
    let store: ObjectStore;
    const ref = (key: string): ObjectRef => ({ bucket: subject.bucket, key });

    beforeEach(async () => {
      subject = await setup();
      store = subject.store;
    });
    afterEach(async () => {
      await subject.cleanup();
    });

    describe('whole objects', () => {
      it('writes strings and buffers and reads them back byte for byte', async () => {
        const before = Date.now();
        const info = await store.put(ref('tenants/t1/a.csv'), 'hello, world', { contentType: 'text/csv' });
        expect(info).toMatchObject({ sizeBytes: 12, contentType: 'text/csv' });
        expect(info.etag).toMatch(/^".+"$/);
        expectRecent(info.lastModified, before);
        expect((await store.getBuffer(ref('tenants/t1/a.csv'))).toString()).toBe('hello, world');

        const bytes = Buffer.from(Array.from({ length: 256 }, (_, i) => i));
        expect((await store.put(ref('bytes.bin'), bytes)).sizeBytes).toBe(256);
        const stream = await store.get(ref('bytes.bin'));
        expect(stream).toBeInstanceOf(Readable);
        expect((await readAll(stream)).equals(bytes)).toBe(true);
      });

      it('reports in head what put returned', async () => {
        const before = Date.now();
        const info = await store.put(ref('a.csv'), 'a,b\n1,2\n', { contentType: 'text/csv' });
        const head = await store.head(ref('a.csv'));
        expect(head).toMatchObject({ sizeBytes: 8, etag: info.etag, contentType: 'text/csv' });
        expectRecent(head?.lastModified, before);
      });

      it('replaces an object when no condition is given', async () => {
        const first = await store.put(ref('a.txt'), 'first');
        const second = await store.put(ref('a.txt'), 'second version');
        expect(second.etag).not.toBe(first.etag);
        expect((await store.getBuffer(ref('a.txt'))).toString()).toBe('second version');
        expect((await store.head(ref('a.txt')))?.sizeBytes).toBe(14);
      });

      it('stores an empty object', async () => {
        expect((await store.put(ref('empty.csv'), '')).sizeBytes).toBe(0);
        expect(await store.getBuffer(ref('empty.csv'))).toHaveLength(0);
        expect((await store.head(ref('empty.csv')))?.sizeBytes).toBe(0);
      });

      it('keeps keys with spaces, unicode and URL-reserved characters', async () => {
        const key = 'tenants/t 1/jobs/ünï cødé+a=b&c%20;.csv';
        await store.put(ref(key), 'odd key');
        expect((await store.getBuffer(ref(key))).toString()).toBe('odd key');
        expect(await store.head(ref('tenants/t 1/jobs/ünï cødé a=b&c%20;.csv'))).toBeUndefined();
      });
    });

    describe('byte ranges (end exclusive)', () => {
      beforeEach(async () => {
        await store.put(ref('r.txt'), 'hello, world');
      });

      it('reads closed, open-ended and exact-end ranges', async () => {
        expect(await text(store.getBuffer(ref('r.txt'), { start: 0, end: 5 }))).toBe('hello');
        expect(await text(store.getBuffer(ref('r.txt'), { start: 7 }))).toBe('world');
        expect(await text(store.getBuffer(ref('r.txt'), { start: 7, end: 12 }))).toBe('world');
        expect(await text(store.getBuffer(ref('r.txt'), { start: 11, end: 12 }))).toBe('d');
        expect(await text(store.getBuffer(ref('r.txt'), { start: 0 }))).toBe('hello, world');
        const stream = await store.get(ref('r.txt'), { start: 5, end: 7 });
        expect(stream).toBeInstanceOf(Readable);
        expect((await readAll(stream)).toString()).toBe(', ');
      });

      it('clamps an end past the object to its size', async () => {
        expect(await text(store.getBuffer(ref('r.txt'), { start: 7, end: 1000 }))).toBe('world');
      });

      it('reads an empty range as nothing', async () => {
        expect(await store.getBuffer(ref('r.txt'), { start: 5, end: 5 })).toHaveLength(0);
        expect(await store.getBuffer(ref('r.txt'), { start: 0, end: 0 })).toHaveLength(0);
      });

      it('reads an empty object from offset 0 as nothing', async () => {
        await store.put(ref('empty'), Buffer.alloc(0));
        expect(await store.getBuffer(ref('empty'), { start: 0 })).toHaveLength(0);
      });

      it('refuses ranges that start past the end or end before they start', async () => {
        await expect(store.getBuffer(ref('r.txt'), { start: 12 })).rejects.toBeInstanceOf(RangeError);
        await expect(store.getBuffer(ref('r.txt'), { start: 50, end: 60 })).rejects.toBeInstanceOf(RangeError);
        await expect(store.getBuffer(ref('r.txt'), { start: 5, end: 3 })).rejects.toBeInstanceOf(RangeError);
        await expect(store.getBuffer(ref('r.txt'), { start: -1, end: 3 })).rejects.toBeInstanceOf(RangeError);
      });
    });

    describe('streamed writes', () => {
      it(
        'writes a stream of several MB in parts and reads any range of it',
        async () => {
          const body = patterned(LARGE_BYTES);
          const info = await store.put(ref('big.ndjson'), chunks(body, 64 * 1024), { contentType: 'application/x-ndjson' });
          expect(info).toMatchObject({ sizeBytes: LARGE_BYTES, contentType: 'application/x-ndjson' });
          expect(await store.head(ref('big.ndjson'))).toMatchObject({ sizeBytes: LARGE_BYTES, etag: info.etag, contentType: 'application/x-ndjson' });
          expect(sha256(await store.getBuffer(ref('big.ndjson')))).toBe(sha256(body));
          // Across the boundary of 5 MiB parts.
          const across = { start: 5 * MiB - 10, end: 5 * MiB + 10 };
          expect((await store.getBuffer(ref('big.ndjson'), across)).equals(body.subarray(across.start, across.end))).toBe(true);
          expect((await store.getBuffer(ref('big.ndjson'), { start: LARGE_BYTES - 3 })).equals(body.subarray(LARGE_BYTES - 3))).toBe(true);
        },
        LONG_TEST_MS,
      );

      it('accepts async iterables of strings and bytes', async () => {
        async function* pieces(): AsyncGenerator<string | Uint8Array> {
          yield 'ab';
          yield new Uint8Array([99, 100]);
          yield Buffer.from('é');
        }
        expect((await store.put(ref('pieces'), pieces())).sizeBytes).toBe(6);
        expect((await store.getBuffer(ref('pieces'))).toString()).toBe('abcdé');
      });

      it('accepts an empty stream', async () => {
        expect((await store.put(ref('nothing'), Readable.from([]))).sizeBytes).toBe(0);
        expect(await store.getBuffer(ref('nothing'))).toHaveLength(0);
      });

      it(
        'leaves no object when the stream fails, early or after a part',
        async () => {
          await expect(store.put(ref('small-fail'), failingAfter(Buffer.from('partial')))).rejects.toThrow('upload interrupted');
          await expect(store.put(ref('large-fail'), failingAfter(patterned(PAST_FIRST_PART_BYTES)))).rejects.toThrow('upload interrupted');
          expect(await store.head(ref('small-fail'))).toBeUndefined();
          expect(await store.head(ref('large-fail'))).toBeUndefined();
          await expect(store.get(ref('large-fail'))).rejects.toBeInstanceOf(ObjectNotFoundError);
        },
        LONG_TEST_MS,
      );

      it(
        'keeps the previous object when a streamed overwrite fails',
        async () => {
          const original = await store.put(ref('kept'), 'original');
          await expect(store.put(ref('kept'), failingAfter(patterned(PAST_FIRST_PART_BYTES)))).rejects.toThrow('upload interrupted');
          expect((await store.getBuffer(ref('kept'))).toString()).toBe('original');
          expect((await store.head(ref('kept')))?.etag).toBe(original.etag);
        },
        LONG_TEST_MS,
      );
    });

    describe('create only (ifNoneMatch)', () => {
      it('creates a whole object once and refuses to replace it', async () => {
        await store.put(ref('input.csv'), 'first', { ifNoneMatch: '*' });
        const refused = store.put(ref('input.csv'), 'second', { ifNoneMatch: '*' });
        await expect(refused).rejects.toBeInstanceOf(ObjectExistsError);
        await expect(refused).rejects.toMatchObject({ ref: ref('input.csv') });
        expect((await store.getBuffer(ref('input.csv'))).toString()).toBe('first');
      });

      it('refuses a small streamed write to an existing key', async () => {
        await store.put(ref('input.csv'), Readable.from([Buffer.from('first')]), { ifNoneMatch: '*' });
        await expect(store.put(ref('input.csv'), Readable.from([Buffer.from('second')]), { ifNoneMatch: '*' })).rejects.toBeInstanceOf(
          ObjectExistsError,
        );
        expect((await store.getBuffer(ref('input.csv'))).toString()).toBe('first');
      });

      it(
        'creates a large streamed object once and refuses to replace it',
        async () => {
          const body = patterned(PAST_FIRST_PART_BYTES);
          expect((await store.put(ref('big.csv'), chunks(body, MiB), { ifNoneMatch: '*' })).sizeBytes).toBe(PAST_FIRST_PART_BYTES);
          await expect(store.put(ref('big.csv'), chunks(patterned(PAST_FIRST_PART_BYTES, 7), MiB), { ifNoneMatch: '*' })).rejects.toBeInstanceOf(
            ObjectExistsError,
          );
          expect(sha256(await store.getBuffer(ref('big.csv')))).toBe(sha256(body));
        },
        LONG_TEST_MS,
      );

      it('writes over a deleted object', async () => {
        await store.put(ref('again'), 'first', { ifNoneMatch: '*' });
        await store.delete(ref('again'));
        await store.put(ref('again'), 'second', { ifNoneMatch: '*' });
        expect((await store.getBuffer(ref('again'))).toString()).toBe('second');
      });
    });

    describe('missing objects and deletes', () => {
      it('answers ObjectNotFoundError to reads and undefined to head', async () => {
        const missing = ref('tenants/t1/missing.csv');
        await expect(store.get(missing)).rejects.toBeInstanceOf(ObjectNotFoundError);
        await expect(store.getBuffer(missing)).rejects.toMatchObject({ name: 'ObjectNotFoundError', ref: missing });
        await expect(store.getBuffer(missing, { start: 0, end: 10 })).rejects.toBeInstanceOf(ObjectNotFoundError);
        expect(await store.head(missing)).toBeUndefined();
      });

      it('deletes objects; deleting a missing object is not an error', async () => {
        await store.put(ref('gone'), 'soon gone');
        await store.delete(ref('gone'));
        expect(await store.head(ref('gone'))).toBeUndefined();
        await expect(store.getBuffer(ref('gone'))).rejects.toBeInstanceOf(ObjectNotFoundError);
        await expect(store.delete(ref('gone'))).resolves.toBeUndefined();
      });

      it(
        'deletes every object under a prefix, more than a page of them, and nothing beside it',
        async () => {
          const job = 'tenants/t1/jobs/j1/';
          const keys = [`${job}input.csv`, ...Array.from({ length: 1005 }, (_, i) => `${job}matched/${String(i).padStart(9, '0')}.ndjson`)];
          for (let start = 0; start < keys.length; start += 50) {
            await Promise.all(keys.slice(start, start + 50).map((key) => store.put(ref(key), 'x')));
          }
          const kept = ['tenants/t1/jobs/j10/input.csv', 'tenants/t1/jobs/j2/input.csv', 'tenants/t2/jobs/j1/input.csv'];
          for (const key of kept) await store.put(ref(key), 'kept');

          expect(await store.deletePrefix(subject.bucket, job)).toBe(keys.length);
          for (const key of [keys[0], keys[1], keys[1004]] as string[]) expect(await store.head(ref(key))).toBeUndefined();
          for (const key of kept) expect((await store.getBuffer(ref(key))).toString()).toBe('kept');
          expect(await store.deletePrefix(subject.bucket, job)).toBe(0);
        },
        LONG_TEST_MS,
      );
    });

    describe('presigned URLs over HTTP', () => {
      it('lets a client PUT with the returned headers and GET the object back', async () => {
        const key = 'tenants/t1/jobs/j 1/input.csv';
        const put = await store.presignPut(ref(key), { expiresInSeconds: 300, contentType: 'text/csv' });
        expect(put).toMatchObject({ method: 'PUT', headers: { 'content-type': 'text/csv' } });
        expect(Object.keys(put.headers)).toEqual(['content-type']);
        expectExpiry(put.expiresAt, 300);
        expect((await subject.fetchPresigned(put, 'name,email\nAda,ada@example.com\n')).status).toBe(200);
        expect((await store.getBuffer(ref(key))).toString()).toBe('name,email\nAda,ada@example.com\n');
        expect((await store.head(ref(key)))?.contentType).toBe('text/csv');

        const get = await store.presignGet(ref(key), { expiresInSeconds: 60 });
        expect(get).toMatchObject({ method: 'GET', headers: {} });
        expectExpiry(get.expiresAt, 60);
        const fetched = await subject.fetchPresigned(get);
        expect(fetched.status).toBe(200);
        expect(fetched.body.toString()).toBe('name,email\nAda,ada@example.com\n');
      });

      it('names the Content-Length to send when the URL is signed for a size, and takes a body of that size', async () => {
        const put = await store.presignPut(ref('sized.csv'), { expiresInSeconds: 300, contentType: 'text/csv', ifNoneMatch: '*', contentLength: 4 });
        expect(put.headers).toEqual({ 'content-type': 'text/csv', 'if-none-match': '*', 'content-length': '4' });
        expect((await subject.fetchPresigned(put, 'a,b\n')).status).toBe(200);
        expect((await store.getBuffer(ref('sized.csv'))).toString()).toBe('a,b\n');
      });

      it('needs no headers when the PUT binds none', async () => {
        const put = await store.presignPut(ref('free.bin'), { expiresInSeconds: 60 });
        expect(put.headers).toEqual({});
        expect((await subject.fetchPresigned(put, Buffer.from([0, 1, 2, 255]))).status).toBe(200);
        expect([...(await store.getBuffer(ref('free.bin')))]).toEqual([0, 1, 2, 255]);
      });

      it('refuses a second upload to a create-only URL with 412', async () => {
        const put = await store.presignPut(ref('once.csv'), { expiresInSeconds: 300, contentType: 'text/csv', ifNoneMatch: '*' });
        expect(put.headers).toEqual({ 'content-type': 'text/csv', 'if-none-match': '*' });
        expect((await subject.fetchPresigned(put, 'a\n1\n')).status).toBe(200);
        expect((await subject.fetchPresigned(put, 'a\n2\n')).status).toBe(412);
        expect((await store.getBuffer(ref('once.csv'))).toString()).toBe('a\n1\n');
      });

      it('refuses a create-only URL when the object was written some other way', async () => {
        await store.put(ref('taken.csv'), 'already here');
        const put = await store.presignPut(ref('taken.csv'), { expiresInSeconds: 300, ifNoneMatch: '*' });
        expect((await subject.fetchPresigned(put, 'late')).status).toBe(412);
        expect((await store.getBuffer(ref('taken.csv'))).toString()).toBe('already here');
      });

      it('serves a download with a file name, and 404 for a missing object', async () => {
        await store.put(ref('result.csv'), 'done\n', { contentType: 'text/csv' });
        // The Content-Disposition itself is not compared: fauxqs ignores response-content-disposition (see the
        // AWS adapter's own tests for what the URL asks S3 for).
        const download = await subject.fetchPresigned(
          await store.presignGet(ref('result.csv'), { expiresInSeconds: 60, downloadName: 'result "final".csv' }),
        );
        expect(download).toMatchObject({ status: 200 });
        expect(download.body.toString()).toBe('done\n');
        expect((await subject.fetchPresigned(await store.presignGet(ref('nope.csv'), { expiresInSeconds: 60 }))).status).toBe(404);
      });
    });
  });
}

/** Plain `fetch` of a presigned request: its method, exactly its headers, and the body. */
export async function fetchPresignedOverHttp(request: PresignedRequest, body?: Buffer | string): Promise<{ status: number; body: Buffer }> {
  const response = await fetch(request.url, {
    method: request.method,
    headers: { ...request.headers },
    ...(body === undefined ? {} : { body: typeof body === 'string' ? body : new Uint8Array(body) }),
  });
  return { status: response.status, body: Buffer.from(await response.arrayBuffer()) };
}

async function text(buffer: Promise<Buffer>): Promise<string> {
  return (await buffer).toString();
}

async function readAll(stream: Readable): Promise<Buffer> {
  const parts: Buffer[] = [];
  for await (const part of stream) parts.push(Buffer.from(part as Uint8Array));
  return Buffer.concat(parts);
}

/** Deterministic, non-repeating-looking bytes, so a misplaced part or range cannot go unnoticed. */
export function patterned(size: number, seed = 1): Buffer {
  const buffer = Buffer.alloc(size);
  let state = seed;
  for (let i = 0; i < size; i += 1) {
    state = (state * 1103515245 + 12345) & 0x7fffffff;
    buffer[i] = state >>> 16;
  }
  return buffer;
}

function chunks(buffer: Buffer, size: number): Readable {
  return Readable.from(
    (function* () {
      for (let offset = 0; offset < buffer.length; offset += size) yield buffer.subarray(offset, offset + size);
    })(),
  );
}

async function* failingAfter(data: Buffer): AsyncGenerator<Buffer> {
  for (let offset = 0; offset < data.length; offset += MiB) yield data.subarray(offset, offset + MiB);
  throw new Error('upload interrupted');
}

export function sha256(data: Buffer): string {
  return createHash('sha256').update(data).digest('hex');
}

/** Timestamps may come from another clock (S3's, to the second): allow a little skew. */
function expectRecent(date: Date | undefined, since: number): void {
  expect(date).toBeInstanceOf(Date);
  const time = (date as Date).getTime();
  expect(time).toBeGreaterThanOrEqual(since - 2_000);
  expect(time).toBeLessThanOrEqual(Date.now() + 2_000);
}

function expectExpiry(expiresAt: string, seconds: number): void {
  expect(new Date(expiresAt).toISOString()).toBe(expiresAt);
  expect(Math.abs(Date.parse(expiresAt) - (Date.now() + seconds * 1000))).toBeLessThan(5_000);
}
