import { readdirSync, readFileSync } from 'node:fs';
import { createServer, type IncomingHttpHeaders, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { ApiClient } from '@refinery/cli';
import { emulate, PACKAGED_STAGE, type RefineryEmulator } from '@refinery/cli/src/emulate';
import { Webhook } from 'standardwebhooks';
import { REPO_ROOT, runCli } from '../support/cli';

// No job is left running on AWS as deployed: the packaged stacks and bundles on the emulator's short-timeouts stage
// (functions time out in seconds; retries' backoff is real time), three ways a chunk can go wrong, side by side:
// - an HTTP provider that never answers: the job fails with the reason within 5 minutes, and a webhook says so;
// - a matcher that cannot start (its directory object is missing): the same;
// - a provider down for 2 minutes: the retries wait it out and the job completes.
// They take minutes of waiting, so `npm test` runs this file beside the rest (scripts/test.sh).

const FIVE_MINUTES = 5 * 60_000;
jest.setTimeout(FIVE_MINUTES + 120_000);

const TOKEN = 'token-acme-0001';
const HEADER = 'First Name,Last Name,Email';

interface Scenario {
  readonly emulator: RefineryEmulator;
  readonly acme: ApiClient;
  readonly deliveries: { headers: IncomingHttpHeaders; body: string }[];
  readonly secret: string;
  stop(): Promise<void>;
}

async function listen(handler: (request: import('node:http').IncomingMessage, response: ServerResponse) => void): Promise<Server> {
  const server = createServer(handler);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return server;
}

const portOf = (server: Server): number => (server.address() as AddressInfo).port;

/** A provider chain of one in-house HTTP directory on loopback (the matcher asks it one contact at a time). */
function httpChain(provider: Server): string {
  return JSON.stringify({
    providers: [
      {
        type: 'http',
        name: 'crm',
        urlTemplate: `http://127.0.0.1:${portOf(provider)}/people?email={email}`,
        candidatesPath: 'results',
        idField: 'id',
      },
    ],
  });
}

/** An emulator on the short-timeouts stage, with a webhook subscription of acme's to a receiver on loopback. */
async function scenario(name: string, environment: Record<string, Record<string, string>>): Promise<Scenario> {
  const deliveries: Scenario['deliveries'] = [];
  const receiver = await listen((request, response) => {
    let body = '';
    request.on('data', (chunk) => (body += chunk));
    request.on('end', () => {
      deliveries.push({ headers: request.headers, body });
      response.writeHead(204).end();
    });
  });
  const emulator = await emulate({
    repoRoot: REPO_ROOT,
    port: 0,
    awsPort: 0,
    directory: join(REPO_ROOT, 'examples', 'directory.csv'),
    apiTokens: `acme:${TOKEN}`,
    shortTimeouts: true,
    environment,
    dataDir: undefined,
  });
  const acme = new ApiClient(emulator.url, TOKEN);
  const created = await acme.request('POST', '/subscriptions', JSON.stringify({ url: `http://127.0.0.1:${portOf(receiver)}/${name}` }), {
    'content-type': 'application/json',
  });
  expect(created.status).toBe(201);
  const { secret } = (await created.json()) as { secret: string };
  return {
    emulator,
    acme,
    deliveries,
    secret,
    stop: async () => {
      await emulator.stop();
      await new Promise((resolve) => receiver.close(resolve));
    },
  };
}

type JobView = {
  status: string;
  error: { reason: string; rows?: { first: number; count: number } } | null;
  rows: { total: number; matched: number };
};

/** Polls the job until it has its outcome; throws when that takes longer than `timeoutMs` from the submission. */
async function settle(acme: ApiClient, jobId: string, timeoutMs: number, started = Date.now()): Promise<JobView & { afterMs: number }> {
  for (;;) {
    const job = (await acme.job(jobId)) as unknown as JobView;
    if (job.status === 'completed' || job.status === 'failed') return { ...job, afterMs: Date.now() - started };
    if (Date.now() - started > timeoutMs) throw new Error(`job ${jobId} still ${job.status} after ${timeoutMs} ms: ${JSON.stringify(job)}`);
    await new Promise((resolve) => setTimeout(resolve, 500));
  }
}

/** `refinery jobs stuck` and `refinery jobs fail` against the emulated stage, as an operator runs them on AWS. */
async function operatorFails(world: Scenario, jobId: string): Promise<void> {
  const aws = ['--aws', '--stage', PACKAGED_STAGE];
  const env = {
    AWS_ENDPOINT_URL: world.emulator.aws.endpoint,
    AWS_REGION: world.emulator.aws.clientConfig.region,
    AWS_ACCESS_KEY_ID: 'emulator',
    AWS_SECRET_ACCESS_KEY: 'emulator',
  };
  // Generous: the job's upload, submission and plan go through three functions, each a cold start on this stage; a
  // full run under load once took over a minute (the bound that matters, the other job's 5 minutes, is not this).
  const deadline = Date.now() + 150_000;
  let listed: { jobId: string; waitingFor: string }[] = [];
  while (!listed.some((job) => job.jobId === jobId && job.waitingFor.includes('chunks were labeled'))) {
    if (Date.now() > deadline) {
      // What the API says of the job, and what went wrong on the stage, so that a failure here says why.
      const view = await world.acme.job(jobId).catch((error: unknown) => String(error));
      throw new Error(
        `jobs stuck never listed ${jobId} as planned: ${JSON.stringify(listed)}; the API says ${JSON.stringify(view)}; ` +
          `the stage's warnings and errors: ${stageTrouble(world)}`,
      );
    }
    const stuck = await runCli(['jobs', 'stuck', '--for', '0', '--json', ...aws], { env }).done;
    expect(stuck.stderr).not.toContain('refinery:');
    listed = JSON.parse(stuck.stdout);
    await new Promise((resolve) => setTimeout(resolve, 1000));
  }
  const fail = await runCli(['jobs', 'fail', jobId, '--reason', 'the provider is being replaced', ...aws], { env }).done;
  expect({ code: fail.code, stderr: fail.stderr }).toEqual({ code: 0, stderr: '' });
  const job = await settle(world.acme, jobId, 60_000);
  expect(job).toMatchObject({ status: 'failed', error: { reason: 'failed by an operator: the provider is being replaced' } });
  expect((await webhookOf(world, jobId)).data).toMatchObject({ status: 'failed', reason: 'failed by an operator: the provider is being replaced' });
  const again = await runCli(['jobs', 'fail', jobId, '--reason', 'twice', ...aws], { env }).done;
  expect(again.stderr).toContain(`refinery: job ${jobId} has already failed`);
}

/** The functions' warning and error lines (the emulator's logs), the last few, for a failure's message. */
function stageTrouble(world: Scenario): string {
  const dir = join(world.emulator.dataDir, 'logs');
  const lines = readdirSync(dir).flatMap((file) =>
    readFileSync(join(dir, file), 'utf8')
      .split('\n')
      .filter((line) => /"level":(40|50|60)/.test(line))
      .map((line) => `${file}: ${line.slice(0, 600)}`),
  );
  return lines.slice(-15).join('\n') || 'none';
}

/** The signed webhook the receiver got for the job (verified with the subscription's secret). */
async function webhookOf(
  world: Scenario,
  jobId: string,
): Promise<{ type: string; data: { jobId: string; status: string; error?: { reason: string } } }> {
  const deadline = Date.now() + 60_000;
  for (;;) {
    const delivery = world.deliveries.find((candidate) => candidate.body.includes(jobId));
    if (delivery) return new Webhook(world.secret).verify(delivery.body, delivery.headers as Record<string, string>) as never;
    if (Date.now() > deadline) throw new Error(`no webhook for ${jobId}; got ${world.deliveries.length}`);
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
}

/** The environment of the matcher's functions that match chunks: both lanes (these jobs are small: the express lane). */
const matcherChunks = (environment: Record<string, string>): Record<string, Record<string, string>> => ({
  [`refinery-matcher-${PACKAGED_STAGE}-chunks`]: environment,
  [`refinery-matcher-${PACKAGED_STAGE}-expressChunks`]: environment,
});

describe('no job is left running (the short-timeouts stage)', () => {
  test.concurrent('an HTTP provider that never answers: the job fails with the reason within 5 minutes, and a webhook says so', async () => {
    const silent = await listen(() => undefined); // takes the request, never answers
    const world = await scenario('silent', matcherChunks({ PROVIDERS: httpChain(silent) }));
    try {
      const submittedAt = Date.now();
      const { jobId } = await world.acme.submitCsv(`${HEADER}\nRobert,Smith,robert.smith@example.com\nPat,Doe,pat@example.com\n`);
      // Meanwhile an operator, on the stage (--aws), sees a second job stuck behind the same provider and fails it.
      const { jobId: other } = await world.acme.submitCsv(`${HEADER}\nAda,Lovelace,ada@example.com\n`);
      await operatorFails(world, other);
      const job = await settle(world.acme, jobId, FIVE_MINUTES, submittedAt);
      expect(job.status).toBe('failed');
      // Two honest reasons, depending on which ends first on a loaded machine: the matcher's race against its
      // function's deadline, or the HTTP client giving up first (its own timeouts with no time left to retry before
      // that deadline, or the circuit they opened), which then names its own reason.
      expect(job.error?.reason).toMatch(
        /^matcher gave up on chunk 1 \(rows 1-2\) after 5 attempts: crm (had not answered 2 contact\(s\)|is unavailable: 2 of 2 contacts unanswered, 0 answered; first: crm is unavailable)/,
      );
      expect(job.error?.rows).toEqual({ first: 0, count: 2 });
      const hook = await webhookOf(world, jobId);
      expect(hook).toMatchObject({
        type: 'job.failed.v1',
        data: { jobId, status: 'failed', reason: job.error?.reason, affectedRows: { first: 0, count: 2 } },
      });
    } finally {
      silent.closeAllConnections();
      silent.close();
      await world.stop();
    }
  });

  test.concurrent('a matcher that cannot start: the job fails with the reason within 5 minutes, and a webhook says so', async () => {
    const world = await scenario('crash', matcherChunks({ DIRECTORY_KEY: 'directory/gone.csv' }));
    try {
      const { jobId } = await world.acme.submitCsv(`${HEADER}\nRobert,Smith,robert.smith@example.com\n`);
      const job = await settle(world.acme, jobId, FIVE_MINUTES);
      expect(job.status).toBe('failed');
      expect(job.error?.reason).toMatch(/^matcher could not start, and gave up on chunk 1 \(row 1\) after 5 attempts: .*directory\/gone\.csv/);
      expect((await webhookOf(world, jobId)).data).toMatchObject({ status: 'failed', reason: job.error?.reason });
    } finally {
      await world.stop();
    }
  });

  test.concurrent('a provider down for 2 minutes: the retries wait it out, and the job completes', async () => {
    let upAt = Number.POSITIVE_INFINITY;
    const flaky = await listen((request, response) => {
      if (Date.now() < upAt) {
        response.writeHead(503, { 'content-type': 'text/plain' }).end('down for maintenance');
        return;
      }
      const email = new URL(request.url ?? '/', 'http://localhost').searchParams.get('email');
      const results = email === 'robert.smith@example.com' ? [{ id: 'crm-1', first_name: 'Robert', last_name: 'Smith', email }] : [];
      response.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ results }));
    });
    const world = await scenario('flaky', matcherChunks({ PROVIDERS: httpChain(flaky) }));
    try {
      upAt = Date.now() + 120_000;
      const { jobId } = await world.acme.submitCsv(`${HEADER}\nRobert,Smith,robert.smith@example.com\n`);
      const job = await settle(world.acme, jobId, FIVE_MINUTES);
      expect({ status: job.status, error: job.error }).toEqual({ status: 'completed', error: null });
      expect(job.rows).toMatchObject({ total: 1, matched: 1 });
      expect(Date.now()).toBeGreaterThan(upAt); // it did wait the outage out
      expect((await webhookOf(world, jobId)).type).toBe('job.completed.v1');
    } finally {
      flaky.closeAllConnections();
      flaky.close();
      await world.stop();
    }
  });
});
