import { mkdtempSync, readFileSync, rmSync, statSync, utimesSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parse } from 'csv-parse/sync';
import { runCli } from '../support/cli';

// `refinery enrich --providers`: a chain of an in-house HTTP directory (a server on loopback standing in for the
// third party, answering the look-ups the URL template asks for) and then the bundled-format directory CSV.

jest.setTimeout(60_000);

const BOOK = [
  'First Name,Last Name,Email,Company,City,State',
  'Ada,Lovelace,ada@analytical.example,Analytical Engines,London,',
  'Grace,Hopper,grace@navy.example,Navy,Arlington,VA',
  'Alan,Turing,alan@bletchley.example,,,',
].join('\n');
const DIRECTORY = [
  'id,first_name,last_name,email,phone,company,title,street,city,state,postcode,country,birth_date,updated_at',
  'D1,Grace,Hopper,grace@navy.example,,US Navy,Rear Admiral,,Arlington,VA,,US,1906-12-09,2026-01-01',
].join('\n');

let work: string;
let server: Server;
let port: number;
const asked: string[] = [];

beforeAll(async () => {
  work = mkdtempSync(join(tmpdir(), 'refinery-chain-'));
  writeFileSync(join(work, 'book.csv'), `${BOOK}\n`);
  writeFileSync(join(work, 'directory.csv'), `${DIRECTORY}\n`);
  server = createServer((request, response) => {
    const url = new URL(request.url ?? '/', 'http://localhost');
    const email = url.searchParams.get('email') ?? '';
    asked.push(`${request.headers.authorization} ${email}`);
    const people =
      email === 'ada@analytical.example'
        ? [
            {
              person_id: 'crm-ada',
              name: { first: 'Ada', last: 'Lovelace' },
              email,
              company: 'Analytical Engines Ltd',
              title: 'Countess',
              city: 'London',
            },
          ]
        : [];
    response.writeHead(200, { 'content-type': 'application/json' });
    response.end(JSON.stringify({ results: people }));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  port = (server.address() as { port: number }).port;
});

afterAll(async () => {
  await new Promise((resolve) => server.close(resolve));
  rmSync(work, { recursive: true, force: true });
});

function chainFile(apiKeyEnv = 'CRM_TOKEN'): string {
  const path = join(work, `chain-${apiKeyEnv}.json`);
  writeFileSync(
    path,
    JSON.stringify({
      providers: [
        {
          type: 'http',
          name: 'crm',
          urlTemplate: `http://127.0.0.1:${port}/people?email={email}`,
          headers: { authorization: `Bearer \${${apiKeyEnv}}` },
          candidatesPath: 'results',
          idField: 'person_id',
          fieldMap: { first_name: 'name.first', last_name: 'name.last' },
        },
        { type: 'directory' },
      ],
    }),
  );
  return path;
}

describe('refinery enrich --providers', () => {
  it('asks the in-house directory first and the directory file only for what it could not match', async () => {
    const out = join(work, 'result.csv');
    const run = await runCli(
      [
        'enrich',
        join(work, 'book.csv'),
        '--directory',
        join(work, 'directory.csv'),
        '--providers',
        chainFile(),
        '--out',
        out,
        '--data-dir',
        join(work, 'data'),
      ],
      { env: { CRM_TOKEN: 'secret-token' } },
    ).done;
    expect({ code: run.code, stderr: run.stderr.split('\n').filter((line) => line.startsWith('refinery')) }).toEqual({ code: 0, stderr: [] });
    const rows = parse(readFileSync(out), { columns: true }) as Record<string, string>[];
    expect(rows.map((row) => [row['First Name'], row.match_status, row.match_id])).toEqual([
      ['Ada', 'matched', 'crm-ada'],
      ['Grace', 'matched', 'D1'],
      ['Alan', 'unmatched', ''],
    ]);
    expect(rows[0]!.match_reason).toMatch(/^crm: matched: "Ada Lovelace" \(id crm-ada, probability 0\.\d{4}\).*email exact \+/);
    expect(rows[0]!.title_status).toBe('new');
    expect(rows[1]!.match_reason).toMatch(/^directory: matched: .*email exact \+/);
    expect(rows[2]!.match_reason).toMatch(/^crm: the provider returned no candidates; directory: /);
    expect(asked.sort()).toEqual([
      'Bearer secret-token ada@analytical.example',
      'Bearer secret-token alan@bletchley.example',
      'Bearer secret-token grace@navy.example',
    ]);
  });

  /** `refinery enrich` of the book with a chain that must stop it before any work (`name` keeps each run's files apart). */
  const enrichRefused = (providers: string, name: string, extra: string[] = []) =>
    runCli([
      'enrich',
      join(work, 'book.csv'),
      '--directory',
      join(work, 'directory.csv'),
      '--providers',
      providers,
      ...extra,
      '--out',
      join(work, `never-${name}.csv`),
      '--data-dir',
      join(work, `data-${name}`),
    ]).done;

  it('stops before any work when the chain names a secret that is not set', async () => {
    const run = await enrichRefused(chainFile('NOT_SET_ANYWHERE'), 'unset-secret');
    expect(run.code).not.toBe(0);
    expect(run.stderr).toContain('providers.0.headers.authorization names the environment variable NOT_SET_ANYWHERE, which is not set');
  });

  it("refuses a chunk larger than the chain's rate lets the matcher finish in time, naming the limit and why", async () => {
    // 0.1 requests a second shared by the local matcher's 4 workers (2 per lane): 0.025 rows a second each, 11 rows in 450 s.
    const slowChain = join(work, 'slow-chain.json');
    writeFileSync(
      slowChain,
      JSON.stringify({
        providers: [
          { type: 'directory' },
          {
            type: 'http',
            name: 'slow',
            urlTemplate: `http://127.0.0.1:${port}/people?email={email}`,
            idField: 'id',
            settings: { requestsPerSecond: 0.1 },
          },
        ],
      }),
    );
    const run = await enrichRefused(slowChain, 'slow', ['--chunk-rows', '12']);
    expect(run.code).not.toBe(0);
    expect(run.stderr).toContain('chunkRows must be at most 11 (maxChunkRows), got 12');
  });

  describe('run again on the same data dir (the resume key)', () => {
    const dataDir = () => join(work, 'data-rerun');
    const enrichInto = async (out: string, extra: string[], directory = join(work, 'directory.csv')) => {
      const run = await runCli(['enrich', join(work, 'book.csv'), '--directory', directory, ...extra, '--out', out, '--data-dir', dataDir()], {
        env: { CRM_TOKEN: 'secret-token' },
      }).done;
      expect({ code: run.code, stderr: run.stderr.split('\n').filter((line) => line.startsWith('refinery')) }).toEqual({ code: 0, stderr: [] });
      const rows = parse(readFileSync(out), { columns: true }) as Record<string, string>[];
      return { job: /job: +(\S+)/.exec(run.stdout)?.[1], matches: rows.map((row) => `${row['First Name']}:${row.match_status}:${row.match_id}`) };
    };

    it('with another provider chain is another job, with the result of that chain', async () => {
      const directoryOnly = await enrichInto(join(work, 'rerun-directory.csv'), []);
      expect(directoryOnly.matches).toEqual(['Ada:unmatched:', 'Grace:matched:D1', 'Alan:unmatched:']);
      const withCrm = await enrichInto(join(work, 'rerun-chain.csv'), ['--providers', chainFile()]);
      expect(withCrm.job).not.toBe(directoryOnly.job);
      expect(withCrm.matches).toEqual(['Ada:matched:crm-ada', 'Grace:matched:D1', 'Alan:unmatched:']);
      // The same command again is the same job (resumed, here already done), whatever its key's parts.
      expect((await enrichInto(join(work, 'rerun-chain-again.csv'), ['--providers', chainFile()])).job).toBe(withCrm.job);
    });

    it('with the directory rewritten in place (same size, same modification time) is another job', async () => {
      const directory = join(work, 'directory-in-place.csv');
      // A whole-second time, which the file system keeps exactly (utimes would round a finer one).
      const stamp = new Date('2026-01-02T03:04:05Z');
      writeFileSync(directory, `${DIRECTORY}\n`);
      utimesSync(directory, stamp, stamp);
      const before = await enrichInto(join(work, 'in-place-1.csv'), [], directory);
      expect(before.matches).toEqual(['Ada:unmatched:', 'Grace:matched:D1', 'Alan:unmatched:']);
      const { size } = statSync(directory);
      // The same length: only the person's id changes (D1 to D2).
      const rewritten = `${DIRECTORY.replace('D1,Grace,Hopper,grace@navy.example', 'D2,Grace,Hopper,grace@navy.example')}\n`;
      expect(rewritten.length).toBe(size);
      writeFileSync(directory, rewritten);
      utimesSync(directory, stamp, stamp);
      expect(statSync(directory)).toMatchObject({ size, mtimeMs: stamp.getTime() });
      const after = await enrichInto(join(work, 'in-place-2.csv'), [], directory);
      expect(after.job).not.toBe(before.job);
      expect(after.matches).toEqual(['Ada:unmatched:', 'Grace:matched:D2', 'Alan:unmatched:']);
    });
  });
});
