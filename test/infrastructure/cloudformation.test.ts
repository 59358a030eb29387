import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, dirname, join } from 'node:path';
import { isDeepStrictEqual } from 'node:util';
import { ZipArchive } from '@refinery/aws-emulator';
import { METRIC_NAMESPACE, METRICS } from '@refinery/ports';
import {
  type Schedule,
  type ServiceDeclaration,
  type SettingDeclaration,
  type Subscription,
  settingEnvName,
  subscriptionPattern,
} from '@refinery/runtime';
import { settingProblems } from './lambda-settings';
import { declarationOf } from './services';

// What CloudFormation would be asked to create, read from the templates `serverless package` resolved (every
// ${param:...} and ${sls:...} replaced), and the Lambda packages beside them, checked against each service's
// declaration. serverless-config.test.ts checks the generated configuration; this checks what it becomes.
// scripts/package-services.sh writes these files (stage `ci`, through Serverless Compose, with stub outputs and
// environment): `npm test` runs it before Jest.

const ROOT = join(__dirname, '..', '..');
const STAGE = 'ci';
const PACKAGE_COMMAND = 'bash scripts/package-services.sh';
const SERVICES = ['ingest', 'chunker', 'matcher', 'labeler', 'merger', 'notifier', 'mailchimp-sync'] as const;
type ServiceName = (typeof SERVICES)[number];

type Json = Record<string, unknown>;
interface Resource {
  readonly Type: string;
  readonly Properties?: Json;
  readonly DeletionPolicy?: string;
}
interface Template {
  readonly Resources: Readonly<Record<string, Resource>>;
  readonly Outputs?: Json;
}
interface ComposeState {
  readonly components: Readonly<Record<string, { readonly outputs: Readonly<Record<string, string>> }>>;
}

const isRecord = (value: unknown): value is Json => typeof value === 'object' && value !== null && !Array.isArray(value);
const asList = (value: unknown): unknown[] => (value === undefined ? [] : Array.isArray(value) ? value : [value]);
const getAtt = (logicalId: string, attribute: string) => ({ 'Fn::GetAtt': [logicalId, attribute] });
const ref = (logicalId: string) => ({ Ref: logicalId });
const sub = (text: string) => ({ 'Fn::Sub': text });
const show = (value: unknown) => JSON.stringify(value);

/** A generated file, or a failure that says how to generate it. */
function packagedFile(relativePath: string, sources: readonly string[] = []): string {
  const path = join(ROOT, relativePath);
  if (!existsSync(path)) {
    throw new Error(`${relativePath} is missing: run \`${PACKAGE_COMMAND}\` first (it packages every service offline; CI runs it before npm test)`);
  }
  const builtAt = statSync(path).mtimeMs;
  for (const source of sources) {
    const sourcePath = join(ROOT, source);
    if (existsSync(sourcePath) && statSync(sourcePath).mtimeMs > builtAt) {
      throw new Error(`${relativePath} is older than ${source}: run \`${PACKAGE_COMMAND}\` again`);
    }
  }
  return path;
}

function loadTemplate(service: string): Template {
  const path = packagedFile(`services/${service}/.serverless/cloudformation-template-update-stack.json`, [
    `services/${service}/serverless.yml`,
    `services/${service}/serverless.js`,
    `services/${service}/src/definition.ts`,
    'libs/serverless-config/src/serverless-configuration.ts',
    'libs/serverless-config/src/observability.ts',
    'serverless-compose.yml',
  ]);
  return JSON.parse(readFileSync(path, 'utf8')) as Template;
}

function loadComposeState(): ComposeState {
  return JSON.parse(readFileSync(packagedFile(`.serverless/state.${STAGE}.json`), 'utf8')) as ComposeState;
}

function outputOf(state: ComposeState, service: string, output: string): string {
  const value = state.components[service]?.outputs?.[output];
  if (typeof value !== 'string') throw new Error(`.serverless/state.${STAGE}.json has no output ${service}.${output}`);
  return value;
}

function ofType(template: Template, type: string): [string, Resource][] {
  return Object.entries(template.Resources).filter(([, resource]) => resource.Type === type);
}

function propertiesOf(template: Template, logicalId: string, type?: string): Json {
  const resource = template.Resources[logicalId];
  if (!resource) throw new Error(`no resource ${logicalId}`);
  if (type && resource.Type !== type) throw new Error(`${logicalId} is a ${resource.Type}, not a ${type}`);
  return resource.Properties ?? {};
}

/** The logical id in `{ 'Fn::GetAtt': [id, attribute] }`, or undefined. */
function getAttId(value: unknown, attribute = 'Arn'): string | undefined {
  if (!isRecord(value) || !Array.isArray(value['Fn::GetAtt'])) return undefined;
  const [id, found] = value['Fn::GetAtt'] as unknown[];
  return found === attribute && typeof id === 'string' ? id : undefined;
}

/** The single resource of a type that satisfies a condition, failing with what was found otherwise. */
function single(template: Template, type: string, what: string, matches: (properties: Json) => boolean): [string, Json] {
  const found = ofType(template, type).filter(([, resource]) => matches(resource.Properties ?? {}));
  if (found.length !== 1) throw new Error(`expected one ${type} ${what}, found ${found.length} (${found.map(([id]) => id).join(', ')})`);
  const [id, resource] = found[0] as [string, Resource];
  return [id, resource.Properties ?? {}];
}

const kebab = (text: string) => text.replace(/([a-z0-9])([A-Z])/g, '$1-$2').toLowerCase();

/** What CloudFormation would make of a Fn::Sub in stage `ci` of account 123456789012: own resources as stub ids. */
function substitute(template: Template, text: string): string {
  const pseudo: Readonly<Record<string, string>> = { 'AWS::Region': 'us-east-1', 'AWS::AccountId': '123456789012', 'AWS::Partition': 'aws' };
  return text.replace(/\$\{([\w:.]+)\}/g, (whole, name: string) => {
    if (pseudo[name]) return pseudo[name];
    if (template.Resources[name]) return kebab(name).replace(/-/g, '');
    throw new Error(`cannot resolve ${whole} in ${text}`);
  });
}

/** The redrive window: what a dead-letter queue keeps, what the archive keeps (libs/runtime REDRIVE_WINDOW_DAYS). */
const REDRIVE_WINDOW_DAYS = 14;
const DLQ_RETENTION_SECONDS = REDRIVE_WINDOW_DAYS * 24 * 3600;
const SQS_DEFAULT_RETENTION_SECONDS = 4 * 24 * 3600;
const LOG_RETENTION_DAYS = 30;
/** How long jobs' data is kept (libs/runtime DEFAULT_RETENTION_DAYS): every per-job object and item is gone by then. */
const RETENTION_DAYS = 30;

interface OwnResources {
  /** Bucket logical id -> object expiry in days (undefined: objects are kept). */
  readonly buckets: Readonly<Record<string, number | undefined>>;
  readonly tables: readonly string[];
  /**
   * The documented cross-service grants: s3:GetObject on objects of buckets other services (or the operator) own,
   * read by the reference an event carries. As the resolved Fn::Sub strings.
   */
  readonly reads: (context: { state: ComposeState; templateOf: (service: string) => Template; environment: Json }) => string[];
}

const objectsOf = (bucket: string) => `arn:\${AWS::Partition}:s3:::${bucket}/*`;

