import { Readable } from 'node:stream';
import { MULTIPART_MAX_PARTS, MULTIPART_MIN_PART_BYTES, type ObjectRef } from '@refinery/ports';
import { testContext } from '@refinery/test-support';
import { planParts } from '../src/domain/multipart-uploads';
import type { IngestConfig } from '../src/service';
import {
  ACME_TOKEN,
  createHarness,
  FIRST_JOB_ID,
  FIRST_JOB_INPUT,
  fixture,
  GLOBEX_TOKEN,
  type IngestHarness,
  postJson,
  SCHEDULED_EVENT,
} from './helpers';

// Multipart uploads through the API: POST /jobs {"upload": "multipart"}, the part URLs a page at a time, the parts
// listed to resume, the completion from the parts storage holds; and every misuse answered with a clear 4xx.

const PART = 1000;
const MINUTE = 60_000;
/** A usable CSV of exactly `size` bytes (the last row padded). */
function csvOf(size: number): Buffer {
  const header = 'First Name,Last Name,Email\n';
  const rows: string[] = [];
  let length = header.length;
  for (let i = 0; length + 40 < size; i += 1) {
    const row = `Ada${i},Lovelace,ada${i}@example.com\n`;
    rows.push(row);
    length += row.length;
  }
  const last = `Zed,Last,${'z'.repeat(size - length - 'Zed,Last,\n'.length)}\n`;
  return Buffer.from(header + rows.join('') + last);
}
const FILE = csvOf(2500);

const harnesses: IngestHarness[] = [];
function harnessWith(config: Partial<IngestConfig> = {}): IngestHarness {
  const harness = createHarness({ minUploadPartBytes: PART, ...config });
  harnesses.push(harness);
  return harness;
}
afterEach(() => {
  for (const harness of harnesses.splice(0)) harness.ports.cleanup();
});

function route(harness: IngestHarness, routeKey: string, query: Record<string, string> = {}, token = ACME_TOKEN, jobId = FIRST_JOB_ID) {
  return harness.http({ routeKey, pathParameters: { id: jobId }, token, query });
}

/** What a client does with a part URL: PUT exactly those bytes (the local store checks the URL as S3 would). */
async function putPart(harness: IngestHarness, part: { url: string; headers: Record<string, string> }, body: Buffer): Promise<void> {
  const url = new URL(part.url);
  const verdict = harness.ports.objects.verifyPresigned('PUT', FIRST_JOB_INPUT, url.searchParams, { contentLength: String(body.length) });
  if (!verdict.ok) throw new Error(`part refused: ${verdict.reason}`);
  const { uploadId, partNumber } = verdict.conditions;
  await harness.ports.objects.uploadPart(FIRST_JOB_INPUT as ObjectRef, uploadId as string, partNumber as number, Readable.from([body]));
}

async function partUrls(harness: IngestHarness) {
  const parts: Array<{ partNumber: number; url: string; headers: Record<string, string> }> = [];
  let from: number | null = 1;
  while (from !== null) {
    const page = await route(harness, 'GET /jobs/{id}/upload/part-urls', { from: String(from), limit: '2' });
    expect(page.status).toBe(200);
    parts.push(...page.json.parts);
    from = page.json.nextFrom;
  }
  return parts;
}

