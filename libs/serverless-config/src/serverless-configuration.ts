import {
  type BucketDeclaration,
  bucketEnvName,
  kebabName,
  REDRIVE_WINDOW_DAYS,
  type ReadDeclaration,
  type Schedule,
  type ServiceDeclaration,
  type SettingDeclaration,
  type Subscription,
  secretParameterName,
  settingEnvName,
  subscriptionPattern,
  subscriptionQueueNames,
  type TableDeclaration,
  tableEnvName,
} from '@refinery/runtime';
import { currentRegionCode, REGION_CODES_MAPPING, regionCodesMapping } from './aws-regions';
import { ALARM_PARAM_DEFAULTS, defaultQueueMaxAgeSeconds, observabilityAlarms, queueAgeParam, serviceDashboard } from './observability';

// A service's Serverless Framework 3 configuration, generated from its declaration: what each services/<name>/
// serverless.js hands the framework. Everything a service's stack holds follows from the declaration: a function per
// subscription fed by its own queue (with a dead-letter queue, the rule that routes its events and a policy letting
// only that rule send, alarms on the queues and the rule), the HTTP and WebSocket APIs' functions, the buckets and
// tables it owns (private, encrypted, TLS-only, on demand, recoverable), the least IAM it needs, the environment its
// entry points read (the same names the AWS platform reads: @refinery/aws-runtime), the deploy parameters of its
// settings with their declared defaults, and what its operators watch (observability.ts: alarms on every function and
// the HTTP API, the service's dashboard, X-Ray tracing).

type Json = Record<string, unknown>;

/** The Lambda runtime. Serverless Framework 3.40's schema predates nodejs22.x and only warns (configValidationMode). */
export const LAMBDA_RUNTIME = 'nodejs22.x';
/** How long dead-letter queues keep a message: the redrive window (14 days, the SQS maximum). */
export const DEAD_LETTER_RETENTION_SECONDS = REDRIVE_WINDOW_DAYS * 24 * 3600;
/** Days function logs are kept. */
export const LOG_RETENTION_DAYS = 30;
/** The dead-letter reporter's function: small, quick, and what its inboxes' visibility timeout is sized for (6x). */
export const DEAD_LETTER_REPORTER = { timeoutSeconds: 30, memorySizeMb: 256, batchSize: 10, maxReceiveCount: 5 } as const;
/** An inbox message this old means the reporter is not reporting: its alarm goes off. */
export const DEAD_LETTER_INBOX_MAX_AGE_SECONDS = 600;
/**
 * How long EventBridge keeps trying to deliver an event to a subscription's queue before it gives up and sends it to
 * the subscription's dead-letter inbox (its maximum: 24 hours, 185 attempts).
 */
export const EVENT_DELIVERY_RETRY_POLICY = { MaximumRetryAttempts: 185, MaximumEventAgeInSeconds: 86_400 } as const;
/** Where jobs' objects live in every bucket: `tenants/<tenant>/jobs/<job>/...`. */
const JOB_DATA_PREFIX = 'tenants/';
/** Incomplete multipart uploads are aborted after this many days in every bucket. */
const ABORT_INCOMPLETE_UPLOADS_DAYS = 1;
/** The plugin that refuses a stage name that would not fit every resource name (plugins/). */
export const STAGE_CHECK_PLUGIN = '@refinery/serverless-config/plugins/check-stage';
/** The plugin that narrows the framework's WebSocket grant to the service's own API (plugins/). */
export const SOCKET_GRANT_PLUGIN = '@refinery/serverless-config/plugins/drop-wildcard-socket-grant';

const DYNAMODB_ITEM_ACTIONS = [
  'dynamodb:GetItem',
  'dynamodb:PutItem',
  'dynamodb:UpdateItem',
  'dynamodb:DeleteItem',
  'dynamodb:Query',
  'dynamodb:BatchGetItem',
  'dynamodb:BatchWriteItem',
  'dynamodb:ConditionCheckItem',
];
// ListMultipartUploadParts: ingest lists the parts of its clients' multipart uploads (ListParts) to resume and complete them.
const OWN_OBJECT_ACTIONS = ['s3:GetObject', 's3:PutObject', 's3:DeleteObject', 's3:AbortMultipartUpload', 's3:ListMultipartUploadParts'];