const OWN: Readonly<Record<ServiceName, OwnResources>> = {
  ingest: {
    buckets: { UploadsBucket: RETENTION_DAYS },
    tables: ['JobsTable'],
    // The merger's results bucket, by the merger's own naming (compose cannot pass it: a cycle).
    reads: ({ templateOf }) => [objectsOf(mergerResultsBucketName(templateOf))],
  },
  // Job inputs: uploads, and the audience files mailchimp-sync writes for its jobs.
  chunker: {
    buckets: {},
    tables: ['PlansTable'],
    reads: ({ state }) => [
      objectsOf(outputOf(state, 'ingest', 'UploadsBucketName')),
      objectsOf(outputOf(state, 'mailchimp-sync', 'ImportsBucketName')),
    ],
  },
  matcher: {
    buckets: { ChunksBucket: REDRIVE_WINDOW_DAYS + 1 },
    tables: ['NicknamesTable', 'ProviderLimitsTable'],
    // Job inputs, and the one directory object the operator names.
    reads: ({ state, environment }) => [
      objectsOf(outputOf(state, 'ingest', 'UploadsBucketName')),
      objectsOf(outputOf(state, 'mailchimp-sync', 'ImportsBucketName')),
      `arn:\${AWS::Partition}:s3:::${String(environment.DIRECTORY_BUCKET)}/${String(environment.DIRECTORY_KEY)}`,
    ],
  },
  labeler: {
    buckets: { ChunksBucket: REDRIVE_WINDOW_DAYS + 1 },
    tables: [],
    reads: ({ state }) => [objectsOf(outputOf(state, 'matcher', 'ChunksBucketName'))],
  },
  merger: {
    buckets: { ResultsBucket: RETENTION_DAYS },
    tables: ['LedgerTable'],
    // The labeled chunks it merges, and the matcher's job models it keeps beside a review queue.
    reads: ({ state }) => [objectsOf(outputOf(state, 'labeler', 'ChunksBucketName')), objectsOf(outputOf(state, 'matcher', 'ChunksBucketName'))],
  },
  notifier: { buckets: {}, tables: ['SubscriptionsTable'], reads: () => [] },
  // The merger's results (the write-back reads a completed job's result file), by the merger's own naming.
  'mailchimp-sync': {
    buckets: { ImportsBucket: RETENTION_DAYS },
    tables: ['StateTable', 'LimitsTable'],
    reads: ({ templateOf }) => [objectsOf(mergerResultsBucketName(templateOf))],
  },
};

/** The merger's results bucket as its template names it: a !Sub of the name with the region's code (RegionCodes). */
function mergerResultsBucketName(templateOf: (service: string) => Template): string {
  const name = propertiesOf(templateOf('merger'), 'ResultsBucket', 'AWS::S3::Bucket').BucketName;
  const text = subText(name);
  if (text === undefined) throw new Error(`merger's ResultsBucket name is ${show(name)}`);
  return text;
}

/**
 * The text of a !Sub: `{ 'Fn::Sub': text }`, or `{ 'Fn::Sub': [text, { RegionCode: the current region's code }] }` (the
 * only variable the generated templates give a !Sub); undefined for anything else.
 */
function subText(value: unknown): string | undefined {
  if (!isRecord(value)) return undefined;
  const sub = value['Fn::Sub'];
  if (typeof sub === 'string') return sub;
  if (Array.isArray(sub) && typeof sub[0] === 'string') {
    expect(sub[1]).toEqual({ RegionCode: { 'Fn::FindInMap': ['RegionCodes', { Ref: 'AWS::Region' }, 'code'] } });
    return sub[0];
  }
  return undefined;
}

/** What the secrets' parameters hold, for composing each function as on AWS (never in a template: checked below). */
const SECRET_STAND_INS: Readonly<Record<string, string>> = {
  REFINERY_API_TOKENS: 'acme:stand-in-token-0001',
  KEY_ENCRYPTION_KEY: Buffer.alloc(32, 9).toString('base64'),
};

const OWN_OBJECT_ACTIONS = ['s3:AbortMultipartUpload', 's3:DeleteObject', 's3:GetObject', 's3:ListMultipartUploadParts', 's3:PutObject'];
/** Lambda's event source (receive, delete) and the failed messages' backoff (libs/runtime retry-backoff.ts). */
const EVENT_SOURCE_ACTIONS = ['sqs:ChangeMessageVisibility', 'sqs:DeleteMessage', 'sqs:GetQueueAttributes', 'sqs:ReceiveMessage'];
/** The dead-letter reporter of every service: small and quick; each inbox feeds it 10 at a time, 5 tries each. */
const DEAD_LETTER_REPORTER = { timeoutSeconds: 30, memorySizeMb: 256, batchSize: 10, maxReceiveCount: 5 };
/** An inbox message older than this (10 minutes) means nothing is reporting it: an alarm. */
const DEAD_LETTER_INBOX_MAX_AGE_SECONDS = 600;
/** The dead-letter reporter's event source: it sets no backoff (the inbox's visibility timeout is short anyway). */
const REPORTER_SOURCE_ACTIONS = ['sqs:DeleteMessage', 'sqs:GetQueueAttributes', 'sqs:ReceiveMessage'];
const LOG_ACTIONS = ['logs:CreateLogGroup', 'logs:CreateLogStream', 'logs:PutLogEvents', 'logs:TagResource'];

const templates = new Map<string, Template>();
const templateOf = (service: string): Template => {
  let template = templates.get(service);
  if (!template) {
    template = loadTemplate(service);
    templates.set(service, template);
  }
  return template;
};

