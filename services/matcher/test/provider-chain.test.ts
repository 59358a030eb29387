import { join } from 'node:path';
import type { MatchedRow } from '@refinery/chunk-records';
import type { ContactFields } from '@refinery/contacts';
import { DirectoryProvider } from '@refinery/directory-provider';
import type { Candidate, ContactProvider } from '@refinery/matching';
import { loadBundledNicknames } from '@refinery/nicknames';
import { noMetrics, type SocketConnections } from '@refinery/ports';
import { PeopleDataLabsProvider, readCircuitRecords } from '@refinery/providers';
import { resolveSettings, type ServiceContext } from '@refinery/runtime';
import { createTestPorts, readFixture, sqsEvent, type TestPorts, testContext, useNock } from '@refinery/test-support';
import nock from 'nock';
import { DEFAULT_MATCHER_CONFIG, matcher, matcherHandlers, matcherService, seedNicknames } from '../src/service';

// The matcher with a chain of real providers: People Data Labs (its HTTP API mocked with nock, on the documented
// request and response shapes) first, then the in-memory directory for the rows PDL could not match; and an outage
// halfway through a chunk, after which the retry asks PDL only for the rows it had not answered.

const CHUNKS_BUCKET = 'matcher-chunks';
const PDL = 'https://pdl.test';
const FIXTURE = JSON.parse(readFixture(join(__dirname, 'fixtures', 'chunk-planned.json'))) as {
  detail: { metadata: { tenantId: string; jobId: string }; data: { input: { bucket: string; key: string } } };
};
const HEADER = 'First Name,Last Name,Email,Company,City,Notes\n';
const BEFORE_RANGE = 'Broken,"this quote never closes,x,y,z\n';
// Rows 10-15: four contacts to match on (10, 11, 12, and 13 without a last name), then two invalid ones that no
// provider is asked about.
const CHUNK = [
  'Robert,Paulson,Robert.Paulson@Example.COM,Paper Street Soap,Wilmington,',
  'Marla,Singer,,Paper Street Soap,Wilmington,',
  'Zebediah,Quillfeather,zq@nowhere.example,,,',
  'Alice,,alice@example.com,,,',
  'Carol,Danvers,,,,',
  'Dave,Jones,dave@example.com,Acme,Boston,,EXTRA ONE,EXTRA TWO',
].join('\n');
const INPUT = `${HEADER}${BEFORE_RANGE}${CHUNK}\n`;

const DIRECTORY: Candidate[] = [
  {
    id: 'dir-marla-singer',
    fields: {
      first_name: 'Marla',
      last_name: 'Singer',
      email: 'marla@example.org',
      company: 'Paper Street Soap Co',
      city: 'Wilmington',
      state: 'DE',
    },
  },
];

// GET /v5/person/enrich 200 body: status, likelihood and the person record.
const ROBERT_RECORD = {
  status: 200,
  likelihood: 9,
  data: {
    id: 'pdl-robert',
    full_name: 'robert paulson',
    first_name: 'robert',
    last_name: 'paulson',
    work_email: 'robert.paulson@example.com',
    mobile_phone: '+13025550100',
    job_company_name: 'paper street soap',
    job_title: 'soap maker',
    location_locality: 'wilmington',
    location_region: 'delaware',
    location_country: 'united states',
  },
};
const NOT_FOUND = { status: 404, error: { type: 'not_found', message: 'No records were found matching your request' } };

let ports: TestPorts;

useNock(nock);

beforeEach(async () => {
  ports = createTestPorts();
  const { input } = FIXTURE.detail.data;
  await ports.objects.put(input, INPUT, { contentType: 'text/csv' });
});
afterEach(() => ports.cleanup());

function recording(provider: ContactProvider, asked: string[]): ContactProvider {
  return {
    name: provider.name,
    inMemory: true,
    findCandidates: async (contacts: readonly ContactFields[]) => {
      asked.push(...contacts.map((contact) => `${contact.first_name} ${contact.last_name}`));
      return provider.findCandidates(contacts);
    },
  };
}

