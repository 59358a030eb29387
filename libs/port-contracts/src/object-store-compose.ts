import { ObjectNotFoundError, type ObjectRef, type ObjectStore } from '@refinery/ports';
import { type ObjectStoreContractSubject, patterned, sha256 } from './object-store';

const MiB = 1024 * 1024;
const LONG_TEST_MS = 180_000;

/**
 * ObjectStore.compose, alike on every store. On S3 it needs UploadPartCopy, which fauxqs lacks: the AWS family runs
 * this suite on moto (libs/aws-adapters/test/s3-compose.test.ts).
 */
export function describeObjectStoreComposeContract(
  name: string,
  setup: () => Promise<Pick<ObjectStoreContractSubject, 'store' | 'bucket' | 'cleanup'>>,
): void {
  describe(`ObjectStore compose contract: ${name}`, () => {
    let subject: Pick<ObjectStoreContractSubject, 'store' | 'bucket' | 'cleanup'>;
    let store: ObjectStore;
    const ref = (key: string): ObjectRef => ({ bucket: subject.bucket, key });

    beforeEach(async () => {
      subject = await setup();
      store = subject.store;
    });
    afterEach(async () => {
      await subject.cleanup();
    });

    /** Writes each body under its own key and returns the refs, in order. */
    async function sources(prefix: string, bodies: readonly Buffer[]): Promise<ObjectRef[]> {
      const refs = bodies.map((_, index) => ref(`${prefix}/${String(index).padStart(4, '0')}`));
      await Promise.all(bodies.map((body, index) => store.put(refs[index] as ObjectRef, body)));
      return refs;
    }

    it(
      'concatenates sources below and above 5 MiB, and empty ones, in order and byte for byte',
      async () => {
        const bodies = [
          Buffer.from('first_name,email\n'),
          patterned(6 * MiB, 2),
          patterned(MiB, 3),
          Buffer.alloc(0),
          patterned(7 * MiB + 5, 4),
          patterned(3 * MiB, 5),
          Buffer.from('tail\n'),
        ];
        const target = ref('tenants/t 1/jobs/j1/result.csv');
        const info = await store.compose(target, await sources('tenants/t 1/jobs/j1/merge', bodies), { contentType: 'text/csv; charset=utf-8' });
        const expected = Buffer.concat(bodies);
        expect(info).toMatchObject({ sizeBytes: expected.length, contentType: 'text/csv; charset=utf-8' });
        expect(await store.head(target)).toMatchObject({ sizeBytes: expected.length, etag: info.etag, contentType: 'text/csv; charset=utf-8' });
        expect(sha256(await store.getBuffer(target))).toBe(sha256(expected));
      },
      LONG_TEST_MS,
    );

    it(
      'copies one large source as it is',
      async () => {
        const body = patterned(11 * MiB, 6);
        const info = await store.compose(ref('one.bin'), await sources('one', [body]));
        expect(info.sizeBytes).toBe(body.length);
        expect(sha256(await store.getBuffer(ref('one.bin')))).toBe(sha256(body));
      },
      LONG_TEST_MS,
    );

    it('concatenates one small source, and many small ones', async () => {
      await store.compose(ref('single.txt'), await sources('single', [Buffer.from('just this')]));
      expect((await store.getBuffer(ref('single.txt'))).toString()).toBe('just this');

      const lines = Array.from({ length: 120 }, (_, index) => Buffer.from(`line ${index}\n`));
      const info = await store.compose(ref('many.txt'), await sources('many', lines), { contentType: 'text/plain' });
      expect(info.sizeBytes).toBe(Buffer.concat(lines).length);
      expect((await store.getBuffer(ref('many.txt'))).toString()).toBe(lines.join(''));
      expect((await store.head(ref('many.txt')))?.contentType).toBe('text/plain');
    });

    it('writes an empty object from empty sources or none', async () => {
      expect((await store.compose(ref('empty-sources'), await sources('empty', [Buffer.alloc(0), Buffer.alloc(0)]))).sizeBytes).toBe(0);
      expect(await store.getBuffer(ref('empty-sources'))).toHaveLength(0);
      expect((await store.compose(ref('no-sources'), [])).sizeBytes).toBe(0);
      expect((await store.head(ref('no-sources')))?.sizeBytes).toBe(0);
    });

    it(
      'replaces the target, and leaves it as it was when a source is missing',
      async () => {
        await store.put(ref('target.csv'), 'old result');
        const present = await sources('parts', [patterned(6 * MiB, 7)]);
        const missing = ref('parts/missing');
        const refused = store.compose(ref('target.csv'), [...present, missing]);
        await expect(refused).rejects.toBeInstanceOf(ObjectNotFoundError);
        await expect(refused).rejects.toMatchObject({ ref: missing });
        expect((await store.getBuffer(ref('target.csv'))).toString()).toBe('old result');

        await store.compose(ref('target.csv'), await sources('new', [Buffer.from('new '), Buffer.from('result')]));
        expect((await store.getBuffer(ref('target.csv'))).toString()).toBe('new result');
      },
      LONG_TEST_MS,
    );
  });
}