/** `writeback` -> `Writeback`, `mailchimpImports` -> `MailchimpImports`: the start of its resources' logical ids. */
export const logicalName = (name: string): string => name.charAt(0).toUpperCase() + name.slice(1);

/** A service's resource name for a stage: `refinery-<service>-${sls:stage}-<name>`. */
export const stageResourceName = (service: string, name: string): string => `refinery-${service}-\${sls:stage}-${kebabName(name)}`;
/** The stage as the generated configuration names it (resolved by the framework). */
const STAGE = '${sls:stage}';

/**
 * The physical name of a service's bucket, for CloudFormation's !Sub with `${RegionCode}` (regionSub): bucket names are
 * global, so account and region are in it, the region by its short code (aws-regions.ts) to fit S3's 63 characters.
 * Also how a reader names a bucket whose owner it cannot take as a parameter (`ownedBy` reads).
 */
export const bucketNameTemplate = (service: string, bucket: string): string =>
  `${stageResourceName(service, bucket)}-\${AWS::AccountId}-\${RegionCode}`;

/** !Sub of a text that may name `${RegionCode}`, the current region's code (the template's RegionCodes mapping). */
const regionSub = (text: string) => (text.includes('${RegionCode}') ? { 'Fn::Sub': [text, { RegionCode: currentRegionCode() }] } : sub(text));

const ref = (logicalId: string) => ({ Ref: logicalId });
const getAtt = (logicalId: string, attribute: string) => ({ 'Fn::GetAtt': [logicalId, attribute] });
const sub = (template: string) => ({ 'Fn::Sub': template });
const param = (name: string) => `\${param:${name}}`;
const one = <T>(items: readonly T[]): T | readonly T[] => (items.length === 1 ? (items[0] as T) : items);

