import { readdirSync, readFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { DirectoryProvider } from '@refinery/directory-provider';
import { startTestApp, type TestApp, waitForJob } from '../support/app';
import { PEOPLE } from '../support/people';

// Erasure and retention on the embedded runtime, end to end. A job goes through the whole pipeline — uploaded,
// chunked, matched, labeled, merged, a row in review decided (a new result version, and an event carrying the contact),
// a webhook delivered — and then `DELETE /jobs/{id}` erases it: afterwards no byte of it is left anywhere in the data
// dir (objects, refinery.db, its write-ahead log). And a job older than the retention period is erased by ingest's
// retention schedule alone.

const DAY_MS = 86_400_000;
const HEADER = 'First Name,Last Name,Email,Company,Title,City,State,Notes';
const THRESHOLDS = '?filename=erasure.csv&matchThreshold=0.99&reviewThreshold=0.01';

/**
 * A book whose every row carries `marker`: in Notes (copied into every chunk and result) and as the job title, a contact
 * field, so the review decision's event (and the history, queues and event log that hold it) carries it too.
 */
function book(marker: string): string {
  return [
    HEADER,
    `Robert,Smith,robert.smith@example.com,Acme Inc,${marker},San Francisco,CA,${marker} sure`,
    `Bob,Smith,,Acme,${marker},San Francisco,CA,${marker} nickname`,
    `Mary,Garcia,,Northwind,${marker},Chicago,IL,${marker} other first name`,
    `Zebediah,Quillfeather,zq@nowhere.test,,${marker},,,${marker} stranger`,
  ].join('\n');
}

/** Every file under the data dir that holds `needle`, raw bytes (SQLite's free pages and WAL included). */
function filesHolding(dir: string, needle: string): string[] {
  const found: string[] = [];
  const bytes = Buffer.from(needle);
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) found.push(...filesHolding(path, needle));
    else if (entry.isFile() && readFileSync(path).includes(bytes)) found.push(path);
  }
  return found;
}

interface Erasure {
  status: string;
  reason: string;
  services: Record<string, string>;
}

