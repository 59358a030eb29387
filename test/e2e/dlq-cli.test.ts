import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { CreateQueueCommand, GetQueueAttributesCommand, ReceiveMessageCommand, SendMessageCommand, SQSClient } from '@aws-sdk/client-sqs';
import { DynamoTable } from '@refinery/aws-adapters';
import { startLocalApp } from '@refinery/cli';
import { subscriptionQueues } from '@refinery/cli/src/dlq';
import { DirectoryProvider } from '@refinery/directory-provider';
import type { Candidate, ContactProvider } from '@refinery/matching';
import { CircuitRecorder, thisCircuitWriter } from '@refinery/providers';
import { type AwsEmulators, startAwsEmulators } from '@refinery/test-support';
import { startTestApp, TEST_TOKENS, waitForJob } from '../support/app';
import { runCli } from '../support/cli';
import { PEOPLE } from '../support/people';

// `refinery dlq list|show|redrive SERVICE` on the local mode and on AWS (against fauxqs): an operator finds what was
// dead-lettered and why, and a redrive after the cause is fixed finishes the job.

jest.setTimeout(120_000);

const HEADER = 'First Name,Last Name,Email,Notes';

describe('refinery dlq on the local mode', () => {
  it('lists, shows and redrives a dead-lettered chunk, and the redriven chunk completes the failed job', async () => {
    const directory = DirectoryProvider.fromRecords(PEOPLE);
    let providerDown = true;
    const flaky: ContactProvider = {
      name: 'flaky',
      findCandidates: async (contacts): Promise<Candidate[][]> => {
        if (providerDown && contacts.some((c) => c.email === 'pat@example.com')) throw new Error('provider unavailable');
        return directory.findCandidates(contacts);
      },
    };
    const first = await startTestApp({ directory: flaky, visibilityTimeoutMs: 400 });
    const { dataDir } = first;
    const csv = [HEADER, 'Robert,Smith,robert.smith@example.com,a', 'Pat,Doe,pat@example.com,b'].join('\n');
    const { jobId } = await first.acme.submitCsv(csv, '?chunkRows=1');
    expect(await waitForJob(first.acme, jobId)).toMatchObject({ status: 'failed' });
    const deadline = Date.now() + 5000;
    // A job of two rows: the matcher's express lane.
    while (first.app.runtime.queues.peek('matcher-express-chunks-dlq').length === 0 && Date.now() < deadline)
      await new Promise((r) => setTimeout(r, 20));
    await first.app.close();

    const list = await runCli(['dlq', 'list', '--data-dir', dataDir]).done;
    expect(list.code).toBe(0);
    expect(list.stdout).toMatch(/matcher\/expressChunks\s+0\s+0\s+1\s+matcher-express-chunks-dlq/);
    expect(list.stdout).toMatch(/matcher\/chunks\s+0\s+0\s+0\s+matcher-chunks-dlq/);
    expect(list.stdout).toMatch(/labeler\/chunks\s+0\s+0\s+0\s+labeler-chunks-dlq/);
    expect(list.stdout).toMatch(/labeler\/expressChunks\s+0\s+0\s+0\s+labeler-express-chunks-dlq/);
    expect(list.stdout).toMatch(/merger\/progress\s+0\s+0\s+0\s+merger-progress-dlq/);
    expect(list.stdout).toMatch(/merger\/expressProgress\s+0\s+0\s+0\s+merger-express-progress-dlq/);

    const show = await runCli(['dlq', 'show', 'matcher', '--data-dir', dataDir, '--json']).done;
    expect(show.code).toBe(0);
    const [dead] = JSON.parse(show.stdout) as { id: string; subscription: string; eventType: string; jobId: string; chunk: number; rows: string }[];
    expect(dead).toMatchObject({ subscription: 'expressChunks', eventType: 'chunk.planned.v1', jobId, chunk: 2, rows: '2-2' });

    // The provider is back: restart, redrive while it runs, and the job completes.
    providerDown = false;
    const restarted = await startLocalApp({ dataDir, directory: flaky, port: 0, apiTokens: TEST_TOKENS });
    try {
      const redrive = await runCli(['dlq', 'redrive', 'matcher', '--data-dir', dataDir, '--message', dead!.id]).done;
      expect(redrive.stdout).toContain('matcher/expressChunks: 1 message(s) moved back to matcher-express-chunks');
      const { ApiClient } = await import('@refinery/cli');
      const client = new ApiClient(restarted.url, 'token-acme-0001');
      expect(await waitForJobStatus(client, jobId, 'completed')).toMatchObject({ rows: { total: 2, done: 2, matched: 1, unmatched: 1 } });
    } finally {
      await restarted.close();
      first.stop().catch(() => undefined);
    }
  });

  it('explains a wrong service, subscription or data dir', async () => {
    const unknown = await runCli(['dlq', 'show', 'mailman', '--data-dir', '/nonexistent']).done;
    expect(unknown.code).toBe(2);
    expect(unknown.stderr).toContain('/nonexistent is not a data dir');
  });
});

