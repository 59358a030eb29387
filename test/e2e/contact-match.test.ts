import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { RESULT_COLUMNS } from '@refinery/chunk-records';
import type { ApiClient } from '@refinery/cli';
import { CANONICAL_FIELDS } from '@refinery/contacts';
import { parse } from 'csv-parse/sync';
import { startTestApp, type TestApp, waitForJob } from '../support/app';

// POST /contacts/match on the embedded runtime with every service: the contact goes through the same chunker,
// matcher, labeler and merger as a file, against the example directory.

jest.setTimeout(60_000);

const DIRECTORY = join(__dirname, '..', '..', 'examples', 'directory.csv');

type Row = Record<string, string>;

interface MatchAnswer {
  readonly status: number;
  readonly location: string | null;
  readonly body: {
    jobId: string;
    result?: Row;
    status?: string;
    links?: { self: string; result: string };
    error?: { code: string; message: string };
  };
}

async function match(client: ApiClient, body: unknown, options: { query?: string; headers?: Record<string, string> } = {}): Promise<MatchAnswer> {
  const response = await client.request('POST', `/contacts/match${options.query ?? ''}`, JSON.stringify(body), {
    'content-type': 'application/json',
    ...options.headers,
  });
  return { status: response.status, location: response.headers.get('location'), body: (await response.json()) as MatchAnswer['body'] };
}

/** A person of the example directory whose name no one else has, so a match on it can only be them. */
function somePerson(): Row {
  const people = parse(readFileSync(DIRECTORY), { columns: true, bom: true }) as Row[];
  const nameOf = (person: Row) => `${person.first_name} ${person.last_name}`.toLowerCase();
  const counts = new Map<string, number>();
  for (const person of people) counts.set(nameOf(person), (counts.get(nameOf(person)) ?? 0) + 1);
  const person = people.find((candidate) => counts.get(nameOf(candidate)) === 1 && /^\+1\d{10}$/.test(candidate.phone ?? '') && candidate.email);
  if (!person) throw new Error(`no person with a unique name, a US phone and an e-mail in ${DIRECTORY}`);
  return person;
}

/** +14802822041 -> (480) 282-2041: the same number as people type it. */
function nationalFormat(phone: string): string {
  const digits = phone.slice(2);
  return `(${digits.slice(0, 3)}) ${digits.slice(3, 6)}-${digits.slice(6)}`;
}

describe('POST /contacts/match on the local app', () => {
  let t: TestApp;
  const person = somePerson();

  beforeAll(async () => {
    t = await startTestApp({ directory: DIRECTORY });
  });
  afterAll(() => t.stop());

  it('answers 200 with the enriched row for a person of the directory, typed differently', async () => {
    const contact = {
      first_name: person.first_name,
      last_name: person.last_name,
      email: (person.email as string).toUpperCase(),
      phone: nationalFormat(person.phone as string),
    };

    const answer = await match(t.acme, { contact });

    expect(answer.status).toBe(200);
    const result = answer.body.result as Row;
    // Exactly a result file's row: the input columns, then the result columns.
    expect(Object.keys(result)).toEqual([...CANONICAL_FIELDS, 'full_name', ...RESULT_COLUMNS]);
    expect(result).toMatchObject({
      first_name: person.first_name,
      last_name: person.last_name,
      email: contact.email,
      phone: contact.phone,
      match_status: 'matched',
      match_id: person.id,
      email_status: 'confirmed',
      email_latest: person.email,
      phone_status: 'confirmed',
      // A JSON answer is no spreadsheet: no apostrophe before the "+".
      phone_latest: person.phone,
      company_status: 'new',
      company_latest: person.company,
    });
    expect(Number(result.match_score)).toBeGreaterThan(0.5);

    // It was a job like any other: the owner can read it, another tenant cannot.
    const job = await t.acme.job(answer.body.jobId);
    expect(job).toMatchObject({ status: 'completed', filename: 'contact.csv', rows: { total: 1, matched: 1 } });
    for (const path of [`/jobs/${answer.body.jobId}`, `/jobs/${answer.body.jobId}/events`, `/jobs/${answer.body.jobId}/result`]) {
      expect((await t.globex.request('GET', path)).status).toBe(404);
    }
  });

  it('answers 200 unmatched for a stranger', async () => {
    const answer = await match(t.acme, { contact: { name: 'Zebedee Quixote', email: 'zebedee.quixote@nowhere.test', city: 'Nowhere' } });

    expect(answer.status).toBe(200);
    expect(answer.body.result).toMatchObject({ full_name: 'Zebedee Quixote', match_status: 'unmatched', match_id: '', email_status: 'unverified' });
  });

  it('answers 200 invalid, with the reason, for a contact with only a name', async () => {
    const answer = await match(t.acme, { contact: { first_name: person.first_name, last_name: person.last_name } });

    expect(answer.status).toBe(200);
    expect(answer.body.result?.match_status).toBe('invalid');
    expect(answer.body.result?.match_reason).toMatch(/only a name/);
  });

  it('answers 202 past the deadline; the job completes and the same Idempotency-Key then answers its row', async () => {
    const key = { 'idempotency-key': `contact-${person.id}` };
    const contact = { first_name: person.first_name, last_name: person.last_name, email: person.email };

    const late = await match(t.acme, { contact }, { query: '?deadlineMs=1', headers: key });

    expect(late.status).toBe(202);
    const { jobId } = late.body;
    expect(late.body).toEqual({
      jobId,
      status: expect.stringMatching(/^(accepted|running)$/),
      links: { self: `/jobs/${jobId}`, result: `/jobs/${jobId}/result` },
    });
    expect(late.location).toBe(`/jobs/${jobId}`);
    expect((await t.globex.request('GET', `/jobs/${jobId}`)).status).toBe(404);

    expect(await waitForJob(t.acme, jobId)).toMatchObject({ status: 'completed', rows: { total: 1, matched: 1 } });
    const download = await t.acme.request('GET', `/jobs/${jobId}/result`);
    expect(download.status).toBe(200);
    const [row] = parse(await download.text(), { columns: true }) as Row[];
    expect(row).toMatchObject({ match_status: 'matched', match_id: person.id });

    const retry = await match(t.acme, { contact }, { headers: key });
    expect(retry.status).toBe(200);
    expect(retry.body).toMatchObject({ jobId, result: { match_status: 'matched', match_id: person.id } });
  });

  it('answers 400 listing what is wrong, and 401 without a token', async () => {
    const wrong = await match(t.acme, { contact: { first_name: 'Ada', fax: '123' }, extra: true });
    expect(wrong.status).toBe(400);
    expect(wrong.body.error).toEqual({ code: 'invalid_body', message: '✖ Unrecognized key: "extra"\n✖ Unrecognized key: "fax"\n  → at contact' });

    const anonymous = await fetch(`${t.app.url}/contacts/match`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{}' });
    expect(anonymous.status).toBe(401);
  });
});
