import { matchesEventPattern, validateEventPattern } from '@refinery/event-patterns';
import { chunkLabeledV1, chunkPlannedV1, jobPlannedV1, stageFailedV1 } from '@refinery/events';
import { z } from 'zod';
import {
  bucketEnvName,
  defineService,
  loadConfig,
  resolveSettings,
  type ServiceInput,
  setting,
  settingDefaults,
  settingEnvName,
  subscriptionPattern,
  tableEnvName,
} from '../src';

const size = { queue: { visibilityTimeoutSeconds: 360, maxReceiveCount: 5, batchSize: 1 }, function: { timeoutSeconds: 60, memorySizeMb: 1024 } };

describe('loadConfig', () => {
  const schema = z.object({ UPLOADS_BUCKET: z.string().min(3), CHUNK_ROWS: z.coerce.number().int().positive() });

  it('parses settings', () => {
    expect(loadConfig(schema, { UPLOADS_BUCKET: 'bucket', CHUNK_ROWS: '500' })).toEqual({ UPLOADS_BUCKET: 'bucket', CHUNK_ROWS: 500 });
  });

  it('fails fast naming every setting that is missing or malformed', () => {
    expect(() => loadConfig(schema, { CHUNK_ROWS: 'many' })).toThrow(/invalid configuration from environment: UPLOADS_BUCKET: .*; CHUNK_ROWS: /);
  });
});