async function waitForJobStatus(client: import('@refinery/cli').ApiClient, jobId: string, status: string) {
  const deadline = Date.now() + 30_000;
  for (;;) {
    const job = await client.job(jobId);
    if (job.status === status) return job;
    if (Date.now() > deadline) throw new Error(`job ${jobId} is ${job.status}, not ${status}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

describe('refinery dlq on AWS', () => {
  let emulators: AwsEmulators;
  beforeAll(async () => {
    emulators = await startAwsEmulators();
  });
  afterAll(() => emulators.stop());

  it('finds the queues of a stage by name, shows what was dead-lettered and moves it back', async () => {
    const sqs = new SQSClient(emulators.clientConfig('sqs'));
    // The labeler's other subscriptions, as its stack has them: `dlq list` reads every queue of the service.
    for (const name of [
      'refinery-labeler-staging-erasure',
      'refinery-labeler-staging-erasure-dlq',
      'refinery-labeler-staging-express-chunks',
      'refinery-labeler-staging-express-chunks-dlq',
    ]) {
      await sqs.send(new CreateQueueCommand({ QueueName: name }));
    }
    const dlq = await sqs.send(new CreateQueueCommand({ QueueName: 'refinery-labeler-staging-chunks-dlq' }));
    const { Attributes } = await sqs.send(new GetQueueAttributesCommand({ QueueUrl: dlq.QueueUrl, AttributeNames: ['QueueArn'] }));
    const queue = await sqs.send(
      new CreateQueueCommand({
        QueueName: 'refinery-labeler-staging-chunks',
        Attributes: { VisibilityTimeout: '0', RedrivePolicy: JSON.stringify({ deadLetterTargetArn: Attributes?.QueueArn, maxReceiveCount: 1 }) },
      }),
    );
    const poison = JSON.stringify({
      version: '0',
      id: 'e1',
      'detail-type': 'chunk.matched.v1',
      source: 'refinery.matcher',
      detail: { metadata: { tenantId: 'acme', jobId: 'job_X' }, data: { chunk: { index: 4, count: 9 }, rows: { first: 400, count: 100 } } },
    });
    await sqs.send(new SendMessageCommand({ QueueUrl: queue.QueueUrl, MessageBody: poison }));
    // Received once and not deleted: the next receive moves it to the dead-letter queue (maxReceiveCount 1).
    await sqs.send(new ReceiveMessageCommand({ QueueUrl: queue.QueueUrl }));
    await sqs.send(new ReceiveMessageCommand({ QueueUrl: queue.QueueUrl }));

    const env = {
      AWS_ENDPOINT_URL_SQS: emulators.fauxqsEndpoint,
      AWS_REGION: emulators.region,
      AWS_ACCESS_KEY_ID: 'test',
      AWS_SECRET_ACCESS_KEY: 'test',
    };
    const aws = ['--aws', '--stage', 'staging'];
    const list = await runCli(['dlq', 'list', 'labeler', ...aws], { env }).done;
    expect(list.stderr).not.toContain('refinery:');
    expect(list.stdout).toMatch(/labeler\/chunks\s+0\s+0\s+1\s+refinery-labeler-staging-chunks-dlq/);
    expect(list.stdout).toMatch(/labeler\/expressChunks\s+0\s+0\s+0\s+refinery-labeler-staging-express-chunks-dlq/);
    const show = await runCli(['dlq', 'show', 'labeler', ...aws], { env }).done;
    expect(show.stdout).toMatch(/chunk\.matched\.v1\s+job_X\s+5\s+401-500/);
    const redrive = await runCli(['dlq', 'redrive', 'labeler', ...aws], { env }).done;
    expect(redrive.stdout).toContain('labeler/chunks: 1 message(s) moved back to refinery-labeler-staging-chunks');
    const back = await sqs.send(new ReceiveMessageCommand({ QueueUrl: queue.QueueUrl }));
    expect(back.Messages?.[0]?.Body).toBe(poison);
  });

  it('refinery status reads a stage: depths and dead letters from SQS, jobs from DynamoDB, oldest ages n/a without CloudWatch', async () => {
    const sqs = new SQSClient(emulators.clientConfig('sqs'));
    const urls = new Map<string, string>();
    for (const entry of subscriptionQueues({ kind: 'aws', stage: 'ops' })) {
      for (const name of [entry.queue, entry.deadLetterQueue])
        urls.set(name, (await sqs.send(new CreateQueueCommand({ QueueName: name }))).QueueUrl!);
    }
    await sqs.send(new SendMessageCommand({ QueueUrl: urls.get('refinery-matcher-ops-chunks'), MessageBody: '{}' }));
    await sqs.send(new SendMessageCommand({ QueueUrl: urls.get('refinery-labeler-ops-chunks-dlq'), MessageBody: '{}' }));
    await emulators.createTable('refinery-ingest-ops-jobs');
    // The matcher's providerLimits table, with a circuit one container reported open (as its recorder writes it).
    await emulators.createTable('refinery-matcher-ops-provider-limits');
    const dynamodb = new DynamoDBClient(emulators.clientConfig('dynamodb'));
    try {
      const recorder = new CircuitRecorder({
        table: new DynamoTable({ client: dynamodb, tableName: 'refinery-matcher-ops-provider-limits' }),
        writer: thisCircuitWriter({ AWS_LAMBDA_LOG_STREAM_NAME: '2026/12/07/[$LATEST]0123abcd' }),
      });
      recorder.observe({
        provider: 'people-data-labs',
        from: 'closed',
        to: 'open',
        at: Date.now() - 90_000,
        reason: '5 consecutive failed calls, the last: HTTP 503',
      });
      await recorder.settled();
    } finally {
      dynamodb.destroy();
    }
    const env = {
      AWS_ENDPOINT_URL_SQS: emulators.fauxqsEndpoint,
      AWS_ENDPOINT_URL_DYNAMODB: emulators.dynamoEndpoint,
      // An endpoint that is no CloudWatch (as an emulator without it): the ages are n/a, the rest of the status stands.
      AWS_ENDPOINT_URL_CLOUDWATCH: emulators.fauxqsEndpoint,
      AWS_REGION: emulators.region,
      AWS_ACCESS_KEY_ID: 'test',
      AWS_SECRET_ACCESS_KEY: 'test',
    };
    const json = await runCli(['status', '--aws', '--stage', 'ops', '--json'], { env }).done;
    // stderr may carry the AWS SDK's own warnings (its Node.js version notice), never a refinery error.
    expect(json.code).toBe(0);
    expect(json.stderr).not.toContain('refinery:');
    const state = JSON.parse(json.stdout);
    expect(state).toMatchObject({
      location: { kind: 'aws', stage: 'ops' },
      jobs: [],
      providers: {
        circuits: [
          {
            provider: 'people-data-labs',
            state: 'open',
            reason: '5 consecutive failed calls, the last: HTTP 503',
            recordedBy: 'container 2026/12/07/[$LATEST]0123abcd',
          },
        ],
        source: "each provider's latest circuit transition any matcher container reported (the last writer wins)",
      },
      attention: [
        '1 dead-lettered message (labeler/chunks)',
        expect.stringMatching(/^provider circuit not closed: people-data-labs open for 1m \d+s$/),
      ],
      notes: [expect.stringMatching(/^oldest message ages: n\/a \(CloudWatch GetMetricData failed: /)],
    });
    const byName = new Map((state.queues as { queue: string }[]).map((queue) => [queue.queue, queue]));
    expect(byName.get('refinery-matcher-ops-chunks')).toMatchObject({
      waiting: 1,
      inFlight: 0,
      oldestAgeMs: null,
      deadLettered: 0,
      deadLetterOldestAgeMs: 0,
    });
    expect(byName.get('refinery-labeler-ops-chunks')).toMatchObject({ waiting: 0, oldestAgeMs: 0, deadLettered: 1, deadLetterOldestAgeMs: null });

    const text = await runCli(['status', '--aws', '--stage', 'ops'], { env }).done;
    expect(text.stdout).toMatch(/^ {2}matcher\/chunks\s+1\s+0\s+n\/a\s+0\s+-$/m);
    expect(text.stdout).toContain('attention: 1 dead-lettered message (labeler/chunks); provider circuit not closed: people-data-labs open for 1m ');
    expect(text.stdout).toMatch(
      /^ {2}people-data-labs\s+open\s+\S+\s+1m \d+s\s+container 2026\/12\/07\/\[\$LATEST\]0123abcd\s+5 consecutive failed calls, the last: HTTP 503$/m,
    );

    const nowhere = await runCli(['status', '--aws', '--stage', 'nowhere'], { env }).done;
    expect(nowhere.code).toBe(2);
    expect(nowhere.stderr).toMatch(
      /^refinery: cannot read the queues of stage nowhere: .+ \(is the stage deployed, in this region, with these credentials\?\)\n$/,
    );
  });
});