export function serverlessConfiguration(declaration: ServiceDeclaration): Json {
  const service = declaration.name;
  const subscriptions = Object.values(declaration.subscriptions as Record<string, Subscription>);
  const buckets = Object.entries(declaration.buckets as Record<string, BucketDeclaration>);
  const tables = Object.entries(declaration.tables as Record<string, TableDeclaration>);
  const settings = Object.entries(declaration.settings as Record<string, SettingDeclaration>);

  // An API's threshold only where there is that API to alarm on.
  const { apiServerErrorRatePercent, socketExecutionErrorsThreshold, ...alarmParamDefaults } = ALARM_PARAM_DEFAULTS;
  const paramDefaults: Record<string, string> = {
    logLevel: 'info',
    dataDeletionPolicy: 'Delete',
    ...alarmParamDefaults,
    ...(declaration.http ? { apiServerErrorRatePercent } : {}),
    ...(declaration.websocket ? { socketExecutionErrorsThreshold } : {}),
  };
  for (const subscription of subscriptions) {
    paramDefaults[queueAgeParam(subscription.name)] = String(
      subscription.queue.oldestMessageAlarmSeconds ?? defaultQueueMaxAgeSeconds(subscription.queue.visibilityTimeoutSeconds),
    );
  }
  // Secrets are no params: they are read from SSM Parameter Store at run time (never in a template).
  for (const [key, setting] of settings) if (setting.default !== undefined && !setting.secret) paramDefaults[key] = String(setting.default);
  for (const [, bucket] of buckets) if (bucket.browserUploads) paramDefaults[bucket.browserUploads.originParam] = bucket.browserUploads.defaultOrigin;

  const environment: Json = { SERVICE_NAME: service, STAGE, EVENT_BUS_NAME: param('eventBusName') };
  for (const [name] of buckets) environment[bucketEnvName(name)] = ref(`${logicalName(name)}Bucket`);
  for (const [name] of tables) environment[tableEnvName(name)] = ref(`${logicalName(name)}Table`);
  if (declaration.websocket) environment.WEBSOCKET_ENDPOINT = sub('https://${WebsocketsApi}.execute-api.${AWS::Region}.amazonaws.com/${sls:stage}');
  for (const [key, setting] of settings) if (!setting.secret) environment[settingEnvName(key, setting)] = param(key);
  environment.LOG_LEVEL = param('logLevel');
  environment.NODE_OPTIONS = '--enable-source-maps';

  const provider: Json = {
    name: 'aws',
    runtime: LAMBDA_RUNTIME,
    architecture: 'arm64',
    stage: "${opt:stage, 'dev'}",
    region: "${opt:region, 'us-east-1'}",
    logRetentionInDays: LOG_RETENTION_DAYS,
    deploymentBucket: { blockPublicAccess: true },
    stackTags: { project: 'contact-refinery', service },
    // X-Ray traces every invocation (the framework grants xray:PutTraceSegments and PutTelemetryRecords with it);
    // the functions' Tracer adds the job and correlation ids. HTTP APIs (v2) cannot trace: traces start at the function.
    tracing: { lambda: true },
    environment,
    ...(declaration.http ? { httpApi: { cors: true, payload: '2.0' } } : {}),
    ...(declaration.websocket
      ? {
          websocketsApiName: stageResourceName(service, 'sockets'),
          // Route selection by each message's JSON `action` (the local gateway does the same).
          websocketsApiRouteSelectionExpression: '$request.body.action',
          websocketsDescription: declaration.websocket.description,
        }
      : {}),
    // The framework's default role name (<service>-<stage>-<region>-lambdaRole) passes IAM's 64 characters for long
    // stages; this one fits every stage up to MAX_STAGE_LENGTH in every region. Role names are per account: the region
    // keeps a stage deployed in two regions apart.
    iam: { role: { name: `refinery-${service}-\${sls:stage}-\${aws:region}`, statements: iamStatements(declaration) } },
  };

  const functions: Json = {};
  for (const subscription of subscriptions) {
    functions[subscription.name] = {
      handler: `src/lambda.${subscription.name}`,
      timeout: subscription.function.timeoutSeconds,
      memorySize: subscription.function.memorySizeMb,
      events: [
        {
          sqs: {
            arn: getAtt(`${logicalName(subscription.name)}Queue`, 'Arn'),
            batchSize: subscription.queue.batchSize,
            maximumBatchingWindow: subscription.queue.maximumBatchingWindowSeconds,
            ...(subscription.queue.maximumConcurrencySetting ? { maximumConcurrency: param(subscription.queue.maximumConcurrencySetting) } : {}),
            functionResponseType: 'ReportBatchItemFailures',
          },
        },
      ],
    };
  }
  for (const schedule of Object.values(declaration.schedules as Record<string, Schedule>)) {
    functions[schedule.name] = {
      handler: `src/lambda.${schedule.name}`,
      description: schedule.description,
      timeout: schedule.function.timeoutSeconds,
      memorySize: schedule.function.memorySizeMb,
      events: [{ schedule: { rate: [rateExpression(schedule.everyMinutes)], enabled: true } }],
    };
  }
  if (subscriptions.length > 0) {
    // Reports every message its subscriptions give up on (their dead-letter inboxes) as a failed stage, then parks it
    // in the dead-letter queue. Its own entry point reads the declaration only, so it reports even when the service
    // cannot start.
    functions.deadLetters = {
      handler: 'src/dead-letters.report',
      description: `Reports each message the ${service} service gives up on as its job's failure, then parks it in its dead-letter queue.`,
      timeout: DEAD_LETTER_REPORTER.timeoutSeconds,
      memorySize: DEAD_LETTER_REPORTER.memorySizeMb,
      events: subscriptions.map((subscription) => ({
        sqs: {
          arn: getAtt(`${logicalName(subscription.name)}DeadLetterInbox`, 'Arn'),
          batchSize: DEAD_LETTER_REPORTER.batchSize,
          functionResponseType: 'ReportBatchItemFailures',
        },
      })),
    };
  }
  if (declaration.http) {
    // No API Gateway authorizer on any route: the handler checks bearer tokens (and signatures on webhook routes).
    functions.api = {
      handler: 'src/lambda.api',
      timeout: declaration.http.function.timeoutSeconds,
      memorySize: declaration.http.function.memorySizeMb,
      events: declaration.http.routes.map((route) => ({ httpApi: route })),
    };
  }
  if (declaration.websocket) {
    functions.socket = {
      handler: 'src/lambda.socket',
      timeout: declaration.websocket.function.timeoutSeconds,
      memorySize: declaration.websocket.function.memorySizeMb,
      events: declaration.websocket.routes.map((route) => ({ websocket: route })),
    };
  }

  const resources: Json = {};
  const outputs: Json = {};
  const usesRegionCode = buckets.length > 0 || Object.values(declaration.reads as Record<string, ReadDeclaration>).some((read) => 'ownedBy' in read);
  for (const [name, bucket] of buckets) {
    const id = `${logicalName(name)}Bucket`;
    const notifies = subscriptions.some((subscription) => subscription.kind === 'objectCreated' && subscription.bucket === name);
    resources[id] = bucketResource(service, name, bucket, notifies);
    resources[`${id}Policy`] = tlsOnlyBucketPolicy(id);
    outputs[`${id}Name`] = { Description: bucket.description, Value: ref(id), Export: { Name: `refinery-${service}-\${sls:stage}-${id}Name` } };
  }
  for (const [name, table] of tables) {
    const id = `${logicalName(name)}Table`;
    resources[id] = tableResource(service, name, table);
    outputs[`${id}Name`] = { Description: table.description, Value: ref(id) };
  }
  for (const schedule of Object.values(declaration.schedules as Record<string, Schedule>)) Object.assign(resources, scheduleAlarm(service, schedule));
  for (const subscription of subscriptions) {
    Object.assign(resources, subscriptionResources(service, subscription));
    outputs[`${logicalName(subscription.name)}DeadLetterQueueUrl`] = {
      Description: `Dead-letter queue of the ${subscription.name} subscription (refinery dlq).`,
      Value: ref(`${logicalName(subscription.name)}DeadLetterQueue`),
    };
  }
  const observed = {
    service,
    functions: Object.entries(functions).map(([name, fn]) => ({ name, timeoutSeconds: (fn as { timeout: number }).timeout })),
    subscriptions: subscriptions.map((subscription) => ({
      name: subscription.name,
      onDefaultBus: subscription.kind === 'objectCreated',
      ruleName: stageResourceName(service, subscription.name),
    })),
    httpApi: Boolean(declaration.http),
    websocketApi: Boolean(declaration.websocket),
    resourceName: (name: string) => stageResourceName(service, name),
  };
  Object.assign(resources, observabilityAlarms(observed));
  resources.Dashboard = serviceDashboard(observed);
  outputs.DashboardName = { Description: "The service's CloudWatch dashboard.", Value: ref('Dashboard') };
  if (declaration.websocket) {
    outputs.WebSocketUrl = {
      Description: 'The WebSocket API clients connect to.',
      Value: sub('wss://${WebsocketsApi}.execute-api.${AWS::Region}.amazonaws.com/${sls:stage}'),
    };
  }

  return {
    service: `refinery-${service}`,
    frameworkVersion: '3',
    // Serverless Framework 3.40's schema predates nodejs22.x and only warns about it; CloudFormation accepts it.
    configValidationMode: 'warn',
    plugins: ['serverless-esbuild', STAGE_CHECK_PLUGIN, ...(declaration.websocket ? [SOCKET_GRANT_PLUGIN] : [])],
    params: {
      default: paramDefaults,
      // Buckets and tables keep their data when the stack is deleted in prod only.
      prod: { dataDeletionPolicy: 'Retain' },
    },
    provider,
    custom: {
      esbuild: {
        bundle: true,
        minify: false,
        sourcemap: true,
        target: 'node22',
        platform: 'node',
        // Bundle everything, the AWS SDK v3 included (pinned versions, not the runtime's). Nothing native reaches a
        // handler: better-sqlite3 is used by the local runtime only.
        exclude: [],
      },
    },
    package: { individually: false },
    functions,
    resources: {
      // Bucket names hold the region's short code.
      ...(usesRegionCode ? { Mappings: { [REGION_CODES_MAPPING]: regionCodesMapping() } } : {}),
      Resources: resources,
      Outputs: outputs,
    },
  };
}

