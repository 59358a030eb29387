import { DirectoryProvider } from '@refinery/directory-provider';
import { parse } from 'csv-parse/sync';
import { startTestApp, type TestApp, waitForJob } from '../support/app';
import { PEOPLE } from '../support/people';

// The review queue on the embedded runtime, end to end: a job whose uncertain rows wait for a person; a person
// accepts one and rejects another; the result file gets a new version per decision (labels recomputed for that row,
// the old versions still downloadable), and the job's model, taught by the decisions, scores the pending rows again.

const HEADER = 'First Name,Last Name,Email,Company,City,State,Notes';
// The job's own thresholds: a low review threshold puts every row with a plausible candidate in review.
const THRESHOLDS = '?filename=review.csv&matchThreshold=0.99&reviewThreshold=0.01';

interface ReviewEntry {
  row: number;
  status: string;
  candidateId: string;
  score: number;
  reason: string;
  contact: Record<string, string>;
  candidate: Record<string, string>;
  probabilityNow?: number;
  version?: number;
}
interface ReviewAnswer {
  review: { total: number; pending: number; accepted: number; rejected: number; version: number };
  items: ReviewEntry[];
  next: number | null;
  model?: { labelledPairs: number };
}

function rows(csv: string): Record<string, string>[] {
  return parse(csv, { columns: true, bom: true }) as Record<string, string>[];
}

