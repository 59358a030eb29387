import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { type FakeMailchimp, type FakeMember, fakeSubscriberHash, startFakeMailchimp } from '@refinery/test-support';
import { parse } from 'csv-parse/sync';
import { resultText, startTestApp, type TestApp, waitForNewJob } from '../support/app';
import { REPO_ROOT } from '../support/cli';

// Mailchimp in and out, on the local mode: audience webhooks become single-contact jobs (or recorded changes), and an
// import with writeBack writes its new and updated values back through Mailchimp's batch endpoint.

jest.setTimeout(120_000);

const API_KEY = 'cafe0123456789abcdef0123456789ab-us19';
const DIRECTORY = join(REPO_ROOT, 'examples', 'directory.csv');
const people = parse(readFileSync(DIRECTORY), { columns: true }) as Record<string, string>[];

let fake: FakeMailchimp;
let test: TestApp;

beforeAll(async () => {
  fake = await startFakeMailchimp({ latencyMs: 5, apiKeys: [API_KEY], batchDelayMs: 50 });
  test = await startTestApp({
    directory: DIRECTORY,
    settings: { mailchimpSync: { mailchimpBaseUrl: fake.url } },
    mailchimpTuning: { batchPollMs: 20 },
  });
});

afterAll(async () => {
  await test?.stop();
  await fake?.close();
});

/** A directory person with a phone and a company, as an audience member whose book is out of date. */
function memberFrom(person: Record<string, string>, index: number): FakeMember {
  return {
    id: fakeSubscriberHash(person.email ?? ''),
    email_address: person.email ?? '',
    status: 'subscribed',
    // No phone (the provider has one: new), an old employer (old), the name as the provider has it (confirmed).
    merge_fields: { FNAME: person.first_name, LNAME: person.last_name, PHONE: '', COMPANY: 'Bygone Widgets Ltd', BIRTHDAY: '' },
    timestamp_opt: new Date(Date.UTC(2021, 0, 1 + index)).toISOString(),
    tags: [],
  };
}

async function post(path: string, body: string, contentType: string, client = test.acme) {
  return client.request('POST', path, body, { 'content-type': contentType });
}