function iamStatements(declaration: ServiceDeclaration): Json[] {
  const buckets = Object.keys(declaration.buckets).map((name) => `${logicalName(name)}Bucket`);
  const tables = Object.keys(declaration.tables).map((name) => `${logicalName(name)}Table`);
  const statements: Json[] = [];
  if (buckets.length > 0) {
    statements.push({ Sid: 'OwnObjects', Effect: 'Allow', Action: OWN_OBJECT_ACTIONS, Resource: one(buckets.map((id) => sub(`\${${id}.Arn}/*`))) });
    // Without ListBucket, reading a missing object answers 403 instead of 404.
    statements.push({ Sid: 'OwnBucketListing', Effect: 'Allow', Action: 's3:ListBucket', Resource: one(buckets.map((id) => getAtt(id, 'Arn'))) });
  }
  for (const [name, read] of Object.entries(declaration.reads as Record<string, ReadDeclaration>)) {
    statements.push({ Sid: `Read${logicalName(name)}`, Effect: 'Allow', Action: 's3:GetObject', Resource: regionSub(readArn(read)) });
  }
  if (tables.length > 0) {
    statements.push({ Sid: 'OwnTables', Effect: 'Allow', Action: DYNAMODB_ITEM_ACTIONS, Resource: one(tables.map((id) => getAtt(id, 'Arn'))) });
  }
  const queues = Object.keys(declaration.subscriptions).map((name) => getAtt(`${logicalName(name)}Queue`, 'Arn'));
  if (queues.length > 0) {
    // A failed message's backoff (ChangeMessageVisibility): Lambda's event source may only receive and delete.
    statements.push({ Sid: 'BackOffOwnMessages', Effect: 'Allow', Action: 'sqs:ChangeMessageVisibility', Resource: one(queues) });
    // The dead-letter reporter parks what it reported in the dead-letter queues.
    const deadLetterQueues = Object.keys(declaration.subscriptions).map((name) => getAtt(`${logicalName(name)}DeadLetterQueue`, 'Arn'));
    statements.push({ Sid: 'ParkDeadLetters', Effect: 'Allow', Action: 'sqs:SendMessage', Resource: one(deadLetterQueues) });
  }
  const secrets = Object.entries(declaration.settings as Record<string, SettingDeclaration>).filter(([, setting]) => setting.secret);
  if (secrets.length > 0) {
    // Its secrets, one SecureString each (the AWS-managed key needs no KMS grant; a customer-managed one would).
    statements.push({
      Sid: 'ReadSecrets',
      Effect: 'Allow',
      Action: 'ssm:GetParameters',
      Resource: one(
        secrets.map(([key]) => sub(`arn:\${AWS::Partition}:ssm:\${AWS::Region}:\${AWS::AccountId}:parameter${secretParameterName(STAGE, key)}`)),
      ),
    });
  }
  statements.push({ Sid: 'PublishEvents', Effect: 'Allow', Action: 'events:PutEvents', Resource: param('eventBusArn') });
  if (declaration.websocket) {
    statements.push({
      Sid: 'PostToOwnSocketConnections',
      Effect: 'Allow',
      Action: 'execute-api:ManageConnections',
      Resource: sub('arn:${AWS::Partition}:execute-api:${AWS::Region}:${AWS::AccountId}:${WebsocketsApi}/${sls:stage}/POST/@connections/*'),
    });
  }
  return statements;
}

