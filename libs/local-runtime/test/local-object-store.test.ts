import { existsSync, readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { ObjectExistsError, ObjectNotFoundError, type ObjectRef } from '@refinery/ports';
import { openDatabase } from '../src/database';
import { LocalObjectStore } from '../src/local-object-store';
import { tempDir } from './helpers';

describe('LocalObjectStore (S3 semantics on files)', () => {
  let dir: ReturnType<typeof tempDir>;
  let store: LocalObjectStore;
  const created: ObjectRef[] = [];
  const ref = { bucket: 'test-bucket', key: 'tenants/t1/a.csv' };

  beforeEach(() => {
    dir = tempDir();
    created.length = 0;
    store = new LocalObjectStore({
      root: join(dir.path, 'objects'),
      db: openDatabase(':memory:'),
      signingSecret: 'secret',
      publicBaseUrl: () => 'http://127.0.0.1:9',
      onObjectCreated: (r) => created.push(r),
    });
  });
  afterEach(() => dir.cleanup());

  it('writes whole objects and streams, reads them whole and by byte range', async () => {
    const info = await store.put(ref, 'hello, world', { contentType: 'text/csv' });
    expect(info).toMatchObject({ sizeBytes: 12, etag: '"e4d7f1b4ed2e42d15898f4b27b019da4"', contentType: 'text/csv' });
    expect((await store.getBuffer(ref)).toString()).toBe('hello, world');
    expect((await store.getBuffer(ref, { start: 7 })).toString()).toBe('world');
    expect((await store.getBuffer(ref, { start: 0, end: 5 })).toString()).toBe('hello');
    expect((await store.getBuffer(ref, { start: 5, end: 5 })).toString()).toBe('');
    await store.put({ ...ref, key: 'streamed' }, Readable.from([Buffer.from('ab'), Buffer.from('cd')]));
    expect((await store.getBuffer({ ...ref, key: 'streamed' })).toString()).toBe('abcd');
    expect(await store.head(ref)).toMatchObject({ sizeBytes: 12, contentType: 'text/csv' });
    expect(created).toEqual([ref, { ...ref, key: 'streamed' }]);
  });

  it('writes every object owner-only, whole or streamed, its ETag the MD5 of exactly the bytes given', async () => {
    const whole = await store.put(ref, Buffer.from('hello, world'));
    // Views into larger buffers: only the bytes each one shows are written and hashed.
    const backing = Buffer.from('xxhello, xxworldxx');
    const streamed = { ...ref, key: 'streamed' };
    const info = await store.put(
      streamed,
      (async function* () {
        yield new Uint8Array(backing.buffer, backing.byteOffset + 2, 6);
        yield ' ';
        yield backing.subarray(11, 16);
      })(),
    );
    expect(info).toMatchObject({ sizeBytes: 12, etag: whole.etag });
    expect((await store.getBuffer(streamed)).toString()).toBe('hello, world');
    for (const key of [ref.key, streamed.key]) {
      expect(statSync(join(dir.path, 'objects', ref.bucket, ...key.split('/'))).mode & 0o777).toBe(0o600);
    }
  });

  it('leaves nothing behind when a streamed write fails midway', async () => {
    async function* failing() {
      yield Buffer.from('partial');
      throw new Error('upload interrupted');
    }
    await expect(store.put(ref, failing())).rejects.toThrow('upload interrupted');
    expect(await store.head(ref)).toBeUndefined();
    expect(readdirSync(join(dir.path, 'objects', '.tmp'))).toEqual([]);
    expect(created).toEqual([]);
  });

  it('creates only when absent with ifNoneMatch', async () => {
    await store.put(ref, 'first', { ifNoneMatch: '*' });
    await expect(store.put(ref, 'second', { ifNoneMatch: '*' })).rejects.toBeInstanceOf(ObjectExistsError);
    expect((await store.getBuffer(ref)).toString()).toBe('first');
  });

  it('answers not found and refuses keys that would escape the data dir', async () => {
    await expect(store.get({ ...ref, key: 'missing' })).rejects.toBeInstanceOf(ObjectNotFoundError);
    await expect(store.put({ ...ref, key: '../escape' }, 'x')).rejects.toThrow('invalid object key');
    await expect(store.put({ bucket: 'Bad_Bucket', key: 'k' }, 'x')).rejects.toThrow('invalid bucket name');
    expect(existsSync(join(dir.path, 'escape'))).toBe(false);
  });

  it('signs presigned URLs and refuses tampered, expired or mistyped requests', async () => {
    const put = await store.presignPut(ref, { expiresInSeconds: 60, contentType: 'text/csv', ifNoneMatch: '*' });
    const url = new URL(put.url);
    const good = { contentType: 'text/csv', ifNoneMatch: '*' };
    expect(url.pathname).toBe('/_objects/test-bucket/tenants/t1/a.csv');
    expect(put.headers).toEqual({ 'content-type': 'text/csv', 'if-none-match': '*' });
    expect(store.verifyPresigned('PUT', ref, url.searchParams, good)).toEqual({
      ok: true,
      conditions: { contentType: 'text/csv', ifNoneMatch: '*', downloadName: undefined },
    });
    expect(store.verifyPresigned('PUT', ref, url.searchParams, { ...good, contentType: 'text/plain' })).toEqual({
      ok: false,
      reason: 'the Content-Type must be text/csv',
    });
    expect(store.verifyPresigned('PUT', ref, url.searchParams, { contentType: 'text/csv' })).toEqual({
      ok: false,
      reason: 'the If-None-Match: * header is required',
    });
    expect(store.verifyPresigned('GET', ref, url.searchParams, good)).toEqual({ ok: false, reason: 'the signature does not match' });
    expect(store.verifyPresigned('PUT', { ...ref, key: 'other' }, url.searchParams, good)).toEqual({
      ok: false,
      reason: 'the signature does not match',
    });
    const tampered = new URLSearchParams(url.searchParams);
    tampered.delete('X-Refinery-If-None-Match');
    expect(store.verifyPresigned('PUT', ref, tampered, good)).toEqual({ ok: false, reason: 'the signature does not match' });
    const expired = await store.presignGet(ref, { expiresInSeconds: -1 });
    expect(store.verifyPresigned('GET', ref, new URL(expired.url).searchParams, {})).toEqual({ ok: false, reason: 'the presigned URL has expired' });
  });
});
