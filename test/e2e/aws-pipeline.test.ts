import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { REPO_ROOT } from '../support/cli';
import { startAwsStack, type AwsStack } from '../support/aws-stack';

// The whole pipeline with every service's Lambda entry point on the AWS adapters, against emulators (fauxqs for S3
// and SQS, dynalite for DynamoDB, our EventBridge stand-in applying the declared rules, pollers standing in for
// Lambda's event source mapping). The demo book must give exactly the local mode's golden result.

jest.setTimeout(180_000);

const TOKEN = 'token-acme-0001';
const BOOK = readFileSync(join(REPO_ROOT, 'examples', 'contacts.csv'));
const GOLDEN = readFileSync(join(REPO_ROOT, 'test', 'golden', 'demo-result.csv'), 'utf8');

async function waitForJob(stack: AwsStack, jobId: string, timeoutMs = 120_000): Promise<Record<string, unknown>> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const { json } = await stack.api({ routeKey: 'GET /jobs/{id}', pathParameters: { id: jobId }, token: TOKEN });
    const job = json as { status: string };
    if (job.status === 'completed' || job.status === 'failed') return json as Record<string, unknown>;
    if (Date.now() > deadline) throw new Error(`job ${jobId} still ${job.status}: ${JSON.stringify(json)}`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

describe('the pipeline on the AWS adapters', () => {
  let stack: AwsStack;
  beforeAll(async () => {
    stack = await startAwsStack({ directoryCsvPath: join(REPO_ROOT, 'examples', 'directory.csv'), apiTokens: `acme:${TOKEN}` });
  });
  afterAll(() => stack.stop());

  it('enriches the demo book uploaded to a presigned S3 URL into the same result as the local mode', async () => {
    const created = await stack.api({
      routeKey: 'POST /jobs',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ filename: 'contacts.csv', chunkRows: 40 }),
      token: TOKEN,
    });
    expect(created.status).toBe(201);
    const { jobId, upload } = created.json as { jobId: string; upload: { url: string; method: string; headers: Record<string, string> } };
    const put = await fetch(upload.url, { method: upload.method, headers: upload.headers, body: BOOK });
    expect(put.status).toBe(200);

    const job = await waitForJob(stack, jobId);
    expect(job).toMatchObject({ status: 'completed', rows: { total: 250, done: 250 }, chunks: { total: 7, done: 7 }, error: null });

    const result = await stack.api({ routeKey: 'GET /jobs/{id}/result', pathParameters: { id: jobId }, token: TOKEN });
    expect(result.status).toBe(302);
    const download = await fetch(result.headers.location as string);
    expect(download.status).toBe(200);
    expect(await download.text()).toBe(GOLDEN);

    const history = await stack.api({ routeKey: 'GET /jobs/{id}/events', pathParameters: { id: jobId }, token: TOKEN });
    const types = (history.json as { type: string }[]).map((event) => event.type);
    expect(types.filter((type) => type === 'chunk.labeled.v1')).toHaveLength(7);
    expect(types[0]).toBe('job.created.v1');
    expect(types.at(-1)).toBe('job.completed.v1');
  });

  it('takes a CSV in the request body, refuses what is not a CSV, and keeps tenants apart', async () => {
    const csv = 'First Name,Last Name,Email\nNobody,Here,nobody@example.com\n';
    const accepted = await stack.api({ routeKey: 'POST /jobs', headers: { 'content-type': 'text/csv' }, body: csv, token: TOKEN });
    expect(accepted.status).toBe(202);
    const { jobId } = accepted.json as { jobId: string };
    expect(await waitForJob(stack, jobId)).toMatchObject({ status: 'completed', rows: { total: 1, unmatched: 1 } });
    const refused = await stack.api({ routeKey: 'POST /jobs', headers: { 'content-type': 'text/csv' }, body: Buffer.from([0x89, 0x50, 0x4e, 0x47, 0, 0, 0]), token: TOKEN });
    expect(refused.status).toBe(415);
    expect((await stack.api({ routeKey: 'GET /jobs/{id}', pathParameters: { id: jobId } })).status).toBe(401);
  });
});