function readArn(read: ReadDeclaration): string {
  if ('bucketParam' in read) return `arn:\${AWS::Partition}:s3:::${param(read.bucketParam)}/*`;
  if ('ownedBy' in read) return `arn:\${AWS::Partition}:s3:::${bucketNameTemplate(read.ownedBy.service, read.ownedBy.bucket)}/*`;
  return `arn:\${AWS::Partition}:s3:::${param(read.object.bucketSetting)}/${param(read.object.keySetting)}`;
}

function bucketResource(service: string, name: string, bucket: BucketDeclaration, notifies: boolean): Json {
  return {
    Type: 'AWS::S3::Bucket',
    DeletionPolicy: param('dataDeletionPolicy'),
    UpdateReplacePolicy: param('dataDeletionPolicy'),
    Properties: {
      BucketName: regionSub(bucketNameTemplate(service, name)),
      BucketEncryption: { ServerSideEncryptionConfiguration: [{ ServerSideEncryptionByDefault: { SSEAlgorithm: 'AES256' } }] },
      PublicAccessBlockConfiguration: { BlockPublicAcls: true, BlockPublicPolicy: true, IgnorePublicAcls: true, RestrictPublicBuckets: true },
      OwnershipControls: { Rules: [{ ObjectOwnership: 'BucketOwnerEnforced' }] },
      // S3 -> EventBridge "Object Created" events (to the account's default bus) for the subscription that wants them.
      ...(notifies ? { NotificationConfiguration: { EventBridgeConfiguration: { EventBridgeEnabled: true } } } : {}),
      ...(bucket.browserUploads
        ? {
            // Browsers PUT straight to presigned URLs, with the headers the presigned request names.
            CorsConfiguration: {
              CorsRules: [
                {
                  AllowedMethods: ['PUT'],
                  AllowedOrigins: [param(bucket.browserUploads.originParam)],
                  AllowedHeaders: ['content-type', 'if-none-match'],
                  ExposedHeaders: ['etag'],
                  MaxAge: 3000,
                },
              ],
            },
          }
        : {}),
      LifecycleConfiguration: {
        Rules: [
          bucket.expireAfterDays === 'retentionDays'
            ? {
                // Jobs' objects (every key under tenants/) expire after the retention period, like the jobs' items.
                Id: 'expire-job-data',
                Status: 'Enabled',
                Prefix: JOB_DATA_PREFIX,
                ExpirationInDays: param('retentionDays'),
                AbortIncompleteMultipartUpload: { DaysAfterInitiation: ABORT_INCOMPLETE_UPLOADS_DAYS },
              }
            : bucket.expireAfterDays === undefined
              ? {
                  Id: 'abort-incomplete-multipart-uploads',
                  Status: 'Enabled',
                  AbortIncompleteMultipartUpload: { DaysAfterInitiation: ABORT_INCOMPLETE_UPLOADS_DAYS },
                }
              : {
                  Id: 'expire-objects',
                  Status: 'Enabled',
                  ExpirationInDays: bucket.expireAfterDays,
                  AbortIncompleteMultipartUpload: { DaysAfterInitiation: ABORT_INCOMPLETE_UPLOADS_DAYS },
                },
        ],
      },
    },
  };
}