describe('multipart uploads', () => {
  it('creates a job awaiting parts, hands out part URLs a page at a time signed for each length, and completes the file', async () => {
    const harness = harnessWith();
    const created = await postJson(harness, { filename: 'big.csv', sizeBytes: FILE.length, upload: 'multipart' });
    expect(created.status).toBe(201);
    expect(created.json).toEqual({
      jobId: FIRST_JOB_ID,
      status: 'accepted',
      upload: { kind: 'multipart', uploadId: expect.any(String), sizeBytes: 2500, partSizeBytes: PART, partCount: 3, expiresAt: expect.any(String) },
    });

    const first = await route(harness, 'GET /jobs/{id}/upload/part-urls', { limit: '2' });
    expect(first.json.parts.map((part: { partNumber: number; headers: object }) => [part.partNumber, part.headers])).toEqual([
      [1, { 'content-length': '1000' }],
      [2, { 'content-length': '1000' }],
    ]);
    expect(first.json.nextFrom).toBe(3);
    const parts = await partUrls(harness);
    expect(parts.map((part) => part.headers['content-length'])).toEqual(['1000', '1000', '500']);
    // The URL takes no other length than the one signed.
    const verdict = harness.ports.objects.verifyPresigned('PUT', FIRST_JOB_INPUT, new URL(parts[2]?.url ?? '').searchParams, {
      contentLength: '501',
    });
    expect(verdict.ok).toBe(false);

    for (const [index, part] of parts.entries()) await putPart(harness, part, FILE.subarray(index * PART, (index + 1) * PART));
    const listed = await route(harness, 'GET /jobs/{id}/upload/parts', { limit: '2' });
    expect(listed.json).toMatchObject({ partCount: 3, partSizeBytes: PART, nextAfter: 2 });
    expect(listed.json.parts.map((part: { partNumber: number; sizeBytes: number }) => [part.partNumber, part.sizeBytes])).toEqual([
      [1, 1000],
      [2, 1000],
    ]);
    const rest = await route(harness, 'GET /jobs/{id}/upload/parts', { after: '2' });
    expect(rest.json).toMatchObject({ parts: [{ partNumber: 3, sizeBytes: 500 }], nextAfter: null });

    const completed = await route(harness, 'POST /jobs/{id}/upload/complete');
    expect(completed.status).toBe(202);
    expect(completed.json).toEqual({ jobId: FIRST_JOB_ID, status: 'accepted' });
    expect((await harness.ports.objects.getBuffer(FIRST_JOB_INPUT)).equals(FILE)).toBe(true);

    // Completing twice, or asking for more URLs, is refused: the file is in place.
    expect((await route(harness, 'POST /jobs/{id}/upload/complete')).json.error.code).toBe('upload_completed');
    // Its Object Created notification submits the job as for a single upload.
    await harness.uploads([fixture('s3-object-created.json')]);
    expect(harness.publishedTypes()).toContain('job.submitted.v1');
    const again = await route(harness, 'GET /jobs/{id}/upload/part-urls');
    expect({ status: again.status, code: again.json.error.code }).toEqual({ status: 409, code: 'upload_completed' });
  });

  it('hands a client that retries with the same Idempotency-Key the same upload, and lists what it sent already', async () => {
    const harness = harnessWith();
    const body = { filename: 'big.csv', sizeBytes: FILE.length, upload: 'multipart' };
    const created = await postJson(harness, body, { headers: { 'idempotency-key': 'k1' } });
    const parts = await partUrls(harness);
    await putPart(harness, parts[0] as never, FILE.subarray(0, PART));

    const resumed = await postJson(harness, body, { headers: { 'idempotency-key': 'k1' } });
    expect(resumed.status).toBe(200);
    expect(resumed.json.upload).toEqual(created.json.upload);
    expect((await route(harness, 'GET /jobs/{id}/upload/parts')).json.parts.map((part: { partNumber: number }) => part.partNumber)).toEqual([1]);
    // The same key with a single upload asked for is another request.
    const single = await postJson(harness, { ...body, upload: undefined }, { headers: { 'idempotency-key': 'k1' } });
    expect({ status: single.status, code: single.json.error.code }).toEqual({ status: 422, code: 'idempotency_key_reused' });
  });

  it('refuses to complete with parts missing, naming them', async () => {
    const harness = harnessWith();
    await postJson(harness, { filename: 'big.csv', sizeBytes: FILE.length, upload: 'multipart' });
    const parts = await partUrls(harness);
    await putPart(harness, parts[0] as never, FILE.subarray(0, PART));
    const refused = await route(harness, 'POST /jobs/{id}/upload/complete');
    expect(refused.status).toBe(409);
    expect(refused.json.error).toMatchObject({ code: 'upload_incomplete', details: { missingCount: 2, missing: [2, 3] } });
    expect(await harness.ports.objects.head(FIRST_JOB_INPUT)).toBeUndefined();
  });

  it('answers 404 to another tenant, 409 for a job created for one PUT, 400 for sizes and pages out of range', async () => {
    const harness = harnessWith({ maxUploadBytes: 10_000 });
    await postJson(harness, { filename: 'big.csv', sizeBytes: FILE.length, upload: 'multipart' });
    expect((await route(harness, 'GET /jobs/{id}/upload/parts', {}, GLOBEX_TOKEN)).status).toBe(404);
    expect((await route(harness, 'POST /jobs/{id}/upload/complete', {}, GLOBEX_TOKEN)).status).toBe(404);
    expect((await route(harness, 'GET /jobs/{id}/upload/part-urls', { limit: '101' })).json.error.code).toBe('invalid_option');
    expect((await route(harness, 'GET /jobs/{id}/upload/part-urls', { from: '4' })).json.error.code).toBe('invalid_option');

    const single = await postJson(harness, { filename: 'small.csv', sizeBytes: 100 });
    const notMultipart = await route(harness, 'GET /jobs/{id}/upload/part-urls', {}, ACME_TOKEN, single.json.jobId);
    expect({ status: notMultipart.status, code: notMultipart.json.error.code }).toEqual({ status: 409, code: 'not_multipart' });

    const tooLarge = await postJson(harness, { filename: 'huge.csv', sizeBytes: 10_001, upload: 'multipart' });
    expect({ status: tooLarge.status, code: tooLarge.json.error.code }).toEqual({ status: 400, code: 'invalid_body' });
    expect((await postJson(harness, { filename: 'x.csv', sizeBytes: 10, upload: 'parts' })).status).toBe(400);
  });

  it('asks for parts above one PUT’s 5 GiB', async () => {
    const harness = harnessWith({ maxUploadBytes: 6 * 1024 ** 3 });
    const single = await postJson(harness, { filename: 'huge.csv', sizeBytes: 5 * 1024 ** 3 + 1 });
    expect(single.status).toBe(400);
    expect(single.json.error.message).toContain('"upload": "multipart"');
    const multipart = await postJson(harness, { filename: 'huge.csv', sizeBytes: 5 * 1024 ** 3 + 1, upload: 'multipart' });
    expect(multipart.json.upload).toMatchObject({ partCount: 5121 });
  });

  it('aborts an upload never completed when its job expires, and refuses it afterwards', async () => {
    const harness = harnessWith({ uploadExpiryMinutes: 120, uploadUrlTtlSeconds: 3600 });
    const created = await postJson(harness, { filename: 'big.csv', sizeBytes: FILE.length, upload: 'multipart' });
    const parts = await partUrls(harness);
    await putPart(harness, parts[0] as never, FILE.subarray(0, PART));

    harness.ports.clock.advance(119 * MINUTE);
    await harness.service.schedules.sweep(SCHEDULED_EVENT, testContext('ingest-sweep'));
    expect((await route(harness, 'GET /jobs/{id}/upload/parts')).status).toBe(200);

    harness.ports.clock.advance(MINUTE);
    await harness.service.schedules.sweep(SCHEDULED_EVENT, testContext('ingest-sweep'));
    await expect(harness.ports.objects.listUploadedParts(FIRST_JOB_INPUT, created.json.upload.uploadId)).rejects.toThrow('no open multipart upload');
    expect(harness.ports.publisher.ofType('stage.failed.v1').map((event) => event.metadata.jobId)).toEqual([FIRST_JOB_ID]);
    const late = await route(harness, 'POST /jobs/{id}/upload/complete');
    expect(late.status).toBe(409);
  });
});

describe('planParts', () => {
  it('keeps parts at the minimum until the file needs more than 10,000 of them', () => {
    expect(planParts(200 * 1024 * 1024, MULTIPART_MIN_PART_BYTES)).toEqual({ partSizeBytes: MULTIPART_MIN_PART_BYTES, partCount: 40 });
    const largest = 5 * 1024 ** 4;
    const plan = planParts(largest, MULTIPART_MIN_PART_BYTES);
    expect(plan.partCount).toBeLessThanOrEqual(MULTIPART_MAX_PARTS);
    expect(plan.partSizeBytes * plan.partCount).toBeGreaterThanOrEqual(largest);
    expect(plan.partSizeBytes % (1024 * 1024)).toBe(0);
  });
});
