import { chunkLabeledV1, chunkPlannedV1, jobPlannedV1, stageFailedV1 } from '@refinery/events';
import { defineService, setting } from '@refinery/runtime';
import { z } from 'zod';
import { AWS_REGION_CODES, bucketNameTemplate, rateExpression, SOCKET_GRANT_PLUGIN, STAGE_CHECK_PLUGIN, serverlessConfiguration } from '../src';

const REGION_CODE = { RegionCode: { 'Fn::FindInMap': ['RegionCodes', { Ref: 'AWS::Region' }, 'code'] } };

// What the generator makes of a declaration: declarations made up for the test, one feature at a time. (Every real
// service's serverless.js is checked to be its generated configuration in test/infrastructure, and what the templates
// become once packaged in test/infrastructure/cloudformation.test.ts.)

type Json = Record<string, any>;

const size = {
  queue: { visibilityTimeoutSeconds: 600, maxReceiveCount: 4, batchSize: 10, maximumBatchingWindowSeconds: 2 },
  function: { timeoutSeconds: 90, memorySizeMb: 768 },
};

const merger = defineService({
  name: 'merger',
  description: 'merges',
  buckets: { results: { description: 'Result files.', expireAfterDays: 30 } },
  tables: { ledger: { description: 'The ledger.' }, shortLived: { description: 'Leases.', timeToLiveAttribute: 'expiresAt' } },
  reads: {
    labeledChunks: { description: 'labeled chunks', bucketParam: 'labelerChunksBucket' },
    results: { description: 'its own convention', ownedBy: { service: 'merger', bucket: 'results' } },
    directory: { description: 'one object', object: { bucketSetting: 'directoryBucket', keySetting: 'directoryKey' } },
  },
  settings: {
    chunkWindow: setting(z.coerce.number().int(), { description: 'window', default: 8 }),
    apiTokens: setting(z.string(), { description: 'tokens', env: 'REFINERY_API_TOKENS' }),
    directoryBucket: setting(z.string(), { description: 'bucket' }),
    directoryKey: setting(z.string(), { description: 'key' }),
  },
  subscriptions: {
    progress: { description: 'Totals and chunks.', events: [jobPlannedV1, chunkLabeledV1], ...size },
    failures: {
      description: 'Failures.',
      events: [stageFailedV1],
      from: ['matcher'],
      reportsStageFailures: false,
      redriveNote: 'nothing to lose',
      queue: { ...size.queue, oldestMessageAlarmSeconds: 300 },
      function: size.function,
    },
  },
});

const ingest = defineService({
  name: 'ingest',
  description: 'ingests',
  buckets: { uploads: { description: 'Uploads.', browserUploads: { originParam: 'webOrigin', defaultOrigin: '*', description: 'the page' } } },
  subscriptions: {
    uploads: { description: 'Uploads landed.', objectCreated: { bucket: 'uploads', keyPrefix: 'tenants/', jobOf: () => undefined }, ...size },
  },
  schedules: { sweep: { description: 'Sweeps.', everyMinutes: 5, function: { timeoutSeconds: 120, memorySizeMb: 512 } } },
  http: { routes: ['POST /jobs', 'GET /jobs/{id}'], function: { timeoutSeconds: 29, memorySizeMb: 1024 } },
  websocket: { description: 'Live updates', routes: ['$connect', '$default'], function: { timeoutSeconds: 10, memorySizeMb: 256 } },
});

const generatedMerger = serverlessConfiguration(merger) as Json;
const generatedIngest = serverlessConfiguration(ingest) as Json;
const resources = (configuration: Json): Json => configuration.resources.Resources;