function tlsOnlyBucketPolicy(bucketId: string): Json {
  return {
    Type: 'AWS::S3::BucketPolicy',
    Properties: {
      Bucket: ref(bucketId),
      PolicyDocument: {
        Version: '2012-10-17',
        Statement: [
          {
            Sid: 'DenyInsecureTransport',
            Effect: 'Deny',
            Principal: '*',
            Action: 's3:*',
            Resource: [getAtt(bucketId, 'Arn'), sub(`\${${bucketId}.Arn}/*`)],
            Condition: { Bool: { 'aws:SecureTransport': 'false' } },
          },
        ],
      },
    },
  };
}

function tableResource(service: string, name: string, table: TableDeclaration): Json {
  return {
    Type: 'AWS::DynamoDB::Table',
    DeletionPolicy: param('dataDeletionPolicy'),
    UpdateReplacePolicy: param('dataDeletionPolicy'),
    Properties: {
      TableName: stageResourceName(service, name),
      BillingMode: 'PAY_PER_REQUEST',
      AttributeDefinitions: [
        { AttributeName: 'pk', AttributeType: 'S' },
        { AttributeName: 'sk', AttributeType: 'S' },
      ],
      KeySchema: [
        { AttributeName: 'pk', KeyType: 'HASH' },
        { AttributeName: 'sk', KeyType: 'RANGE' },
      ],
      PointInTimeRecoverySpecification: { PointInTimeRecoveryEnabled: true },
      SSESpecification: { SSEEnabled: true },
      ...(table.timeToLiveAttribute ? { TimeToLiveSpecification: { AttributeName: table.timeToLiveAttribute, Enabled: true } } : {}),
    },
  };
}

