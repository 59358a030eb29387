import { composeOnAws, requiredSettings } from './lambda-settings';

// Each Lambda composes its service from the environment at cold start: a missing or malformed setting fails the start
// with its name, before any message is taken. And each entry point exports one handler per function of the generated
// configuration.

async function refusal(service: string, env: Record<string, string>): Promise<string> {
  return composeOnAws(service, env).then(
    () => 'started',
    (error: Error) => error.message,
  );
}

describe('Lambda settings', () => {
  it.each([
    ['ingest', ['EVENT_BUS_NAME', 'JOBS_TABLE', 'KEY_ENCRYPTION_KEY', 'REFINERY_API_TOKENS', 'UPLOADS_BUCKET']],
    ['matcher', ['CHUNKS_BUCKET', 'EVENT_BUS_NAME', 'NICKNAMES_TABLE', 'PROVIDER_LIMITS_TABLE']],
    ['labeler', ['CHUNKS_BUCKET', 'EVENT_BUS_NAME']],
    ['merger', ['EVENT_BUS_NAME', 'LEDGER_TABLE', 'RESULTS_BUCKET']],
    ['notifier', ['EVENT_BUS_NAME', 'KEY_ENCRYPTION_KEY', 'REFINERY_API_TOKENS', 'SUBSCRIPTIONS_TABLE', 'WEBSOCKET_ENDPOINT']],
    ['chunker', ['EVENT_BUS_NAME', 'PLANS_TABLE']],
    ['mailchimp-sync', ['EVENT_BUS_NAME', 'IMPORTS_BUCKET', 'KEY_ENCRYPTION_KEY', 'LIMITS_TABLE', 'REFINERY_API_TOKENS', 'STATE_TABLE']],
  ] as const)('%s names every missing setting, all at once', async (service, settings) => {
    const message = await refusal(service, {});
    expect(message).toMatch(/^invalid configuration from environment: /);
    expect(await requiredSettings(service)).toEqual(settings);
  });

  it('names malformed settings and says what is wrong with them', async () => {
    const message = await refusal('ingest', {
      EVENT_BUS_NAME: 'bus',
      UPLOADS_BUCKET: 'no spaces allowed',
      JOBS_TABLE: 'jobs',
      REFINERY_API_TOKENS: 'acme',
      UPLOAD_URL_TTL_SECONDS: 'soon',
      LOG_LEVEL: 'loud',
    });
    expect(message).toContain('UPLOADS_BUCKET: the name of the uploads bucket');
    expect(message).toContain('REFINERY_API_TOKENS: "acme" must be tenant:token');
    expect(message).toContain('UPLOAD_URL_TTL_SECONDS: ');
    expect(message).toContain('LOG_LEVEL: ');
    expect(message).not.toContain('JOBS_TABLE');
  });

  it("gives the notifier's WebSocket function and progress subscription the Management API of WEBSOCKET_ENDPOINT", async () => {
    const settings = {
      EVENT_BUS_NAME: 'bus',
      SUBSCRIPTIONS_TABLE: 'subscriptions',
      REFINERY_API_TOKENS: 'acme:token-acme-0001',
      KEY_ENCRYPTION_KEY: Buffer.alloc(32, 9).toString('base64'),
    };
    expect(await refusal('notifier', { ...settings, WEBSOCKET_ENDPOINT: 'wss://abc.execute-api.us-east-1.amazonaws.com/dev' })).toContain(
      'WEBSOCKET_ENDPOINT: the https URL of the WebSocket API stage',
    );
    const running = await composeOnAws('notifier', { ...settings, WEBSOCKET_ENDPOINT: 'https://abc.execute-api.us-east-1.amazonaws.com/dev' });
    expect(running.declaration.websocket?.routes).toEqual(['$connect', '$disconnect', '$default']);
    expect(typeof running.websocket).toBe('function');
  });

  it('tells the matcher it needs the directory when its provider chain uses it', async () => {
    const settings = { EVENT_BUS_NAME: 'bus', CHUNKS_BUCKET: 'chunks', NICKNAMES_TABLE: 'nicknames', PROVIDER_LIMITS_TABLE: 'provider-limits' };
    expect(await refusal('matcher', settings)).toBe(
      'invalid configuration: PROVIDERS uses the directory, so DIRECTORY_BUCKET and DIRECTORY_KEY must name its CSV',
    );
    expect(await refusal('matcher', { ...settings, DIRECTORY_BUCKET: 'directory', DIRECTORY_KEY: 'people.csv' })).toContain(
      'AWS calls are off in this test',
    );
  });

  it('starts with valid settings and defaults the optional ones', async () => {
    const running = await composeOnAws('chunker', { EVENT_BUS_NAME: 'bus', PLANS_TABLE: 'plans' });
    expect(running.declaration.name).toBe('chunker');
    expect(Object.keys(running.subscriptions)).toEqual(['jobs', 'progress', 'erasure']);
  });
});

describe('Lambda entry points (src/lambda.ts)', () => {
  it.each([
    ['ingest', ['api', 'erasure', 'erasures', 'history', 'retention', 'sweep', 'uploads']],
    ['chunker', ['erasure', 'jobs', 'progress']],
    ['matcher', ['chunks', 'erasure', 'expressChunks']],
    ['labeler', ['chunks', 'erasure', 'expressChunks']],
    ['merger', ['erasure', 'expressProgress', 'failures', 'progress', 'reviews']],
    ['notifier', ['api', 'erasure', 'jobs', 'progress', 'socket']],
    ['mailchimp-sync', ['api', 'erasure', 'imports', 'pages', 'writeback']],
  ])("%s exports one handler per function, named as the generated configuration's handlers", (service, functions) => {
    // Loading builds nothing (no AWS_LAMBDA_FUNCTION_NAME here): the service is composed at the first invocation.
    const exported = require(`@refinery/${service}/src/lambda`) as Record<string, unknown>;
    expect(Object.keys(exported).sort()).toEqual(functions);
    for (const name of functions) expect(typeof exported[name]).toBe('function');
  });

  it.each(['ingest', 'chunker', 'matcher', 'labeler', 'merger', 'notifier', 'mailchimp-sync'])(
    '%s exports its dead-letter reporter from src/dead-letters.ts, which needs only the bus and the stage',
    async (service) => {
      const { report } = require(`@refinery/${service}/src/dead-letters`) as { report: (event: unknown, context: unknown) => Promise<unknown> };
      await expect(report({ Records: [] }, {})).rejects.toThrow(/^invalid configuration from environment: EVENT_BUS_NAME: .*; STAGE: [^;]*$/);
    },
  );

  it('fails an invocation, naming the settings, when the environment is wrong (and tries again at the next one)', async () => {
    const { chunks } = require('@refinery/labeler/src/lambda') as typeof import('@refinery/labeler/src/lambda');
    const event = { Records: [] };
    await expect(chunks(event, {} as never)).rejects.toThrow(/invalid configuration from environment: EVENT_BUS_NAME: .*CHUNKS_BUCKET: /);
  });
});
