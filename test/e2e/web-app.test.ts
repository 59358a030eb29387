import { mkdirSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { webAppHandler } from '@refinery/web';
import { parse } from 'csv-parse/sync';
import type { Browser, BrowserContext, Page, WebSocket as PageSocket, Request } from 'playwright-core';
import { startTestApp, type TestApp, waitForJob } from '../support/app';
import { launchChromium } from '../support/browser';
import { type CliRun, REPO_ROOT, runCli } from '../support/cli';

// The web page in a real browser (Debian's Chromium through playwright-core) against every service on the embedded
// runtime: sign in, upload with the column mapping, live progress over the WebSocket, the result preview and its
// download (byte for byte the CLI's result), errors, tenant isolation, keyboard use and a 320 px screen. Screenshots
// of the main screens are taken every run; `npm run screenshots` keeps them in docs/screenshots/ (the README's), any
// other run in a temporary folder, so a test run leaves the repository as it found it.

jest.setTimeout(60_000);

// What the functions evaluated in the page use of its globals (this program is type-checked without the DOM lib).
interface PageElement {
  readonly tagName: string;
  readonly id: string;
  readonly textContent: string | null;
  readonly classList: { contains(name: string): boolean };
  readonly dataset: Record<string, string | undefined>;
  readonly hidden: boolean;
  readonly disabled: boolean;
  readonly value: number;
  readonly clientWidth: number;
  readonly scrollWidth: number;
  getAttribute(name: string): string | null;
  querySelectorAll(selector: string): { length: number };
}
declare const document: {
  readonly activeElement: PageElement | null;
  readonly documentElement: PageElement;
  querySelector(selector: string): PageElement | null;
  getElementById(id: string): PageElement | null;
};
declare const sessionStorage: { getItem(key: string): string | null };
declare class MutationObserver {
  constructor(callback: () => void);
  observe(target: PageElement, options: { subtree: boolean; childList: boolean; characterData: boolean }): void;
}
declare const progressTexts: string[];
declare function getComputedStyle(element: PageElement): { backgroundColor: string; outlineStyle: string };

const BOOK = join(REPO_ROOT, 'examples', 'contacts.csv');
const DIRECTORY = join(REPO_ROOT, 'examples', 'directory.csv');
const ACME = 'token-acme-0001';
const GLOBEX = 'token-globex-0002';

describe('the web page', () => {
  const work = mkdtempSync(join(tmpdir(), 'refinery-web-'));
  const SCREENSHOTS = process.env.REFINERY_UPDATE_SCREENSHOTS === '1' ? join(REPO_ROOT, 'docs', 'screenshots') : join(work, 'screenshots');
  let test: TestApp;
  let browser: Browser;
  let cli: CliRun;
  /** Every request any page made, to check none left the app's origin. */
  const requests: string[] = [];
  const contexts: BrowserContext[] = [];
  let acmePage: Page;
  let jobId = '';

  beforeAll(async () => {
    // The CLI's result for the same book, produced alongside (a separate process with its own data dir).
    cli = runCli(['enrich', BOOK, '--directory', DIRECTORY, '--out', join(work, 'cli-result.csv'), '--data-dir', join(work, 'cli-data')]);
    mkdirSync(SCREENSHOTS, { recursive: true });
    // Chunks of 10 rows: the demo book's 250 rows make 25 chunks, so the page has progress to show on the way to 100 %
    // (and the result must still be byte for byte the CLI's, which cuts the book into one chunk of 1,000 rows).
    // Started side by side; whatever started is kept for afterAll to close even when the other failed (Promise.all
    // would drop it, and an app left running keeps Jest from exiting).
    const [app, chromium] = await Promise.allSettled([
      // Parts of 8 KiB: the page's multipart upload (on the other origin, below) sends the book in five parts.
      startTestApp({ directory: 'examples/directory.csv', settings: { chunker: { defaultChunkRows: 10 }, ingest: { minUploadPartBytes: 8192 } } }),
      launchChromium(),
    ]);
    if (app.status === 'fulfilled') test = app.value;
    if (chromium.status === 'fulfilled') browser = chromium.value;
    for (const started of [app, chromium]) if (started.status === 'rejected') throw started.reason;
    acmePage = await newPage();
  });

  afterAll(async () => {
    await browser?.close();
    await test?.stop();
    if (cli && cli.child.exitCode === null) cli.child.kill('SIGTERM');
    await cli?.done;
    rmSync(work, { recursive: true, force: true });
  });

  async function newPage(viewport = { width: 1280, height: 900 }): Promise<Page> {
    const context = await browser.newContext({ viewport, acceptDownloads: true });
    contexts.push(context);
    context.on('request', (request: Request) => requests.push(request.url()));
    context.on('weberror', (error) => requests.push(`page error: ${error.error().message}`));
    const page = await context.newPage();
    // Console errors, but for the ones Chromium logs for each answer >= 400 (a wrong token's 401, a job not found).
    page.on('console', (message) => {
      if (message.type() === 'error' && !message.text().startsWith('Failed to load resource')) requests.push(`console error: ${message.text()}`);
    });
    page.on('websocket', (socket) => requests.push(socket.url()));
    return page;
  }

  async function signIn(page: Page, token: string): Promise<void> {
    await page.getByLabel('API token').fill(token);
    await page.getByRole('button', { name: 'Sign in' }).click();
  }

  const screenshot = (page: Page, name: string, fullPage = false) => page.screenshot({ path: join(SCREENSHOTS, `${name}.png`), fullPage });

  it('signs in: a wrong token gets a clear message, the right one shows the jobs', async () => {
    await acmePage.goto(`${test.app.url}/`);
    await expectHeading(acmePage, 'Sign in');
    await screenshot(acmePage, 'sign-in');
    await signIn(acmePage, 'token-wrong-9999');
    await expectText(acmePage.locator('#sign-in-error'), /not accepted \(HTTP 401/);
    expect(await acmePage.evaluate(() => sessionStorage.getItem('refinery.token'))).toBeNull();

    await signIn(acmePage, ACME);
    await expectHeading(acmePage, 'Jobs');
    expect(await acmePage.evaluate(() => sessionStorage.getItem('refinery.token'))).toBe(ACME);
    await expectText(acmePage.locator('#connection'), 'Live updates: on');
  });

  it('uploads the demo book: shows the mapping, starts, and follows the progress to 100 % over the WebSocket', async () => {
    const page = acmePage;
    const frames: string[] = [];
    const socketEvents: string[] = [];
    const jobReads: string[] = [];
    const sockets: PageSocket[] = [];
    page.on('websocket', (socket) => {
      sockets.push(socket);
      socket.on('close', () => socketEvents.push('close'));
    });
    // The socket opened at sign-in: listen to the frames of the one that is open.
    const listen = (socket: PageSocket) => socket.on('framereceived', (frame) => frames.push(String(frame.payload)));
    page.on('websocket', listen);
    page.on('request', (request) => {
      if (request.method() === 'GET' && /\/jobs\/job_[^/?]+$/.test(new URL(request.url()).pathname)) jobReads.push(request.url());
    });
    // The socket was opened before these listeners: reload the page (the token stays in sessionStorage) to see it all.
    await page.reload();
    await expectHeading(page, 'Jobs');
    await expectText(page.locator('#connection'), 'Live updates: on');
    expect(sockets).toHaveLength(1);

    await page.getByRole('link', { name: 'Upload a contact book' }).click();
    await expectFocusedHeading(page, 'Upload a contact book');
    await page.getByLabel('Choose a CSV file').setInputFiles(BOOK);
    await expectText(page.getByRole('heading', { name: 'Check the columns' }), 'Check the columns');
    // The mapping ingest will use, one select per column.
    expect(await page.getByLabel('Column 1: First Name').inputValue()).toBe('first_name');
    expect(await page.getByLabel('Column 3: Email').inputValue()).toBe('email');
    expect(await page.getByLabel('Column 10: Zip').inputValue()).toBe('postcode');
    await screenshot(page, 'mapping', true);
    // Changing a column asks again; changing it back restores the automatic mapping.
    await page.getByLabel('Column 6: Job Title').selectOption('');
    await expectText(page.locator('.mapping-how').nth(5), 'your choice');
    await page.getByLabel('Column 6: Job Title').selectOption('title');
    await page.waitForFunction(() => !document.querySelector('button[type=submit].primary')?.disabled);

    // Every text the progress line shows, from the moment the job page renders it.
    await page.evaluate(() => {
      const seen: string[] = [];
      Object.assign(globalThis, { progressTexts: seen });
      new MutationObserver(() => {
        const text = document.querySelector('#job-progress-text')?.textContent;
        if (text && seen[seen.length - 1] !== text) seen.push(text);
      }).observe(document.documentElement, { subtree: true, childList: true, characterData: true });
    });
    await page.getByRole('button', { name: 'Start matching' }).click();
    await page.waitForURL(/#\/jobs\/job_/);
    jobId = decodeURIComponent(new URL(page.url()).hash.slice('#/jobs/'.length));
    // The screenshot shows the bar part way when the page catches it there (else at 100 %).
    await page.waitForFunction(() => /^([1-9][0-9]?|100) % \(/.test(document.querySelector('#job-progress-text')?.textContent ?? ''));
    await screenshot(page, 'progress');
    await expectText(page.locator('#job-progress-text'), '100 % (250 of 250 rows), completed', 30_000);
    expect(await page.locator('#job-progress').evaluate((bar) => (bar as unknown as PageElement).value)).toBe(100);
    // The bar moved on the way: the page showed at least one state between the start and 100 %.
    const texts = await page.evaluate(() => progressTexts);
    expect(texts.at(-1)).toBe('100 % (250 of 250 rows), completed');
    expect(texts.some((text) => /^([1-9]|[1-9][0-9]) % \(\d+ of 250 rows\)/.test(text))).toBe(true);

    // It was the socket: pushes of this job reached the page, up to its completion, while the socket stayed open,
    // and the page read GET /jobs/{id} once (when it opened the job), never polling.
    const pushes = frames
      .map((frame) => JSON.parse(frame) as { type: string; job?: { jobId: string; status: string } })
      .filter((m) => m.type === 'job' && m.job?.jobId === jobId);
    expect(pushes.length).toBeGreaterThan(0);
    expect(pushes.some((m) => m.job?.status === 'completed')).toBe(true);
    expect(frames[0]).toMatch(/^\{"type":"jobs"/);
    expect(socketEvents).toEqual([]);
    expect(jobReads).toEqual([`${test.app.url}/jobs/${jobId}`]);
    page.off('websocket', listen);
  });

  it('summarises the result and previews its rows with their labels, filtered by status and by label, page by page', async () => {
    const page = acmePage;
    const job = await test.acme.job(jobId);
    const summary = page.locator('.summary');
    await expectText(summary.locator('[data-figure=matched]'), String(job.rows.matched));
    await expectText(summary.locator('[data-figure=unmatched]'), String(job.rows.unmatched));
    await expectText(summary.locator('[data-figure=invalid]'), String(job.rows.invalid));
    const byMethod = (job as unknown as { byMethod: Record<string, number> }).byMethod;
    for (const method of ['exact', 'fuzzy', 'nickname']) await expectText(summary.locator(`[data-figure=${method}]`), String(byMethod[method]));
    await expectText(page.locator('#rows-message'), 'Showing 50 rows (page 1');
    // Labels at a glance: a colour and the word.
    const confirmed = page.locator('table.rows .badge.label-confirmed').first();
    expect(await confirmed.textContent()).toBe('confirmed');
    expect(await confirmed.evaluate((badge) => getComputedStyle(badge).backgroundColor)).not.toBe(
      await page
        .locator('table.rows .badge.label-old')
        .first()
        .evaluate((badge) => getComputedStyle(badge).backgroundColor),
    );
    await expectText(page.locator('ol.history li').last(), 'Completed: 250 rows');
    await screenshot(page, 'results', true);

    // By status: every row shown is unmatched (the rows in review count as unmatched in the job's figures).
    const unmatched = job.rows.unmatched - ((job.rows as { review?: number }).review ?? 0);
    await page.getByLabel('Match status').selectOption('unmatched');
    await page.getByRole('button', { name: 'Show rows' }).click();
    await expectText(page.locator('#rows-message'), `Showing ${unmatched} rows (page 1, results 1 to ${unmatched}, status unmatched)`);
    const statuses = await page
      .locator('table.rows > tbody > tr')
      .evaluateAll((rows) => rows.map((row) => (row as unknown as PageElement).dataset.status));
    expect(statuses).toHaveLength(unmatched);
    expect(new Set(statuses)).toEqual(new Set(['unmatched']));

    // By label: every row shown has a field labeled old (and paging goes on to the next rows).
    await page.getByLabel('Match status').selectOption('');
    await page.getByLabel('A field labeled').selectOption('old');
    await page.getByRole('button', { name: 'Show rows' }).click();
    await expectText(page.locator('#rows-message'), 'a field labeled old');
    const withOld = () =>
      page
        .locator('table.rows > tbody > tr')
        .evaluateAll((rows) =>
          rows.map((row) => [(row as unknown as PageElement).dataset.row, row.querySelectorAll('.badge.label-old').length] as const),
        );
    const firstPage = await withOld();
    expect(firstPage.length).toBeGreaterThan(0);
    expect(firstPage.filter(([, count]) => count === 0)).toEqual([]);
    if (firstPage.length === 50) {
      await page.getByRole('button', { name: 'Next page' }).click();
      await expectText(page.locator('#rows-message'), 'page 2');
      const secondPage = await withOld();
      expect(secondPage.filter(([, count]) => count === 0)).toEqual([]);
      expect(Number(secondPage[0]?.[0])).toBeGreaterThan(Number(firstPage[49]?.[0]));
    }
  });

  it("downloads the result file: byte for byte the CLI's result for the same book", async () => {
    const [download] = await Promise.all([
      acmePage.waitForEvent('download'),
      acmePage.getByRole('button', { name: 'Download the result (CSV)' }).click(),
    ]);
    expect(download.suggestedFilename()).toBe('contacts-refined.csv');
    const downloaded = readFileSync((await download.path()) as string);
    const run = await cli.done;
    expect({ code: run.code, stderr: run.stderr.split('\n').filter((line) => line.startsWith('refinery')) }).toEqual({ code: 0, stderr: [] });
    const fromCli = readFileSync(join(work, 'cli-result.csv'));
    expect(downloaded.length).toBe(fromCli.length);
    expect(downloaded.equals(fromCli)).toBe(true);
  });

  it('shows why a row matched, field by field, and reviews the uncertain rows with the keyboard', async () => {
    const page = acmePage;
    await page.goto(`${test.app.url}/#/jobs/${jobId}`);
    const job = (await test.acme.job(jobId)) as unknown as { review?: { total: number; pending: number } };
    if (!job.review) throw new Error('the demo book has no row in review');
    expect(job.review.pending).toBeGreaterThan(0);
    await expectText(page.locator('.summary [data-figure=review]'), String(job.review.pending));
    // Why: every field's weight behind the row's reason (a waterfall).
    const why = page.locator('table.rows > tbody > tr[data-status=matched] details.why').first();
    await why.locator('summary').click();
    await expectText(why.locator('table.waterfall caption'), /Evidence in bits: \+\d+\.\d in all/);
    expect(await why.locator('table.waterfall tbody th').allTextContents()).toEqual(
      expect.arrayContaining(['before looking (prior)', 'first name', 'last name']),
    );

    // The review card: the book's contact beside the candidate, with what each field weighed; A accepts.
    const card = page.locator('section.review');
    await expectText(card.locator('#review-figures'), `${job.review.pending} of ${job.review.total} waiting`);
    const compare = card.locator('table.review-compare');
    await compare.waitFor();
    const header = await compare.locator('thead th').allTextContents();
    expect(header.slice(0, 2)).toEqual(['Field', 'Your book']);
    expect(header[2]).toMatch(/^Candidate \S+$/);
    const firstName = compare.locator('tbody tr', { hasText: 'first name' });
    expect(await firstName.locator('td').nth(2).textContent()).toMatch(/[+−]\d+\.\d$/);
    const rowText = (await card.locator('#review-row').textContent()) ?? '';
    const row = Number(/Row (\d+)/.exec(rowText)?.[1]);
    await card.scrollIntoViewIfNeeded();
    await screenshot(page, 'review', false);
    // The preview, filtered to the rows in review, shows this one.
    await page.getByLabel('Match status').selectOption('review');
    await page.getByLabel('A field labeled', { exact: true }).selectOption('');
    await page.getByRole('button', { name: 'Show rows' }).click();
    await page.locator(`table.rows > tbody > tr[data-row="${row}"][data-status=review]`).waitFor({ state: 'attached', timeout: 10_000 });
    // The keyboard alone decides: Tab to the card's buttons, then A.
    await card.getByRole('button', { name: /^Accept/ }).focus();
    await page.keyboard.press('a');
    await expectText(card.locator('#review-message'), `Row ${row} accepted: result version 1.`);
    if (job.review.pending === 1) await expectText(card.locator('.done'), 'No rows wait for review.');
    await expectText(page.locator('.summary [data-figure=review]'), String(job.review.pending - 1));
    // The preview shows the new version: the row is no longer in review.
    if (job.review.pending === 1) await expectText(page.locator('#rows-message'), 'No rows, status review.');
    await page.locator(`table.rows > tbody > tr[data-row="${row}"]`).waitFor({ state: 'detached', timeout: 10_000 });
    const versions = await test.acme.request('GET', `/jobs/${jobId}/result`, undefined, { accept: 'application/json' });
    expect(((await versions.json()) as { version: number; filename: string }).filename).toBe('contacts-refined-v1.csv');
    const latest = parse(await (await test.acme.request('GET', `/jobs/${jobId}/result`)).text(), { columns: true }) as Record<string, string>[];
    expect(latest[row - 1]?.match_status).toBe('matched');
    expect(latest[row - 1]?.match_reason).toMatch(/^accepted in review/);
  });

  it('shows a clear error for a file that is not a CSV, and for a CSV without a usable header', async () => {
    const page = acmePage;
    await page.goto(`${test.app.url}/#/upload`);
    await expectHeading(page, 'Upload a contact book');
    const png = readFileSync(join(SCREENSHOTS, 'sign-in.png'));
    await page.getByLabel('Choose a CSV file').setInputFiles({ name: 'photo.png', mimeType: 'image/png', buffer: png });
    await expectText(
      page.locator('#upload-error'),
      /This file cannot be used: it is not a CSV file\. not a CSV file: looks like a PNG image \(starts with bytes 89 50 4e 47\)/,
    );
    expect(await page.getByRole('heading', { name: 'Check the columns' }).isVisible()).toBe(false);

    await page
      .getByLabel('Choose a CSV file')
      .setInputFiles({ name: 'notes.csv', mimeType: 'text/csv', buffer: Buffer.from('id,notes\n1,call back\n2,moved away\n') });
    await expectText(
      page.locator('#mapping-problem'),
      /This mapping cannot be used: no usable header: found "id", "notes"; need an email or phone column/,
    );
    expect(await page.getByRole('button', { name: 'Start matching' }).isDisabled()).toBe(true);
    // Mapping the columns by hand makes it usable.
    await page.getByLabel('Column 1: id').selectOption('full_name');
    await page.getByLabel('Column 2: notes').selectOption('company');
    await page.waitForFunction(() => document.getElementById('mapping-problem')?.hidden === true);
    expect(await page.getByRole('button', { name: 'Start matching' }).isDisabled()).toBe(false);

    // A file dropped on the drop zone goes the same way as a picked one.
    const dropped = await page.evaluateHandle(
      `(() => { const data = new DataTransfer(); data.items.add(new File(['Name,Email\\nAda Lovelace,ada@example.com\\n'], 'dropped.csv', { type: 'text/csv' })); return data; })()`,
    );
    await page.dispatchEvent('.drop-zone', 'drop', { dataTransfer: dropped });
    await expectText(page.locator('.chosen'), 'dropped.csv');
    await page.waitForFunction(() => document.getElementById('mapping-problem')?.hidden === true);
    expect(await page.getByLabel('Column 1: Name').inputValue()).toBe('full_name');
  });

  it('shows why a job failed, in words, and which rows', async () => {
    const file = join(work, 'notes.csv');
    writeFileSync(file, 'id,notes\n1,call back\n');
    const created = await test.acme.createUploadJob({ filename: 'notes.csv', sizeBytes: statSync(file).size });
    await test.acme.upload(created.upload!, file);
    expect((await waitForJob(test.acme, created.jobId)).status).toBe('failed');
    await acmePage.goto(`${test.app.url}/#/jobs/${created.jobId}`);
    await expectText(acmePage.locator('.failure'), 'Why this job failed');
    await expectText(acmePage.locator('.failure-reason'), 'The uploaded file cannot be used: no usable header: found "id", "notes"');
    await expectText(acmePage.locator('.failure-rows'), 'Rows affected: the whole file');
    expect(await acmePage.locator('.summary').isVisible()).toBe(false);
    await screenshot(acmePage, 'failed-job', true);
  });

  it('lists the jobs with their status, live: a new job appears and completes without polling', async () => {
    const page = acmePage;
    await page.goto(`${test.app.url}/#/jobs`);
    await expectHeading(page, 'Jobs');
    await expectText(page.locator(`.job-item[data-job-id="${jobId}"] .badge`), 'completed');
    await expectText(page.locator('#connection'), 'Live updates: on');
    const listReads: string[] = [];
    const onRequest = (request: Request) => {
      if (new URL(request.url()).pathname.startsWith('/jobs')) listReads.push(request.url());
    };
    page.on('request', onRequest);
    const { jobId: newJob } = await test.acme.submitCsv(readFileSync(BOOK), '?filename=live.csv');
    await expectText(page.locator(`.job-item[data-job-id="${newJob}"][data-status=completed]`), '100 % (250 of 250 rows)', 30_000);
    await expectText(page.locator(`.job-item[data-job-id="${newJob}"] .badge`), 'completed');
    expect(await page.locator('.job-item').first().getAttribute('data-job-id')).toBe(newJob);
    page.off('request', onRequest);
    expect(listReads).toEqual([]);
    await screenshot(page, 'jobs');
  });

  it('manages webhook subscriptions: the secret shown once, deliveries, delete', async () => {
    const received: string[] = [];
    const receiver: Server = createServer((request, response) => {
      request.resume();
      received.push(String(request.headers['webhook-id']));
      response.writeHead(204).end();
    });
    await new Promise<void>((resolve) => receiver.listen(0, '127.0.0.1', resolve));
    try {
      const hookUrl = `http://127.0.0.1:${(receiver.address() as AddressInfo).port}/hooks`;
      const page = acmePage;
      await page.getByRole('link', { name: 'Webhooks' }).click();
      await expectFocusedHeading(page, 'Webhooks');
      await page.getByLabel('URL to call').fill('ftp://nowhere');
      await page.getByRole('button', { name: 'Create the subscription' }).click();
      await expectText(
        page.locator('.form [role=alert]'),
        /The subscription was not created: .*destination refused: scheme ftp: is not allowed; use https/,
      );
      await page.getByLabel('URL to call').fill(hookUrl);
      await page.getByLabel('Description (optional)').fill('CRM sync <script>alert(1)</script>');
      await page.getByRole('button', { name: 'Create the subscription' }).click();
      const secret = (await page.locator('#secret-value').textContent()) ?? '';
      expect(secret).toMatch(/^whsec_/);
      const [subscription] = ((await (await test.acme.request('GET', '/subscriptions')).json()) as { subscriptions: { id: string }[] }).subscriptions;
      const item = page.locator(`[data-subscription-id="${subscription!.id}"]`);
      // Text from the API stays text.
      await expectText(item, 'CRM sync <script>alert(1)</script>');
      await screenshot(page, 'webhooks', true);
      await page.getByRole('button', { name: 'Done, hide it' }).click();
      expect(await page.locator('#secret-value').count()).toBe(0);
      await page.reload();
      await expectHeading(page, 'Webhooks');
      expect(await page.content()).not.toContain(secret);

      const { jobId: notified } = await test.acme.submitCsv('First Name,Last Name,Email\nRobert,Smith,robert@example.com\n');
      await waitForJob(test.acme, notified);
      for (let i = 0; i < 100 && received.length === 0; i += 1) await new Promise((resolve) => setTimeout(resolve, 50));
      await item.getByRole('button', { name: 'Show deliveries' }).click();
      await expectText(item.locator('.deliveries'), /delivered job\.completed\.v1 for job/);
      await expectText(item.locator('.deliveries'), notified);

      await item.getByRole('button', { name: 'Delete' }).click();
      await page.getByRole('button', { name: 'Yes, delete it' }).click();
      await expectText(page.locator('.webhooks [role=status]').last(), 'No subscriptions yet.');
    } finally {
      await new Promise<void>((resolve) => receiver.close(() => resolve()));
    }
  });

  it('falls back to GET /jobs/{id} every 2 s while the socket is down', async () => {
    const page = await newPage();
    // Every socket is refused (closed at once), as when the WebSocket API cannot be reached.
    await page.routeWebSocket(/\/socket$/, (socket) => socket.close());
    // When the page sent each read (the browser's clock, not when this busy test process heard of it: events
    // queued behind other work would arrive in one turn and look simultaneous).
    const sent: Request[] = [];
    await page.goto(`${test.app.url}/`);
    await signIn(page, ACME);
    await expectText(page.locator('#connection'), 'Live updates: off (checking every 2 s)');
    const created = await test.acme.createUploadJob({ filename: 'polled.csv', sizeBytes: statSync(BOOK).size });
    page.on('request', (request) => {
      if (new URL(request.url()).pathname === `/jobs/${created.jobId}`) sent.push(request);
    });
    await page.goto(`${test.app.url}/#/jobs/${created.jobId}`);
    await expectText(page.locator('#job-progress-text'), 'accepted, not started yet');
    await test.acme.upload(created.upload!, BOOK);
    // The figure under test is the pace of the reads, not the pipeline's speed: generous on a loaded machine.
    await expectText(page.locator('#job-progress-text'), '100 % (250 of 250 rows), completed', 45_000);
    const reads = await Promise.all(
      sent.map(async (request) => {
        await request.response();
        return request.timing().startTime;
      }),
    );
    expect(reads.length).toBeGreaterThanOrEqual(2);
    const gaps = reads.slice(1).map((at, i) => at - (reads[i] as number));
    expect(Math.min(...gaps)).toBeGreaterThanOrEqual(1500);
  }, 120_000);

  it("does not open another tenant's job: globex sees 'not found' and none of its data", async () => {
    const page = await newPage();
    await page.goto(`${test.app.url}/#/jobs/${jobId}`);
    await signIn(page, GLOBEX);
    await expectHeading(page, 'Job not found');
    await expectText(page.locator('main [role=alert]'), 'There is no such job for your account');
    // biome-ignore lint/performance/useDomNodeTextContent: Playwright's rendered text, not the DOM property.
    const text = await page.locator('main').innerText();
    expect(text).not.toContain('contacts.csv');
    expect(await page.locator('.job-details, table.rows, .summary').count()).toBe(0);
    // Its socket refuses the job too, and its jobs list stays empty.
    await page.goto(`${test.app.url}/#/jobs`);
    await expectText(page.locator('.jobs [role=status]'), 'No jobs yet');
  });

  it('works with the keyboard alone: sign in and open a job', async () => {
    const page = await newPage();
    await page.goto(`${test.app.url}/`);
    await expectHeading(page, 'Sign in');
    await tabTo(page, (element) => element.id === 'token');
    await page.keyboard.type(ACME);
    await page.keyboard.press('Enter');
    await expectHeading(page, 'Jobs');
    await expectFocusedHeading(page, 'Jobs');
    await tabTo(page, (element) => element.classList.contains('job-link'));
    const target = await page.evaluate(() => document.activeElement?.getAttribute('href'));
    await page.keyboard.press('Enter');
    await page.waitForURL((url) => url.hash === target);
    await expectFocusedHeading(page, /\.csv$/);
    // The focus is visible.
    await page.keyboard.press('Tab');
    expect(await page.evaluate(() => getComputedStyle(document.activeElement!).outlineStyle)).toBe('solid');
  });

  it('fits a 320 px wide screen: the page never scrolls sideways, the rows scroll in their own box', async () => {
    const page = await newPage({ width: 320, height: 640 });
    await page.goto(`${test.app.url}/`);
    await signIn(page, ACME);
    await expectHeading(page, 'Jobs');
    const pageWidth = () => page.evaluate(() => document.documentElement.scrollWidth);
    expect(await pageWidth()).toBeLessThanOrEqual(320);
    await page.goto(`${test.app.url}/#/jobs/${jobId}`);
    await expectText(page.locator('#rows-message'), 'Showing 50 rows');
    expect(await pageWidth()).toBeLessThanOrEqual(320);
    const box = await page.locator('.table-scroll').evaluate((element) => ({ client: element.clientWidth, scroll: element.scrollWidth }));
    expect(box.client).toBeLessThanOrEqual(320);
    expect(box.scroll).toBeGreaterThan(box.client);
    await screenshot(page, 'narrow-320');
    await page.goto(`${test.app.url}/#/upload`);
    await page.getByLabel('Choose a CSV file').setInputFiles(BOOK);
    await expectText(page.getByRole('heading', { name: 'Check the columns' }), 'Check the columns');
    expect(await pageWidth()).toBeLessThanOrEqual(320);
    await page.goto(`${test.app.url}/#/webhooks`);
    await expectHeading(page, 'Webhooks');
    expect(await pageWidth()).toBeLessThanOrEqual(320);
  });

  it('works as static files on another origin, with config.json pointing at the APIs and the socket (as deployed on AWS)', async () => {
    // A static host on another port (another origin), serving the same files with a config.json naming the API's URL:
    // every API call, the presigned upload and the WebSocket are then cross-origin, as from CloudFront to API Gateway.
    const socketUrl = `${test.app.url.replace(/^http/, 'ws')}/socket`;
    // The book (33 KB) is over the threshold: it goes up in parts, each a cross-origin PUT whose ETag the page may read.
    const pages = webAppHandler({
      apiOrigins: [test.app.url],
      config: () => ({ apiBaseUrl: test.app.url, socketUrl, multipartThresholdBytes: 4096 }),
    });
    const host: Server = createServer((request, response) => {
      void pages(request, response).then((served) => {
        if (!served) response.writeHead(404).end();
      });
    });
    await new Promise<void>((resolve) => host.listen(0, '127.0.0.1', resolve));
    const staticUrl = `http://127.0.0.1:${(host.address() as AddressInfo).port}`;
    const context = await browser.newContext({ viewport: { width: 1280, height: 900 } });
    const seen: string[] = [];
    context.on('request', (request: Request) => seen.push(request.url()));
    // The first PUT of part 2 loses its connection: the page sends it again.
    const partAttempts = new Map<number, number>();
    await context.route(/X-Refinery-Part-Number=\d+/, async (route) => {
      const partNumber = Number(/X-Refinery-Part-Number=(\d+)/.exec(route.request().url())?.[1]);
      const attempt = (partAttempts.get(partNumber) ?? 0) + 1;
      partAttempts.set(partNumber, attempt);
      if (partNumber === 2 && attempt === 1) await route.abort('connectionreset');
      else await route.continue();
    });
    const page = await context.newPage();
    const problems: string[] = [];
    page.on('console', (message) => {
      if (message.type() === 'error' && !message.text().startsWith('Failed to load resource')) problems.push(message.text());
    });
    page.on('pageerror', (error) => problems.push(error.message));
    try {
      await page.goto(`${staticUrl}/`);
      await signIn(page, ACME);
      await expectHeading(page, 'Jobs');
      await expectText(page.locator('#connection'), 'Live updates: on');
      await page.getByRole('link', { name: 'Upload a contact book' }).click();
      await page.getByLabel('Choose a CSV file').setInputFiles(BOOK);
      await expectText(page.getByRole('heading', { name: 'Check the columns' }), 'Check the columns');
      await page.getByRole('button', { name: 'Start matching' }).click();
      await page.waitForURL(/#\/jobs\/job_/);
      await expectText(page.locator('#job-progress-text'), '100 % (250 of 250 rows), completed', 30_000);
      await expectText(page.locator('#rows-message'), 'Showing 50 rows (page 1');

      const apiOrigin = new URL(test.app.url).origin;
      const toApi = seen.filter((url) => new URL(url).origin === apiOrigin).map((url) => new URL(url).pathname);
      // The calls crossed origins: the mapping preview, the job, the presigned upload and the rows all went to the API.
      expect(toApi).toEqual(
        expect.arrayContaining([
          '/jobs',
          '/column-mappings/preview',
          expect.stringMatching(/^\/_objects\/.*\/input\.csv$/),
          expect.stringMatching(/^\/jobs\/job_[^/]+\/rows$/),
          expect.stringMatching(/^\/jobs\/job_[^/]+\/upload\/part-urls$/),
          expect.stringMatching(/^\/jobs\/job_[^/]+\/upload\/complete$/),
        ]),
      );
      // Five parts, each sent once but part 2, sent again after its connection broke.
      expect([...partAttempts.entries()].sort(([a], [b]) => a - b)).toEqual([
        [1, 1],
        [2, 2],
        [3, 1],
        [4, 1],
        [5, 1],
      ]);
      expect(seen.filter((url) => ![new URL(staticUrl).origin, apiOrigin].includes(new URL(url).origin))).toEqual([]);
      expect(problems).toEqual([]);
    } finally {
      await context.close();
      host.closeAllConnections();
      await new Promise<void>((resolve) => host.close(() => resolve()));
    }
  });

  it('made no request to any other origin, and no page or console error (no CSP violation)', () => {
    const origin = new URL(test.app.url);
    const elsewhere = requests.filter((url) => {
      if (url.startsWith('page error:') || url.startsWith('console error:')) return true;
      const parsed = new URL(url);
      return parsed.host !== origin.host || !['http:', 'ws:'].includes(parsed.protocol);
    });
    expect(requests.length).toBeGreaterThan(20);
    expect(elsewhere).toEqual([]);
  });
});

async function expectHeading(page: Page, name: string | RegExp): Promise<void> {
  await page.getByRole('heading', { level: 1, name }).waitFor({ timeout: 10_000 });
}

async function expectFocusedHeading(page: Page, name: string | RegExp): Promise<void> {
  await expectHeading(page, name);
  await page.waitForFunction(() => document.activeElement?.tagName === 'H1', undefined, { timeout: 5_000 });
  const focused = (await page.evaluate(() => document.activeElement?.textContent)) ?? '';
  if (typeof name === 'string') expect(focused).toBe(name);
  else expect(focused).toMatch(name);
}

/** Waits until the element's text matches. */
async function expectText(locator: ReturnType<Page['locator']>, expected: string | RegExp, timeoutMs = 10_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  let text = '';
  for (;;) {
    text = (await locator.count()) ? ((await locator.first().textContent()) ?? '') : '';
    if (typeof expected === 'string' ? text.includes(expected) : expected.test(text)) return;
    if (Date.now() > deadline) break;
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  expect(text).toEqual(expected);
}

/** Presses Tab until the focused element passes the check (at most 40 times). */
async function tabTo(page: Page, check: (element: PageElement) => boolean): Promise<void> {
  // A string expression: page.evaluate runs it through the DevTools protocol, which the page's CSP does not govern.
  const source = `Boolean(document.activeElement && (${check.toString()})(document.activeElement))`;
  for (let i = 0; i < 40; i += 1) {
    await page.keyboard.press('Tab');
    if (await page.evaluate(source)) return;
  }
  throw new Error(`no element reached with Tab for ${check.toString()}`);
}