/** EventBridge's rate expression: `rate(1 minute)`, `rate(5 minutes)`. */
export const rateExpression = (minutes: number): string => `rate(${minutes} minute${minutes === 1 ? '' : 's'})`;

/** Three failed runs of a schedule in a row: someone should look (its work is not being done). */
function scheduleAlarm(service: string, schedule: Schedule): Json {
  const functionId = `${logicalName(schedule.name)}LambdaFunction`;
  return {
    [`${logicalName(schedule.name)}FailingAlarm`]: {
      Type: 'AWS::CloudWatch::Alarm',
      Properties: {
        AlarmName: `${stageResourceName(service, schedule.name)}-failing`,
        AlarmDescription: `The ${service} ${schedule.name} schedule failed 3 runs in a row: ${schedule.description} Check its logs.`,
        Namespace: 'AWS/Lambda',
        MetricName: 'Errors',
        Dimensions: [{ Name: 'FunctionName', Value: ref(functionId) }],
        Statistic: 'Sum',
        Period: schedule.everyMinutes * 60,
        EvaluationPeriods: 3,
        DatapointsToAlarm: 3,
        Threshold: 0,
        ComparisonOperator: 'GreaterThanThreshold',
        TreatMissingData: 'notBreaching',
        AlarmActions: [param('alarmTopicArn')],
        OKActions: [param('alarmTopicArn')],
      },
    },
  };
}