describe('erasing a job', () => {
  let t: TestApp;
  let offsetMs = 0;
  let receiver: Server;
  let receiverUrl: string;
  const previousAllow = process.env.REFINERY_ALLOW_PRIVATE_DESTINATIONS;

  beforeAll(async () => {
    // The webhook receiver is on 127.0.0.1: allowed here as the local mode documents.
    process.env.REFINERY_ALLOW_PRIVATE_DESTINATIONS = '1';
    receiver = createServer((request, response) => {
      request.resume();
      request.on('end', () => response.writeHead(204).end());
    });
    await new Promise<void>((resolve) => receiver.listen(0, '127.0.0.1', resolve));
    receiverUrl = `http://127.0.0.1:${(receiver.address() as AddressInfo).port}/hook`;
    const directory = DirectoryProvider.fromRecords(PEOPLE);
    const provider = { name: directory.name, inMemory: true, population: 1_000_000, findCandidates: directory.findCandidates.bind(directory) };
    t = await startTestApp({ directory: provider, clock: { now: () => new Date(Date.now() + offsetMs) } });
  });
  afterAll(async () => {
    await t.stop();
    await new Promise((resolve) => receiver.close(resolve));
    if (previousAllow === undefined) delete process.env.REFINERY_ALLOW_PRIVATE_DESTINATIONS;
    else process.env.REFINERY_ALLOW_PRIVATE_DESTINATIONS = previousAllow;
  });

  async function erasure(jobId: string): Promise<{ status: number; body: Erasure }> {
    const response = await t.acme.request('GET', `/jobs/${jobId}/erasure`);
    return { status: response.status, body: (await response.json()) as Erasure };
  }

  async function waitForErased(jobId: string): Promise<Erasure> {
    const deadline = Date.now() + 30_000;
    for (;;) {
      const { status, body } = await erasure(jobId);
      if (status === 200 && body.status === 'erased') return body;
      if (Date.now() > deadline) throw new Error(`erasure of ${jobId} not done: HTTP ${status} ${JSON.stringify(body)}`);
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
  }

  /** Waits until no queue holds a message and no handler runs (the last erasure messages deleted). */
  async function waitForIdle(): Promise<void> {
    const deadline = Date.now() + 10_000;
    while (!t.app.runtime.isIdle()) {
      if (Date.now() > deadline) throw new Error('the runtime never went idle');
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
  }

  async function completedJobWithReviewAndWebhook(marker: string): Promise<string> {
    const { jobId } = await t.acme.submitCsv(book(marker), THRESHOLDS);
    expect((await waitForJob(t.acme, jobId)).status).toBe('completed');
    // A person decides a row in review: a new result version, and review.decided.v1 carries the contact.
    const review = (await (await t.acme.request('GET', `/jobs/${jobId}/review`)).json()) as { items: { row: number }[] };
    const row = review.items[0]?.row;
    expect(row).toBeDefined();
    const decided = await t.acme.request('POST', `/jobs/${jobId}/review/${row}`, JSON.stringify({ decision: 'accept' }), {
      'content-type': 'application/json',
    });
    expect(decided.status).toBe(202);
    const deadline = Date.now() + 20_000;
    for (;;) {
      const response = await t.acme.request('GET', `/jobs/${jobId}/result?version=1`, undefined, { accept: 'application/json' });
      if (response.status === 200) break;
      if (Date.now() > deadline) throw new Error('result version 1 never appeared');
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
    return jobId;
  }

  test('DELETE /jobs/{id} erases every trace of the job from the data dir, and only that job', async () => {
    const created = await t.acme.request('POST', '/subscriptions', JSON.stringify({ url: receiverUrl }), { 'content-type': 'application/json' });
    expect(created.status).toBe(201);
    const subscription = (await created.json()) as { id: string };
    const marker = 'xq7erasablemarker51e2';
    const keptMarker = 'Kept-Other-Job-Marker-9d0c';
    const jobId = await completedJobWithReviewAndWebhook(marker);
    const { jobId: keptJobId } = await t.acme.submitCsv(book(keptMarker), '?filename=kept.csv');
    expect((await waitForJob(t.acme, keptJobId)).status).toBe('completed');
    const deliveries = async () =>
      (await (await t.acme.request('GET', `/subscriptions/${subscription.id}/deliveries`)).json()) as
        | { jobId: string }[]
        | { deliveries: { jobId: string }[] };
    const attemptsOf = async (id: string) => {
      const answer = await deliveries();
      const list = Array.isArray(answer) ? answer : answer.deliveries;
      return list.filter((attempt) => attempt.jobId === id).length;
    };
    const deadline = Date.now() + 20_000;
    while ((await attemptsOf(jobId)) === 0) {
      if (Date.now() > deadline) throw new Error('the webhook was never delivered');
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
    await waitForIdle();
    // The test can see the data: before the erasure, the marker is on disk, in the database too (the decision's event).
    expect(filesHolding(t.dataDir, marker).some((path) => /refinery\.db(-wal)?$/.test(path))).toBe(true);

    // Another tenant cannot erase it (nor learn that it exists).
    expect((await t.globex.request('DELETE', `/jobs/${jobId}`)).status).toBe(404);

    const response = await t.acme.request('DELETE', `/jobs/${jobId}`);
    expect(response.status).toBe(202);
    expect(response.headers.get('location')).toBe(`/jobs/${jobId}/erasure`);
    expect(((await response.json()) as Erasure).status).toMatch(/^(erasing|erased)$/);
    const done = await waitForErased(jobId);
    expect(done.reason).toBe('request');
    expect(Object.values(done.services).every((status) => status === 'erased')).toBe(true);
    await waitForIdle();

    expect(filesHolding(t.dataDir, marker)).toEqual([]);
    expect(filesHolding(t.dataDir, jobId).filter((path) => !path.endsWith('refinery.db') && !path.endsWith('refinery.db-wal'))).toEqual([]);
    for (const path of [`/jobs/${jobId}`, `/jobs/${jobId}/events`, `/jobs/${jobId}/result`, `/jobs/${jobId}/review`]) {
      expect({ path, status: (await t.acme.request('GET', path)).status }).toEqual({ path, status: 404 });
    }
    expect(await attemptsOf(jobId)).toBe(0);
    // Asking again answers the same, finished erasure.
    const again = await t.acme.request('DELETE', `/jobs/${jobId}`);
    expect(again.status).toBe(202);
    expect(((await again.json()) as Erasure).status).toBe('erased');
    expect((await t.globex.request('GET', `/jobs/${jobId}/erasure`)).status).toBe(404);

    // The other job is untouched.
    expect(filesHolding(t.dataDir, keptMarker).length).toBeGreaterThan(0);
    expect((await t.acme.request('GET', `/jobs/${keptJobId}/result`)).status).toBe(200);
    expect(await attemptsOf(keptJobId)).toBeGreaterThan(0);
  }, 120_000);

  test('a job older than the retention period is erased by the retention schedule', async () => {
    const marker = 'Retention-Marker-7f3a';
    const { jobId } = await t.acme.submitCsv(book(marker), '?filename=old.csv');
    expect((await waitForJob(t.acme, jobId)).status).toBe('completed');
    await waitForIdle();
    expect(filesHolding(t.dataDir, marker).length).toBeGreaterThan(0);

    // 29 days on: within the retention period (30 days), nothing happens.
    offsetMs = 29 * DAY_MS;
    await t.app.runtime.runSchedule('ingest', 'retention');
    await waitForIdle();
    expect((await t.acme.request('GET', `/jobs/${jobId}`)).status).toBe(200);
    expect((await erasure(jobId)).status).toBe(404);

    offsetMs = 31 * DAY_MS;
    await t.app.runtime.runSchedule('ingest', 'retention');
    const done = await waitForErased(jobId);
    expect(done.reason).toBe('retention');
    await waitForIdle();
    expect((await t.acme.request('GET', `/jobs/${jobId}`)).status).toBe(404);
    expect(filesHolding(t.dataDir, marker)).toEqual([]);
  }, 120_000);
});
