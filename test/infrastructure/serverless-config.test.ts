import { DEFAULT_PROVIDER_CHAIN } from '@refinery/providers';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseServiceManifest, type ServiceManifest } from '@refinery/runtime';
import { DEFAULT_CHUNKER_CONFIG } from '../../services/chunker/src/config';
import { DEFAULT_INGEST_CONFIG } from '../../services/ingest/src/config';
import { DEFAULT_MATCHER_CONFIG } from '../../services/matcher/src/config';
import { DEFAULT_NOTIFIER_CONFIG } from '../../services/notifier/src/config';
import { DEFAULT_MAILCHIMP_SYNC_CONFIG } from '../../services/mailchimp-sync/src/config';
import { requiredSettings } from './lambda-settings';

// Each service's serverless.yml must read its subscriptions and routes from its service.json (the file the local
// runtime uses) instead of copying them. These checks read the configuration files as written, before variable
// resolution: the references themselves are what is checked. (The resolved CloudFormation is checked once the
// Lambda handler files exist, with `serverless package`.)

// Serverless Framework's own reader: the YAML schema it deploys with (CloudFormation short tags such as !GetAtt).
const readServerlessConfiguration = require('serverless/lib/configuration/read') as (path: string) => Promise<unknown>;

const ROOT = join(__dirname, '..', '..');

type Json = Record<string, unknown>;

const isRecord = (value: unknown): value is Json => typeof value === 'object' && value !== null && !Array.isArray(value);

/** The value at a path of keys, failing with the path when anything on it is missing. */
function at(value: unknown, ...path: (string | number)[]): unknown {
  let current = value;
  for (const [index, key] of path.entries()) {
    const next = Array.isArray(current) ? current[key as number] : isRecord(current) ? current[key] : undefined;
    if (next === undefined) throw new Error(`missing ${path.slice(0, index + 1).join('.')}`);
    current = next;
  }
  return current;
}

function record(value: unknown, ...path: (string | number)[]): Json {
  const found = at(value, ...path);
  if (!isRecord(found)) throw new Error(`${path.join('.')} is not an object`);
  return found;
}

function list(value: unknown, ...path: (string | number)[]): unknown[] {
  const found = at(value, ...path);
  return Array.isArray(found) ? found : [found];
}

/** `${file(./service.json):<address>}` */
const manifestRef = (address: string): string => `\${file(./service.json):${address}}`;
const getAtt = (logicalId: string, attribute: string) => ({ 'Fn::GetAtt': [logicalId, attribute] });
const ref = (logicalId: string) => ({ Ref: logicalId });

/** The logical id in `{ 'Fn::GetAtt': [id, attribute] }`. */
function getAttId(value: unknown, attribute: string): string {
  const parts = at(value, 'Fn::GetAtt');
  if (!Array.isArray(parts) || parts[1] !== attribute || typeof parts[0] !== 'string') {
    throw new Error(`expected Fn::GetAtt [<id>, ${attribute}], got ${JSON.stringify(value)}`);
  }
  return parts[0];
}

async function loadConfiguration(relativePath: string): Promise<Json> {
  const configuration = await readServerlessConfiguration(join(ROOT, relativePath));
  if (!isRecord(configuration)) throw new Error(`${relativePath} is not a mapping`);
  return configuration;
}

function loadManifest(name: string): ServiceManifest {
  const path = `services/${name}/service.json`;
  return parseServiceManifest(JSON.parse(readFileSync(join(ROOT, path), 'utf8')), path);
}

/** Every string in a parsed configuration (keys excluded). */
function strings(value: unknown): string[] {
  if (typeof value === 'string') return [value];
  if (Array.isArray(value)) return value.flatMap(strings);
  return isRecord(value) ? Object.values(value).flatMap(strings) : [];
}

function resourcesOfType(configuration: Json, type: string): [string, Json][] {
  return Object.entries(record(configuration, 'resources', 'Resources'))
    .filter((entry): entry is [string, Json] => isRecord(entry[1]) && entry[1].Type === type);
}

/**
 * A rule's EventPattern must come from service.json: either the whole pattern by reference, or (where serverless.yml
 * has to add a restriction) an object that references every key of the manifest's pattern at the same address, plus
 * only the allowed additions.
 */
function expectPatternFromManifest(rulePattern: unknown, manifestPattern: unknown, address: string, additions: readonly string[], where = 'EventPattern'): void {
  if (rulePattern === manifestRef(address)) return;
  if (!isRecord(rulePattern) || !isRecord(manifestPattern)) {
    throw new Error(`${where} must be ${manifestRef(address)}, got ${JSON.stringify(rulePattern)}`);
  }
  for (const key of Object.keys(manifestPattern)) {
    if (!(key in rulePattern)) throw new Error(`${where} leaves out "${key}" of service.json's ${address}`);
    expectPatternFromManifest(rulePattern[key], manifestPattern[key], `${address}.${key}`, additions, `${where}.${key}`);
  }
  for (const key of Object.keys(rulePattern)) {
    if (!(key in manifestPattern) && !additions.includes(`${where}.${key}`)) {
      throw new Error(`${where}.${key} is not in service.json's ${address} and is not an allowed addition`);
    }
  }
}

