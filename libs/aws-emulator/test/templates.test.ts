import { eventBridgeBucketsOf, eventSourceMappingsOf, functionsOf, routesOf, schedulesOf, type Template, withShortTimeouts } from '../src';

// What the emulator reads of a packaged template, on a template shaped as Serverless Framework 3 writes one.

const template: Template = {
  Resources: {
    ChunksLambdaFunction: {
      Type: 'AWS::Lambda::Function',
      Properties: {
        FunctionName: 'refinery-matcher-ci-chunks',
        Handler: 'src/lambda.chunks',
        Timeout: 900,
        MemorySize: 2048,
        Code: { S3Bucket: { Ref: 'ServerlessDeploymentBucket' }, S3Key: 'serverless/refinery-matcher/ci/1-x/refinery-matcher.zip' },
      },
    },
    ApiLambdaFunction: {
      Type: 'AWS::Lambda::Function',
      Properties: {
        FunctionName: 'refinery-matcher-ci-api',
        Handler: 'src/lambda.api',
        Timeout: 29,
        MemorySize: 1024,
        Code: { S3Key: 'k/refinery-matcher.zip' },
      },
    },
    ChunksQueue: { Type: 'AWS::SQS::Queue', Properties: { VisibilityTimeout: 5400 } },
    ChunksEventSourceMapping: {
      Type: 'AWS::Lambda::EventSourceMapping',
      Properties: {
        BatchSize: 1,
        MaximumBatchingWindowInSeconds: 0,
        EventSourceArn: { 'Fn::GetAtt': ['ChunksQueue', 'Arn'] },
        FunctionName: { 'Fn::GetAtt': ['ChunksLambdaFunction', 'Arn'] },
        FunctionResponseTypes: ['ReportBatchItemFailures'],
        ScalingConfig: { MaximumConcurrency: 4 },
      },
    },
    HttpApi: { Type: 'AWS::ApiGatewayV2::Api', Properties: { ProtocolType: 'HTTP' } },
    HttpApiIntegrationApi: {
      Type: 'AWS::ApiGatewayV2::Integration',
      Properties: { ApiId: { Ref: 'HttpApi' }, IntegrationUri: { 'Fn::GetAtt': ['ApiLambdaFunction', 'Arn'] } },
    },
    HttpApiRouteGetJobs: {
      Type: 'AWS::ApiGatewayV2::Route',
      Properties: {
        ApiId: { Ref: 'HttpApi' },
        RouteKey: 'GET /jobs',
        Target: { 'Fn::Join': ['/', ['integrations', { Ref: 'HttpApiIntegrationApi' }]] },
      },
    },
    UploadsBucket: { Type: 'AWS::S3::Bucket', Properties: { NotificationConfiguration: { EventBridgeConfiguration: { EventBridgeEnabled: true } } } },
    ResultsBucket: { Type: 'AWS::S3::Bucket', Properties: {} },
  },
};

test('reads functions, event source mappings, routes and the buckets that send their events', () => {
  expect(functionsOf(template)).toEqual([
    {
      logicalId: 'ChunksLambdaFunction',
      name: 'refinery-matcher-ci-chunks',
      handler: 'src/lambda.chunks',
      timeoutSeconds: 900,
      memoryMb: 2048,
      artifactKey: 'serverless/refinery-matcher/ci/1-x/refinery-matcher.zip',
    },
    {
      logicalId: 'ApiLambdaFunction',
      name: 'refinery-matcher-ci-api',
      handler: 'src/lambda.api',
      timeoutSeconds: 29,
      memoryMb: 1024,
      artifactKey: 'k/refinery-matcher.zip',
    },
  ]);
  expect(eventSourceMappingsOf(template)).toEqual([
    {
      functionLogicalId: 'ChunksLambdaFunction',
      queueLogicalId: 'ChunksQueue',
      batchSize: 1,
      maximumBatchingWindowSeconds: 0,
      reportBatchItemFailures: true,
      maximumConcurrency: 4,
    },
  ]);
  expect(routesOf(template)).toEqual([{ protocol: 'HTTP', routeKey: 'GET /jobs', functionLogicalId: 'ApiLambdaFunction' }]);
  expect(eventBridgeBucketsOf(template)).toEqual(['UploadsBucket']);
});

test('makes a stage with short timeouts: queue-fed functions divided (with a floor), their queues scaled with them', () => {
  const short = withShortTimeouts(template, { factor: 60, minimumSeconds: 5 });
  expect(short.Resources.ChunksLambdaFunction?.Properties?.Timeout).toBe(15);
  expect(short.Resources.ChunksQueue?.Properties?.VisibilityTimeout).toBe(90); // 6 x, as the template keeps it
  expect(short.Resources.ApiLambdaFunction?.Properties?.Timeout).toBe(29); // API functions keep theirs
  expect(template.Resources.ChunksLambdaFunction?.Properties?.Timeout).toBe(900); // the original is untouched
  expect(withShortTimeouts(template, { factor: 1000, minimumSeconds: 5 }).Resources.ChunksLambdaFunction?.Properties?.Timeout).toBe(5);
});

test('reads the rate rules that invoke functions (moto never fires them), and refuses what it cannot run', () => {
  const rule = (properties: Record<string, unknown>) => ({ Type: 'AWS::Events::Rule', Properties: properties });
  const scheduled: Template = {
    Resources: {
      SweepLambdaFunction: { Type: 'AWS::Lambda::Function', Properties: {} },
      SweepEventsRuleSchedule1: rule({
        ScheduleExpression: 'rate(5 minutes)',
        State: 'ENABLED',
        Targets: [{ Arn: { 'Fn::GetAtt': ['SweepLambdaFunction', 'Arn'] }, Id: 's' }],
      }),
      HourlyRule: rule({ ScheduleExpression: 'rate(1 hour)', Targets: [{ Arn: { 'Fn::GetAtt': ['SweepLambdaFunction', 'Arn'] }, Id: 'h' }] }),
      Off: rule({
        ScheduleExpression: 'rate(1 minute)',
        State: 'DISABLED',
        Targets: [{ Arn: { 'Fn::GetAtt': ['SweepLambdaFunction', 'Arn'] }, Id: 'o' }],
      }),
      ToAQueue: rule({ ScheduleExpression: 'rate(1 minute)', Targets: [{ Arn: { 'Fn::GetAtt': ['SomeQueue', 'Arn'] }, Id: 'q' }] }),
      Pattern: rule({ EventPattern: { source: ['x'] }, Targets: [] }),
    },
  };
  expect(schedulesOf(scheduled)).toEqual([
    { functionLogicalId: 'SweepLambdaFunction', everySeconds: 300 },
    { functionLogicalId: 'SweepLambdaFunction', everySeconds: 3600 },
  ]);
  expect(() => schedulesOf({ Resources: { Cron: rule({ ScheduleExpression: 'cron(0 12 * * ? *)', Targets: [] }) } })).toThrow(
    'rule Cron: the emulator runs rate(...) schedules only, not cron(0 12 * * ? *)',
  );
});