describe('serverlessConfiguration', () => {
  it('makes a Serverless Framework 3 service on Node.js 22 (arm64), bundled by serverless-esbuild', () => {
    expect(generatedMerger).toMatchObject({
      service: 'refinery-merger',
      frameworkVersion: '3',
      plugins: ['serverless-esbuild', STAGE_CHECK_PLUGIN],
      provider: { name: 'aws', runtime: 'nodejs22.x', architecture: 'arm64', stage: "${opt:stage, 'dev'}", logRetentionInDays: 30 },
      custom: { esbuild: { bundle: true, sourcemap: true, target: 'node22', platform: 'node', exclude: [] } },
    });
  });

  it('gives every function the environment the AWS platform reads: bus, log level, own resources, one variable per setting', () => {
    expect(generatedMerger.provider.environment).toEqual({
      SERVICE_NAME: 'merger',
      STAGE: '${sls:stage}',
      EVENT_BUS_NAME: '${param:eventBusName}',
      RESULTS_BUCKET: { Ref: 'ResultsBucket' },
      LEDGER_TABLE: { Ref: 'LedgerTable' },
      SHORT_LIVED_TABLE: { Ref: 'ShortLivedTable' },
      CHUNK_WINDOW: '${param:chunkWindow}',
      REFINERY_API_TOKENS: '${param:apiTokens}',
      DIRECTORY_BUCKET: '${param:directoryBucket}',
      DIRECTORY_KEY: '${param:directoryKey}',
      LOG_LEVEL: '${param:logLevel}',
      NODE_OPTIONS: '--enable-source-maps',
    });
  });

  it("defaults the params of settings that have a default (the deployment must pass the others), and keeps prod's data", () => {
    expect(generatedMerger.params).toEqual({
      default: {
        logLevel: 'info',
        dataDeletionPolicy: 'Delete',
        chunkWindow: '8',
        // The alarms' thresholds (docs/operations.md#alarms), one age per subscription queue; no HTTP API, no 5xx rate.
        functionErrorsThreshold: '0',
        functionThrottlesThreshold: '0',
        ruleFailedInvocationsThreshold: '0',
        progressQueueMaxAgeSeconds: '1200',
        // Declared by the subscription (a quick lane), not derived from its visibility timeout.
        failuresQueueMaxAgeSeconds: '300',
      },
      prod: { dataDeletionPolicy: 'Retain' },
    });
    expect(generatedIngest.params.default).toEqual({
      logLevel: 'info',
      dataDeletionPolicy: 'Delete',
      webOrigin: '*',
      apiServerErrorRatePercent: '5',
      socketExecutionErrorsThreshold: '0',
      functionErrorsThreshold: '0',
      functionThrottlesThreshold: '0',
      ruleFailedInvocationsThreshold: '0',
      uploadsQueueMaxAgeSeconds: '1200',
    });
  });

  it('feeds one function per subscription from its own queue, with partial batch failures and its batching', () => {
    expect(generatedMerger.functions.progress).toEqual({
      handler: 'src/lambda.progress',
      timeout: 90,
      memorySize: 768,
      events: [
        {
          sqs: {
            arn: { 'Fn::GetAtt': ['ProgressQueue', 'Arn'] },
            batchSize: 10,
            maximumBatchingWindow: 2,
            functionResponseType: 'ReportBatchItemFailures',
          },
        },
      ],
    });
    expect(Object.keys(generatedMerger.functions)).toEqual(['progress', 'failures', 'deadLetters']);
  });

  it('splits one event type between two queues by a data pattern: each rule carries it under detail.data, each event source its own concurrency', () => {
    const matcher = defineService({
      name: 'matcher',
      description: 'matches',
      settings: {
        maximumConcurrency: setting(z.coerce.number().int(), { description: 'bulk', default: 100 }),
        expressMaximumConcurrency: setting(z.coerce.number().int(), { description: 'express', default: 10 }),
      },
      subscriptions: {
        chunks: {
          description: 'Bulk.',
          events: [chunkPlannedV1],
          dataPattern: { lane: ['bulk', { exists: false }] },
          queue: { ...size.queue, maximumConcurrencySetting: 'maximumConcurrency' },
          function: size.function,
        },
        expressChunks: {
          description: 'Express.',
          events: [chunkPlannedV1],
          dataPattern: { lane: ['express'] },
          queue: { ...size.queue, maximumConcurrencySetting: 'expressMaximumConcurrency' },
          function: size.function,
        },
      },
    });
    const generated = serverlessConfiguration(matcher) as Json;
    const all = resources(generated);
    expect(all.ChunksRule.Properties.EventPattern).toEqual({
      source: ['refinery.chunker'],
      'detail-type': ['chunk.planned.v1'],
      detail: { data: { lane: ['bulk', { exists: false }] } },
    });
    expect(all.ExpressChunksRule.Properties).toMatchObject({
      Name: 'refinery-matcher-${sls:stage}-express-chunks',
      EventPattern: { source: ['refinery.chunker'], 'detail-type': ['chunk.planned.v1'], detail: { data: { lane: ['express'] } } },
      Targets: [expect.objectContaining({ Arn: { 'Fn::GetAtt': ['ExpressChunksQueue', 'Arn'] } })],
    });
    expect(all.ExpressChunksQueue.Properties.QueueName).toBe('refinery-matcher-${sls:stage}-express-chunks');
    expect(generated.functions.chunks.events[0].sqs).toMatchObject({
      arn: { 'Fn::GetAtt': ['ChunksQueue', 'Arn'] },
      maximumConcurrency: '${param:maximumConcurrency}',
    });
    expect(generated.functions.expressChunks).toMatchObject({
      handler: 'src/lambda.expressChunks',
      events: [{ sqs: { arn: { 'Fn::GetAtt': ['ExpressChunksQueue', 'Arn'] }, maximumConcurrency: '${param:expressMaximumConcurrency}' } }],
    });
  });

  it("feeds every subscription's dead-letter inbox to one reporter, in its own entry point", () => {
    expect(generatedMerger.functions.deadLetters).toEqual({
      handler: 'src/dead-letters.report',
      description: "Reports each message the merger service gives up on as its job's failure, then parks it in its dead-letter queue.",
      timeout: 30,
      memorySize: 256,
      events: ['Progress', 'Failures'].map((id) => ({
        sqs: { arn: { 'Fn::GetAtt': [`${id}DeadLetterInbox`, 'Arn'] }, batchSize: 10, functionResponseType: 'ReportBatchItemFailures' },
      })),
    });
  });

  it('queues each subscription with a dead-letter inbox and a 14-day dead-letter queue, a rule of its declared events, policies for that rule only, alarms', () => {
    const all = resources(generatedMerger);
    expect(all.ProgressQueue.Properties).toEqual({
      QueueName: 'refinery-merger-${sls:stage}-progress',
      VisibilityTimeout: 600,
      SqsManagedSseEnabled: true,
      RedrivePolicy: { deadLetterTargetArn: { 'Fn::GetAtt': ['ProgressDeadLetterInbox', 'Arn'] }, maxReceiveCount: 4 },
    });
    expect(all.ProgressDeadLetterInbox.Properties).toEqual({
      QueueName: 'refinery-merger-${sls:stage}-progress-dlq-inbox',
      VisibilityTimeout: 180,
      MessageRetentionPeriod: 1_209_600,
      SqsManagedSseEnabled: true,
      RedrivePolicy: { deadLetterTargetArn: { 'Fn::GetAtt': ['ProgressDeadLetterQueue', 'Arn'] }, maxReceiveCount: 5 },
    });
    expect(all.ProgressDeadLetterQueue.Properties).toMatchObject({
      QueueName: 'refinery-merger-${sls:stage}-progress-dlq',
      MessageRetentionPeriod: 1_209_600,
    });
    expect(all.ProgressRule.Properties).toMatchObject({
      EventBusName: '${param:eventBusName}',
      EventPattern: { source: ['refinery.chunker', 'refinery.labeler'], 'detail-type': ['job.planned.v1', 'chunk.labeled.v1'] },
      Targets: [
        {
          Id: 'queue',
          Arn: { 'Fn::GetAtt': ['ProgressQueue', 'Arn'] },
          RetryPolicy: { MaximumRetryAttempts: 185, MaximumEventAgeInSeconds: 86_400 },
          DeadLetterConfig: { Arn: { 'Fn::GetAtt': ['ProgressDeadLetterInbox', 'Arn'] } },
        },
      ],
    });
    expect(all.FailuresRule.Properties.EventPattern).toEqual({ source: ['refinery.matcher'], 'detail-type': ['stage.failed.v1'] });
    expect(all.ProgressQueuePolicy.Properties.PolicyDocument.Statement).toEqual([
      expect.objectContaining({
        Action: 'sqs:SendMessage',
        Condition: { ArnEquals: { 'aws:SourceArn': { 'Fn::GetAtt': ['ProgressRule', 'Arn'] } } },
      }),
    ]);
    expect(all.ProgressDeadLetterInboxPolicy.Properties.PolicyDocument.Statement).toEqual([
      expect.objectContaining({
        Action: 'sqs:SendMessage',
        Resource: { 'Fn::GetAtt': ['ProgressDeadLetterInbox', 'Arn'] },
        Condition: { ArnEquals: { 'aws:SourceArn': { 'Fn::GetAtt': ['ProgressRule', 'Arn'] } } },
      }),
    ]);
    const topic = ['${param:alarmTopicArn}'];
    expect(all.ProgressDeadLetterQueueAlarm.Properties).toMatchObject({
      AlarmName: 'refinery-merger-${sls:stage}-progress-dlq-not-empty',
      AlarmDescription: 'Messages of the merger progress subscription were given up on (their jobs failed); inspect and redrive.',
      Dimensions: [{ Name: 'QueueName', Value: { 'Fn::GetAtt': ['ProgressDeadLetterQueue', 'QueueName'] } }],
      Threshold: 0,
      ComparisonOperator: 'GreaterThanThreshold',
      AlarmActions: topic,
      OKActions: topic,
    });
    expect(all.FailuresDeadLetterQueueAlarm.Properties.AlarmDescription).toBe(
      'Messages of the merger failures subscription were given up on (their loss fails no job); inspect, then redrive or purge (nothing to lose).',
    );
    expect(all.ProgressDeadLetterInboxAlarm.Properties).toMatchObject({
      AlarmName: 'refinery-merger-${sls:stage}-progress-dlq-inbox-stuck',
      MetricName: 'ApproximateAgeOfOldestMessage',
      Dimensions: [{ Name: 'QueueName', Value: { 'Fn::GetAtt': ['ProgressDeadLetterInbox', 'QueueName'] } }],
      Threshold: 600,
      AlarmActions: topic,
    });
    expect(generatedMerger.resources.Outputs).toMatchObject({ ProgressDeadLetterQueueUrl: { Value: { Ref: 'ProgressDeadLetterQueue' } } });
  });

  it('runs each schedule as its own function on an EventBridge rate, alarming when three runs in a row fail', () => {
    expect(generatedIngest.functions.sweep).toEqual({
      handler: 'src/lambda.sweep',
      description: 'Sweeps.',
      timeout: 120,
      memorySize: 512,
      events: [{ schedule: { rate: ['rate(5 minutes)'], enabled: true } }],
    });
    expect(resources(generatedIngest).SweepFailingAlarm.Properties).toMatchObject({
      AlarmName: 'refinery-ingest-${sls:stage}-sweep-failing',
      Namespace: 'AWS/Lambda',
      MetricName: 'Errors',
      Dimensions: [{ Name: 'FunctionName', Value: { Ref: 'SweepLambdaFunction' } }],
      Period: 300,
      EvaluationPeriods: 3,
      DatapointsToAlarm: 3,
      AlarmActions: ['${param:alarmTopicArn}'],
    });
    expect(rateExpression(1)).toBe('rate(1 minute)');
  });

  it("routes S3's Object Created events from the default bus, for its own bucket only, which sends them", () => {
    const all = resources(generatedIngest);
    expect(all.UploadsRule.Properties).toMatchObject({
      EventBusName: 'default',
      EventPattern: {
        source: ['aws.s3'],
        'detail-type': ['Object Created'],
        detail: { bucket: { name: [{ Ref: 'UploadsBucket' }] }, object: { key: [{ prefix: 'tenants/' }] } },
      },
    });
    expect(all.UploadsBucket.Properties.NotificationConfiguration).toEqual({ EventBridgeConfiguration: { EventBridgeEnabled: true } });
    expect(resources(generatedMerger).ResultsBucket.Properties).not.toHaveProperty('NotificationConfiguration');
  });

  it('keeps buckets private, encrypted, TLS-only, named for the stage, account and region; scratch objects expire', () => {
    const bucket = resources(generatedMerger).ResultsBucket;
    expect(bucket).toMatchObject({ Type: 'AWS::S3::Bucket', DeletionPolicy: '${param:dataDeletionPolicy}' });
    expect(bucket.Properties).toMatchObject({
      BucketName: { 'Fn::Sub': ['refinery-merger-${sls:stage}-results-${AWS::AccountId}-${RegionCode}', REGION_CODE] },
      PublicAccessBlockConfiguration: { BlockPublicAcls: true, BlockPublicPolicy: true, IgnorePublicAcls: true, RestrictPublicBuckets: true },
      OwnershipControls: { Rules: [{ ObjectOwnership: 'BucketOwnerEnforced' }] },
      LifecycleConfiguration: {
        Rules: [expect.objectContaining({ ExpirationInDays: 30, AbortIncompleteMultipartUpload: { DaysAfterInitiation: 1 } })],
      },
    });
    expect(bucketNameTemplate('merger', 'results')).toBe(bucket.Properties.BucketName['Fn::Sub'][0]);
    // The region's code comes from a mapping of every region, in every template that names a bucket.
    expect(generatedMerger.resources.Mappings.RegionCodes['ap-southeast-2']).toEqual({ code: 'apse2' });
    expect(Object.keys(generatedMerger.resources.Mappings.RegionCodes)).toEqual(Object.keys(AWS_REGION_CODES));
    // And the role's name fits IAM's 64 characters whatever the stage and region.
    expect(generatedMerger.provider.iam.role.name).toBe('refinery-merger-${sls:stage}-${aws:region}');
    expect(resources(generatedMerger).ResultsBucketPolicy.Properties.PolicyDocument.Statement[0]).toMatchObject({
      Effect: 'Deny',
      Condition: { Bool: { 'aws:SecureTransport': 'false' } },
    });
    const uploads = resources(generatedIngest).UploadsBucket.Properties;
    expect(uploads.LifecycleConfiguration.Rules).toEqual([expect.not.objectContaining({ ExpirationInDays: expect.anything() })]);
    expect(uploads.CorsConfiguration.CorsRules).toEqual([
      expect.objectContaining({ AllowedMethods: ['PUT'], AllowedOrigins: ['${param:webOrigin}'] }),
    ]);
    expect(generatedMerger.resources.Outputs.ResultsBucketName).toEqual({
      Description: 'Result files.',
      Value: { Ref: 'ResultsBucket' },
      Export: { Name: 'refinery-merger-${sls:stage}-ResultsBucketName' },
    });
  });

  it('keeps tables on demand, keyed pk/sk, recoverable and encrypted, with a time to live where declared', () => {
    const { LedgerTable: ledger, ShortLivedTable: shortLived } = resources(generatedMerger);
    expect(ledger.Properties).toMatchObject({
      TableName: 'refinery-merger-${sls:stage}-ledger',
      BillingMode: 'PAY_PER_REQUEST',
      KeySchema: [
        { AttributeName: 'pk', KeyType: 'HASH' },
        { AttributeName: 'sk', KeyType: 'RANGE' },
      ],
      PointInTimeRecoverySpecification: { PointInTimeRecoveryEnabled: true },
      SSESpecification: { SSEEnabled: true },
    });
    expect(ledger.Properties).not.toHaveProperty('TimeToLiveSpecification');
    expect(shortLived.Properties.TableName).toBe('refinery-merger-${sls:stage}-short-lived');
    expect(shortLived.Properties.TimeToLiveSpecification).toEqual({ AttributeName: 'expiresAt', Enabled: true });
  });

  it('grants what the declaration needs and nothing else: own objects and tables, each read, the bus', () => {
    expect(generatedMerger.provider.iam.role.statements).toEqual([
      {
        Sid: 'OwnObjects',
        Effect: 'Allow',
        Action: ['s3:GetObject', 's3:PutObject', 's3:DeleteObject', 's3:AbortMultipartUpload', 's3:ListMultipartUploadParts'],
        Resource: { 'Fn::Sub': '${ResultsBucket.Arn}/*' },
      },
      { Sid: 'OwnBucketListing', Effect: 'Allow', Action: 's3:ListBucket', Resource: { 'Fn::GetAtt': ['ResultsBucket', 'Arn'] } },
      {
        Sid: 'ReadLabeledChunks',
        Effect: 'Allow',
        Action: 's3:GetObject',
        Resource: { 'Fn::Sub': 'arn:${AWS::Partition}:s3:::${param:labelerChunksBucket}/*' },
      },
      {
        Sid: 'ReadResults',
        Effect: 'Allow',
        Action: 's3:GetObject',
        Resource: { 'Fn::Sub': ['arn:${AWS::Partition}:s3:::refinery-merger-${sls:stage}-results-${AWS::AccountId}-${RegionCode}/*', REGION_CODE] },
      },
      {
        Sid: 'ReadDirectory',
        Effect: 'Allow',
        Action: 's3:GetObject',
        Resource: { 'Fn::Sub': 'arn:${AWS::Partition}:s3:::${param:directoryBucket}/${param:directoryKey}' },
      },
      {
        Sid: 'OwnTables',
        Effect: 'Allow',
        Action: expect.arrayContaining(['dynamodb:GetItem', 'dynamodb:PutItem', 'dynamodb:Query', 'dynamodb:ConditionCheckItem']),
        Resource: [{ 'Fn::GetAtt': ['LedgerTable', 'Arn'] }, { 'Fn::GetAtt': ['ShortLivedTable', 'Arn'] }],
      },
      {
        Sid: 'BackOffOwnMessages',
        Effect: 'Allow',
        Action: 'sqs:ChangeMessageVisibility',
        Resource: [{ 'Fn::GetAtt': ['ProgressQueue', 'Arn'] }, { 'Fn::GetAtt': ['FailuresQueue', 'Arn'] }],
      },
      {
        Sid: 'ParkDeadLetters',
        Effect: 'Allow',
        Action: 'sqs:SendMessage',
        Resource: [{ 'Fn::GetAtt': ['ProgressDeadLetterQueue', 'Arn'] }, { 'Fn::GetAtt': ['FailuresDeadLetterQueue', 'Arn'] }],
      },
      { Sid: 'PublishEvents', Effect: 'Allow', Action: 'events:PutEvents', Resource: '${param:eventBusArn}' },
    ]);
  });

  it('serves the declared HTTP routes on the api function', () => {
    expect(generatedIngest.provider.httpApi).toEqual({ cors: true, payload: '2.0' });
    expect(generatedIngest.functions.api).toEqual({
      handler: 'src/lambda.api',
      timeout: 29,
      memorySize: 1024,
      events: [{ httpApi: 'POST /jobs' }, { httpApi: 'GET /jobs/{id}' }],
    });
    expect(generatedMerger.provider).not.toHaveProperty('httpApi');
    expect(generatedMerger.functions).not.toHaveProperty('api');
  });

  it('serves the declared WebSocket routes on the socket function, which may post to its own connections only', () => {
    expect(generatedIngest.plugins).toEqual(['serverless-esbuild', STAGE_CHECK_PLUGIN, SOCKET_GRANT_PLUGIN]);
    expect(require.resolve(SOCKET_GRANT_PLUGIN)).toMatch(/drop-wildcard-socket-grant\.js$/);
    expect(generatedIngest.provider).toMatchObject({
      websocketsApiName: 'refinery-ingest-${sls:stage}-sockets',
      websocketsApiRouteSelectionExpression: '$request.body.action',
      websocketsDescription: 'Live updates',
      environment: { WEBSOCKET_ENDPOINT: { 'Fn::Sub': 'https://${WebsocketsApi}.execute-api.${AWS::Region}.amazonaws.com/${sls:stage}' } },
    });
    expect(generatedIngest.functions.socket).toEqual({
      handler: 'src/lambda.socket',
      timeout: 10,
      memorySize: 256,
      events: [{ websocket: '$connect' }, { websocket: '$default' }],
    });
    expect(generatedIngest.provider.iam.role.statements).toContainEqual(
      expect.objectContaining({
        Action: 'execute-api:ManageConnections',
        Resource: {
          'Fn::Sub': 'arn:${AWS::Partition}:execute-api:${AWS::Region}:${AWS::AccountId}:${WebsocketsApi}/${sls:stage}/POST/@connections/*',
        },
      }),
    );
    expect(generatedIngest.resources.Outputs.WebSocketUrl.Value).toEqual({
      'Fn::Sub': 'wss://${WebsocketsApi}.execute-api.${AWS::Region}.amazonaws.com/${sls:stage}',
    });
    expect(generatedMerger.plugins).toEqual(['serverless-esbuild', STAGE_CHECK_PLUGIN]);
    expect(require.resolve(STAGE_CHECK_PLUGIN)).toMatch(/check-stage\.js$/);
    expect(generatedMerger.provider.environment).not.toHaveProperty('WEBSOCKET_ENDPOINT');
  });
});
