import { createServer, type IncomingHttpHeaders } from 'node:http';
import type { AddressInfo } from 'node:net';
import { DirectoryProvider } from '@refinery/directory-provider';
import type { Candidate, ContactProvider } from '@refinery/matching';
import { scrapePrometheus } from '@refinery/test-support';
import { parse } from 'csv-parse/sync';
import { Webhook } from 'standardwebhooks';
import { resultText, startTestApp, type TestApp, waitForJob } from '../support/app';
import { PEOPLE } from '../support/people';

const HEADER = 'First Name,Last Name,Email,Phone,Company,Notes';

interface ErrorBody {
  error: { code: string; message: string };
}

function rows(csv: string): Record<string, string>[] {
  return parse(csv, { columns: true, bom: true }) as Record<string, string>[];
}

/** The figures `GET /metrics` shows now, as a Prometheus scraper reads them. */
async function scrape(t: TestApp, headers: Record<string, string> = {}): Promise<ReturnType<typeof scrapePrometheus>> {
  const response = await fetch(`${t.app.url}/metrics`, { headers });
  if (response.status !== 200) throw new Error(`GET /metrics: HTTP ${response.status} ${await response.text()}`);
  return scrapePrometheus(await response.text());
}

/**
 * The figures once the earlier tests' jobs have stopped adding to them: a job is `completed` for the API as soon as
 * ingest records job.completed.v1, and the merger counts its chunk only once its publish of that event returns, so a
 * scrape right after an earlier job completed can miss that count (then counted against the next job). Scraped until
 * the pipeline's counters are still for 300 ms.
 */
async function settledScrape(t: TestApp): Promise<ReturnType<typeof scrapePrometheus>> {
  const counters = (page: ReturnType<typeof scrapePrometheus>) =>
    ['refinery_chunks_processed_total', 'refinery_rows_processed_total', 'refinery_jobs_ended_total', 'refinery_webhook_deliveries_total']
      .map((name) => total(page, name))
      .join(',');
  let page = await scrape(t);
  for (let stillSince = Date.now(), deadline = Date.now() + 10_000; Date.now() - stillSince < 300 && Date.now() < deadline; ) {
    await new Promise((resolve) => setTimeout(resolve, 50));
    const next = await scrape(t);
    if (counters(next) !== counters(page)) stillSince = Date.now();
    page = next;
  }
  return page;
}

/** The sum of a sample's series whose labels include `where`. */
function total(page: ReturnType<typeof scrapePrometheus>, name: string, where: Record<string, string> = {}): number {
  return page
    .samples(name)
    .filter((sample) => Object.entries(where).every(([label, value]) => sample.labels[label] === value))
    .reduce((sum, sample) => sum + sample.value, 0);
}

