import { fetchPresignedOverHttp } from '@refinery/port-contracts/src/object-store';
import { MultipartUploadNotFoundError, type ObjectRef } from '@refinery/ports';
import { LocalHttpGateway } from '../src/http-gateway';
import { LocalRuntime } from '../src/local-runtime';
import { tempDir } from './helpers';

// What S3 does with multipart uploads that moto does not show (so the shared contract cannot hold it): the signed
// length of a part URL, an upload known only under its own key, an upload gone once completed. Plus the local store's
// own promise: one Object Created notification per completed upload, and parts that outlive a restart.

describe('LocalObjectStore multipart uploads', () => {
  let dir: ReturnType<typeof tempDir>;
  let runtime: LocalRuntime;
  let gateway: LocalHttpGateway;
  const ref = (key: string): ObjectRef => ({ bucket: 'uploads-bucket', key });

  beforeEach(async () => {
    dir = tempDir();
    runtime = await LocalRuntime.open({ dataDir: dir.path });
    gateway = new LocalHttpGateway(runtime);
    await gateway.listen(0);
  });
  afterEach(async () => {
    await gateway.close();
    await runtime.close();
    dir.cleanup();
  });

  async function send(target: ObjectRef, uploadId: string, partNumber: number, body: Buffer) {
    const request = await runtime.objects.presignUploadPart(target, uploadId, partNumber, { expiresInSeconds: 60, contentLength: body.length });
    return fetchPresignedOverHttp(request, body);
  }

  it('refuses a part of another length than signed, or sent to another key or a forged part number', async () => {
    const target = ref('a.csv');
    const uploadId = await runtime.objects.startMultipartUpload(target);
    const signedForTen = await runtime.objects.presignUploadPart(target, uploadId, 1, { expiresInSeconds: 60, contentLength: 10 });
    expect((await fetchPresignedOverHttp({ ...signedForTen, headers: {} }, Buffer.alloc(11))).status).toBe(403);
    const forged = { ...signedForTen, url: signedForTen.url.replace('X-Refinery-Part-Number=1', 'X-Refinery-Part-Number=2') };
    expect((await fetchPresignedOverHttp(forged, Buffer.alloc(10))).status).toBe(403);
    expect((await send(ref('other.csv'), uploadId, 1, Buffer.alloc(10))).status).toBe(404);
    await expect(runtime.objects.listUploadedParts(ref('other.csv'), uploadId)).rejects.toThrow(MultipartUploadNotFoundError);
    expect((await runtime.objects.listUploadedParts(target, uploadId)).parts).toEqual([]);
  });

  it('completes once, with one Object Created notification, and keeps open uploads across a restart', async () => {
    const target = ref('b.csv');
    const uploadId = await runtime.objects.startMultipartUpload(target);
    expect((await send(target, uploadId, 1, Buffer.from('first,'))).status).toBe(200);

    // A restart between two parts: the part sent is still there.
    await gateway.close();
    await runtime.close();
    runtime = await LocalRuntime.open({ dataDir: dir.path });
    runtime.enableObjectCreatedEvents('uploads-bucket');
    const published = jest.spyOn(runtime.bus, 'publishSync');
    gateway = new LocalHttpGateway(runtime);
    await gateway.listen(0);
    expect((await send(target, uploadId, 2, Buffer.from('second'))).status).toBe(200);

    const { parts } = await runtime.objects.listUploadedParts(target, uploadId);
    expect(parts.map((part) => part.partNumber)).toEqual([1, 2]);
    await runtime.objects.completeMultipartUpload(target, uploadId, parts, { ifNoneMatch: '*' });
    expect((await runtime.objects.getBuffer(target)).toString()).toBe('first,second');
    expect(published.mock.calls.flat(2).filter((entry) => entry.detailType === 'Object Created')).toHaveLength(1);
    await expect(runtime.objects.completeMultipartUpload(target, uploadId, parts)).rejects.toThrow(MultipartUploadNotFoundError);
    await expect(runtime.objects.listUploadedParts(target, uploadId)).rejects.toThrow(MultipartUploadNotFoundError);
    expect((await send(target, uploadId, 3, Buffer.from('late'))).status).toBe(404);
  });
});