interface OwnData {
  /** Bucket logical id -> object expiry in days (undefined: objects do not expire). */
  readonly buckets: Readonly<Record<string, number | undefined>>;
  readonly tables: readonly string[];
  /** Environment variable -> the logical id it names. */
  readonly environment: Readonly<Record<string, string>>;
  /** Other services' buckets this one reads by reference, as the params that name them. */
  readonly reads: readonly string[];
  /** Single objects it reads that no service owns (the operator's), as the params naming their bucket and key. */
  readonly objectReads?: readonly { readonly bucket: string; readonly key: string }[];
  /** Environment variable -> the param (without a default: compose passes it) that sets it. */
  readonly paramSettings?: Readonly<Record<string, string>>;
  /** Optional settings of src/lambda.ts: environment variable -> [param, the default of the code's config]. */
  readonly optionalSettings?: Readonly<Record<string, readonly [string, string]>>;
}

const SERVICES: Readonly<Record<string, OwnData>> = {
  ingest: {
    buckets: { UploadsBucket: undefined },
    tables: ['JobsTable'],
    environment: { UPLOADS_BUCKET: 'UploadsBucket', JOBS_TABLE: 'JobsTable' },
    reads: ['resultsBucket'],
    paramSettings: { REFINERY_API_TOKENS: 'apiTokens' },
    optionalSettings: {
      UPLOAD_URL_TTL_SECONDS: ['uploadUrlTtlSeconds', String(DEFAULT_INGEST_CONFIG.uploadUrlTtlSeconds)],
      RESULT_URL_TTL_SECONDS: ['resultUrlTtlSeconds', String(DEFAULT_INGEST_CONFIG.resultUrlTtlSeconds)],
      CONTACT_MATCH_DEADLINE_MS: ['contactMatchDeadlineMs', String(DEFAULT_INGEST_CONFIG.contactMatchDeadlineMs)],
      PROGRESS_INTERVAL_MS: ['progressIntervalMs', String(DEFAULT_INGEST_CONFIG.progressIntervalMs)],
    },
  },
  chunker: {
    buckets: {},
    tables: ['PlansTable'],
    environment: { PLANS_TABLE: 'PlansTable' },
    reads: ['uploadsBucket', 'mailchimpImportsBucket'],
    optionalSettings: {
      DEFAULT_CHUNK_ROWS: ['defaultChunkRows', String(DEFAULT_CHUNKER_CONFIG.defaultChunkRows)],
      MAX_CHUNK_BYTES: ['maxChunkBytes', String(DEFAULT_CHUNKER_CONFIG.maxChunkBytes)],
      CHUNK_WINDOW: ['chunkWindow', String(DEFAULT_CHUNKER_CONFIG.chunkWindow)],
    },
  },
  matcher: {
    buckets: { ChunksBucket: 7 },
    tables: ['NicknamesTable'],
    environment: { CHUNKS_BUCKET: 'ChunksBucket', NICKNAMES_TABLE: 'NicknamesTable' },
    reads: ['uploadsBucket', 'mailchimpImportsBucket'],
    objectReads: [{ bucket: 'directoryBucket', key: 'directoryKey' }],
    paramSettings: { DIRECTORY_BUCKET: 'directoryBucket', DIRECTORY_KEY: 'directoryKey' },
    optionalSettings: {
      DEFAULT_REGION: ['defaultRegion', DEFAULT_MATCHER_CONFIG.defaultRegion],
      LOOKUP_BATCH_SIZE: ['lookupBatchSize', String(DEFAULT_MATCHER_CONFIG.lookupBatchSize)],
      PROVIDERS: ['providers', JSON.stringify(DEFAULT_PROVIDER_CHAIN)],
      PDL_API_KEY: ['pdlApiKey', ''],
    },
  },
  labeler: { buckets: { ChunksBucket: 7 }, tables: [], environment: { CHUNKS_BUCKET: 'ChunksBucket' }, reads: ['matcherChunksBucket'] },
  merger: {
    buckets: { ResultsBucket: 30 },
    tables: ['LedgerTable'],
    environment: { RESULTS_BUCKET: 'ResultsBucket', LEDGER_TABLE: 'LedgerTable' },
    reads: ['labelerChunksBucket'],
  },
  notifier: {
    buckets: {},
    tables: ['SubscriptionsTable'],
    environment: { SUBSCRIPTIONS_TABLE: 'SubscriptionsTable' },
    reads: [],
    paramSettings: { REFINERY_API_TOKENS: 'apiTokens' },
    optionalSettings: {
      WEBHOOK_RETRY_DELAYS_MS: ['webhookRetryDelaysMs', DEFAULT_NOTIFIER_CONFIG.retryDelaysMs.join(',')],
      WEBHOOK_TIMEOUT_MS: ['webhookTimeoutMs', String(DEFAULT_NOTIFIER_CONFIG.deliveryTimeoutMs)],
    },
  },
  'mailchimp-sync': {
    buckets: { ImportsBucket: 30 },
    tables: ['StateTable', 'LimitsTable'],
    environment: { IMPORTS_BUCKET: 'ImportsBucket', STATE_TABLE: 'StateTable', LIMITS_TABLE: 'LimitsTable' },
    reads: ['resultsBucket'],
    paramSettings: { REFINERY_API_TOKENS: 'apiTokens', KEY_ENCRYPTION_KEY: 'keyEncryptionKey' },
    optionalSettings: {
      MAILCHIMP_BASE_URL: ['mailchimpBaseUrl', ''],
      MAILCHIMP_MAX_CONNECTIONS: ['mailchimpMaxConnections', String(DEFAULT_MAILCHIMP_SYNC_CONFIG.maxConnectionsPerKey)],
    },
  },
};