describe('defineService', () => {
  const merger = defineService({
    name: 'merger',
    description: 'd',
    buckets: { results: { description: 'results' } },
    subscriptions: {
      progress: { description: 'p', events: [jobPlannedV1, chunkLabeledV1], ...size },
      failures: { description: 'f', events: [stageFailedV1], from: ['matcher', 'labeler'], ...size },
    },
  });

  it("resolves each subscription: its service and name, the events' producers as sources, queue defaults", () => {
    expect(merger.subscriptions.progress).toMatchObject({
      kind: 'events',
      service: 'merger',
      name: 'progress',
      from: ['chunker', 'labeler'],
      queue: { maximumBatchingWindowSeconds: 0, maxReceiveCount: 5 },
      reportsStageFailures: true,
    });
    expect(merger.subscriptions.failures.from).toEqual(['matcher', 'labeler']);
  });

  it("derives each rule's pattern from the declared event types and sources", () => {
    const pattern = subscriptionPattern(merger.subscriptions.progress);
    expect(pattern).toEqual({ source: ['refinery.chunker', 'refinery.labeler'], 'detail-type': ['job.planned.v1', 'chunk.labeled.v1'] });
    expect(() => validateEventPattern(pattern)).not.toThrow();
  });

  describe("a subscription's data pattern: one event type split between two queues", () => {
    const matcher = defineService({
      name: 'matcher',
      description: 'd',
      subscriptions: {
        chunks: { description: 'c', events: [chunkPlannedV1], dataPattern: { lane: ['bulk', { exists: false }] }, ...size },
        expressChunks: { description: 'e', events: [chunkPlannedV1], dataPattern: { lane: ['express'] }, ...size },
      },
    });
    /** The EventBridge event a chunk.planned.v1 of this lane (none: as the previous version published it) arrives as. */
    const chunkPlanned = (lane?: string) => ({
      source: 'refinery.chunker',
      'detail-type': 'chunk.planned.v1',
      detail: { metadata: { jobId: 'job_1' }, data: { chunk: { index: 0, count: 1 }, ...(lane ? { lane } : {}) } },
    });
    const routedTo = (event: unknown) =>
      Object.values(matcher.subscriptions)
        .filter((subscription) => matchesEventPattern(subscriptionPattern(subscription), event))
        .map((subscription) => subscription.name);

    it("puts the data pattern in the rule's pattern, under detail.data", () => {
      expect(subscriptionPattern(matcher.subscriptions.expressChunks)).toEqual({
        source: ['refinery.chunker'],
        'detail-type': ['chunk.planned.v1'],
        detail: { data: { lane: ['express'] } },
      });
      expect(subscriptionPattern(matcher.subscriptions.chunks)).toMatchObject({ detail: { data: { lane: ['bulk', { exists: false }] } } });
      for (const subscription of Object.values(matcher.subscriptions))
        expect(() => validateEventPattern(subscriptionPattern(subscription))).not.toThrow();
    });

    it('routes each event to exactly one of them; one without the field (published by the previous version) to the bulk queue', () => {
      expect(routedTo(chunkPlanned('express'))).toEqual(['expressChunks']);
      expect(routedTo(chunkPlanned('bulk'))).toEqual(['chunks']);
      expect(routedTo(chunkPlanned())).toEqual(['chunks']);
    });
  });

  it("pins an S3 subscription's pattern to its bucket, by the name the platform gives", () => {
    const ingest = defineService({
      name: 'ingest',
      description: 'd',
      buckets: { uploads: { description: 'u' } },
      subscriptions: { uploads: { description: 'u', objectCreated: { bucket: 'uploads', keyPrefix: 'tenants/', jobOf: () => undefined }, ...size } },
    });
    expect(subscriptionPattern(ingest.subscriptions.uploads, 'ingest-uploads')).toEqual({
      source: ['aws.s3'],
      'detail-type': ['Object Created'],
      detail: { bucket: { name: ['ingest-uploads'] }, object: { key: [{ prefix: 'tenants/' }] } },
    });
    expect(subscriptionPattern(ingest.subscriptions.uploads, { Ref: 'UploadsBucket' })).toMatchObject({
      detail: { bucket: { name: [{ Ref: 'UploadsBucket' }] } },
    });
    expect(() => subscriptionPattern(ingest.subscriptions.uploads)).toThrow('needs the name of bucket uploads');
  });

  it('refuses, naming every problem at once, what a deployment or a handler could not honour', () => {
    const bad: ServiceInput = {
      name: 'Bad_Name',
      description: 'd',
      buckets: { scratch: { description: 's', expireAfterDays: 7 } },
      settings: {
        oneSetting: setting(z.string(), { description: 'x', env: 'SAME' }),
        otherSetting: setting(z.coerce.number().int().max(10), { description: 'y', env: 'SAME', default: 99 }),
      },
      subscriptions: {
        api: { description: 'a', events: [chunkPlannedV1], ...size },
        slow: { description: 's', events: [chunkPlannedV1], queue: { ...size.queue, visibilityTimeoutSeconds: 359 }, function: size.function },
        anyone: { description: 'x', events: [stageFailedV1], ...size },
        stranger: { description: 'x', events: [chunkPlannedV1], from: ['labeler'], ...size },
        nothing: { description: 'x', events: [], ...size },
        orphan: { description: 'x', objectCreated: { bucket: 'missing', jobOf: () => undefined }, ...size },
        capped: {
          description: 'x',
          events: [chunkPlannedV1],
          queue: { ...size.queue, maximumConcurrencySetting: 'containers' },
          function: size.function,
        },
        impatient: { description: 'x', events: [chunkPlannedV1], queue: { ...size.queue, oldestMessageAlarmSeconds: 30 }, function: size.function },
        misspelt: { description: 'x', events: [chunkPlannedV1], dataPattern: { lanes: ['express'] }, ...size },
        malformed: { description: 'x', events: [chunkPlannedV1], dataPattern: { lane: [] }, ...size },
      },
      http: { routes: ['FETCH /x', 'GET /y', 'GET /y'], function: { timeoutSeconds: 31, memorySizeMb: 256 } },
      websocket: { description: 'w', routes: ['$open'], function: { timeoutSeconds: 30, memorySizeMb: 256 } },
      schedules: {
        slow: { description: 's', everyMinutes: 5, function: { timeoutSeconds: 60, memorySizeMb: 256 } },
        often: { description: 'o', everyMinutes: 0.5, function: { timeoutSeconds: 1000, memorySizeMb: 256 } },
      },
    };
    const problems = (() => {
      try {
        defineService(bad);
        return '';
      } catch (error) {
        return (error as Error).message;
      }
    })();
    for (const expected of [
      'name "Bad_Name" must be lower-case words',
      'bucket "scratch" expires objects after 7 days: a redrive or replay may need them for 14 days (at least 15)',
      'settings "oneSetting" and "otherSetting" both use SAME',
      'setting "otherSetting": its default 99 does not fit its schema',
      'subscription "api": "api" is the name of the HTTP API\'s function',
      'subscription "slow": visibilityTimeoutSeconds 359 < 6 x function timeout 60',
      'subscription "anyone": stage.failed.v1 may come from any service; say which with "from"',
      'subscription "stranger": "labeler" produces none of chunk.planned.v1',
      'subscription "nothing" declares no event types',
      'subscription "orphan" listens to bucket "missing", which the service does not own',
      'subscription "capped": maximumConcurrencySetting names setting "containers", which is not declared',
      'subscription "impatient": oldestMessageAlarmSeconds must be an integer from 60 to 1209600, got 30',
      'subscription "misspelt": dataPattern names "lanes", which is not a field of chunk.planned.v1\'s data',
      'subscription "malformed": dataPattern.lane must list at least one value',
      'HTTP route "FETCH /x" must look like "GET /jobs/{id}"',
      'HTTP routes repeat',
      "the HTTP function's timeout is over API Gateway's 30 s",
      'WebSocket route "$open" must be $connect, $disconnect, $default or a name',
      "the WebSocket function's timeout is over API Gateway's 29 s",
      'schedule "slow": another function is named "slow"',
      'schedule "often": everyMinutes must be an integer from 1 to 1440, got 0.5',
      'schedule "often": function timeoutSeconds must be an integer from 1 to 900, got 1000',
    ]) {
      expect(problems).toContain(expected);
    }
  });
});