describe('write-back', () => {
  it('updates matched members with new and old fields, tags every member, and reports per-member failures', async () => {
    const chosen = people.filter((person) => person.email && person.phone && person.company && person.company !== 'Bygone Widgets Ltd').slice(0, 3);
    const stranger: FakeMember = {
      id: fakeSubscriberHash('nobody@nowhere.example'),
      email_address: 'nobody@nowhere.example',
      status: 'subscribed',
      merge_fields: { FNAME: 'Zebediah', LNAME: 'Quillfeather', PHONE: '', COMPANY: 'Nowhere' },
      timestamp_opt: '2021-06-01T00:00:00+00:00',
      tags: [],
    };
    const leaver = memberFrom(people.find((person) => person.email && !chosen.includes(person))!, 9);
    fake.addList('wb1', [...chosen.map(memberFrom), stranger, leaver]);
    const created = await post(
      '/integrations/mailchimp/imports',
      JSON.stringify({ listId: 'wb1', apiKey: API_KEY, options: { writeBack: true } }),
      'application/json',
    );
    expect(created.status).toBe(202);
    const { jobId } = (await created.json()) as { jobId: string };
    // Once the audience is fetched, one member leaves Mailchimp: writing back to them must fail, and be reported.
    while (
      ((await test.acme.request('GET', `/jobs/${jobId}`).then((r) => (r.status === 200 ? r.json() : {}))) as { status?: string }).status !== 'running'
    ) {
      await new Promise((resolve) => setTimeout(resolve, 10));
    }
    fake.removeMember('wb1', leaver.id);
    expect((await waitForNewJob(test.acme, jobId)).status).toBe('completed');

    // The write-back runs after the job completes: wait for Mailchimp to hold its tags.
    const deadline = Date.now() + 30_000;
    while (!fake.members('wb1').every((member) => (member.tags ?? []).length > 0)) {
      if (Date.now() > deadline) throw new Error(`members never tagged: ${JSON.stringify(fake.members('wb1').map((m) => m.tags))}`);
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
    const result = parse(await resultText(test.acme, jobId), { columns: true }) as Record<string, string>[];
    for (const person of chosen) {
      const member = fake.members('wb1').find((candidate) => candidate.email_address === person.email)!;
      const row = result.find((candidate) => candidate['Email Address'] === person.email)!;
      expect(row.match_status).toBe('matched');
      expect(row.phone_status).toBe('new');
      expect(member.merge_fields.PHONE).toBe(row.phone_latest?.replace(/^'/, ''));
      expect(member.merge_fields.COMPANY).toBe(person.company);
      expect(member.merge_fields.FNAME).toBe(person.first_name);
      expect((member.tags ?? []).map((tag) => tag.name).sort()).toEqual(['refinery-matched', 'refinery-updated']);
    }
    const nobody = fake.members('wb1').find((member) => member.id === stranger.id)!;
    expect(nobody.merge_fields.COMPANY).toBe('Nowhere');
    expect((nobody.tags ?? []).map((tag) => tag.name)).toEqual(['refinery-unmatched']);

    // The report is written once the batch's results are read, a moment after Mailchimp applied them.
    const report = { bucket: 'mailchimp-sync-imports', key: `tenants/acme/jobs/${jobId}/writeback-report.ndjson` };
    while (!(await test.app.runtime.objects.head(report))) {
      if (Date.now() > deadline) throw new Error('no write-back report');
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
    const text = (await test.app.runtime.objects.getBuffer(report)).toString('utf8');
    const failures = text
      .split('\n')
      .filter(Boolean)
      .map((line) => JSON.parse(line) as { memberId: string; status: number });
    expect(failures.length).toBeGreaterThan(0);
    expect(failures.every((failure) => failure.memberId === leaver.id && failure.status === 404)).toBe(true);
  });
});

describe('Mailchimp audience webhooks', () => {
  let url: string;
  beforeAll(async () => {
    const registered = await post('/integrations/mailchimp/webhooks', JSON.stringify({ listId: 'hooklist' }), 'application/json');
    expect(registered.status).toBe(201);
    ({ url } = (await registered.json()) as { url: string });
  });

  const form = (fields: Record<string, string>) => new URLSearchParams(fields).toString();
  const FORM = 'application/x-www-form-urlencoded';

  it('answers the validation GET and empty POST Mailchimp sends when the webhook is created; an unknown secret is 404', async () => {
    expect((await test.acme.request('GET', url, undefined, { authorization: '' })).status).toBe(200);
    expect((await post(url, '', FORM)).status).toBe(200);
    expect((await test.acme.request('GET', '/webhooks/mailchimp/AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA')).status).toBe(404);
  });

  it('turns a subscribe into a single-contact job, once, whatever Mailchimp retries', async () => {
    const person = people.find((candidate) => candidate.email && candidate.company)!;
    const payload = form({
      type: 'subscribe',
      fired_at: '2026-11-28 12:00:00',
      'data[id]': fakeSubscriberHash(person.email!),
      'data[list_id]': 'hooklist',
      'data[email]': person.email!,
      'data[email_type]': 'html',
      'data[merges][EMAIL]': person.email!,
      'data[merges][FNAME]': person.first_name!,
      'data[merges][LNAME]': person.last_name!,
      'data[merges][COMPANY]': person.company!,
    });
    // No bearer token: Mailchimp has none; the secret in the URL is the credential.
    const first = await test.acme.request('POST', url, payload, { 'content-type': FORM, authorization: '' });
    expect(first.status).toBe(202);
    const { jobId } = (await first.json()) as { jobId: string };
    const again = await test.acme.request('POST', url, payload, { 'content-type': FORM, authorization: '' });
    expect(again.status).toBe(200);
    expect(await again.json()).toEqual({ duplicate: true, jobId });

    expect((await waitForNewJob(test.acme, jobId)).status).toBe('completed');
    const [row] = parse(await resultText(test.acme, jobId), { columns: true }) as Record<string, string>[];
    expect(row).toMatchObject({ 'Email Address': person.email, match_status: 'matched', match_id: person.id });
    // Another tenant cannot open it.
    expect((await test.globex.request('GET', `/jobs/${jobId}`)).status).toBe(404);
  });

  it('records an unsubscribe without a job, and refuses a malformed payload or another list', async () => {
    const unsubscribe = await post(
      url,
      form({
        type: 'unsubscribe',
        fired_at: '2026-11-28 12:01:00',
        'data[id]': 'abc123',
        'data[list_id]': 'hooklist',
        'data[email]': 'gone@example.com',
        'data[action]': 'unsub',
        'data[reason]': 'manual',
      }),
      FORM,
    );
    expect(unsubscribe.status).toBe(200);
    expect(await unsubscribe.json()).toEqual({ recorded: 'unsubscribe' });
    const malformed = await post(url, form({ type: 'subscribe', fired_at: 'yesterday' }), FORM);
    expect(malformed.status).toBe(400);
    const unknownType = await post(url, form({ type: 'explode', fired_at: '2026-11-28 12:00:00', 'data[list_id]': 'hooklist' }), FORM);
    expect(unknownType.status).toBe(400);
    const otherList = await post(
      url,
      form({ type: 'unsubscribe', fired_at: '2026-11-28 12:02:00', 'data[id]': 'x1', 'data[list_id]': 'another', 'data[email]': 'a@b.example' }),
      FORM,
    );
    expect(otherList.status).toBe(400);
    expect(await otherList.text()).toContain('registered for list hooklist');
  });
});