/** S3 publishes to the account's default bus, so a rule for S3 events sits there and pins the service's own bucket. */
const S3_RULE_ADDITIONS = ['EventPattern.detail.bucket'];

const DYNAMODB_ACTIONS = [
  'dynamodb:GetItem',
  'dynamodb:PutItem',
  'dynamodb:UpdateItem',
  'dynamodb:DeleteItem',
  'dynamodb:Query',
  'dynamodb:BatchGetItem',
  'dynamodb:BatchWriteItem',
  'dynamodb:ConditionCheckItem',
];

describe.each(Object.keys(SERVICES))('services/%s/serverless.yml', (name) => {
  const own = SERVICES[name] as OwnData;
  const manifest = loadManifest(name);
  const subscriptions = Object.entries(manifest.subscriptions);
  let configuration: Json;
  let resources: Json;

  beforeAll(async () => {
    configuration = await loadConfiguration(`services/${name}/serverless.yml`);
    resources = record(configuration, 'resources', 'Resources');
  });

  const functionOf = (key: string): Json => record(configuration, 'functions', key);
  const sqsEventOf = (key: string): Json => {
    const events = list(functionOf(key), 'events');
    expect(events).toHaveLength(1);
    return record(events[0], 'sqs');
  };
  const queueIdOf = (key: string): string => getAttId(sqsEventOf(key).arn, 'Arn');
  const deadLetterQueueIdOf = (key: string): string => getAttId(at(resources, queueIdOf(key), 'Properties', 'RedrivePolicy', 'deadLetterTargetArn'), 'Arn');
  const ruleIdOf = (key: string): string => {
    const queueArn = getAtt(queueIdOf(key), 'Arn');
    const rules = resourcesOfType(configuration, 'AWS::Events::Rule').filter(([, rule]) =>
      list(rule, 'Properties', 'Targets').some((target) => JSON.stringify(at(target, 'Arn')) === JSON.stringify(queueArn)),
    );
    expect(rules).toHaveLength(1);
    return (rules[0] as [string, Json])[0];
  };

  test('is refinery-<name> on Node.js 22 (arm64), bundled by serverless-esbuild', () => {
    expect(configuration.service).toBe(`refinery-${manifest.service}`);
    expect(configuration.frameworkVersion).toBe('3');
    expect(configuration.plugins).toContain('serverless-esbuild');
    const provider = record(configuration, 'provider');
    expect(provider).toMatchObject({
      name: 'aws',
      runtime: 'nodejs22.x',
      architecture: 'arm64',
      stage: "${opt:stage, 'dev'}",
      region: "${opt:region, 'us-east-1'}",
    });
    expect(record(configuration, 'custom', 'esbuild')).toMatchObject({ bundle: true, minify: false, sourcemap: true, target: 'node22', platform: 'node' });
  });

  test('gives every function its service, bus, log level, source maps and own resource names', () => {
    const environment = record(configuration, 'provider', 'environment');
    expect(environment).toMatchObject({
      SERVICE_NAME: manifestRef('service'),
      EVENT_BUS_NAME: '${param:eventBusName}',
      LOG_LEVEL: '${param:logLevel}',
      NODE_OPTIONS: '--enable-source-maps',
    });
    for (const [variable, logicalId] of Object.entries(own.environment)) {
      expect(environment[variable]).toEqual(ref(logicalId));
    }
    for (const [variable, param] of Object.entries(own.paramSettings ?? {})) {
      expect({ variable, value: environment[variable] }).toEqual({ variable, value: `\${param:${param}}` });
    }
  });

  test('sets, for every function, every setting its src/lambda.ts requires', async () => {
    // Asked of the entry point itself: what it reports missing when built with an empty environment.
    const required = await requiredSettings(name);
    expect(required).toContain('EVENT_BUS_NAME');
    const provided = record(configuration, 'provider', 'environment');
    for (const [functionName, definition] of Object.entries(record(configuration, 'functions'))) {
      const own = isRecord(definition) && isRecord(definition.environment) ? definition.environment : {};
      const missing = required.filter((setting) => !(setting in provided) && !(setting in own));
      expect({ functionName, missing }).toEqual({ functionName, missing: [] });
    }
  });

  test("sets each optional setting of src/lambda.ts from a param that defaults to the code's default", () => {
    const environment = record(configuration, 'provider', 'environment');
    const defaults = record(configuration, 'params', 'default');
    expect(defaults.logLevel).toBe('info');
    for (const [variable, [param, codeDefault]] of Object.entries(own.optionalSettings ?? {})) {
      expect({ variable, value: environment[variable] }).toEqual({ variable, value: `\${param:${param}}` });
      expect({ param, default: defaults[param] }).toEqual({ param, default: codeDefault });
    }
  });

  test('has one function per subscription of service.json (plus `api` for its HTTP routes, `socket` for its WebSocket routes), sized by it', () => {
    const expected = [...subscriptions.map(([key]) => key), ...(manifest.http ? ['api'] : []), ...(manifest.websocket ? ['socket'] : [])].sort();
    expect(Object.keys(record(configuration, 'functions')).sort()).toEqual(expected);
    for (const [key] of subscriptions) {
      expect(functionOf(key)).toMatchObject({
        handler: `src/lambda.${key}`,
        timeout: manifestRef(`subscriptions.${key}.function.timeoutSeconds`),
        memorySize: manifestRef(`subscriptions.${key}.function.memorySizeMb`),
      });
    }
    if (manifest.http) {
      expect(functionOf('api')).toMatchObject({
        handler: 'src/lambda.api',
        timeout: manifestRef('http.function.timeoutSeconds'),
        memorySize: manifestRef('http.function.memorySizeMb'),
      });
    }
    if (manifest.websocket) {
      expect(functionOf('socket')).toMatchObject({
        handler: 'src/lambda.socket',
        timeout: manifestRef('websocket.function.timeoutSeconds'),
        memorySize: manifestRef('websocket.function.memorySizeMb'),
      });
    }
  });

  test('feeds each function from its own queue, with partial batch failures and the batching of service.json', () => {
    for (const [key] of subscriptions) {
      expect(sqsEventOf(key)).toEqual({
        arn: getAtt(queueIdOf(key), 'Arn'),
        batchSize: manifestRef(`subscriptions.${key}.queue.batchSize`),
        maximumBatchingWindow: manifestRef(`subscriptions.${key}.queue.maximumBatchingWindowSeconds`),
        functionResponseType: 'ReportBatchItemFailures',
      });
    }
    const queueIds = subscriptions.map(([key]) => queueIdOf(key));
    expect(new Set(queueIds).size).toBe(queueIds.length);
  });

  test('gives each queue the visibility timeout and redrive of service.json, and a 14-day dead-letter queue', () => {
    for (const [key] of subscriptions) {
      const queue = record(resources, queueIdOf(key));
      expect(queue.Type).toBe('AWS::SQS::Queue');
      expect(queue.Properties).toMatchObject({
        VisibilityTimeout: manifestRef(`subscriptions.${key}.queue.visibilityTimeoutSeconds`),
        SqsManagedSseEnabled: true,
        RedrivePolicy: { maxReceiveCount: manifestRef(`subscriptions.${key}.queue.maxReceiveCount`) },
      });
      const deadLetterQueue = record(resources, deadLetterQueueIdOf(key));
      expect(deadLetterQueue.Type).toBe('AWS::SQS::Queue');
      expect(deadLetterQueue.Properties).toMatchObject({ MessageRetentionPeriod: 14 * 24 * 3600, SqsManagedSseEnabled: true });
    }
  });

  test("routes events to each queue by a rule whose pattern is service.json's", () => {
    for (const [key, subscription] of subscriptions) {
      const rule = record(resources, ruleIdOf(key), 'Properties');
      const fromS3 = JSON.stringify(subscription.pattern.source) === JSON.stringify(['aws.s3']);
      if (fromS3) {
        expect(rule.EventBusName).toBe('default');
        expectPatternFromManifest(rule.EventPattern, subscription.pattern, `subscriptions.${key}.pattern`, S3_RULE_ADDITIONS);
        const bucketNames = list(rule, 'EventPattern', 'detail', 'bucket', 'name');
        expect(bucketNames).toHaveLength(1);
        expect(Object.keys(own.buckets).map(ref)).toContainEqual(bucketNames[0]);
      } else {
        expect(rule.EventBusName).toBe('${param:eventBusName}');
        expect(rule.EventPattern).toBe(manifestRef(`subscriptions.${key}.pattern`));
      }
    }
  });

  test('lets only its rule send to each queue', () => {
    for (const [key] of subscriptions) {
      const queueId = queueIdOf(key);
      const policies = resourcesOfType(configuration, 'AWS::SQS::QueuePolicy').filter(([, policy]) =>
        list(policy, 'Properties', 'Queues').some((queue) => JSON.stringify(queue) === JSON.stringify(ref(queueId))),
      );
      expect(policies).toHaveLength(1);
      const [, policy] = policies[0] as [string, Json];
      expect(list(policy, 'Properties', 'Queues')).toHaveLength(1);
      const statements = list(policy, 'Properties', 'PolicyDocument', 'Statement');
      expect(statements).toHaveLength(1);
      expect(statements[0]).toMatchObject({
        Effect: 'Allow',
        Principal: { Service: 'events.amazonaws.com' },
        Action: 'sqs:SendMessage',
        Resource: getAtt(queueId, 'Arn'),
        Condition: { ArnEquals: { 'aws:SourceArn': getAtt(ruleIdOf(key), 'Arn') } },
      });
    }
  });

  test('alarms as soon as a dead-letter queue holds a message', () => {
    for (const [key] of subscriptions) {
      const dimension = { Name: 'QueueName', Value: getAtt(deadLetterQueueIdOf(key), 'QueueName') };
      const alarms = resourcesOfType(configuration, 'AWS::CloudWatch::Alarm').filter(([, alarm]) =>
        list(alarm, 'Properties', 'Dimensions').some((item) => JSON.stringify(item) === JSON.stringify(dimension)),
      );
      expect(alarms).toHaveLength(1);
      expect((alarms[0] as [string, Json])[1].Properties).toMatchObject({
        Namespace: 'AWS/SQS',
        MetricName: 'ApproximateNumberOfMessagesVisible',
        Threshold: 0,
        ComparisonOperator: 'GreaterThanThreshold',
      });
    }
  });

  test(manifest.http ? "serves exactly service.json's HTTP routes" : 'serves no HTTP routes (service.json has none)', () => {
    const routes = Object.entries(record(configuration, 'functions')).flatMap(([functionName, definition]) =>
      (isRecord(definition) && Array.isArray(definition.events) ? definition.events : [])
        .filter((event): event is Json => isRecord(event) && 'httpApi' in event)
        .map((event) => ({ functionName, route: event.httpApi })),
    );
    if (!manifest.http) {
      expect(routes).toEqual([]);
      return;
    }
    const declared = manifest.http.routes;
    const served = routes.map(({ functionName, route }) => {
      expect(functionName).toBe('api');
      // Either a reference to one entry of http.routes or the route itself.
      const index = typeof route === 'string' ? /^\$\{file\(\.\/service\.json\):http\.routes\.(\d+)\}$/.exec(route) : null;
      return index ? declared[Number(index[1])] : route;
    });
    expect(served).toHaveLength(declared.length);
    expect([...served].sort()).toEqual([...declared].sort());
    expect(record(configuration, 'provider', 'httpApi')).toMatchObject({ cors: true, payload: '2.0' });
    // Every function of src/lambda.ts checks the tokens at cold start, so they are set provider-wide.
    expect(record(configuration, 'provider', 'environment')).toMatchObject({ REFINERY_API_TOKENS: '${param:apiTokens}' });
  });

  test(
    manifest.websocket
      ? "serves exactly service.json's WebSocket routes on its socket function, and may post to its own API's connections only"
      : 'serves no WebSocket API (service.json has no websocket section)',
    () => {
      const routes = Object.entries(record(configuration, 'functions')).flatMap(([functionName, definition]) =>
        (isRecord(definition) && Array.isArray(definition.events) ? definition.events : [])
          .filter((event): event is Json => isRecord(event) && 'websocket' in event)
          .map((event) => ({ functionName, route: event.websocket })),
      );
      const environment = record(configuration, 'provider', 'environment');
      const grants = list(configuration, 'provider', 'iam', 'role', 'statements').filter((statement) =>
        list(statement, 'Action').some((action) => String(action).startsWith('execute-api:')),
      );
      if (!manifest.websocket) {
        expect(routes).toEqual([]);
        expect(environment).not.toHaveProperty('WEBSOCKET_ENDPOINT');
        expect(grants).toEqual([]);
        return;
      }
      const declared = manifest.websocket.routes;
      const served = routes.map(({ functionName, route }) => {
        expect(functionName).toBe('socket');
        const index = typeof route === 'string' ? /^\$\{file\(\.\/service\.json\):websocket\.routes\.(\d+)\}$/.exec(route) : null;
        if (!index) throw new Error(`websocket event ${JSON.stringify(route)} must be \${file(./service.json):websocket.routes.<index>}`);
        return declared[Number(index[1])];
      });
      expect([...served].sort()).toEqual([...declared].sort());
      // Route selection by the JSON `action` of each message (the local gateway does the same).
      expect(record(configuration, 'provider').websocketsApiRouteSelectionExpression).toBe('$request.body.action');
      // The Management API of its own API (the framework's WebsocketsApi) and stage.
      expect(environment.WEBSOCKET_ENDPOINT).toEqual({ 'Fn::Sub': 'https://${WebsocketsApi}.execute-api.${AWS::Region}.amazonaws.com/${sls:stage}' });
      expect(grants).toEqual([
        expect.objectContaining({
          Effect: 'Allow',
          Action: 'execute-api:ManageConnections',
          Resource: { 'Fn::Sub': 'arn:${AWS::Partition}:execute-api:${AWS::Region}:${AWS::AccountId}:${WebsocketsApi}/${sls:stage}/POST/@connections/*' },
        }),
      ]);
      // The framework's own grant on every WebSocket API is removed by the service's plugin.
      expect(configuration.plugins).toContain('./serverless-socket-grant.js');
      expect(at(configuration, 'resources', 'Outputs', 'WebSocketUrl', 'Value')).toEqual({
        'Fn::Sub': 'wss://${WebsocketsApi}.execute-api.${AWS::Region}.amazonaws.com/${sls:stage}',
      });
    },
  );

  test('keeps its buckets private, encrypted, TLS-only and, where they are scratch space, expiring', () => {
    const buckets = resourcesOfType(configuration, 'AWS::S3::Bucket');
    expect(buckets.map(([id]) => id).sort()).toEqual(Object.keys(own.buckets).sort());
    for (const [id, bucket] of buckets) {
      const properties = record(bucket, 'Properties');
      expect(JSON.stringify(properties.BucketName)).toContain(`refinery-${name}-\${sls:stage}-`);
      expect(list(properties, 'BucketEncryption', 'ServerSideEncryptionConfiguration')[0]).toMatchObject({
        ServerSideEncryptionByDefault: { SSEAlgorithm: expect.stringMatching(/^(AES256|aws:kms)$/) },
      });
      expect(properties.PublicAccessBlockConfiguration).toEqual({
        BlockPublicAcls: true,
        BlockPublicPolicy: true,
        IgnorePublicAcls: true,
        RestrictPublicBuckets: true,
      });
      expect(properties.OwnershipControls).toEqual({ Rules: [{ ObjectOwnership: 'BucketOwnerEnforced' }] });
      const expiry = own.buckets[id];
      const expirations = (isRecord(properties.LifecycleConfiguration) ? list(properties.LifecycleConfiguration, 'Rules') : [])
        .filter((rule): rule is Json => isRecord(rule) && rule.ExpirationInDays !== undefined)
        .map((rule) => rule.ExpirationInDays);
      expect(expirations).toEqual(expiry === undefined ? [] : [expiry]);

      const policies = resourcesOfType(configuration, 'AWS::S3::BucketPolicy').filter(
        ([, policy]) => JSON.stringify(at(policy, 'Properties', 'Bucket')) === JSON.stringify(ref(id)),
      );
      expect(policies).toHaveLength(1);
      expect(list(policies[0]?.[1], 'Properties', 'PolicyDocument', 'Statement')).toContainEqual(
        expect.objectContaining({ Effect: 'Deny', Principal: '*', Condition: { Bool: { 'aws:SecureTransport': 'false' } } }),
      );
    }
    if (name === 'ingest') {
      // Uploads start jobs through S3's EventBridge notifications.
      expect(at(resources, 'UploadsBucket', 'Properties', 'NotificationConfiguration')).toEqual({ EventBridgeConfiguration: { EventBridgeEnabled: true } });
    }
  });

  test('keeps its tables on demand, keyed pk/sk, recoverable and encrypted', () => {
    const tables = resourcesOfType(configuration, 'AWS::DynamoDB::Table');
    expect(tables.map(([id]) => id).sort()).toEqual([...own.tables].sort());
    for (const [, table] of tables) {
      const properties = record(table, 'Properties');
      expect(String(properties.TableName)).toMatch(new RegExp(`^refinery-${name}-\\$\\{sls:stage\\}-`));
      expect(properties).toMatchObject({
        BillingMode: 'PAY_PER_REQUEST',
        KeySchema: [
          { AttributeName: 'pk', KeyType: 'HASH' },
          { AttributeName: 'sk', KeyType: 'RANGE' },
        ],
        PointInTimeRecoverySpecification: { PointInTimeRecoveryEnabled: true },
        SSESpecification: { SSEEnabled: true },
      });
      expect(list(properties, 'AttributeDefinitions')).toEqual(
        expect.arrayContaining([
          { AttributeName: 'pk', AttributeType: 'S' },
          { AttributeName: 'sk', AttributeType: 'S' },
        ]),
      );
    }
  });

  test('grants no wildcard action or resource, and only what it needs on what it owns', () => {
    expect(at(configuration, 'provider')).not.toHaveProperty('iamRoleStatements');
    const statements = list(configuration, 'provider', 'iam', 'role', 'statements').map((statement) => {
      if (!isRecord(statement)) throw new Error('an IAM statement is not a mapping');
      return statement;
    });
    for (const statement of statements) {
      expect(statement.Effect).toBe('Allow');
      expect(statement).not.toHaveProperty('NotAction');
      expect(statement).not.toHaveProperty('NotResource');
      const actions = list(statement, 'Action');
      for (const action of actions) {
        expect(typeof action).toBe('string');
        expect(String(action)).not.toContain('*');
      }
      for (const resource of list(statement, 'Resource')) {
        expect(resource).not.toBe('*');
        expect(JSON.stringify(resource)).not.toMatch(/"(arn:[^"]*:)?\*"/);
      }
    }

    const resourcesOf = (statement: Json) => list(statement, 'Resource').map((resource) => JSON.stringify(resource));
    const actionsOf = (statement: Json) => list(statement, 'Action').map(String).sort();

    // Publishing: the project bus only.
    const publishing = statements.filter((statement) => actionsOf(statement).includes('events:PutEvents'));
    expect(publishing).toHaveLength(1);
    expect(actionsOf(publishing[0] as Json)).toEqual(['events:PutEvents']);
    expect(list(publishing[0], 'Resource')).toEqual(['${param:eventBusArn}']);

    // Other services' buckets: GetObject only, on the objects of the buckets named by params.
    for (const statement of statements.filter((s) => resourcesOf(s).some((r) => r.includes('${param:') && r.includes(':s3:::')))) {
      expect(actionsOf(statement)).toEqual(['s3:GetObject']);
    }
    const readParams = statements.flatMap(resourcesOf).flatMap((resource) => [...resource.matchAll(/:s3:::\$\{param:(\w+)\}\/\*/g)].map((m) => m[1]));
    expect(readParams.sort()).toEqual([...own.reads].sort());
    // Single objects named by params: GetObject on that one object, nothing more.
    const objectReads = statements
      .flatMap(resourcesOf)
      .flatMap((resource) => [...resource.matchAll(/:s3:::\$\{param:(\w+)\}\/\$\{param:(\w+)\}/g)].map((m) => ({ bucket: m[1], key: m[2] })));
    expect(objectReads).toEqual([...(own.objectReads ?? [])]);
    for (const { bucket, key } of own.objectReads ?? []) {
      const objectArn = JSON.stringify({ 'Fn::Sub': `arn:\${AWS::Partition}:s3:::\${param:${bucket}}/\${param:${key}}` });
      const granting = statements.filter((statement) => resourcesOf(statement).includes(objectArn));
      expect(granting).toHaveLength(1);
      expect(list(granting[0], 'Resource')).toHaveLength(1);
      expect(actionsOf(granting[0] as Json)).toEqual(['s3:GetObject']);
    }
    // Every param-named S3 resource is one of the above.
    const paramS3Resources = statements.flatMap(resourcesOf).filter((resource) => resource.includes(':s3:::${param:'));
    expect(paramS3Resources).toHaveLength(own.reads.length + (own.objectReads ?? []).length);

    // Own buckets and tables: object actions on each own bucket's objects, item actions on each own table.
    for (const bucketId of Object.keys(own.buckets)) {
      const objects = JSON.stringify({ 'Fn::Sub': `\${${bucketId}.Arn}/*` });
      const onObjects = statements.filter((statement) => resourcesOf(statement).includes(objects));
      expect(onObjects.flatMap(actionsOf).sort()).toEqual(['s3:AbortMultipartUpload', 's3:DeleteObject', 's3:GetObject', 's3:PutObject']);
    }
    for (const tableId of own.tables) {
      const onTable = statements.filter((statement) => resourcesOf(statement).includes(JSON.stringify(getAtt(tableId, 'Arn'))));
      expect(onTable.flatMap(actionsOf).sort()).toEqual([...DYNAMODB_ACTIONS].sort());
    }
    const dynamodbStatements = statements.filter((statement) => actionsOf(statement).some((action) => action.startsWith('dynamodb:')));
    for (const statement of dynamodbStatements) {
      expect(resourcesOf(statement).every((resource) => own.tables.some((id) => resource === JSON.stringify(getAtt(id, 'Arn'))))).toBe(true);
    }
  });
});