describe('the pipeline on the embedded runtime', () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await startTestApp({ directory: DirectoryProvider.fromRecords(PEOPLE) });
  });
  afterAll(() => t.stop());

  it('enriches a book end to end: one output row per input row, in order, with every input column first', async () => {
    const csv = [
      HEADER,
      'Robert,Smith,robert.smith@example.com,,,first',
      'Maria,Garcia,MARIA@GARCIA.DEV,,,"second, with a comma"',
      'Nobody,Here,nobody@nowhere.test,,,third',
      'Only,,,,,fourth',
    ].join('\n');
    const { jobId } = await t.acme.submitCsv(csv, '?chunkRows=2&filename=book.csv');
    const job = await waitForJob(t.acme, jobId);
    expect(job).toMatchObject({
      status: 'completed',
      rows: { total: 4, done: 4, matched: 2, unmatched: 1, invalid: 1 },
      chunks: { total: 2, done: 2 },
      error: null,
    });
    const result = rows(await resultText(t.acme, jobId));
    expect(result.map((r) => r.Notes)).toEqual(['first', 'second, with a comma', 'third', 'fourth']);
    expect(result.map((r) => r.match_status)).toEqual(['matched', 'matched', 'unmatched', 'invalid']);
    expect(result[0]).toMatchObject({
      match_method: 'exact',
      match_id: 'P1',
      email_status: 'confirmed',
      phone_status: 'new',
      phone_latest: "'+14155550134",
    });
    expect(result[3]?.match_reason).toMatch(/^nothing to match on: only a name/);
    const history = await t.acme.events(jobId);
    // Chunks may be labeled before job.planned is recorded (delivery is unordered); the set of events is exact.
    expect(history.map((e) => e.type).sort()).toEqual(
      ['job.created.v1', 'job.submitted.v1', 'job.planned.v1', 'chunk.labeled.v1', 'chunk.labeled.v1', 'job.completed.v1'].sort(),
    );
    expect(history[0]?.type).toBe('job.created.v1');
    expect(history.at(-1)?.type).toBe('job.completed.v1');
  });

  it.each([
    ['CRLF line endings', `${HEADER}\r\nRobert,Smith,robert.smith@example.com,,,a\r\nChen,Wei,wei.chen@example.org,,,b\r\n`, 2],
    ['a UTF-8 BOM', `\uFEFF${HEADER}\nRobert,Smith,robert.smith@example.com,,,a\n`, 1],
    ['a semicolon delimiter', `${HEADER.replace(/,/g, ';')}\nRobert;Smith;robert.smith@example.com;;;a,b\n`, 1],
    ['empty lines', `${HEADER}\n\nRobert,Smith,robert.smith@example.com,,,a\n\n\nChen,Wei,wei.chen@example.org,,,b\n\n`, 2],
    ['no trailing newline', `${HEADER}\nRobert,Smith,robert.smith@example.com,,,a`, 1],
  ])('handles %s', async (_name, csv, expectedRows) => {
    const { jobId } = await t.acme.submitCsv(csv, '?chunkRows=1');
    const job = await waitForJob(t.acme, jobId);
    expect(job).toMatchObject({ status: 'completed', rows: { total: expectedRows, matched: expectedRows } });
    const result = rows(await resultText(t.acme, jobId));
    expect(result).toHaveLength(expectedRows);
    expect(result[0]?.['First Name']).toBe('Robert');
    expect(result[0]?.Notes).toBe(csv.includes(';') ? 'a,b' : 'a');
  });

  it('never splits a quoted field with commas, quotes and newlines at a chunk boundary', async () => {
    const tricky = '"line one\nline two, with ""quotes""\r\nand three"';
    const csv = [
      HEADER,
      `Robert,Smith,robert.smith@example.com,,,${tricky}`,
      `Maria,Garcia,maria@garcia.dev,,,${tricky}`,
      'Chen,Wei,wei.chen@example.org,,,plain',
    ].join('\n');
    const { jobId } = await t.acme.submitCsv(csv, '?chunkRows=1');
    const job = await waitForJob(t.acme, jobId);
    expect(job).toMatchObject({ status: 'completed', rows: { total: 3, matched: 3 }, chunks: { total: 3 } });
    const result = rows(await resultText(t.acme, jobId));
    expect(result.map((r) => r.Notes)).toEqual([
      'line one\nline two, with "quotes"\r\nand three',
      'line one\nline two, with "quotes"\r\nand three',
      'plain',
    ]);
  });

  it('completes a file of only a header with a header-only result', async () => {
    const { jobId } = await t.acme.submitCsv(`${HEADER}\n`);
    const job = await waitForJob(t.acme, jobId);
    expect(job).toMatchObject({ status: 'completed', rows: { total: 0, done: 0 }, chunks: { total: 0 } });
    const text = await resultText(t.acme, jobId);
    expect(text.split('\n').filter(Boolean)).toHaveLength(1);
    expect(text.startsWith(`${HEADER},match_status,`)).toBe(true);
  });

  it('refuses a non-CSV file and a file without a usable header with clear 4xx answers', async () => {
    const png = Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a, 0x00, 0x00, 0x00, 0x0d]);
    const binary = await t.acme.request('POST', '/jobs', png, { 'content-type': 'text/csv' });
    expect(binary.status).toBe(415);
    expect(((await binary.json()) as ErrorBody).error).toMatchObject({ code: 'not_csv' });
    const noHeader = await t.acme.request('POST', '/jobs', 'foo,bar\n1,2\n', { 'content-type': 'text/csv' });
    expect(noHeader.status).toBe(422);
    expect(((await noHeader.json()) as ErrorBody).error.message).toContain('found "foo", "bar"');
  });

  it('takes uploads through a presigned URL and starts the job when the file lands', async () => {
    const body = `${HEADER}\nChen,Wei,wei.chen@example.org,,,x\n`;
    const created = await t.acme.createUploadJob({ filename: 'upload.csv', sizeBytes: Buffer.byteLength(body) });
    expect(created.upload).toMatchObject({ method: 'PUT' });
    expect((await t.acme.job(created.jobId)).status).toBe('accepted');
    // The URL is signed for the size declared: a larger body is refused before anything is stored.
    const tooLarge = await fetch(created.upload!.url, {
      method: 'PUT',
      headers: { ...created.upload!.headers, 'content-length': String(body.length + 1) },
      body: `${body}x`,
    });
    expect(tooLarge.status).toBe(403);
    const put = await fetch(created.upload!.url, { method: 'PUT', headers: created.upload!.headers, body });
    expect(put.status).toBe(200);
    expect(await waitForJob(t.acme, created.jobId)).toMatchObject({ status: 'completed', rows: { matched: 1 } });
  });

  it("answers 401 without or with a wrong token, and 404 for another tenant's job", async () => {
    const { jobId } = await t.acme.submitCsv(`${HEADER}\nRobert,Smith,robert.smith@example.com,,,a\n`);
    expect((await fetch(`${t.app.url}/jobs/${jobId}`)).status).toBe(401);
    expect((await fetch(`${t.app.url}/jobs/${jobId}`, { headers: { authorization: 'Bearer wrong-token-123' } })).status).toBe(401);
    for (const path of [`/jobs/${jobId}`, `/jobs/${jobId}/events`, `/jobs/${jobId}/result`]) {
      expect((await t.globex.request('GET', path)).status).toBe(404);
    }
    await waitForJob(t.acme, jobId);
    expect((await t.globex.request('GET', `/jobs/${jobId}/result`)).status).toBe(404);
  });

  it("delivers a signed webhook to the tenant's subscriptions when a job completes, and /metrics counts the job's figures", async () => {
    const before = await settledScrape(t);
    const deliveries: { headers: IncomingHttpHeaders; body: string }[] = [];
    const receiver = createServer((request, response) => {
      let body = '';
      request.on('data', (chunk) => (body += chunk));
      request.on('end', () => {
        deliveries.push({ headers: request.headers, body });
        response.writeHead(204).end();
      });
    });
    await new Promise<void>((resolve) => receiver.listen(0, '127.0.0.1', resolve));
    try {
      const url = `http://127.0.0.1:${(receiver.address() as AddressInfo).port}/hook`;
      const created = (await (
        await t.acme.request('POST', '/subscriptions', JSON.stringify({ url }), { 'content-type': 'application/json' })
      ).json()) as { secret: string };
      const { jobId } = await t.acme.submitCsv(`${HEADER}\nRobert,Smith,robert.smith@example.com,,,a\n`);
      await waitForJob(t.acme, jobId);
      const deadline = Date.now() + 10_000;
      while (!deliveries.some((d) => d.body.includes(jobId)) && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));
      const delivery = deliveries.find((d) => d.body.includes(jobId));
      expect(delivery).toBeDefined();
      const payload = new Webhook(created.secret).verify(delivery!.body, delivery!.headers as Record<string, string>) as {
        type: string;
        data: { jobId: string; status: string };
      };
      expect(payload).toMatchObject({ type: 'job.completed.v1', data: { jobId, status: 'completed' } });

      // What this job added to the figures (the app's earlier jobs are in `before`). The notifier counts its attempt once
      // the receiver has answered, a moment after the receiver saw it, and the merger its chunk once the job's
      // completion it published returns: read until both are counted.
      const delta = (page: ReturnType<typeof scrapePrometheus>, name: string, where: Record<string, string> = {}) =>
        total(page, name, where) - total(before, name, where);
      const counted = (page: ReturnType<typeof scrapePrometheus>) =>
        delta(page, 'refinery_webhook_deliveries_total', { outcome: 'delivered' }) > 0 &&
        delta(page, 'refinery_chunks_processed_total', { service: 'merger' }) > 0;
      let after = await scrape(t);
      while (!counted(after) && Date.now() < deadline) {
        await new Promise((r) => setTimeout(r, 20));
        after = await scrape(t);
      }
      expect(delta(after, 'refinery_webhook_deliveries_total', { service: 'notifier', outcome: 'delivered' })).toBe(1);
      expect(delta(after, 'refinery_rows_processed_total', { service: 'labeler', status: 'matched', method: 'exact' })).toBe(1);
      expect(delta(after, 'refinery_rows_processed_total')).toBe(1);
      for (const stage of ['matcher', 'labeler', 'merger']) {
        expect(delta(after, 'refinery_chunks_processed_total', { service: stage, stage })).toBe(1);
        expect(delta(after, 'refinery_stage_duration_milliseconds_count', { stage })).toBe(1);
      }
      expect(delta(after, 'refinery_jobs_ended_total', { service: 'ingest', outcome: 'completed' })).toBe(1);
      expect(delta(after, 'refinery_job_rows_total', { outcome: 'completed' })).toBe(1);
      expect(delta(after, 'refinery_job_duration_seconds_count', { outcome: 'completed' })).toBe(1);
      expect(after.types.get('refinery_queue_messages_waiting')).toBe('GAUGE');
      expect(after.samples('refinery_queue_messages_dead_lettered')).toContainEqual({
        labels: { service: 'matcher', subscription: 'chunks' },
        value: 0,
      });
      expect(after.samples('refinery_jobs_running')).toEqual([{ labels: {}, value: 0 }]);
    } finally {
      receiver.close();
    }
  });

  it('serves /metrics to this machine, and to a cross-origin page only with an API token', async () => {
    expect((await fetch(`${t.app.url}/metrics`)).status).toBe(200);
    const crossOrigin = { origin: 'https://elsewhere.example' };
    expect((await fetch(`${t.app.url}/metrics`, { headers: crossOrigin })).status).toBe(403);
    const page = await scrape(t, { ...crossOrigin, authorization: 'Bearer token-acme-0001' });
    expect(page.types.get('refinery_rows_processed_total')).toBe('COUNTER');
  });
});