function subscriptionResources(service: string, subscription: Subscription): Json {
  const id = logicalName(subscription.name);
  const fromS3 = subscription.kind === 'objectCreated';
  const names = subscriptionQueueNames(service, subscription.name, STAGE);
  // The platform's alarm topic (compose passes it): the stage's operators hear of every alarm.
  const alarmActions = { AlarmActions: [param('alarmTopicArn')], OKActions: [param('alarmTopicArn')] };
  /** Only the subscription's rule may send to this queue. */
  const fromItsRule = (queueId: string, sid: string) => ({
    Type: 'AWS::SQS::QueuePolicy',
    Properties: {
      Queues: [ref(queueId)],
      PolicyDocument: {
        Version: '2012-10-17',
        Statement: [
          {
            Sid: sid,
            Effect: 'Allow',
            Principal: { Service: 'events.amazonaws.com' },
            Action: 'sqs:SendMessage',
            Resource: getAtt(queueId, 'Arn'),
            Condition: { ArnEquals: { 'aws:SourceArn': getAtt(`${id}Rule`, 'Arn') } },
          },
        ],
      },
    },
  });
  return {
    [`${id}Queue`]: {
      Type: 'AWS::SQS::Queue',
      Properties: {
        QueueName: names.queue,
        VisibilityTimeout: subscription.queue.visibilityTimeoutSeconds,
        SqsManagedSseEnabled: true,
        RedrivePolicy: { deadLetterTargetArn: getAtt(`${id}DeadLetterInbox`, 'Arn'), maxReceiveCount: subscription.queue.maxReceiveCount },
      },
    },
    [`${id}DeadLetterInbox`]: {
      Type: 'AWS::SQS::Queue',
      Properties: {
        QueueName: names.deadLetterInbox,
        VisibilityTimeout: 6 * DEAD_LETTER_REPORTER.timeoutSeconds,
        MessageRetentionPeriod: DEAD_LETTER_RETENTION_SECONDS,
        SqsManagedSseEnabled: true,
        // A message the reporter cannot handle is parked unreported rather than lost (the dead-letter alarm goes off).
        RedrivePolicy: { deadLetterTargetArn: getAtt(`${id}DeadLetterQueue`, 'Arn'), maxReceiveCount: DEAD_LETTER_REPORTER.maxReceiveCount },
      },
    },
    [`${id}DeadLetterQueue`]: {
      Type: 'AWS::SQS::Queue',
      Properties: {
        QueueName: names.deadLetterQueue,
        MessageRetentionPeriod: DEAD_LETTER_RETENTION_SECONDS,
        SqsManagedSseEnabled: true,
      },
    },
    [`${id}Rule`]: {
      Type: 'AWS::Events::Rule',
      Properties: {
        Name: stageResourceName(service, subscription.name),
        Description: subscription.description,
        // S3 publishes to the account's default bus; the pattern pins the service's own bucket there.
        EventBusName: fromS3 ? 'default' : param('eventBusName'),
        State: 'ENABLED',
        EventPattern: subscriptionPattern(subscription, fromS3 ? ref(`${logicalName(subscription.bucket)}Bucket`) : undefined),
        Targets: [
          {
            Id: 'queue',
            Arn: getAtt(`${id}Queue`, 'Arn'),
            // An event EventBridge cannot deliver (the queue's policy, a KMS key, a deleted queue) is not dropped: it goes
            // to the inbox, which reports its job failed, after retries for up to a day.
            RetryPolicy: EVENT_DELIVERY_RETRY_POLICY,
            DeadLetterConfig: { Arn: getAtt(`${id}DeadLetterInbox`, 'Arn') },
          },
        ],
      },
    },
    [`${id}QueuePolicy`]: fromItsRule(`${id}Queue`, 'FromItsRuleOnly'),
    [`${id}DeadLetterInboxPolicy`]: fromItsRule(`${id}DeadLetterInbox`, 'UndeliveredFromItsRuleOnly'),
    [`${id}DeadLetterQueueAlarm`]: {
      Type: 'AWS::CloudWatch::Alarm',
      Properties: {
        AlarmName: `${names.deadLetterQueue}-not-empty`,
        AlarmDescription:
          `Messages of the ${service} ${subscription.name} subscription were given up on` +
          (subscription.reportsStageFailures
            ? ' (their jobs failed); inspect and redrive'
            : ' (their loss fails no job); inspect, then redrive or purge') +
          (subscription.redriveNote ? ` (${subscription.redriveNote}).` : '.'),
        Namespace: 'AWS/SQS',
        MetricName: 'ApproximateNumberOfMessagesVisible',
        Dimensions: [{ Name: 'QueueName', Value: getAtt(`${id}DeadLetterQueue`, 'QueueName') }],
        Statistic: 'Maximum',
        Period: 60,
        EvaluationPeriods: 1,
        Threshold: 0,
        ComparisonOperator: 'GreaterThanThreshold',
        TreatMissingData: 'notBreaching',
        ...alarmActions,
      },
    },
    [`${id}DeadLetterInboxAlarm`]: {
      Type: 'AWS::CloudWatch::Alarm',
      Properties: {
        AlarmName: `${names.deadLetterInbox}-stuck`,
        AlarmDescription:
          `The ${service} dead-letter reporter has not reported a message of the ${subscription.name} subscription for ` +
          `${DEAD_LETTER_INBOX_MAX_AGE_SECONDS / 60} minutes: its job may be left running. Check the deadLetters function's logs.`,
        Namespace: 'AWS/SQS',
        MetricName: 'ApproximateAgeOfOldestMessage',
        Dimensions: [{ Name: 'QueueName', Value: getAtt(`${id}DeadLetterInbox`, 'QueueName') }],
        Statistic: 'Maximum',
        Period: 60,
        EvaluationPeriods: 1,
        Threshold: DEAD_LETTER_INBOX_MAX_AGE_SECONDS,
        ComparisonOperator: 'GreaterThanThreshold',
        TreatMissingData: 'notBreaching',
        ...alarmActions,
      },
    },
  };
}