describe('services/platform/serverless.yml', () => {
  let platform: Json;

  beforeAll(async () => {
    platform = await loadConfiguration('services/platform/serverless.yml');
  });

  test('owns the project bus and a 30-day archive of it', () => {
    expect(platform.service).toBe('refinery-platform');
    expect(platform.frameworkVersion).toBe('3');
    expect(platform).not.toHaveProperty('functions');
    const resources = record(platform, 'resources', 'Resources');
    const [[busId, bus]] = resourcesOfType(platform, 'AWS::Events::EventBus') as [[string, Json]];
    expect(at(bus, 'Properties', 'Name')).toBe('refinery-${sls:stage}');
    const archives = resourcesOfType(platform, 'AWS::Events::Archive');
    expect(archives).toHaveLength(1);
    expect(at(archives[0]?.[1], 'Properties')).toMatchObject({ SourceArn: getAtt(busId, 'Arn'), RetentionDays: 30 });
    expect(Object.keys(resources)).toHaveLength(2);
  });

  test('exports the bus name and ARN', () => {
    const outputs = record(platform, 'resources', 'Outputs');
    expect(at(outputs, 'EventBusName', 'Export', 'Name')).toBe('refinery-${sls:stage}-EventBusName');
    expect(at(outputs, 'EventBusArn', 'Export', 'Name')).toBe('refinery-${sls:stage}-EventBusArn');
    expect(at(outputs, 'EventBusArn', 'Value')).toEqual(getAtt('EventBus', 'Arn'));
  });
});