function pdl(): PeopleDataLabsProvider {
  // One attempt per delivery and no waiting: the queue, not the provider client, brings the chunk back.
  return new PeopleDataLabsProvider({ apiKey: 'test-key', baseUrl: PDL, settings: { maxAttempts: 1, circuitFailureThreshold: 100 } });
}

async function handlerWith(providers: ContactProvider[]) {
  const nicknames = ports.table('matcher-nicknames');
  await seedNicknames(nicknames, loadBundledNicknames(), 'test');
  return matcherHandlers({
    publisher: ports.publisher,
    clock: ports.clock,
    ids: ports.ids,
    logger: ports.logger,
    metrics: noMetrics,
    config: { ...DEFAULT_MATCHER_CONFIG, chunksBucket: CHUNKS_BUCKET },
    objects: ports.objects,
    providers,
    nicknames,
  }).subscriptions.chunks.handler;
}

function chunkKey(suffix: string): { bucket: string; key: string } {
  const { tenantId, jobId } = FIXTURE.detail.metadata;
  return { bucket: CHUNKS_BUCKET, key: `tenants/${tenantId}/jobs/${jobId}/matched/000000001${suffix}` };
}

async function matchedRows(): Promise<MatchedRow[]> {
  const text = (await ports.objects.getBuffer(chunkKey('.ndjson'))).toString('utf8');
  return text
    .split('\n')
    .filter(Boolean)
    .map((line) => JSON.parse(line) as MatchedRow);
}

function enrich(firstName: string) {
  return nock(PDL, { reqheaders: { 'x-api-key': 'test-key' } })
    .get('/v5/person/enrich')
    .query((query) => query.first_name === firstName && query.min_likelihood === '6');
}

describe('matcher with a provider chain', () => {
  it('asks the next provider only for the rows the previous could not match, and says which provider matched', async () => {
    const asked: string[] = [];
    const scopes = [
      enrich('Robert').reply(200, ROBERT_RECORD),
      enrich('Marla').reply(404, NOT_FOUND),
      enrich('Zebediah').reply(404, NOT_FOUND),
      enrich('Alice').reply(404, NOT_FOUND),
    ];
    const handler = await handlerWith([pdl(), recording(DirectoryProvider.fromRecords(DIRECTORY), asked)]);

    const response = await handler(sqsEvent([JSON.stringify(FIXTURE)]), testContext());

    expect(response.batchItemFailures).toEqual([]);
    for (const scope of scopes) expect(scope.isDone()).toBe(true);
    expect(asked).toEqual(['Marla Singer', 'Zebediah Quillfeather', 'Alice undefined']);
    const [robert, marla, zebediah] = await matchedRows();
    expect(robert).toMatchObject({ row: 10, status: 'matched', method: 'exact', matchId: 'pdl-robert' });
    expect(robert!.reason).toMatch(
      /^people-data-labs: matched: "robert paulson" \(id pdl-robert, probability 0\.\d{4}\).* email exact \+.*provider confident \(0\.9 and up\) \+/,
    );
    expect(robert!.provider).toMatchObject({ phone: '+13025550100', state: 'DE', country: 'US', title: 'soap maker' });
    expect(marla).toMatchObject({ row: 11, status: 'matched', matchId: 'dir-marla-singer' });
    expect(marla!.reason).toMatch(/^directory: /);
    expect(zebediah).toMatchObject({ row: 12, status: 'unmatched' });
    expect(zebediah!.reason).toMatch(/^people-data-labs: the provider returned no candidates; directory: /);
    // No progress is kept for a chunk that went through in one go... beyond the answers themselves being unused.
    expect(ports.publisher.ofType('chunk.matched.v1')).toHaveLength(1);
  });

  it('keeps the answers received before an outage, and the retry asks only for the rows still unanswered', async () => {
    enrich('Robert').reply(200, ROBERT_RECORD);
    enrich('Zebediah').reply(404, NOT_FOUND);
    enrich('Alice').reply(404, NOT_FOUND);
    enrich('Marla').reply(503, { status: 503, error: { type: 'service_unavailable', message: 'try later' } });
    const first = await handlerWith([pdl(), DirectoryProvider.fromRecords(DIRECTORY)]);

    const failed = await first(sqsEvent([JSON.stringify(FIXTURE)], { receiveCount: 1 }), testContext());

    expect(failed.batchItemFailures).toEqual([{ itemIdentifier: 'message-1' }]);
    expect(ports.publisher.entries).toEqual([]);
    const progress = (await ports.objects.getBuffer(chunkKey('.answers.ndjson'))).toString('utf8');
    const kept = progress
      .split('\n')
      .filter(Boolean)
      .map((line) => JSON.parse(line) as { provider: string; row: number });
    expect(kept.map((answer) => [answer.provider, answer.row]).sort()).toEqual([
      ['people-data-labs', 10],
      ['people-data-labs', 12],
      ['people-data-labs', 13],
    ]);

    // The provider is back. Only Marla's request is expected: asking about Robert or Zebediah again finds no
    // interceptor, and with the network disabled that fails the chunk.
    const marla = enrich('Marla').reply(404, NOT_FOUND);
    const second = await handlerWith([pdl(), DirectoryProvider.fromRecords(DIRECTORY)]);
    const retried = await second(sqsEvent([JSON.stringify(FIXTURE)], { receiveCount: 2 }), testContext());

    expect(retried.batchItemFailures).toEqual([]);
    expect(marla.isDone()).toBe(true);
    const rows = await matchedRows();
    expect(rows.map((row) => [row.row, row.status, row.matchId])).toEqual([
      [10, 'matched', 'pdl-robert'],
      [11, 'matched', 'dir-marla-singer'],
      [12, 'unmatched', null],
      [13, 'unmatched', null],
      [14, 'invalid', null],
      [15, 'invalid', null],
    ]);
    expect(ports.publisher.ofType('chunk.matched.v1')).toHaveLength(1);
  });
});

