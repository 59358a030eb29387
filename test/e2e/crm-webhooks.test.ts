import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { standardWebhookSignature } from '@refinery/test-support';
import { parse } from 'csv-parse/sync';
import { startTestApp, type TestApp, waitForJob } from '../support/app';

// Signed CRM webhooks on the embedded runtime with every service: a tenant registers a source with its token, the
// "CRM" (this test) POSTs a contact to the source's URL with no token, signed per Standard Webhooks, and the contact
// goes through the whole pipeline as a one-row job the tenant reads with its token.

jest.setTimeout(60_000);

const DIRECTORY = join(__dirname, '..', '..', 'examples', 'directory.csv');

type Row = Record<string, string>;

/** A person of the example directory whose name no one else has, so a match on it can only be them. */
function somePerson(): Row {
  const people = parse(readFileSync(DIRECTORY), { columns: true, bom: true }) as Row[];
  const nameOf = (person: Row) => `${person.first_name} ${person.last_name}`.toLowerCase();
  const counts = new Map<string, number>();
  for (const person of people) counts.set(nameOf(person), (counts.get(nameOf(person)) ?? 0) + 1);
  const person = people.find((candidate) => counts.get(nameOf(candidate)) === 1 && candidate.email && candidate.phone);
  if (!person) throw new Error(`no person with a unique name, an e-mail and a phone in ${DIRECTORY}`);
  return person;
}

const sign = standardWebhookSignature;

interface Source {
  readonly source: string;
  readonly id: string;
  readonly url: string;
  readonly secret: string;
  readonly createdAt: string;
}

describe('signed CRM webhooks on the local app', () => {
  let t: TestApp;
  let source: Source;
  const person = somePerson();
  const contact = { first_name: person.first_name, last_name: person.last_name, email: (person.email as string).toUpperCase() };

  /** What the CRM sends: no Authorization header, only the signature headers. */
  async function send(options: { id: string; body?: string; timestamp?: number; secret?: string; url?: string }) {
    const body = options.body ?? JSON.stringify({ contact });
    const timestamp = options.timestamp ?? Math.floor(Date.now() / 1000);
    const response = await fetch(`${t.app.url}${options.url ?? source.url}`, {
      method: 'POST',
      headers: {
        'content-type': 'application/json',
        'webhook-id': options.id,
        'webhook-timestamp': String(timestamp),
        'webhook-signature': sign(options.secret ?? source.secret, options.id, timestamp, body),
      },
      body,
    });
    return {
      status: response.status,
      body: (await response.json()) as { jobId?: string; duplicate?: boolean; error?: { code: string; message: string } },
    };
  }

  beforeAll(async () => {
    t = await startTestApp({ directory: DIRECTORY });
    const response = await t.acme.request('POST', '/webhook-sources', JSON.stringify({ source: 'hubspot' }), { 'content-type': 'application/json' });
    expect(response.status).toBe(201);
    source = (await response.json()) as Source;
  });
  afterAll(() => t.stop());

  it('registers a source for the tenant: its URL and secret; the list shows no secret, and only to that tenant', async () => {
    expect(source).toEqual({
      source: 'hubspot',
      id: expect.stringMatching(/^src_[0-9A-Z]{26}$/),
      url: `/webhooks/${source.id}`,
      secret: expect.stringMatching(/^whsec_/),
      createdAt: expect.any(String),
    });
    const listed = await t.acme.request('GET', '/webhook-sources');
    const text = await listed.text();
    expect(JSON.parse(text)).toEqual({ sources: [{ source: 'hubspot', id: source.id, url: source.url, createdAt: source.createdAt }] });
    expect(text).not.toContain(source.secret);
    expect(await (await t.globex.request('GET', '/webhook-sources')).json()).toEqual({ sources: [] });
  });

  it('answers a signed webhook 202 { jobId }; the job completes with the contact matched, for the tenant only', async () => {
    const answer = await send({ id: 'msg_first_contact' });

    expect(answer.status).toBe(202);
    const jobId = answer.body.jobId as string;
    expect(answer.body).toEqual({ jobId: expect.stringMatching(/^job_/) });

    expect(await waitForJob(t.acme, jobId)).toMatchObject({ status: 'completed', filename: 'contact.csv', rows: { total: 1, matched: 1 } });
    const download = await t.acme.request('GET', `/jobs/${jobId}/result`);
    expect(download.status).toBe(200);
    const [row] = parse(await download.text(), { columns: true }) as Row[];
    expect(row).toMatchObject({
      first_name: person.first_name,
      last_name: person.last_name,
      match_status: 'matched',
      match_id: person.id,
      email_latest: person.email,
    });

    for (const path of [`/jobs/${jobId}`, `/jobs/${jobId}/events`, `/jobs/${jobId}/result`]) {
      expect((await t.globex.request('GET', path)).status).toBe(404);
    }

    // The same webhook-id again (the CRM retrying): the same job, and no second one.
    const again = await send({ id: 'msg_first_contact' });
    expect(again).toEqual({ status: 200, body: { jobId, duplicate: true } });
    const { events } = (await (await t.acme.request('GET', `/jobs/${jobId}/events`)).json()) as { events: { type: string }[] };
    expect(events.filter((event) => event.type === 'job.created.v1')).toHaveLength(1);
  });

  it('refuses a bad signature and an old timestamp with 401, and an unknown source with 404; nothing is created', async () => {
    const forged = await send({ id: 'msg_forged', secret: `whsec_${Buffer.alloc(32, 1).toString('base64')}` });
    expect(forged.status).toBe(401);
    expect(forged.body.error).toMatchObject({
      code: 'invalid_signature',
      message: expect.stringMatching(/no v1 signature in webhook-signature matches/),
    });

    const old = await send({ id: 'msg_old', timestamp: Math.floor(Date.now() / 1000) - 3600 });
    expect(old.status).toBe(401);
    expect(old.body.error).toMatchObject({ code: 'invalid_signature', message: expect.stringMatching(/webhook-timestamp \d+ is 36\d\d s old/) });

    const unknown = await send({ id: 'msg_unknown', url: '/webhooks/src_00000000000000000000000000' });
    expect(unknown.status).toBe(404);

    // None of them was taken: the same ids, signed as they should be, are new messages (202, not a duplicate's 200).
    for (const id of ['msg_forged', 'msg_old']) {
      const proper = await send({ id });
      expect(proper.status).toBe(202);
      expect((await waitForJob(t.acme, proper.body.jobId as string)).status).toBe('completed');
    }
  });

  it('answers 400 for a malformed contact, and needs the bearer token to manage sources', async () => {
    const wrong = await send({ id: 'msg_wrong', body: JSON.stringify({ contact: { first_name: 'Ada', fax: '123' } }) });
    expect(wrong.status).toBe(400);
    expect(wrong.body.error?.code).toBe('invalid_body');

    const anonymous = await fetch(`${t.app.url}/webhook-sources`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: '{"source":"x"}',
    });
    expect(anonymous.status).toBe(401);
  });

  it('stops taking webhooks once the source is deleted', async () => {
    const created = await t.globex.request('POST', '/webhook-sources', JSON.stringify({ source: 'pipedrive' }), {
      'content-type': 'application/json',
    });
    const pipedrive = (await created.json()) as Source;
    expect((await send({ id: 'msg_pd_1', url: pipedrive.url, secret: pipedrive.secret })).status).toBe(202);

    expect((await t.globex.request('DELETE', '/webhook-sources/pipedrive')).status).toBe(204);

    expect((await send({ id: 'msg_pd_2', url: pipedrive.url, secret: pipedrive.secret })).status).toBe(404);
  });
});
