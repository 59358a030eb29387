import { awsClients } from '@refinery/aws-runtime';
import { createChunkerLambda } from '@refinery/chunker/src/lambda';
import { createIngestLambda } from '@refinery/ingest/src/lambda';
import { createLabelerLambda } from '@refinery/labeler/src/lambda';
import { createMatcherLambda } from '@refinery/matcher/src/lambda';
import { createMergerLambda } from '@refinery/merger/src/lambda';
import { createNotifierLambda } from '@refinery/notifier/src/lambda';
import { createMailchimpSyncLambda } from '@refinery/mailchimp-sync/src/lambda';

// Each Lambda reads its settings from the environment through a zod schema at cold start: a missing or malformed
// setting fails the start with its name, before any message is taken.

const clients = awsClients();

describe('Lambda settings', () => {
  it.each([
    ['ingest', createIngestLambda, ['EVENT_BUS_NAME', 'UPLOADS_BUCKET', 'JOBS_TABLE', 'REFINERY_API_TOKENS']],
    ['matcher', createMatcherLambda, ['EVENT_BUS_NAME', 'CHUNKS_BUCKET', 'NICKNAMES_TABLE', 'DIRECTORY_BUCKET', 'DIRECTORY_KEY']],
    ['labeler', createLabelerLambda, ['EVENT_BUS_NAME', 'CHUNKS_BUCKET']],
    ['merger', createMergerLambda, ['EVENT_BUS_NAME', 'RESULTS_BUCKET', 'LEDGER_TABLE']],
    ['notifier', createNotifierLambda, ['EVENT_BUS_NAME', 'SUBSCRIPTIONS_TABLE', 'REFINERY_API_TOKENS', 'WEBSOCKET_ENDPOINT']],
    ['chunker', createChunkerLambda, ['EVENT_BUS_NAME', 'PLANS_TABLE']],
    ['mailchimp-sync', createMailchimpSyncLambda, ['EVENT_BUS_NAME', 'IMPORTS_BUCKET', 'STATE_TABLE', 'LIMITS_TABLE', 'REFINERY_API_TOKENS', 'KEY_ENCRYPTION_KEY']],
  ] as const)('%s names every missing setting', async (_service, create, settings) => {
    const failure = create({}, clients).then(
      () => 'started',
      (error: Error) => error.message,
    );
    const message = await failure;
    expect(message).toMatch(/^invalid configuration from environment: /);
    for (const setting of settings) expect(message).toContain(`${setting}: `);
  });

  it('names malformed settings and says what is wrong with them', async () => {
    const message = await createIngestLambda(
      { EVENT_BUS_NAME: 'bus', UPLOADS_BUCKET: 'no spaces allowed', JOBS_TABLE: 'jobs', REFINERY_API_TOKENS: 'acme', UPLOAD_URL_TTL_SECONDS: 'soon', LOG_LEVEL: 'loud' },
      clients,
    ).then(
      () => 'started',
      (error: Error) => error.message,
    );
    expect(message).toContain('UPLOADS_BUCKET: the name of the uploads bucket');
    expect(message).toContain('REFINERY_API_TOKENS: "acme" must be tenant:token');
    expect(message).toContain('UPLOAD_URL_TTL_SECONDS: ');
    expect(message).toContain('LOG_LEVEL: ');
    expect(message).not.toContain('JOBS_TABLE');
  });

  it("gives the notifier's WebSocket function and progress subscription the Management API of WEBSOCKET_ENDPOINT", async () => {
    const settings = { EVENT_BUS_NAME: 'bus', SUBSCRIPTIONS_TABLE: 'subscriptions', REFINERY_API_TOKENS: 'acme:token-acme-0001' };
    const refused = await createNotifierLambda({ ...settings, WEBSOCKET_ENDPOINT: 'wss://abc.execute-api.us-east-1.amazonaws.com/dev' }, clients).then(
      () => 'started',
      (error: Error) => error.message,
    );
    expect(refused).toContain('WEBSOCKET_ENDPOINT: the https URL of the WebSocket API stage');

    const lambda = await createNotifierLambda({ ...settings, WEBSOCKET_ENDPOINT: 'https://abc.execute-api.us-east-1.amazonaws.com/dev' }, clients);
    expect(lambda.service.manifest.websocket?.routes).toEqual(['$connect', '$disconnect', '$default']);
    expect(typeof lambda.socket).toBe('function');
    expect(typeof lambda.progress).toBe('function');
  });

  it('starts with valid settings and defaults the optional ones', async () => {
    const lambda = await createChunkerLambda({ EVENT_BUS_NAME: 'bus', PLANS_TABLE: 'plans' }, clients);
    expect(lambda.service.manifest.service).toBe('chunker');
    expect(typeof lambda.jobs).toBe('function');
    expect(typeof lambda.progress).toBe('function');
  });
});