describe('serverless-compose.yml', () => {
  const names = ['platform', ...Object.keys(SERVICES)];
  const configurations = new Map<string, Json>();
  let composed: Json;

  beforeAll(async () => {
    composed = await loadConfiguration('serverless-compose.yml');
    for (const name of names) configurations.set(name, await loadConfiguration(`services/${name}/serverless.yml`));
  });

  const composeParams = (name: string): Json => {
    const service = record(composed, 'services', name);
    return isRecord(service.params) ? service.params : {};
  };

  test('composes the platform and every service from its folder', () => {
    const services = record(composed, 'services');
    expect(Object.keys(services).sort()).toEqual([...names].sort());
    for (const name of names) expect(at(services, name, 'path')).toBe(`services/${name}`);
  });

  test('gives each service exactly the params it uses and does not default', () => {
    for (const name of names) {
      const configuration = configurations.get(name) as Json;
      const used = new Set(strings(configuration).flatMap((text) => [...text.matchAll(/\$\{param:(\w+)/g)].map((match) => match[1] as string)));
      const defaults = isRecord(configuration.params) && isRecord(configuration.params.default) ? Object.keys(configuration.params.default) : [];
      const needed = [...used].filter((param) => !defaults.includes(param)).sort();
      expect({ service: name, params: Object.keys(composeParams(name)).sort() }).toEqual({ service: name, params: needed });
    }
  });

  test('wires params to outputs that exist, without cycles', () => {
    const dependencies = new Map<string, Set<string>>();
    for (const name of names) {
      const needs = new Set<string>();
      for (const value of Object.values(composeParams(name))) {
        for (const [, source, output] of String(value).matchAll(/\$\{([\w-]+)\.(\w+)\}/g)) {
          expect(names).toContain(source);
          expect(record(configurations.get(source as string), 'resources', 'Outputs')).toHaveProperty(output as string);
          needs.add(source as string);
        }
      }
      dependencies.set(name, needs);
    }
    const done = new Set<string>();
    while (done.size < names.length) {
      const ready = names.filter((name) => !done.has(name) && [...(dependencies.get(name) ?? [])].every((need) => done.has(need)));
      expect(ready).not.toEqual([]); // a cycle otherwise
      for (const name of ready) done.add(name);
    }
  });

  test("derives ingest's results bucket exactly as the merger names it (compose cannot pass it: a cycle)", () => {
    const derived = at(configurations.get('ingest'), 'params', 'default', 'resultsBucket');
    const named = at(configurations.get('merger'), 'resources', 'Resources', 'ResultsBucket', 'Properties', 'BucketName', 'Fn::Sub');
    expect(derived).toBe(named);
    expect(composeParams('ingest')).not.toHaveProperty('resultsBucket');
  });
});

describe('docs/deploy.md', () => {
  const names = ['platform', ...Object.keys(SERVICES)];
  const deployDoc = readFileSync(join(ROOT, 'docs', 'deploy.md'), 'utf8');
  const mentioned = (word: string) => deployDoc.includes(`\`${word}\``);

  test("names every environment variable serverless-compose.yml reads and every service's params", async () => {
    const composeText = readFileSync(join(ROOT, 'serverless-compose.yml'), 'utf8');
    const variables = [...composeText.matchAll(/\$\{env:(\w+)\}/g)].map((match) => match[1] as string);
    expect(variables.length).toBeGreaterThan(0);
    const params = new Set<string>();
    for (const name of names) {
      const configuration = await loadConfiguration(`services/${name}/serverless.yml`);
      for (const text of strings(configuration)) for (const match of text.matchAll(/\$\{param:(\w+)/g)) params.add(match[1] as string);
      if (isRecord(configuration.params) && isRecord(configuration.params.default)) for (const param of Object.keys(configuration.params.default)) params.add(param);
    }
    const missing = [...new Set([...variables, ...params])].filter((word) => !mentioned(word));
    expect(missing).toEqual([]);
  });

  test('explains every setting of every src/lambda.ts', async () => {
    const missing: string[] = [];
    for (const [name, own] of Object.entries(SERVICES)) {
      const settings = [...(await requiredSettings(name)), ...Object.keys(own.optionalSettings ?? {}), 'LOG_LEVEL'];
      missing.push(...settings.filter((setting) => !mentioned(setting)).map((setting) => `${name}: ${setting}`));
    }
    expect(missing).toEqual([]);
  });

  test('shows how to seed the nickname table and inspect and redrive dead-letter queues on AWS', () => {
    expect(deployDoc).toContain('npm run seed:nicknames -- --table');
    for (const command of ['list', 'show', 'redrive']) expect(deployDoc).toMatch(new RegExp(`refinery dlq ${command} .*--aws --stage`));
  });
});