describe('the matcher composed from its settings', () => {
  it("records its providers' circuit transitions in its providerLimits table, where `refinery status` reads them", async () => {
    const nicknames = ports.table('matcher-nicknames');
    await seedNicknames(nicknames, loadBundledNicknames(), 'test');
    const providerLimits = ports.table('matcher-provider-limits');
    const chain = {
      providers: [{ type: 'people-data-labs', apiKeyEnv: 'PDL_API_KEY', baseUrl: PDL, settings: { maxAttempts: 1, circuitFailureThreshold: 1 } }],
    };
    const { settings, problems } = resolveSettings(matcher, {}, { providers: JSON.stringify(chain), pdlApiKey: 'test-key' });
    expect(problems).toEqual([]);
    const context: ServiceContext<typeof matcher> = {
      publisher: ports.publisher,
      clock: ports.clock,
      ids: ports.ids,
      logger: ports.logger,
      metrics: noMetrics,
      objects: ports.objects,
      buckets: { chunks: CHUNKS_BUCKET },
      tables: { nicknames, providerLimits },
      settings,
      // The matcher has no WebSocket API: nothing reads this.
      sockets: {} as SocketConnections,
    };
    const handler = (await matcherService.create(context, {})).subscriptions.chunks.handler;
    nock(PDL)
      .get('/v5/person/enrich')
      .query(true)
      .times(4)
      .reply(503, { status: 503, error: { type: 'service_unavailable', message: 'try later' } });

    const failed = await handler(sqsEvent([JSON.stringify(FIXTURE)], { receiveCount: 1 }), testContext());
    expect(failed.batchItemFailures).toEqual([{ itemIdentifier: 'message-1' }]);
    // The write is off the call's path: it is done once the tasks queued before this one are.
    await new Promise((resolve) => setImmediate(resolve));

    expect(await readCircuitRecords(providerLimits)).toEqual([
      expect.objectContaining({
        provider: 'people-data-labs',
        state: 'open',
        from: 'closed',
        reason: expect.stringMatching(/^1 consecutive failed call, the last: people-data-labs is unavailable: .*HTTP 503/),
        writer: expect.objectContaining({ pid: process.pid }),
      }),
    ]);
  });
});
