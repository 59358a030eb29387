import { PutParameterCommand, SSMClient } from '@aws-sdk/client-ssm';
import { type MotoServer, startMotoServer } from '@refinery/aws-emulator';
import { chunkPlannedV1 } from '@refinery/events';
import { createEventSubscriptionHandler, defineService, implementService, secretParameterName, setting, silentLogger } from '@refinery/runtime';
import { testContext } from '@refinery/test-support';
import { z } from 'zod';
import { awsClients, lambdaHandlers, readSecrets, SecretsRefresher, secretSources } from '../src';

// Secrets on AWS: SecureStrings in SSM Parameter Store (moto here), read when the service is built and again every few
// minutes, a change rebuilding it; never in the function's environment.

jest.setTimeout(60_000);

const STAGE = 'test';
const vault = defineService({
  name: 'vault',
  description: 'd',
  settings: {
    apiKey: setting(z.string().min(8), { description: 'the key', secret: true }),
    optionalKey: setting(z.string(), { description: 'another', default: '', secret: true }),
    plain: setting(z.string(), { description: 'not a secret', default: 'p' }),
  },
  subscriptions: {
    chunks: {
      description: 'c',
      events: [chunkPlannedV1],
      queue: { visibilityTimeoutSeconds: 360, maxReceiveCount: 3, batchSize: 1 },
      function: { timeoutSeconds: 60, memorySizeMb: 512 },
    },
  },
});

const built: string[] = [];
const vaultService = implementService(vault, (context) => {
  built.push(`${context.settings.apiKey}|${context.settings.optionalKey}`);
  return {
    subscriptions: {
      chunks: createEventSubscriptionHandler({
        subscription: vault.subscriptions.chunks,
        publisher: context.publisher,
        logger: context.logger,
        handle: async () => undefined,
      }),
    },
  };
});

let moto: MotoServer;
let ssm: SSMClient;
beforeAll(async () => {
  moto = await startMotoServer();
  ssm = new SSMClient(moto.clientConfig);
});
afterAll(async () => {
  await moto?.stop();
});
beforeEach(() => {
  built.length = 0;
});

const put = (key: string, value: string) =>
  ssm.send(new PutParameterCommand({ Name: secretParameterName(STAGE, key), Type: 'SecureString', Value: value, Overwrite: true }));

it('names each secret setting by its parameter: /refinery/<stage>/<setting>', () => {
  expect(secretSources(vault, 'prod')).toEqual({ API_KEY: '/refinery/prod/api-key', OPTIONAL_KEY: '/refinery/prod/optional-key' });
});

it('reads the secrets decrypted, leaving out those that do not exist', async () => {
  await put('apiKey', 'first-secret-value');
  expect(await readSecrets(ssm, secretSources(vault, STAGE))).toEqual({ API_KEY: 'first-secret-value' });
});

it('builds a Lambda service with its secrets, and names the parameter of one that is missing', async () => {
  const saved = { ...process.env };
  Object.assign(process.env, { STAGE, EVENT_BUS_NAME: 'bus', LOG_LEVEL: 'silent' });
  try {
    await put('apiKey', 'first-secret-value');
    const handlers = lambdaHandlers(vaultService, { clients: awsClients({ ssm }) });
    await handlers.chunks({ Records: [] }, testContext());
    expect(built).toEqual(['first-secret-value|']);
    expect(process.env).not.toHaveProperty('API_KEY'); // never in the environment

    process.env.STAGE = 'nowhere';
    const unconfigured = lambdaHandlers(vaultService, { clients: awsClients({ ssm }) });
    await expect(unconfigured.chunks({ Records: [] }, testContext())).rejects.toThrow(
      'invalid configuration from environment: API_KEY (SSM parameter /refinery/nowhere/api-key): required (the key)',
    );
  } finally {
    process.env = saved;
  }
});

describe('SecretsRefresher', () => {
  it('keeps its build for the refresh period, then rebuilds only when a secret changed (a rotation)', async () => {
    let now = 0;
    const builds: Record<string, string>[] = [];
    const refresher = new SecretsRefresher({
      read: () => readSecrets(ssm, secretSources(vault, STAGE)),
      build: async (secrets) => {
        builds.push(secrets);
        return builds.length;
      },
      logger: silentLogger,
      now: () => now,
      refreshMs: 1000,
    });
    await put('apiKey', 'before-rotation');
    expect(await refresher.get()).toBe(1);
    await put('apiKey', 'after-rotation');
    now = 999;
    expect(await refresher.get()).toBe(1); // within the period: not even read
    now = 1000;
    expect(await refresher.get()).toBe(2); // read again, changed: rebuilt
    expect(builds.map((secrets) => secrets.API_KEY)).toEqual(['before-rotation', 'after-rotation']);
    now = 2000;
    expect(await refresher.get()).toBe(2); // read again, unchanged: kept
    expect(builds).toHaveLength(2);
  });

  it('keeps what it has when the parameters cannot be read, and retries later', async () => {
    let now = 0;
    let failing = false;
    const refresher = new SecretsRefresher({
      read: async () => {
        if (failing) throw new Error('throttled');
        return { API_KEY: `value-${now}` };
      },
      build: async (secrets) => secrets.API_KEY,
      logger: silentLogger,
      now: () => now,
      refreshMs: 120_000,
    });
    expect(await refresher.get()).toBe('value-0');
    failing = true;
    now = 120_000;
    expect(await refresher.get()).toBe('value-0');
    failing = false;
    now = 150_000; // a failed check is retried a minute later, not a whole period
    expect(await refresher.get()).toBe('value-0');
    now = 180_000;
    expect(await refresher.get()).toBe('value-180000');
  });
});