describe('at-least-once delivery', () => {
  it('gives the same result when every message is delivered twice', async () => {
    const csv = [
      HEADER,
      ...PEOPLE.map((p, i) => `${p.fields.first_name},${p.fields.last_name},${p.fields.email},,,row ${i}`),
      'Nobody,Here,n@x.test,,,stranger',
      'Solo,,,,,bad',
    ].join('\n');
    const once = await startTestApp({ directory: DirectoryProvider.fromRecords(PEOPLE) });
    const twice = await startTestApp({ directory: DirectoryProvider.fromRecords(PEOPLE), duplicateDeliveries: 2, concurrency: 3 });
    try {
      const a = await once.acme.submitCsv(csv, '?chunkRows=2');
      const b = await twice.acme.submitCsv(csv, '?chunkRows=2');
      expect(await waitForJob(once.acme, a.jobId)).toMatchObject({ status: 'completed' });
      expect(await waitForJob(twice.acme, b.jobId)).toMatchObject({
        status: 'completed',
        rows: { total: 6, done: 6 },
        chunks: { total: 3, done: 3 },
      });
      expect(await resultText(twice.acme, b.jobId)).toBe(await resultText(once.acme, a.jobId));
      const history = await twice.acme.events(b.jobId);
      expect(history.filter((e) => e.type === 'job.completed.v1')).toHaveLength(1);
      expect(history.filter((e) => e.type === 'chunk.labeled.v1')).toHaveLength(3);
    } finally {
      await once.stop();
      await twice.stop();
    }
  }, 60_000);
});

