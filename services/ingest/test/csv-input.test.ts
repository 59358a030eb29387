import { createHarness, FIRST_JOB_ID, FIRST_JOB_INPUT, fixture, type IngestHarness, postCsv } from './helpers';

const OBJECT_CREATED = fixture('s3-object-created.json');
const CONTACTS_TEXT = 'First Name\tLast Name\tEmail\nZoë\tÅström\tzoe@example.com\nBob\tJones\tbob@example.com\n';

function utf16be(text: string): Buffer {
  const le = Buffer.from(text, 'utf16le');
  const be = Buffer.alloc(le.length);
  for (let i = 0; i < le.length; i += 2) {
    be[i] = le[i + 1] as number;
    be[i + 1] = le[i] as number;
  }
  return be;
}

describe('ingest: CSV limits and text decoding, the same inline and uploaded', () => {
  let harness: IngestHarness;

  afterEach(() => harness.ports.cleanup());

  describe('a header over the limits', () => {
    beforeEach(() => {
      harness = createHarness();
    });

    it('refuses a header of 100,000 columns inline at once: 400 csv_limit_exceeded naming the count and the limit, no job', async () => {
      const header = Array.from({ length: 100_000 }, (_, i) => `c${i}`).join(',');
      const answer = await postCsv(harness, `${header}\nBob,b@example.com\n`);
      expect(answer.status).toBe(400);
      expect(answer.json.error).toEqual({
        code: 'csv_limit_exceeded',
        message: 'the header record at line 1 names 100,000 columns, over the limit of 1,000 columns',
      });
      expect(harness.ports.publisher.events()).toEqual([]);
    });

    it('refuses 4 MB without a line feed inline at once: 400, the header over the record limit', async () => {
      const answer = await postCsv(harness, Buffer.alloc(4 * 1024 * 1024, 'a'));
      expect(answer.status).toBe(400);
      expect(answer.json.error).toEqual({
        code: 'csv_limit_exceeded',
        message: 'the header record starting at line 1 is longer than the 1 MiB limit for a record',
      });
      expect(harness.ports.publisher.events()).toEqual([]);
    });

    it('fails an uploaded job over the limits with the same reason (the file replaced after an inline check cannot slip past)', async () => {
      const header = Array.from({ length: 1500 }, (_, i) => `c${i}`).join(',');
      expect((await postCsv(harness, 'First Name,Email\nBob,b@example.com\n')).status).toBe(202);
      // What a presigned PUT of that file would store: only the notification's check sees it.
      await harness.ports.objects.delete(FIRST_JOB_INPUT);
      await harness.ports.objects.put(FIRST_JOB_INPUT, Buffer.from(`First Name,Email,${header}\nBob,b@example.com\n`));
      expect(await harness.uploads([OBJECT_CREATED])).toMatchObject({ batchItemFailures: [] });
      expect(harness.ports.publisher.ofType('stage.failed.v1').map((event) => [event.data.retryable, event.data.reason])).toEqual([
        [false, 'the uploaded file cannot be used: the header record at line 1 names 1,502 columns, over the limit of 1,000 columns'],
      ]);
      expect(harness.ports.publisher.ofType('job.submitted.v1')).toEqual([]);
    });
  });

  it('answers an unusable header of 200,000 columns (within raised limits) with a few names and the count, not megabytes', async () => {
    harness = createHarness({ maxColumns: 300_000, maxRowBytes: 4 * 1024 * 1024 });
    const header = Array.from({ length: 200_000 }, (_, i) => `column ${i}`).join(',');
    const answer = await postCsv(harness, `${header}\n1,2\n`);
    expect(answer.status).toBe(422);
    expect(answer.json.error.code).toBe('unusable_header');
    expect(answer.json.error.details.found).toHaveLength(20);
    expect(answer.json.error.details.foundCount).toBe(200_000);
    expect(answer.json.error.message).toMatch(/^no usable header: found 200,000 columns \("column 0", /);
    expect(answer.body.length).toBeLessThan(5000);
  });

  describe('text decoding', () => {
    beforeEach(() => {
      harness = createHarness();
    });

    it.each([
      ['UTF-16LE', Buffer.concat([Buffer.from([0xff, 0xfe]), Buffer.from(CONTACTS_TEXT, 'utf16le')])],
      ['UTF-16BE', Buffer.concat([Buffer.from([0xfe, 0xff]), utf16be(CONTACTS_TEXT)])],
    ])('accepts %s with its byte order mark (Excel "Unicode Text", tab-separated) and submits it transcoded to UTF-8', async (_, file) => {
      const answer = await postCsv(harness, file);
      expect(answer.status).toBe(202);
      expect(await harness.uploads([OBJECT_CREATED])).toMatchObject({ batchItemFailures: [] });
      const transcoded = { bucket: FIRST_JOB_INPUT.bucket, key: `tenants/acme/jobs/${FIRST_JOB_ID}/input.utf-8.csv` };
      expect(harness.ports.publisher.ofType('job.submitted.v1').map((event) => event.data.input)).toEqual([
        { ...transcoded, sizeBytes: Buffer.byteLength(CONTACTS_TEXT) },
      ]);
      expect((await harness.ports.objects.getBuffer(transcoded)).toString('utf8')).toBe(CONTACTS_TEXT);
      // The input as given stays as it was.
      expect(await harness.ports.objects.getBuffer(FIRST_JOB_INPUT)).toEqual(file);
    });

    it('accepts a UTF-8 file with one stray NUL byte in a name (its row is reported by the matcher, not the file refused)', async () => {
      const answer = await postCsv(harness, 'First Name,Last Name,Email\nBo\u0000b,Jones,bob@example.com\nAnn,Lee,ann@example.com\n');
      expect(answer.status).toBe(202);
      expect(await harness.uploads([OBJECT_CREATED])).toMatchObject({ batchItemFailures: [] });
      expect(harness.publishedTypes()).toContain('job.submitted.v1');
    });

    it('still refuses binary data, told by the share of control bytes', async () => {
      const answer = await postCsv(harness, Buffer.concat([Buffer.from('a,b\n'), Buffer.alloc(200, 1)]));
      expect(answer.status).toBe(415);
      expect(answer.json.error.message).toContain('(binary data)');
    });
  });
});