describe.each(SERVICES)('services/%s, packaged', (name) => {
  const declaration: ServiceDeclaration = declarationOf(name);
  const own = OWN[name];
  const subscriptions = Object.entries(declaration.subscriptions as Record<string, Subscription>);
  let template: Template;
  let state: ComposeState;
  let busName: string;
  let busArn: string;

  beforeAll(() => {
    template = templateOf(name);
    state = loadComposeState();
    busName = outputOf(state, 'platform', 'EventBusName');
    busArn = outputOf(state, 'platform', 'EventBusArn');
  });

  const functionWithHandler = (handler: string): [string, Json] =>
    single(template, 'AWS::Lambda::Function', `with handler ${handler}`, (properties) => properties.Handler === handler);
  const functionOf = (handlerName: string): [string, Json] => functionWithHandler(`src/lambda.${handlerName}`);
  /** The dead-letter reporter: built from the declaration alone, in its own entry point. */
  const reporter = (): [string, Json] => functionWithHandler('src/dead-letters.report');
  const functions = (): [string, Json][] => ofType(template, 'AWS::Lambda::Function').map(([id, resource]) => [id, resource.Properties ?? {}]);
  const environmentOf = (properties: Json): Json => {
    const environment = properties.Environment;
    return isRecord(environment) && isRecord(environment.Variables) ? environment.Variables : {};
  };
  const mappingOf = (functionId: string): Json =>
    single(template, 'AWS::Lambda::EventSourceMapping', `for ${functionId}`, (properties) =>
      isDeepStrictEqual(properties.FunctionName, getAtt(functionId, 'Arn')),
    )[1];
  const queueIdOf = (key: string): string => {
    const queueId = getAttId(mappingOf(functionOf(key)[0]).EventSourceArn);
    if (!queueId) throw new Error(`the event source of ${key} is not a queue of this stack`);
    return queueId;
  };
  const redriveTargetOf = (queueId: string): string => {
    const redrive = propertiesOf(template, queueId, 'AWS::SQS::Queue').RedrivePolicy;
    const id = getAttId(isRecord(redrive) ? redrive.deadLetterTargetArn : undefined);
    if (!id) throw new Error(`queue ${queueId} has no dead-letter queue of this stack: ${show(redrive)}`);
    return id;
  };
  /** Where the subscription's queue sends what it gives up on: the reporter's inbox. */
  const inboxIdOf = (key: string): string => redriveTargetOf(queueIdOf(key));
  /** Where the reporter parks what it reported (and the inbox what the reporter could not handle). */
  const deadLetterQueueIdOf = (key: string): string => redriveTargetOf(inboxIdOf(key));
  const ruleOf = (key: string): [string, Json] =>
    single(template, 'AWS::Events::Rule', `targeting the ${key} queue`, (properties) =>
      asList(properties.Targets).some((target) => isRecord(target) && isDeepStrictEqual(target.Arn, getAtt(queueIdOf(key), 'Arn'))),
    );

  test('runs every function on Node.js 22 (arm64), sized by its declaration, logging for 30 days', () => {
    const expected = [
      ...subscriptions.map(([key]) => `src/lambda.${key}`),
      ...(subscriptions.length > 0 ? ['src/dead-letters.report'] : []),
      ...Object.keys(declaration.schedules).map((key) => `src/lambda.${key}`),
      ...(declaration.http ? ['src/lambda.api'] : []),
      ...(declaration.websocket ? ['src/lambda.socket'] : []),
    ].sort();
    expect(
      functions()
        .map(([, properties]) => properties.Handler)
        .sort(),
    ).toEqual(expected);
    const sizes = [
      ...subscriptions.map(([key, subscription]) => [`src/lambda.${key}`, subscription.function] as const),
      ...(subscriptions.length > 0 ? [['src/dead-letters.report', DEAD_LETTER_REPORTER] as const] : []),
      ...Object.values(declaration.schedules as Record<string, Schedule>).map(
        (schedule) => [`src/lambda.${schedule.name}`, schedule.function] as const,
      ),
      ...(declaration.http ? [['src/lambda.api', declaration.http.function] as const] : []),
      ...(declaration.websocket ? [['src/lambda.socket', declaration.websocket.function] as const] : []),
    ];
    for (const [key, size] of sizes) {
      const [id, properties] = functionWithHandler(key);
      expect({
        function: key,
        Runtime: properties.Runtime,
        Architectures: properties.Architectures,
        Timeout: properties.Timeout,
        MemorySize: properties.MemorySize,
      }).toEqual({
        function: key,
        Runtime: 'nodejs22.x',
        Architectures: ['arm64'],
        Timeout: size.timeoutSeconds,
        MemorySize: size.memorySizeMb,
      });
      const logGroup = propertiesOf(template, id.replace(/LambdaFunction$/, 'LogGroup'), 'AWS::Logs::LogGroup');
      expect(logGroup).toEqual({ LogGroupName: `/aws/lambda/${String(properties.FunctionName)}`, RetentionInDays: LOG_RETENTION_DAYS });
    }
  });

  test("gives every function the environment its entry points accept, on this stage's bus", async () => {
    for (const [id, properties] of functions()) {
      const environment = environmentOf(properties);
      expect({ function: id, EVENT_BUS_NAME: environment.EVENT_BUS_NAME }).toEqual({ function: id, EVENT_BUS_NAME: busName });
      // Own resources are references CloudFormation resolves; stand in the names they will have.
      const resolved: Record<string, string> = {};
      for (const [variable, value] of Object.entries(environment)) {
        const logicalId = isRecord(value) && typeof value.Ref === 'string' ? value.Ref : undefined;
        if (logicalId && template.Resources[logicalId]) resolved[variable] = `refinery-${name}-${STAGE}-${kebab(logicalId)}`;
        else if (typeof value === 'string') resolved[variable] = value;
        else if (isRecord(value) && typeof value['Fn::Sub'] === 'string') resolved[variable] = substitute(template, value['Fn::Sub']);
        else throw new Error(`${id}: ${variable} is ${show(value)}`);
        expect(resolved[variable]).not.toMatch(/\$\{/);
      }
      // Secrets are never in the environment: they come from SSM Parameter Store (stand-ins here).
      const secrets = Object.entries(declaration.settings as Record<string, SettingDeclaration>).filter(([, setting]) => setting.secret);
      for (const [key, setting] of secrets) {
        const variable = settingEnvName(key, setting);
        expect({ function: id, variable, inEnvironment: variable in environment }).toEqual({ function: id, variable, inEnvironment: false });
        resolved[variable] = SECRET_STAND_INS[variable] ?? '';
      }
      expect({ function: id, problems: await settingProblems(name, resolved) }).toEqual({ function: id, problems: [] });
    }
  });

  describe.each(subscriptions)('subscription %s', (key, subscription) => {
    test('feeds its function from its queue, with partial batch failures and the batching it declares', () => {
      const [functionId] = functionOf(key);
      const mapping = mappingOf(functionId);
      expect(mapping).toMatchObject({
        EventSourceArn: getAtt(queueIdOf(key), 'Arn'),
        FunctionResponseTypes: ['ReportBatchItemFailures'],
        BatchSize: subscription.queue.batchSize,
        MaximumBatchingWindowInSeconds: subscription.queue.maximumBatchingWindowSeconds,
        Enabled: true,
      });
      // A declared maximum concurrency comes from its setting's deploy parameter (the matcher's: derived from its provider
      // chain, docs/deploy.md); without one, as many invocations as Lambda scales to.
      const concurrencySetting = subscription.queue.maximumConcurrencySetting;
      const declared = concurrencySetting && (declaration.settings as Record<string, SettingDeclaration>)[concurrencySetting];
      expect(mapping.ScalingConfig).toEqual(declared ? { MaximumConcurrency: Number(declared.default) } : undefined);
    });

    test("queues with its declared visibility timeout (at least 6 x the function's), then the reporter's inbox, then a 14-day DLQ", () => {
      const queue = propertiesOf(template, queueIdOf(key), 'AWS::SQS::Queue');
      const [, lambda] = functionOf(key);
      expect(queue.VisibilityTimeout).toBe(subscription.queue.visibilityTimeoutSeconds);
      expect(queue.VisibilityTimeout).toBeGreaterThanOrEqual(6 * Number(lambda.Timeout));
      expect(queue.RedrivePolicy).toEqual({
        deadLetterTargetArn: getAtt(inboxIdOf(key), 'Arn'),
        maxReceiveCount: subscription.queue.maxReceiveCount,
      });
      expect(queue.SqsManagedSseEnabled ?? Boolean(queue.KmsMasterKeyId)).toBe(true);

      // The inbox: what the reporter reports, retried a few times, parked unreported rather than lost.
      const inbox = propertiesOf(template, inboxIdOf(key), 'AWS::SQS::Queue');
      expect(inbox.QueueName).toBe(`${String(queue.QueueName)}-dlq-inbox`);
      expect(inbox.MessageRetentionPeriod).toBe(DLQ_RETENTION_SECONDS);
      expect(inbox.VisibilityTimeout).toBeGreaterThanOrEqual(6 * Number(reporter()[1].Timeout));
      expect(inbox.RedrivePolicy).toEqual({
        deadLetterTargetArn: getAtt(deadLetterQueueIdOf(key), 'Arn'),
        maxReceiveCount: DEAD_LETTER_REPORTER.maxReceiveCount,
      });
      expect(inbox.SqsManagedSseEnabled ?? Boolean(inbox.KmsMasterKeyId)).toBe(true);

      const deadLetterQueue = propertiesOf(template, deadLetterQueueIdOf(key), 'AWS::SQS::Queue');
      expect(deadLetterQueue.QueueName).toBe(`${String(queue.QueueName)}-dlq`);
      expect(deadLetterQueue.MessageRetentionPeriod).toBe(DLQ_RETENTION_SECONDS);
      expect(deadLetterQueue.SqsManagedSseEnabled ?? Boolean(deadLetterQueue.KmsMasterKeyId)).toBe(true);
      expect(deadLetterQueue).not.toHaveProperty('RedrivePolicy');
      // A message keeps its first enqueue time when it moves, so the DLQ must keep messages longer than the queue.
      expect(Number(queue.MessageRetentionPeriod ?? SQS_DEFAULT_RETENTION_SECONDS)).toBeLessThan(DLQ_RETENTION_SECONDS);
    });

    test("feeds its dead-letter inbox to the service's reporter, with partial batch failures", () => {
      const [reporterId] = reporter();
      const mappings = ofType(template, 'AWS::Lambda::EventSourceMapping')
        .map(([, resource]) => resource.Properties ?? {})
        .filter((properties) => isDeepStrictEqual(properties.EventSourceArn, getAtt(inboxIdOf(key), 'Arn')));
      expect(mappings).toEqual([
        expect.objectContaining({
          FunctionName: getAtt(reporterId, 'Arn'),
          FunctionResponseTypes: ['ReportBatchItemFailures'],
          BatchSize: DEAD_LETTER_REPORTER.batchSize,
          Enabled: true,
        }),
      ]);
    });

    test("is routed by a rule whose pattern is its declared events and sources, on the project bus (S3's: the default bus, own bucket)", () => {
      const [, rule] = ruleOf(key);
      expect(rule.State).toBe('ENABLED');
      // What EventBridge cannot deliver (for a day, 185 attempts) goes to the inbox, to be reported, never dropped.
      expect(asList(rule.Targets)).toEqual([
        {
          Id: 'queue',
          Arn: getAtt(queueIdOf(key), 'Arn'),
          RetryPolicy: { MaximumRetryAttempts: 185, MaximumEventAgeInSeconds: 86_400 },
          DeadLetterConfig: { Arn: getAtt(inboxIdOf(key), 'Arn') },
        },
      ]);
      const pattern = rule.EventPattern as Json;
      if (subscription.kind === 'objectCreated') {
        // S3 sends its events to the account's default bus, where other buckets' events arrive too: the rule pins
        // detail.bucket.name to this service's bucket, which must have EventBridge notifications on.
        expect(rule.EventBusName).toBe('default');
        const names = asList(isRecord(pattern.detail) && isRecord(pattern.detail.bucket) ? pattern.detail.bucket.name : undefined);
        expect(names).toHaveLength(1);
        const bucketId = isRecord(names[0]) ? names[0].Ref : undefined;
        expect(Object.keys(own.buckets)).toContain(bucketId);
        expect(pattern).toEqual(subscriptionPattern(subscription, ref(String(bucketId))));
        expect(propertiesOf(template, String(bucketId), 'AWS::S3::Bucket').NotificationConfiguration).toEqual({
          EventBridgeConfiguration: { EventBridgeEnabled: true },
        });
      } else {
        expect(rule.EventBusName).toBe(busName);
        expect(pattern).toEqual({
          source: subscription.from.map((service) => `refinery.${service}`),
          'detail-type': subscription.events.map((type) => type.type),
          // Only the events whose data match, when it declares a data pattern (the matcher's lanes).
          ...(subscription.dataPattern ? { detail: { data: subscription.dataPattern } } : {}),
        });
      }
    });

    test('lets only its rule send to its queue and (what it could not deliver) to its inbox', () => {
      const [ruleId] = ruleOf(key);
      for (const queueId of [queueIdOf(key), inboxIdOf(key)]) {
        const [, policy] = single(template, 'AWS::SQS::QueuePolicy', `for ${queueId}`, (properties) =>
          asList(properties.Queues).some((queue) => isDeepStrictEqual(queue, ref(queueId))),
        );
        expect(policy.Queues).toEqual([ref(queueId)]);
        const document = policy.PolicyDocument as Json;
        expect(asList(document.Statement)).toEqual([
          expect.objectContaining({
            Effect: 'Allow',
            Principal: { Service: 'events.amazonaws.com' },
            Action: 'sqs:SendMessage',
            Resource: getAtt(queueId, 'Arn'),
            Condition: { ArnEquals: { 'aws:SourceArn': getAtt(ruleId, 'Arn') } },
          }),
        ]);
      }
    });

    const alarmOn = (queueId: string): Json =>
      single(template, 'AWS::CloudWatch::Alarm', `on ${queueId}`, (properties) =>
        asList(properties.Dimensions).some((dimension) => isDeepStrictEqual(dimension, { Name: 'QueueName', Value: getAtt(queueId, 'QueueName') })),
      )[1];

    test("alarms, to the platform's topic, as soon as its dead-letter queue holds a message or its inbox is not reported", () => {
      const topic = [outputOf(state, 'platform', 'AlarmTopicArn')];
      expect(alarmOn(deadLetterQueueIdOf(key))).toMatchObject({
        Namespace: 'AWS/SQS',
        MetricName: 'ApproximateNumberOfMessagesVisible',
        Threshold: 0,
        ComparisonOperator: 'GreaterThanThreshold',
        EvaluationPeriods: 1,
        AlarmActions: topic,
        OKActions: topic,
      });
      expect(alarmOn(inboxIdOf(key))).toMatchObject({
        Namespace: 'AWS/SQS',
        MetricName: 'ApproximateAgeOfOldestMessage',
        Threshold: DEAD_LETTER_INBOX_MAX_AGE_SECONDS,
        ComparisonOperator: 'GreaterThanThreshold',
        AlarmActions: topic,
        OKActions: topic,
      });
    });
  });

  const schedules = Object.values(declaration.schedules as Record<string, Schedule>).map((schedule) => [schedule.name, schedule] as const);
  // Most services declare no schedule, and each() refuses an empty table.
  (schedules.length > 0 ? test.each(schedules) : () => () => undefined)(
    'runs its %s schedule on an EventBridge rate rule, alarming after three failed runs',
    (key, schedule) => {
      const [functionId] = functionOf(key);
      const [ruleId, rule] = single(template, 'AWS::Events::Rule', `invoking ${key}`, (properties) =>
        asList(properties.Targets).some((target) => isRecord(target) && isDeepStrictEqual(target.Arn, getAtt(functionId, 'Arn'))),
      );
      expect(rule).toMatchObject({ ScheduleExpression: `rate(${schedule.everyMinutes} minutes)`, State: 'ENABLED' });
      expect(rule).not.toHaveProperty('EventBusName'); // the default bus, where schedules run
      const [, permission] = single(template, 'AWS::Lambda::Permission', `for ${ruleId}`, (properties) =>
        isDeepStrictEqual(properties.SourceArn, getAtt(ruleId, 'Arn')),
      );
      expect(permission).toMatchObject({ FunctionName: getAtt(functionId, 'Arn'), Principal: 'events.amazonaws.com' });
      // Besides the errors, throttles and duration alarms every function has (below).
      const [, alarm] = single(
        template,
        'AWS::CloudWatch::Alarm',
        `on ${functionId} failing runs`,
        (properties) =>
          String(properties.AlarmName).endsWith('-failing') &&
          asList(properties.Dimensions).some((dimension) => isDeepStrictEqual(dimension, { Name: 'FunctionName', Value: ref(functionId) })),
      );
      expect(alarm).toMatchObject({ MetricName: 'Errors', EvaluationPeriods: 3, AlarmActions: [outputOf(state, 'platform', 'AlarmTopicArn')] });
    },
  );

  describe('observability', () => {
    const topic = () => [outputOf(state, 'platform', 'AlarmTopicArn')];
    const alarms = (): Json[] => ofType(template, 'AWS::CloudWatch::Alarm').map(([, resource]) => resource.Properties ?? {});
    /** The one alarm on a metric with exactly these dimensions (a schedule's `-failing` alarm aside). */
    const alarmOn = (namespace: string, metric: string, dimensions: readonly Json[]): Json => {
      const found = alarms().filter(
        (alarm) =>
          alarm.Namespace === namespace &&
          alarm.MetricName === metric &&
          isDeepStrictEqual(alarm.Dimensions, dimensions) &&
          !String(alarm.AlarmName).endsWith('-failing'),
      );
      if (found.length !== 1) throw new Error(`expected one alarm on ${namespace} ${metric} ${show(dimensions)}, found ${found.length}`);
      return found[0] as Json;
    };

    test('traces every function with X-Ray (active tracing)', () => {
      expect(functions().length).toBeGreaterThan(0);
      for (const [id, properties] of functions()) expect({ id, tracing: properties.TracingConfig }).toEqual({ id, tracing: { Mode: 'Active' } });
    });

    test("sends every alarm to the platform's topic, when it goes off and when it is OK again", () => {
      expect(alarms().length).toBeGreaterThan(0);
      for (const alarm of alarms()) {
        expect({ alarm: alarm.AlarmName, AlarmActions: alarm.AlarmActions, OKActions: alarm.OKActions }).toEqual({
          alarm: alarm.AlarmName,
          AlarmActions: topic(),
          OKActions: topic(),
        });
        expect(['notBreaching', 'breaching', 'ignore', 'missing']).toContain(alarm.TreatMissingData);
      }
    });

    test("alarms on every function's errors, throttles, and p99 duration above 80 % of its own timeout", () => {
      for (const [id, properties] of functions()) {
        const dimensions = [{ Name: 'FunctionName', Value: ref(id) }];
        for (const metric of ['Errors', 'Throttles']) {
          const alarm = alarmOn('AWS/Lambda', metric, dimensions);
          expect({ id, metric, alarm }).toMatchObject({
            id,
            metric,
            alarm: { Statistic: 'Sum', ComparisonOperator: 'GreaterThanThreshold', TreatMissingData: 'notBreaching' },
          });
          expect(Number(alarm.Threshold)).toBe(0); // the default: any error or throttle
        }
        const duration = alarmOn('AWS/Lambda', 'Duration', dimensions);
        expect({ id, duration }).toMatchObject({
          id,
          duration: {
            ExtendedStatistic: 'p99',
            ComparisonOperator: 'GreaterThanThreshold',
            TreatMissingData: 'notBreaching',
          },
        });
        expect({ id, threshold: Number(duration.Threshold) }).toEqual({ id, threshold: expect.closeTo(0.8 * Number(properties.Timeout) * 1000, 6) });
      }
    });

    test("alarms on every subscription queue's oldest message: after twice its visibility timeout and at least 10 minutes, or as its subscription declares (the express lanes)", () => {
      for (const [key, subscription] of subscriptions) {
        const queueId = queueIdOf(key);
        const alarm = alarmOn('AWS/SQS', 'ApproximateAgeOfOldestMessage', [{ Name: 'QueueName', Value: getAtt(queueId, 'QueueName') }]);
        expect(alarm).toMatchObject({ Statistic: 'Maximum', ComparisonOperator: 'GreaterThanThreshold', TreatMissingData: 'notBreaching' });
        const visibility = Number(propertiesOf(template, queueId, 'AWS::SQS::Queue').VisibilityTimeout);
        const threshold = subscription.queue.oldestMessageAlarmSeconds ?? Math.max(600, 2 * visibility);
        expect({ queueId, threshold: Number(alarm.Threshold) }).toEqual({ queueId, threshold });
        if (key.startsWith('express')) expect({ queueId, threshold }).toEqual({ queueId, threshold: 900 });
      }
    });

    test('alarms on the failed invocations of every rule that feeds one of its queues', () => {
      const queues = new Set(ofType(template, 'AWS::SQS::Queue').map(([id]) => id));
      const feeding = ofType(template, 'AWS::Events::Rule').filter(([, rule]) =>
        asList(rule.Properties?.Targets).some((target) => isRecord(target) && queues.has(getAttId(target.Arn) ?? '')),
      );
      expect(feeding).toHaveLength(subscriptions.length);
      for (const [, rule] of feeding) {
        const bus = rule.Properties?.EventBusName;
        // Rules on a custom bus are measured by bus and rule; the default bus's by rule only.
        const dimensions = [
          ...(bus === 'default' ? [] : [{ Name: 'EventBusName', Value: busName }]),
          { Name: 'RuleName', Value: rule.Properties?.Name },
        ];
        if (bus !== 'default') expect(bus).toBe(busName);
        expect(alarmOn('AWS/Events', 'FailedInvocations', dimensions)).toMatchObject({
          Statistic: 'Sum',
          ComparisonOperator: 'GreaterThanThreshold',
          TreatMissingData: 'notBreaching',
        });
      }
    });

    const httpApis = () => ofType(template, 'AWS::ApiGatewayV2::Api').filter(([, api]) => api.Properties?.ProtocolType === 'HTTP');
    test('alarms on the share of HTTP API requests answered 5xx, if it serves one', () => {
      const apiAlarms = alarms().filter((alarm) => alarm.Metrics !== undefined && show(alarm.Metrics).includes('"AWS/ApiGateway"'));
      expect(apiAlarms).toHaveLength(httpApis().length);
      for (const [apiId] of httpApis()) {
        const dimensions = [{ Name: 'ApiId', Value: ref(apiId) }];
        const [alarm] = apiAlarms as [Json];
        expect(alarm.Metrics).toEqual([
          expect.objectContaining({
            Id: 'errors',
            MetricStat: expect.objectContaining({ Metric: { Namespace: 'AWS/ApiGateway', MetricName: '5xx', Dimensions: dimensions } }),
          }),
          expect.objectContaining({
            Id: 'requests',
            MetricStat: expect.objectContaining({ Metric: { Namespace: 'AWS/ApiGateway', MetricName: 'Count', Dimensions: dimensions } }),
          }),
          expect.objectContaining({ Id: 'rate', Expression: '100 * errors / requests', ReturnData: true }),
        ]);
        expect(alarm).toMatchObject({ ComparisonOperator: 'GreaterThanThreshold', TreatMissingData: 'notBreaching' });
        expect(Number(alarm.Threshold)).toBe(5);
      }
    });

    const websocketApis = () => ofType(template, 'AWS::ApiGatewayV2::Api').filter(([, api]) => api.Properties?.ProtocolType === 'WEBSOCKET');
    test("alarms when API Gateway fails to call its WebSocket API's functions, if it serves one", () => {
      const socketAlarms = alarms().filter((alarm) => alarm.Namespace === 'AWS/ApiGateway');
      expect(socketAlarms).toHaveLength(websocketApis().length);
      for (const [apiId] of websocketApis()) {
        const alarm = alarmOn('AWS/ApiGateway', 'ExecutionError', [{ Name: 'ApiId', Value: ref(apiId) }]);
        expect(alarm).toMatchObject({ Statistic: 'Sum', ComparisonOperator: 'GreaterThanThreshold', TreatMissingData: 'notBreaching' });
        expect(Number(alarm.Threshold)).toBe(0);
      }
    });

    test('has a dashboard of its queues, functions, rules and API whose body is JSON once CloudFormation fills it in', () => {
      const [, dashboard] = single(template, 'AWS::CloudWatch::Dashboard', 'of the service', () => true);
      expect(dashboard.DashboardName).toBe(`refinery-${name}-${STAGE}`);
      const body = subText(dashboard.DashboardBody);
      if (body === undefined) throw new Error(`the dashboard body is no !Sub: ${show(dashboard.DashboardBody)}`);
      for (const [key] of subscriptions) {
        for (const queueId of [queueIdOf(key), inboxIdOf(key), deadLetterQueueIdOf(key)]) expect(body).toContain(`\${${queueId}.QueueName}`);
        expect(body).toContain(`"RuleName","${String(ruleOf(key)[1].Name)}"`);
      }
      for (const [id] of functions()) expect(body).toContain(`"FunctionName","\${${id}}"`);
      for (const [apiId] of httpApis()) expect(body).toContain(`"ApiId","\${${apiId}}"`);
      for (const [apiId] of websocketApis()) expect(body).toContain(`"ExecutionError","ApiId","\${${apiId}}"`);
      const filled = body.replace(/\$\{([\w:]+)(?:\.(\w+))?\}/g, (whole, id: string) => {
        if (id === 'AWS::Region') return 'us-east-1';
        if (!template.Resources[id]) throw new Error(`the dashboard body names ${whole}, which is not a resource of the stack`);
        return `stub-${kebab(id)}`;
      });
      const parsed = JSON.parse(filled) as { widgets: { properties: { metrics: unknown[][] } }[] };
      expect(parsed.widgets.length).toBeGreaterThan(0);
      for (const widget of parsed.widgets) expect(widget.properties.metrics.length).toBeGreaterThan(0);
      expect(template.Outputs).toMatchObject({ DashboardName: { Value: ref('Dashboard') } });
    });
  });

  test('keeps every bucket private, encrypted and TLS-only; scratch objects expire', () => {
    const buckets = ofType(template, 'AWS::S3::Bucket');
    expect(buckets.map(([id]) => id).sort()).toEqual(['ServerlessDeploymentBucket', ...Object.keys(own.buckets)].sort());
    for (const [id, resource] of buckets) {
      const properties = resource.Properties ?? {};
      const encryption = asList((properties.BucketEncryption as Json | undefined)?.ServerSideEncryptionConfiguration);
      expect({ bucket: id, encryption }).toEqual({
        bucket: id,
        encryption: [
          expect.objectContaining({
            ServerSideEncryptionByDefault: expect.objectContaining({ SSEAlgorithm: expect.stringMatching(/^(AES256|aws:kms)$/) }),
          }),
        ],
      });
      expect({ bucket: id, block: properties.PublicAccessBlockConfiguration }).toEqual({
        bucket: id,
        block: { BlockPublicAcls: true, BlockPublicPolicy: true, IgnorePublicAcls: true, RestrictPublicBuckets: true },
      });
      const [, policy] = single(template, 'AWS::S3::BucketPolicy', `for ${id}`, (candidate) => isDeepStrictEqual(candidate.Bucket, ref(id)));
      const tlsOnly = asList((policy.PolicyDocument as Json).Statement).filter((statement) => {
        const condition = isRecord(statement) && isRecord(statement.Condition) && isRecord(statement.Condition.Bool) ? statement.Condition.Bool : {};
        // The framework writes the condition value as a boolean, serverless.yml files as a string.
        return (
          isRecord(statement) && statement.Effect === 'Deny' && statement.Principal === '*' && String(condition['aws:SecureTransport']) === 'false'
        );
      });
      expect({ bucket: id, tlsOnly: tlsOnly.length }).toEqual({ bucket: id, tlsOnly: 1 });
      if (id === 'ServerlessDeploymentBucket') continue;
      expect(properties.OwnershipControls).toEqual({ Rules: [{ ObjectOwnership: 'BucketOwnerEnforced' }] });
      const rules = asList((properties.LifecycleConfiguration as Json | undefined)?.Rules) as Json[];
      // A deploy parameter's value (retentionDays) is resolved as a string; CloudFormation reads it as the integer.
      const expiry = rules.filter((rule) => rule.ExpirationInDays !== undefined).map((rule) => Number(rule.ExpirationInDays));
      expect({ bucket: id, expiry }).toEqual({ bucket: id, expiry: own.buckets[id] === undefined ? [] : [own.buckets[id]] });
      // Retention agrees: whatever a redrive (a dead-lettered message) or a replay (an archived event) reads outlives it.
      for (const days of expiry) expect(Number(days) * 24 * 3600).toBeGreaterThan(DLQ_RETENTION_SECONDS);
      expect(rules).toContainEqual(expect.objectContaining({ Status: 'Enabled', AbortIncompleteMultipartUpload: { DaysAfterInitiation: 1 } }));
    }
  });

  test("lets no job's data outlive the retention period: objects under tenants/ expire, tables holding job items expire them", () => {
    for (const [id, resource] of ofType(template, 'AWS::S3::Bucket')) {
      if (id === 'ServerlessDeploymentBucket') continue;
      const rules = asList((resource.Properties?.LifecycleConfiguration as Json | undefined)?.Rules) as Json[];
      // Every bucket a service owns holds jobs' objects (keys tenants/<tenant>/jobs/<job>/): they expire within it.
      const expiring = rules.filter(
        (rule) =>
          rule.Status === 'Enabled' &&
          Number(rule.ExpirationInDays) <= RETENTION_DAYS &&
          (rule.Prefix === undefined || 'tenants/'.startsWith(String(rule.Prefix))),
      );
      expect({ bucket: id, expiring: expiring.length }).toEqual({ bucket: id, expiring: 1 });
    }
    // The tables that keep items of jobs let DynamoDB delete them (expiresAt, epoch seconds); the others hold no job item
    // (matcher's nicknames and provider send schedules; mailchimp-sync's import state, erased with the job, and its connection leases).
    const jobTables: Readonly<Record<ServiceName, readonly string[]>> = {
      ingest: ['JobsTable'],
      chunker: ['PlansTable'],
      matcher: [],
      labeler: [],
      merger: ['LedgerTable'],
      notifier: ['SubscriptionsTable'],
      'mailchimp-sync': [],
    };
    for (const id of jobTables[name]) {
      expect({ table: id, ttl: propertiesOf(template, id, 'AWS::DynamoDB::Table').TimeToLiveSpecification }).toEqual({
        table: id,
        ttl: { AttributeName: 'expiresAt', Enabled: true },
      });
    }
    // Queues keep a message at most the redrive window (14 days), less than the retention period.
    for (const [id, resource] of ofType(template, 'AWS::SQS::Queue')) {
      const seconds = Number(resource.Properties?.MessageRetentionPeriod ?? SQS_DEFAULT_RETENTION_SECONDS);
      expect({ queue: id, keptWithinRetention: seconds <= RETENTION_DAYS * 86_400 }).toEqual({ queue: id, keptWithinRetention: true });
    }
  });

  test('keeps every table on demand, recoverable to any point and encrypted', () => {
    const tables = ofType(template, 'AWS::DynamoDB::Table');
    expect(tables.map(([id]) => id).sort()).toEqual([...own.tables].sort());
    for (const [id, resource] of tables) {
      expect({ table: id, properties: resource.Properties }).toEqual({
        table: id,
        properties: expect.objectContaining({
          TableName: `refinery-${name}-${STAGE}-${kebab(id.replace(/Table$/, ''))}`,
          BillingMode: 'PAY_PER_REQUEST',
          PointInTimeRecoverySpecification: { PointInTimeRecoveryEnabled: true },
          SSESpecification: { SSEEnabled: true },
        }),
      });
    }
  });

  test('grants no wildcard action, and only what it needs on its own resources and the documented reads', () => {
    // The one role the framework makes; nothing else in the stack grants anything.
    expect(
      Object.values(template.Resources)
        .filter((resource) => resource.Type.startsWith('AWS::IAM::'))
        .map((resource) => resource.Type),
    ).toEqual(['AWS::IAM::Role']);
    const role = propertiesOf(template, 'IamRoleLambdaExecution', 'AWS::IAM::Role');
    expect(role).not.toHaveProperty('ManagedPolicyArns');
    const statements = asList(role.Policies).flatMap((policy) => asList(((policy as Json).PolicyDocument as Json).Statement)) as Json[];

    const [lambda] = functions();
    const reads = own.reads({ state, templateOf, environment: environmentOf(lambda?.[1] ?? {}) });
    const ownOfType = (type: string) => new Set(ofType(template, type).map(([id]) => id));
    const ownBuckets = ownOfType('AWS::S3::Bucket');
    const ownTables = ownOfType('AWS::DynamoDB::Table');
    const subscriptionQueues = new Set(subscriptions.map(([key]) => queueIdOf(key)));
    const inboxes = new Set(subscriptions.map(([key]) => inboxIdOf(key)));
    const deadLetterQueues = new Set(subscriptions.map(([key]) => deadLetterQueueIdOf(key)));
    // Posting to the connections of its own WebSocket API, on its own stage (never the framework's grant on every API).
    const socketApis = ofType(template, 'AWS::ApiGatewayV2::Api').filter(([, resource]) => resource.Properties?.ProtocolType === 'WEBSOCKET');
    // Its secrets' parameters in Parameter Store (/refinery/<stage>/<setting>), nothing else there.
    const ownSecrets = Object.entries(declaration.settings as Record<string, SettingDeclaration>)
      .filter(([, setting]) => setting.secret)
      .map(([key]) => `arn:\${AWS::Partition}:ssm:\${AWS::Region}:\${AWS::AccountId}:parameter/refinery/${STAGE}/${kebab(key)}`);
    const ownConnections = socketApis.map(
      ([api]) => `arn:\${AWS::Partition}:execute-api:\${AWS::Region}:\${AWS::AccountId}:\${${api}}/${STAGE}/POST/@connections/*`,
    );
    // The framework's CloudWatch Logs grant: this service's log groups (/aws/lambda/refinery-<name>-<stage>-<fn>),
    // their streams, by prefix.
    const logGroups = `arn:\${AWS::Partition}:logs:\${AWS::Region}:\${AWS::AccountId}:log-group:/aws/lambda/refinery-${name}-${STAGE}`;
    for (const [, properties] of functions()) expect(String(properties.FunctionName)).toMatch(new RegExp(`^refinery-${name}-${STAGE}-`));

    /** What a resource is, and the actions allowed on it; undefined when it is nobody's business here. */
    const classify = (resource: unknown): [string, readonly string[]] | undefined => {
      const arnOf = getAttId(resource);
      if (arnOf && ownBuckets.has(arnOf)) return ['own bucket', ['s3:ListBucket']];
      if (arnOf && ownTables.has(arnOf))
        return [
          'own table',
          [
            'dynamodb:BatchGetItem',
            'dynamodb:BatchWriteItem',
            'dynamodb:ConditionCheckItem',
            'dynamodb:DeleteItem',
            'dynamodb:GetItem',
            'dynamodb:PutItem',
            'dynamodb:Query',
            'dynamodb:UpdateItem',
          ],
        ];
      if (arnOf && subscriptionQueues.has(arnOf)) return ['own queue', EVENT_SOURCE_ACTIONS];
      if (arnOf && inboxes.has(arnOf)) return ["own dead-letter inbox (the reporter's event source)", REPORTER_SOURCE_ACTIONS];
      if (arnOf && deadLetterQueues.has(arnOf)) return ['own dead-letter queue (where the reporter parks)', ['sqs:SendMessage']];
      if (resource === busArn) return ['project bus', ['events:PutEvents']];
      const text = subText(resource);
      if (text === undefined) return undefined;
      const objects = /^\$\{(\w+)\.Arn\}\/\*$/.exec(text);
      if (objects && ownBuckets.has(objects[1] as string)) return ['own objects', OWN_OBJECT_ACTIONS];
      if (reads.includes(text)) return ['documented read', ['s3:GetObject']];
      if (ownConnections.includes(text)) return ['own WebSocket connections', ['execute-api:ManageConnections']];
      if (ownSecrets.includes(text)) return ['own secret', ['ssm:GetParameters']];
      if (text === `${logGroups}*:*` || text === `${logGroups}*:*:*`) return ['own log groups', LOG_ACTIONS];
      return undefined;
    };

    // Active tracing: X-Ray's PutTraceSegments and PutTelemetryRecords take no resource but '*' (the framework's grant).
    const tracing = statements.filter((statement) => asList(statement.Action).some((action) => String(action).startsWith('xray:')));
    expect(tracing).toEqual([{ Effect: 'Allow', Action: ['xray:PutTraceSegments', 'xray:PutTelemetryRecords'], Resource: ['*'] }]);
    const granted = new Map<string, Set<string>>();
    for (const statement of statements.filter((candidate) => !tracing.includes(candidate))) {
      expect(statement.Effect).toBe('Allow');
      expect(statement).not.toHaveProperty('NotAction');
      expect(statement).not.toHaveProperty('NotResource');
      const actions = asList(statement.Action).map(String);
      for (const action of actions) expect({ action, wildcard: action.includes('*') }).toEqual({ action, wildcard: false });
      for (const resource of asList(statement.Resource)) {
        expect(resource).not.toBe('*');
        const kind = classify(resource);
        if (!kind) throw new Error(`grants ${actions.join(', ')} on ${show(resource)}, which is neither its own nor a documented read`);
        const [what, allowed] = kind;
        const refused = actions.filter((action) => !allowed.includes(action));
        expect({ resource, what, refused }).toEqual({ resource, what, refused: [] });
        const key = subText(resource) ?? show(resource);
        granted.set(key, new Set([...(granted.get(key) ?? []), ...actions]));
      }
    }
    // And it gets what it needs: its own data, its queues, the bus, each documented read.
    const grantedOn = (resource: unknown) => [...(granted.get(subText(resource) ?? show(resource)) ?? [])].sort();
    for (const bucket of Object.keys(own.buckets)) {
      expect({ bucket, actions: grantedOn(sub(`\${${bucket}.Arn}/*`)) }).toEqual({ bucket, actions: OWN_OBJECT_ACTIONS });
    }
    for (const table of own.tables) expect(grantedOn(getAtt(table, 'Arn'))).toContain('dynamodb:GetItem');
    for (const queue of subscriptionQueues)
      expect({ queue, actions: grantedOn(getAtt(queue, 'Arn')) }).toEqual({ queue, actions: EVENT_SOURCE_ACTIONS });
    for (const queue of inboxes) expect({ queue, actions: grantedOn(getAtt(queue, 'Arn')) }).toEqual({ queue, actions: REPORTER_SOURCE_ACTIONS });
    for (const queue of deadLetterQueues)
      expect({ queue, actions: grantedOn(getAtt(queue, 'Arn')) }).toEqual({ queue, actions: ['sqs:SendMessage'] });
    expect(grantedOn(busArn)).toEqual(['events:PutEvents']);
    for (const read of reads) expect({ read, actions: grantedOn(sub(read)) }).toEqual({ read, actions: ['s3:GetObject'] });
    for (const connections of ownConnections)
      expect({ connections, actions: grantedOn(sub(connections)) }).toEqual({ connections, actions: ['execute-api:ManageConnections'] });
    expect(ownConnections).toHaveLength(declaration.websocket ? 1 : 0);
    for (const secret of ownSecrets) expect({ secret, actions: grantedOn(sub(secret)) }).toEqual({ secret, actions: ['ssm:GetParameters'] });
  });

  if (declaration.http) {
    const routes = declaration.http.routes;
    test('serves exactly its declared HTTP routes, all on its api function', () => {
      const [api] = single(template, 'AWS::ApiGatewayV2::Api', 'HTTP API', (properties) => properties.ProtocolType === 'HTTP');
      const ofApi = (type: string) =>
        ofType(template, type)
          .map(([, resource]) => resource.Properties ?? {})
          .filter((properties) => isDeepStrictEqual(properties.ApiId, ref(api)));
      const served = ofApi('AWS::ApiGatewayV2::Route');
      expect(served.map((route) => route.RouteKey).sort()).toEqual([...routes].sort());
      const integrations = ofApi('AWS::ApiGatewayV2::Integration');
      expect(integrations).toEqual([
        expect.objectContaining({
          ApiId: ref(api),
          IntegrationType: 'AWS_PROXY',
          PayloadFormatVersion: '2.0',
          IntegrationUri: getAtt(functionOf('api')[0], 'Arn'),
        }),
      ]);
    });
  } else {
    test('serves no HTTP API (it declares none)', () => {
      expect(ofType(template, 'AWS::ApiGatewayV2::Api').filter(([, resource]) => resource.Properties?.ProtocolType === 'HTTP')).toEqual([]);
    });
  }

  if (declaration.websocket) {
    const { routes } = declaration.websocket;
    test('serves exactly its declared WebSocket routes on its socket function, at the stage its functions post to', () => {
      const [api, properties] = single(template, 'AWS::ApiGatewayV2::Api', 'WebSocket API', (candidate) => candidate.ProtocolType === 'WEBSOCKET');
      expect(properties.RouteSelectionExpression).toBe('$request.body.action');
      const ofApi = (type: string) =>
        ofType(template, type)
          .map(([, resource]) => resource.Properties ?? {})
          .filter((candidate) => isDeepStrictEqual(candidate.ApiId, ref(api)));
      expect(
        ofApi('AWS::ApiGatewayV2::Route')
          .map((route) => route.RouteKey)
          .sort(),
      ).toEqual([...routes].sort());
      const integrations = ofApi('AWS::ApiGatewayV2::Integration');
      expect(integrations).toEqual([expect.objectContaining({ IntegrationType: 'AWS_PROXY' })]);
      expect(show(integrations[0]?.IntegrationUri)).toContain(show(getAtt(functionOf('socket')[0], 'Arn')));
      expect(ofApi('AWS::ApiGatewayV2::Stage')).toEqual([expect.objectContaining({ StageName: STAGE })]);
      // Every function posts to this API's stage, and clients are told where it is.
      const endpoint = sub(`https://\${${api}}.execute-api.\${AWS::Region}.amazonaws.com/${STAGE}`);
      for (const [id, lambda] of functions())
        expect({ function: id, WEBSOCKET_ENDPOINT: environmentOf(lambda).WEBSOCKET_ENDPOINT }).toEqual({
          function: id,
          WEBSOCKET_ENDPOINT: endpoint,
        });
      expect(template.Outputs?.WebSocketUrl).toMatchObject({ Value: sub(`wss://\${${api}}.execute-api.\${AWS::Region}.amazonaws.com/${STAGE}`) });
    });
  } else {
    test('serves no WebSocket API (it declares none)', () => {
      expect(ofType(template, 'AWS::ApiGatewayV2::Api').filter(([, resource]) => resource.Properties?.ProtocolType === 'WEBSOCKET')).toEqual([]);
      for (const [id, lambda] of functions())
        expect({ function: id, endpoint: environmentOf(lambda).WEBSOCKET_ENDPOINT }).toEqual({ function: id, endpoint: undefined });
    });
  }

  test('bundles every handler into a package without better-sqlite3 or the local runtime', () => {
    const artifacts = new Set(functions().map(([, properties]) => basename(String((properties.Code as Json).S3Key))));
    for (const artifact of artifacts) {
      const zip = ZipArchive.open(packagedFile(`services/${name}/.serverless/${artifact}`, [`services/${name}/serverless.js`]));
      const offending = zip.names.filter((entry) => /better-sqlite3|local-runtime|\.node$/.test(entry));
      expect({ artifact, offending }).toEqual({ artifact, offending: [] });
      expect(zip.entries.reduce((total, entry) => total + entry.size, 0)).toBeLessThan(250 * 1024 * 1024); // Lambda's unzipped limit

      const handlerFiles = new Set(functions().map(([, properties]) => `${String(properties.Handler).replace(/\.[^.]+$/, '')}.js`));
      for (const file of handlerFiles) {
        expect(zip.names).toContain(file);
        const code = zip.read(file).toString('utf8');
        expect(code).not.toMatch(/require\(["']better-sqlite3["']\)|from ["']better-sqlite3["']/);
        // The source map lists every file esbuild bundled.
        const map = JSON.parse(zip.read(`${file}.map`).toString('utf8')) as { sources: string[] };
        expect(map.sources.some((source) => source.endsWith(file.replace(/\.js$/, '.ts')))).toBe(true);
        if (file === 'src/dead-letters.js') {
          // The reporter holds the declaration and nothing else of the service: it must work when the service cannot.
          const ownSources = map.sources
            .filter((source) => source.includes(`services/${name}/src/`))
            .map((source) => source.replace(/^.*\/src\//, ''));
          expect({ file, ownSources: ownSources.filter((source) => !['dead-letters.ts', 'definition.ts', 'input-key.ts'].includes(source)) }).toEqual(
            {
              file,
              ownSources: [],
            },
          );
        }
        const native = map.sources.filter((source) => /node_modules\/better-sqlite3\/|libs\/local-runtime\/|\.node$/.test(source));
        expect({ artifact, file, native }).toEqual({ artifact, file, native: [] });
      }
    }
  });

  test('loads in plain Node.js from its package alone and exports every handler', () => {
    const [[, first]] = functions() as [[string, Json]];
    const zip = ZipArchive.open(packagedFile(`services/${name}/.serverless/${basename(String((first.Code as Json).S3Key))}`));
    const directory = mkdtempSync(join(tmpdir(), `refinery-${name}-package-`));
    try {
      for (const entry of zip.names.filter((entryName) => !entryName.endsWith('/'))) {
        const target = join(directory, entry);
        mkdirSync(dirname(target), { recursive: true });
        writeFileSync(target, zip.read(entry));
      }
      const handlers = functions().map(([, properties]) => String(properties.Handler));
      const script = `const handlers = ${show(handlers)}; const missing = handlers.filter((handler) => { const dot = handler.lastIndexOf('.'); return typeof require('./' + handler.slice(0, dot))[handler.slice(dot + 1)] !== 'function'; }); process.stdout.write(JSON.stringify(missing));`;
      // No AWS_LAMBDA_FUNCTION_NAME: loading must not build the handlers (that needs the stack's settings).
      const { AWS_LAMBDA_FUNCTION_NAME: _ignored, ...environment } = process.env;
      const output = execFileSync(process.execPath, ['-e', script], { cwd: directory, env: { ...environment, NODE_PATH: '' }, encoding: 'utf8' });
      expect(JSON.parse(output)).toEqual([]);
    } finally {
      rmSync(directory, { recursive: true, force: true });
    }
  });
});

describe('services/platform, packaged', () => {
  let template: Template;
  let state: ComposeState;

  beforeAll(() => {
    template = loadTemplate('platform');
    state = loadComposeState();
  });

  test('owns the project bus and an archive of every event on it, for replay', () => {
    const buses = ofType(template, 'AWS::Events::EventBus');
    expect(buses).toHaveLength(1);
    const [busId, bus] = buses[0] as [string, Resource];
    // The bus every service's rules and functions were given (compose: platform.EventBusName).
    expect(bus.Properties?.Name).toBe(outputOf(state, 'platform', 'EventBusName'));
    expect(outputOf(state, 'platform', 'EventBusArn')).toMatch(new RegExp(`:event-bus/${String(bus.Properties?.Name)}$`));
    const archives = ofType(template, 'AWS::Events::Archive');
    expect(archives).toHaveLength(1);
    const archive = (archives[0] as [string, Resource])[1].Properties ?? {};
    expect(archive).toMatchObject({ SourceArn: getAtt(busId, 'Arn'), RetentionDays: REDRIVE_WINDOW_DAYS });
    // Archived events (a review decision carries a contact) are gone before a job's retention period ends.
    expect(Number(archive.RetentionDays)).toBeLessThanOrEqual(RETENTION_DAYS);
    expect(archive).not.toHaveProperty('EventPattern'); // everything
    expect(template.Outputs).toMatchObject({
      EventBusName: { Value: getAtt(busId, 'Name') },
      EventBusArn: { Value: getAtt(busId, 'Arn') },
    });
  });

  test('owns the topic every alarm notifies, e-mailing the address the stack is given, if any', () => {
    const [topicId, topic] = single(template, 'AWS::SNS::Topic', 'for alarms', () => true);
    expect(topic.TopicName).toBe(`refinery-${STAGE}-alarms`);
    expect(outputOf(state, 'platform', 'AlarmTopicArn')).toMatch(new RegExp(`:${String(topic.TopicName)}$`));
    expect(template.Outputs).toMatchObject({ AlarmTopicArn: { Value: ref(topicId) } });
    const [, subscription] = single(template, 'AWS::SNS::Subscription', 'e-mail', () => true);
    expect(subscription).toEqual({ TopicArn: ref(topicId), Protocol: 'email', Endpoint: ref('AlarmEmail') });
    expect((template.Resources.AlarmEmailSubscription as Resource & { Condition?: string }).Condition).toBe('HasAlarmEmail');
    // Decided at deploy time (a stack parameter), so the packaged template holds no address.
    expect((template as unknown as { Parameters: Json }).Parameters).toMatchObject({ AlarmEmail: { Type: 'String', Default: '' } });
  });

  test("alarms, to the topic, as soon as the stuck-job sweep finds a job (ingest's stuckJobs, in this stage)", () => {
    const [, alarm] = single(template, 'AWS::CloudWatch::Alarm', 'on stuck jobs', (properties) => properties.MetricName === 'stuckJobs');
    expect(alarm).toMatchObject({
      Namespace: METRIC_NAMESPACE,
      Dimensions: [
        { Name: 'service', Value: 'ingest' },
        { Name: 'stage', Value: STAGE },
      ],
      Statistic: 'Sum',
      Threshold: ref('StuckJobsThreshold'),
      ComparisonOperator: 'GreaterThanThreshold',
      TreatMissingData: 'notBreaching',
      AlarmActions: [ref('AlarmTopic')],
      OKActions: [ref('AlarmTopic')],
    });
    expect((template as unknown as { Parameters: Json }).Parameters).toMatchObject({ StuckJobsThreshold: { Type: 'Number', Default: 0 } });
    expect(Object.keys(METRICS)).toContain('stuckJobs');
  });

  test("has the stage's dashboard of every metric the functions record, linking each service's own dashboard", () => {
    const [, dashboard] = single(template, 'AWS::CloudWatch::Dashboard', 'of the stage', () => true);
    expect(dashboard.DashboardName).toBe(`refinery-${STAGE}`);
    const [body, variables] = (dashboard.DashboardBody as { 'Fn::Sub': [string, Record<string, string>] })['Fn::Sub'];
    const filled = body.replace(/\$\{([\w:]+)\}/g, (whole, name: string) => {
      if (name === 'AWS::Region') return 'us-east-1';
      const value = variables[name];
      if (value === undefined) throw new Error(`the stage dashboard names ${whole}, which its !Sub does not define`);
      return value;
    });
    const parsed = JSON.parse(filled) as { widgets: { type: string; properties: Json }[] };
    const expressions = parsed.widgets.flatMap((widget) =>
      asList(widget.properties.metrics).flatMap((line) => asList(line).flatMap((entry) => (isRecord(entry) ? [String(entry.expression)] : []))),
    );
    for (const metric of Object.keys(METRICS)) {
      expect({
        metric,
        shown: expressions.some((expression) => expression.includes(`{${METRIC_NAMESPACE},`) && expression.includes(`MetricName="${metric}"`)),
      }).toEqual({ metric, shown: true });
    }
    for (const metric of ['ApproximateNumberOfMessagesVisible', 'ApproximateAgeOfOldestMessage', 'Errors', 'Throttles']) {
      expect({ metric, shown: expressions.some((expression) => expression.includes(`MetricName="${metric}"`)) }).toEqual({ metric, shown: true });
    }
    // Each service's dashboard, by the name its own template gives it.
    for (const service of SERVICES) {
      const own = single(templateOf(service), 'AWS::CloudWatch::Dashboard', `of ${service}`, () => true)[1].DashboardName;
      expect(variables.ServiceDashboards).toContain(String(own));
    }
    expect(template.Outputs).toMatchObject({ DashboardName: { Value: ref('Dashboard') } });
  });

  test('has no functions, and its deployment bucket is private and encrypted', () => {
    expect(ofType(template, 'AWS::Lambda::Function')).toEqual([]);
    const bucket = propertiesOf(template, 'ServerlessDeploymentBucket', 'AWS::S3::Bucket');
    expect(bucket.PublicAccessBlockConfiguration).toEqual({
      BlockPublicAcls: true,
      BlockPublicPolicy: true,
      IgnorePublicAcls: true,
      RestrictPublicBuckets: true,
    });
    expect(bucket.BucketEncryption).toBeDefined();
  });
});