describe('a poison message', () => {
  it('reaches the dead-letter queue after maxReceiveCount and the job ends failed with the reason and rows', async () => {
    const directory = DirectoryProvider.fromRecords(PEOPLE);
    const attempts: string[] = [];
    const flaky: ContactProvider = {
      name: 'poisoned',
      findCandidates: async (contacts): Promise<Candidate[][]> => {
        if (contacts.some((c) => c.email === 'poison@example.com')) {
          // One contact: the poisoned chunk's own look-up; more: learning the job's model from its first rows, which
          // leaves a batch the provider refuses out of the sample instead of failing (every chunk would fail then).
          attempts.push(contacts.length === 1 ? 'poison' : 'sample');
          throw new Error('provider choked on this chunk');
        }
        return directory.findCandidates(contacts);
      },
    };
    // Long enough that a slow attempt on a busy machine is not handed to a second consumer (which would count twice).
    const t = await startTestApp({ directory: flaky, visibilityTimeoutMs: 300 });
    try {
      const csv = [
        HEADER,
        'Robert,Smith,robert.smith@example.com,,,ok',
        'Pat,Poison,poison@example.com,,,bad',
        'Chen,Wei,wei.chen@example.org,,,ok',
      ].join('\n');
      const { jobId } = await t.acme.submitCsv(csv, '?chunkRows=1');
      const job = await waitForJob(t.acme, jobId);
      expect(job.status).toBe('failed');
      expect(job.error).toEqual({
        reason: 'matcher gave up on chunk 2 (row 2) after 5 attempts: provider choked on this chunk',
        rows: { first: 1, count: 1 },
      });
      expect(attempts.filter((attempt) => attempt === 'poison')).toHaveLength(5);
      expect(attempts).toContain('sample');
      const deadline = Date.now() + 5000;
      // A job of three rows: the matcher's express lane.
      while (t.app.runtime.queues.peek('matcher-express-chunks-dlq').length === 0 && Date.now() < deadline)
        await new Promise((r) => setTimeout(r, 20));
      const [dead] = t.app.runtime.queues.peek('matcher-express-chunks-dlq');
      expect(JSON.parse(dead!.body).detail.data.chunk.index).toBe(1);
      // Counted when it was moved, and shown by the queue's gauge.
      const page = await scrape(t);
      expect(page.samples('refinery_dead_lettered_total')).toEqual([{ labels: { service: 'matcher' }, value: 1 }]);
      expect(page.samples('refinery_queue_messages_dead_lettered')).toContainEqual({
        labels: { service: 'matcher', subscription: 'expressChunks' },
        value: 1,
      });
      expect((await t.acme.request('GET', `/jobs/${jobId}/result`)).status).toBe(409);
    } finally {
      await t.stop();
    }
  });
});
