import { CreateBucketCommand, PutObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { ObjectExistsError, ObjectNotFoundError } from '@refinery/ports';
import { type AwsEmulators, startAwsEmulators } from '@refinery/test-support';
import { MIN_PART_SIZE_BYTES, PARTS_IN_FLIGHT, S3ObjectStore } from '../src/s3-object-store';

// What the object-store contract cannot show about the S3 adapter: the requests it sends. fauxqs answers them; a
// middleware on the client records them (and, in one test, fails one).

interface SentRequest {
  readonly command: string;
  /** Header names in lower case. */
  readonly headers: Readonly<Record<string, string>>;
}

interface RecordingClient {
  readonly client: S3Client;
  readonly sent: SentRequest[];
  /** The most UploadPart requests that were waiting for S3 at once, and how many S3 has answered. */
  readonly parts: { inFlight: number; maxInFlight: number; completed: number };
}

const MiB = 1024 * 1024;
const bucket = 'adapter-tests';

let emulators: AwsEmulators;
beforeAll(async () => {
  emulators = await startAwsEmulators();
  const admin = new S3Client(emulators.clientConfig('s3'));
  await admin.send(new CreateBucketCommand({ Bucket: bucket }));
  admin.destroy();
});
afterAll(() => emulators.stop());

/** A client that records every request it sends; `failWhen` turns a request into a network failure instead. */
function recordingClient(failWhen?: (request: SentRequest, sent: readonly SentRequest[]) => boolean): RecordingClient {
  // One attempt: an injected failure must reach the adapter, not be retried away by the SDK.
  const client = new S3Client({ ...emulators.clientConfig('s3'), maxAttempts: 1 });
  const sent: SentRequest[] = [];
  const parts = { inFlight: 0, maxInFlight: 0, completed: 0 };
  client.middlewareStack.add(
    (next, context) => async (args) => {
      const headers = Object.fromEntries(
        Object.entries((args.request as { headers: Record<string, string> }).headers).map(([name, value]) => [name.toLowerCase(), value]),
      );
      const request: SentRequest = { command: context.commandName ?? '', headers };
      sent.push(request);
      if (failWhen?.(request, sent)) throw Object.assign(new Error('connection reset'), { name: 'NetworkingError' });
      const isPart = request.command === 'UploadPartCommand';
      if (isPart) parts.maxInFlight = Math.max(parts.maxInFlight, (parts.inFlight += 1));
      try {
        const result = await next(args);
        if (isPart) parts.completed += 1;
        return result;
      } finally {
        if (isPart) parts.inFlight -= 1;
      }
    },
    { step: 'finalizeRequest', name: 'recordRequests' },
  );
  return { client, sent, parts };
}

const commands = (sent: readonly SentRequest[]) => sent.map((request) => request.command);
const countOf = (sent: readonly SentRequest[], command: string) => sent.filter((request) => request.command === command).length;

function patterned(size: number, seed = 0): Buffer {
  const data = Buffer.alloc(size);
  for (let i = 0; i < size; i += 1) data[i] = (i * 7 + seed) % 251;
  return data;
}

async function* once(data: Buffer | string): AsyncGenerator<Buffer | string> {
  yield data;
}

async function* failingAfter(bytes: number): AsyncGenerator<Buffer> {
  for (let sent = 0; sent < bytes; sent += MiB) yield Buffer.alloc(MiB, 1);
  throw new Error('source broke');
}

describe('S3ObjectStore (what the contract cannot show)', () => {
  it('refuses a part size below what S3 accepts', () => {
    const { client } = recordingClient();
    expect(() => new S3ObjectStore({ client, partSizeBytes: MIN_PART_SIZE_BYTES - 1 })).toThrow(RangeError);
    expect(() => new S3ObjectStore({ client, partSizeBytes: MIN_PART_SIZE_BYTES })).not.toThrow();
  });

  it('turns exclusive ends into inclusive Range headers, and reads empty ranges without asking S3', async () => {
    const { client, sent } = recordingClient();
    const store = new S3ObjectStore({ client });
    const ref = { bucket, key: 'ranges.txt' };
    await store.put(ref, 'hello, world');
    sent.length = 0;
    expect((await store.getBuffer(ref, { start: 0, end: 5 })).toString()).toBe('hello');
    expect((await store.getBuffer(ref, { start: 7 })).toString()).toBe('world');
    expect((await store.getBuffer(ref)).toString()).toBe('hello, world');
    expect(sent.map((request) => request.headers.range)).toEqual(['bytes=0-4', 'bytes=7-', undefined]);
    sent.length = 0;
    expect(await store.getBuffer(ref, { start: 3, end: 3 })).toHaveLength(0);
    expect(await store.getBuffer({ bucket, key: 'missing' }, { start: 3, end: 3 })).toHaveLength(0);
    expect(sent).toEqual([]);
  });

  it('writes a small stream with one PutObject', async () => {
    const { client, sent } = recordingClient();
    const info = await new S3ObjectStore({ client }).put({ bucket, key: 'small' }, once('tiny'), { contentType: 'text/plain' });
    expect(info.sizeBytes).toBe(4);
    expect(commands(sent)).toEqual(['PutObjectCommand']);
    expect(sent[0]?.headers['content-type']).toBe('text/plain');
  });

  it('writes a large stream as a multipart upload, holding a bounded number of parts in memory', async () => {
    const { client, sent, parts } = recordingClient();
    const partSizeBytes = MIN_PART_SIZE_BYTES;
    const store = new S3ObjectStore({ client, partSizeBytes });
    const chunk = 256 * 1024;
    const total = 26 * MiB;
    let produced = 0;
    let maxHeld = 0;
    async function* source(): AsyncGenerator<Buffer> {
      while (produced < total) {
        produced += chunk;
        // Taken from the source but not yet stored by S3: what the upload holds in memory.
        maxHeld = Math.max(maxHeld, produced - parts.completed * partSizeBytes);
        yield Buffer.alloc(chunk, produced % 251);
      }
    }
    const info = await store.put({ bucket, key: 'large' }, source(), { contentType: 'application/x-ndjson' });
    expect(info).toMatchObject({ sizeBytes: total, contentType: 'application/x-ndjson' });
    expect(commands(sent)).toEqual(['CreateMultipartUploadCommand', ...Array<string>(6).fill('UploadPartCommand'), 'CompleteMultipartUploadCommand']);
    expect(sent[0]?.headers['content-type']).toBe('application/x-ndjson');
    expect(parts.maxInFlight).toBeLessThanOrEqual(PARTS_IN_FLIGHT);
    // The parts being uploaded, the part being filled, one chunk of read-ahead: far less than the 26 MiB body.
    expect(maxHeld).toBeLessThanOrEqual((PARTS_IN_FLIGHT + 1) * partSizeBytes + chunk);
  }, 60_000);

  it('aborts the multipart upload when the source stream fails, and never completes it', async () => {
    const { client, sent } = recordingClient();
    const store = new S3ObjectStore({ client, partSizeBytes: MIN_PART_SIZE_BYTES });
    await expect(store.put({ bucket, key: 'broken' }, failingAfter(7 * MiB))).rejects.toThrow('source broke');
    expect(countOf(sent, 'CreateMultipartUploadCommand')).toBe(1);
    expect(countOf(sent, 'AbortMultipartUploadCommand')).toBe(1);
    expect(countOf(sent, 'CompleteMultipartUploadCommand')).toBe(0);
    expect(await store.head({ bucket, key: 'broken' })).toBeUndefined();
  }, 60_000);

  it('aborts the multipart upload when S3 fails a part', async () => {
    const { client, sent } = recordingClient((request, all) => request.command === 'UploadPartCommand' && countOf(all, 'UploadPartCommand') === 2);
    const store = new S3ObjectStore({ client, partSizeBytes: MIN_PART_SIZE_BYTES });
    await expect(store.put({ bucket, key: 'part-failed' }, once(patterned(12 * MiB)))).rejects.toThrow('connection reset');
    expect(countOf(sent, 'AbortMultipartUploadCommand')).toBe(1);
    expect(countOf(sent, 'CompleteMultipartUploadCommand')).toBe(0);
    await expect(store.get({ bucket, key: 'part-failed' })).rejects.toBeInstanceOf(ObjectNotFoundError);
  }, 60_000);

  it('sends If-None-Match only with the request that creates the object, and aborts a refused multipart upload', async () => {
    const { client, sent } = recordingClient();
    const store = new S3ObjectStore({ client, partSizeBytes: MIN_PART_SIZE_BYTES });
    const ref = { bucket, key: 'create-only.bin' };
    await store.put(ref, once(patterned(6 * MiB)), { ifNoneMatch: '*' });
    const ifNoneMatchOf = (command: string) =>
      sent.filter((request) => request.command === command).map((request) => request.headers['if-none-match']);
    expect(ifNoneMatchOf('CreateMultipartUploadCommand')).toEqual([undefined]);
    expect(ifNoneMatchOf('UploadPartCommand')).toEqual([undefined, undefined]);
    expect(ifNoneMatchOf('CompleteMultipartUploadCommand')).toEqual(['*']);

    sent.length = 0;
    await expect(store.put(ref, once(patterned(6 * MiB, 3)), { ifNoneMatch: '*' })).rejects.toBeInstanceOf(ObjectExistsError);
    expect(commands(sent).slice(-2)).toEqual(['CompleteMultipartUploadCommand', 'AbortMultipartUploadCommand']);

    sent.length = 0;
    await expect(store.put(ref, once('small'), { ifNoneMatch: '*' })).rejects.toBeInstanceOf(ObjectExistsError);
    expect(commands(sent)).toEqual(['PutObjectCommand']);
    expect(sent[0]?.headers['if-none-match']).toBe('*');
    // Neither refused write touched the object.
    expect((await store.getBuffer(ref)).equals(patterned(6 * MiB))).toBe(true);
  }, 60_000);

  it('signs the content type and the create-only header into presigned PUT URLs, without body checksums', async () => {
    // fauxqs does not check signatures, so what S3 would enforce is read from the URL: the signed headers.
    const { client, sent } = recordingClient();
    const store = new S3ObjectStore({ client });
    const before = Math.floor(Date.now() / 1000) * 1000;
    const put = await store.presignPut(
      { bucket, key: 'tenants/t1/in put.csv' },
      { expiresInSeconds: 300, contentType: 'text/csv', ifNoneMatch: '*' },
    );
    const url = new URL(put.url);
    expect(url.pathname).toBe(`/${bucket}/tenants/t1/in%20put.csv`);
    expect(url.searchParams.get('X-Amz-SignedHeaders')?.split(';')).toEqual(['content-type', 'host', 'if-none-match']);
    expect(url.searchParams.get('X-Amz-Expires')).toBe('300');
    // The SDK would sign the CRC32 of the body it has at signing time (none), which the real upload cannot match.
    expect([...url.searchParams.keys()].filter((name) => /checksum/i.test(name))).toEqual([]);
    expect(put).toMatchObject({ method: 'PUT', headers: { 'content-type': 'text/csv', 'if-none-match': '*' } });
    const amzDate = url.searchParams.get('X-Amz-Date') ?? '';
    const signedAt = Date.parse(amzDate.replace(/^(\d{4})(\d\d)(\d\d)T(\d\d)(\d\d)(\d\d)Z$/, '$1-$2-$3T$4:$5:$6Z'));
    expect(signedAt).toBeGreaterThanOrEqual(before);
    expect(Date.parse(put.expiresAt)).toBe(signedAt + 300_000);

    // A size declared is signed too: S3 then refuses a body of any other length (403 SignatureDoesNotMatch).
    const sized = await store.presignPut({ bucket, key: 'sized.csv' }, { expiresInSeconds: 300, contentType: 'text/csv', contentLength: 1234 });
    expect(new URL(sized.url).searchParams.get('X-Amz-SignedHeaders')?.split(';')).toEqual(['content-length', 'content-type', 'host']);
    expect(sized.headers).toEqual({ 'content-type': 'text/csv', 'content-length': '1234' });

    const open = await store.presignPut({ bucket, key: 'open.csv' }, { expiresInSeconds: 60 });
    expect(new URL(open.url).searchParams.get('X-Amz-SignedHeaders')).toBe('host');

    // Only presigned requests lose the checksum: the client's own uploads keep theirs.
    expect(sent).toEqual([]);
    await client.send(new PutObjectCommand({ Bucket: bucket, Key: 'checked', Body: 'data' }));
    expect(Object.keys(sent[0]?.headers ?? {}).some((name) => name.startsWith('x-amz-checksum-'))).toBe(true);
  });

  it('asks S3 to serve a presigned download as an attachment with the given name', async () => {
    // fauxqs ignores response-content-disposition, so the request for it is read from the URL.
    const { client } = recordingClient();
    const store = new S3ObjectStore({ client });
    const get = await store.presignGet({ bucket, key: 'result.csv' }, { expiresInSeconds: 60, downloadName: 'result "final".csv' });
    const url = new URL(get.url);
    expect(url.searchParams.get('response-content-disposition')).toBe('attachment; filename="result final.csv"');
    expect(url.searchParams.get('X-Amz-SignedHeaders')).toBe('host');
    expect(get).toMatchObject({ method: 'GET', headers: {} });
    const plain = await store.presignGet({ bucket, key: 'result.csv' }, { expiresInSeconds: 60 });
    expect(new URL(plain.url).searchParams.has('response-content-disposition')).toBe(false);
  });

  it('does not report a missing bucket as a missing object', async () => {
    const { client } = recordingClient();
    const read = new S3ObjectStore({ client }).get({ bucket: 'no-such-bucket', key: 'a' });
    await expect(read).rejects.toMatchObject({ name: 'NoSuchBucket' });
    await expect(read).rejects.not.toBeInstanceOf(ObjectNotFoundError);
  });
});