describe('the review queue', () => {
  let t: TestApp;
  let jobId: string;
  beforeAll(async () => {
    // Four people, as a provider of a million would hand them out: a name alone is then no proof.
    const directory = DirectoryProvider.fromRecords(PEOPLE);
    const provider = { name: directory.name, inMemory: true, population: 1_000_000, findCandidates: directory.findCandidates.bind(directory) };
    t = await startTestApp({ directory: provider });
    const csv = [
      HEADER,
      'Robert,Smith,robert.smith@example.com,Acme Inc,San Francisco,CA,sure',
      'Bob,Smith,,Acme,San Francisco,CA,nickname',
      'Mary,Garcia,,Northwind,Chicago,IL,other first name',
      'Chen,Wie,,,Seattle,WA,typo',
      'Ana,Souza,,,Boston,MA,name and town',
      'Maria,Garcia,,,Chicago,IL,name and town',
      'Zebediah,Quillfeather,zq@nowhere.test,,,,stranger',
    ].join('\n');
    ({ jobId } = await t.acme.submitCsv(csv, THRESHOLDS));
    const job = await waitForJob(t.acme, jobId);
    expect(job.status).toBe('completed');
  });
  afterAll(() => t.stop());

  async function review(query = ''): Promise<ReviewAnswer> {
    const response = await t.acme.request('GET', `/jobs/${jobId}/review${query}`);
    expect(response.status).toBe(200);
    return (await response.json()) as ReviewAnswer;
  }

  async function decide(row: number, decision: string) {
    return t.acme.request('POST', `/jobs/${jobId}/review/${row}`, JSON.stringify({ decision }), { 'content-type': 'application/json' });
  }

  async function result(version?: number): Promise<Record<string, string>[]> {
    const response = await t.acme.request('GET', `/jobs/${jobId}/result${version === undefined ? '' : `?version=${version}`}`);
    expect(response.status).toBe(200);
    return rows(await response.text());
  }

  async function waitForVersion(version: number): Promise<void> {
    const deadline = Date.now() + 20_000;
    for (;;) {
      const response = await t.acme.request('GET', `/jobs/${jobId}/result`, undefined, { accept: 'application/json' });
      const body = (await response.json()) as { version: number };
      if (body.version >= version) return;
      if (Date.now() > deadline) throw new Error(`result version ${version} never appeared (latest ${body.version})`);
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
  }

  it('lists the uncertain rows with the candidate proposed and the weight of every field', async () => {
    const job = await t.acme.job(jobId);
    const first = await review();
    expect(first.review).toEqual({ total: job.rows.review, pending: job.rows.review, accepted: 0, rejected: 0, version: 0 });
    expect(first.items.length).toBeGreaterThanOrEqual(3);
    expect(first.items.map((item) => item.status)).toEqual(first.items.map(() => 'pending'));
    const mary = first.items.find((item) => item.contact.first_name === 'Mary');
    expect(mary).toMatchObject({ candidateId: 'P2', candidate: { first_name: 'Maria', last_name: 'Garcia' } });
    expect(mary?.reason).toMatch(
      /^needs review: "Maria Garcia" \(id P2, probability 0\.\d{4}\), between 0\.01 and 0\.99; weight [+-]\d+\.\d bits = prior /,
    );
    expect(mary?.reason).toMatch(/first_name [a-z ]+ [+-]\d+\.\d, last_name exact \+\d+\.\d/);
    // The result file says the same, row for row.
    const merged = await result(0);
    for (const item of first.items) expect(merged[item.row]).toMatchObject({ match_status: 'review', match_id: item.candidateId });
    expect(merged[0]?.match_status).toBe('matched');
    // Paging: one at a time, in row order.
    const page = await review('?limit=1');
    expect(page.items).toHaveLength(1);
    expect(page.next).toBe(page.items[0]?.row);
    const rest = await review(`?limit=100&after=${page.next}`);
    expect([...page.items, ...rest.items].map((item) => item.row)).toEqual(first.items.map((item) => item.row));
  });

  it('turns each decision into a new version of the result, labels recomputed, the old versions kept', async () => {
    const { items } = await review();
    const [accepted, rejected] = items as [ReviewEntry, ReviewEntry];
    const before = await result(0);

    const accept = await decide(accepted.row, 'accept');
    expect(accept.status).toBe(202);
    expect(await accept.json()).toEqual({ row: accepted.row, decision: 'accept', version: 1 });
    const reject = await decide(rejected.row, 'reject');
    expect(await reject.json()).toEqual({ row: rejected.row, decision: 'reject', version: 2 });
    // The same decision again is the same version (a retry after a lost answer), not a third one.
    expect(await (await decide(rejected.row, 'reject')).json()).toEqual({ row: rejected.row, decision: 'reject', version: 2 });

    await waitForVersion(2);
    const latest = await result();
    expect(latest[accepted.row]).toMatchObject({ match_status: 'matched', match_id: accepted.candidateId });
    expect(latest[accepted.row]?.match_reason).toMatch(/^accepted in review/);
    // Labels against the accepted candidate: its city is the contact's, its e-mail is news to the book.
    expect(latest[accepted.row]).toMatchObject({ city_status: 'confirmed', email_status: 'new', email_latest: accepted.candidate.email });
    expect(latest[rejected.row]).toMatchObject({ match_status: 'unmatched', match_id: '', email_status: before[rejected.row]?.email_status });
    expect(latest[rejected.row]?.match_reason).toMatch(/^rejected in review/);
    // Every other row is as it was; version 1 has the accept only; version 0 is untouched.
    latest.forEach((row, index) => {
      if (index !== accepted.row && index !== rejected.row) expect(row).toEqual(before[index]);
    });
    expect((await result(1))[rejected.row]).toEqual(before[rejected.row]);
    expect(await result(0)).toEqual(before);

    const job = await t.acme.job(jobId);
    expect((job as unknown as { review: unknown }).review).toEqual({
      total: items.length,
      pending: items.length - 2,
      accepted: 1,
      rejected: 1,
      version: 2,
    });
    const decided = await review('?status=decided');
    expect(decided.items.map((item) => [item.row, item.status, item.version])).toEqual([
      [accepted.row, 'accepted', 1],
      [rejected.row, 'rejected', 2],
    ]);
    // The job's model learnt from the two decisions and scores the rows still pending again.
    const pending = await review();
    expect(pending.model).toEqual({ labelledPairs: 2 });
    expect(pending.items.length).toBe(items.length - 2);
    for (const item of pending.items) {
      expect(item.probabilityNow).toBeGreaterThan(0);
      expect(item.probabilityNow).toBeLessThan(1);
    }
  });

  it('refuses what it cannot do, and shows another tenant nothing', async () => {
    expect((await decide(0, 'accept')).status).toBe(404);
    const bad = await decide(1, 'maybe');
    expect(bad.status).toBe(400);
    expect(((await bad.json()) as { error: { message: string } }).error.message).toMatch(/^send \{"decision":"accept"\} or \{"decision":"reject"\}/);
    expect((await t.acme.request('GET', `/jobs/${jobId}/review?status=everything`)).status).toBe(400);
    expect((await t.acme.request('GET', `/jobs/${jobId}/result?version=99`)).status).toBe(400);
    expect((await t.globex.request('GET', `/jobs/${jobId}/review`)).status).toBe(404);
    expect((await t.globex.request('POST', `/jobs/${jobId}/review/1`, '{"decision":"accept"}', { 'content-type': 'application/json' })).status).toBe(
      404,
    );
  });
});
