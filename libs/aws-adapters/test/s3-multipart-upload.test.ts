import { AbortMultipartUploadCommand, CreateBucketCommand, ListMultipartUploadsCommand, S3Client } from '@aws-sdk/client-s3';
import { type MotoServer, startMotoServer } from '@refinery/aws-emulator';
import { describeMultipartUploadContract } from '@refinery/port-contracts/src/multipart-upload';
import { fetchPresignedOverHttp } from '@refinery/port-contracts/src/object-store';
import { S3ObjectStore } from '../src/s3-object-store';

// The multipart upload contract on the S3 adapter, against moto's server: fauxqs has no ListParts. moto checks what
// S3 checks at completion (ETags, order, 5 MiB parts) and the signed content-length of presigned part URLs.

let moto: MotoServer;
let s3: S3Client;
let serial = 0;

beforeAll(async () => {
  moto = await startMotoServer();
  s3 = new S3Client({ ...moto.clientConfig, forcePathStyle: true });
}, 60_000);
afterAll(async () => {
  s3.destroy();
  await moto.stop();
});

describeMultipartUploadContract('S3ObjectStore on moto', async () => {
  const bucket = `multipart-${(serial += 1)}`;
  await s3.send(new CreateBucketCommand({ Bucket: bucket }));
  return {
    store: new S3ObjectStore({ client: s3 }),
    bucket,
    fetchPresigned: fetchPresignedOverHttp,
    // A test that left an upload open would leave it here: every test aborts or completes its own.
    cleanup: async () => {
      const open = await s3.send(new ListMultipartUploadsCommand({ Bucket: bucket }));
      for (const upload of open.Uploads ?? []) {
        await s3.send(new AbortMultipartUploadCommand({ Bucket: bucket, Key: upload.Key, UploadId: upload.UploadId }));
      }
      expect(open.Uploads ?? []).toEqual([]);
    },
  };
});

describe('S3ObjectStore part URLs', () => {
  it('sign the part length and carry no checksum of the empty body there is at signing time', async () => {
    const store = new S3ObjectStore({ client: s3 });
    const request = await store.presignUploadPart({ bucket: 'any-bucket', key: 'a.csv' }, 'upload-1', 7, {
      expiresInSeconds: 60,
      contentLength: 5_242_880,
    });
    const query = new URL(request.url).searchParams;
    expect(query.get('X-Amz-SignedHeaders')?.split(';')).toContain('content-length');
    expect(query.get('partNumber')).toBe('7');
    expect(query.get('uploadId')).toBe('upload-1');
    expect([...query.keys()].filter((name) => /checksum/i.test(name))).toEqual([]);
    expect(request.headers).toEqual({ 'content-length': '5242880' });
  });
});