describe('settings', () => {
  const chunker = defineService({
    name: 'chunker',
    description: 'd',
    settings: {
      chunkWindow: setting(z.coerce.number().int().min(1), { description: 'window', default: 8 }),
      apiTokens: setting(z.string().min(8), { description: 'the tokens', env: 'REFINERY_API_TOKENS' }),
      optionalKey: setting(z.string().optional(), { description: 'a key' }),
    },
    subscriptions: {},
  });

  it("name their environment variables after themselves unless they say, and the service's resources theirs", () => {
    expect(settingEnvName('chunkWindow', chunker.settings.chunkWindow)).toBe('CHUNK_WINDOW');
    expect(settingEnvName('apiTokens', chunker.settings.apiTokens)).toBe('REFINERY_API_TOKENS');
    expect(bucketEnvName('mailchimpImports')).toBe('MAILCHIMP_IMPORTS_BUCKET');
    expect(tableEnvName('jobs')).toBe('JOBS_TABLE');
  });

  it('come from the environment, else their default; values given directly win', () => {
    expect(resolveSettings(chunker, { CHUNK_WINDOW: '3', REFINERY_API_TOKENS: 'acme:12345678' })).toEqual({
      settings: { chunkWindow: 3, apiTokens: 'acme:12345678', optionalKey: undefined },
      problems: [],
    });
    expect(resolveSettings(chunker, { REFINERY_API_TOKENS: 'acme:12345678' }).settings.chunkWindow).toBe(8);
    expect(resolveSettings(chunker, {}, { chunkWindow: 100, apiTokens: 'given-tokens' }).settings).toMatchObject({
      chunkWindow: 100,
      apiTokens: 'given-tokens',
    });
  });

  it('name every variable that is missing or malformed', () => {
    expect(resolveSettings(chunker, { CHUNK_WINDOW: '0' }).problems).toEqual([
      'CHUNK_WINDOW: Too small: expected number to be >=1',
      'REFINERY_API_TOKENS: required (the tokens)',
    ]);
  });

  it('have typed defaults', () => {
    const defaults: { readonly chunkWindow: number } = settingDefaults(chunker);
    expect(defaults).toEqual({ chunkWindow: 8 });
  });
});
