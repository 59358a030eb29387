import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { EventBridgeClient } from '@aws-sdk/client-eventbridge';
import { S3Client } from '@aws-sdk/client-s3';
import { SQSClient } from '@aws-sdk/client-sqs';
import { SSMClient } from '@aws-sdk/client-ssm';
import { functionTracer } from './tracing';

export interface AwsClients {
  readonly s3: S3Client;
  readonly dynamodb: DynamoDBClient;
  readonly eventBridge: EventBridgeClient;
  readonly sqs: SQSClient;
  /** Parameter Store, where the secrets are. */
  readonly ssm: SSMClient;
}

/**
 * SDK clients as Lambda gives them their settings: region and credentials from the environment, and endpoints from
 * AWS_ENDPOINT_URL_<SERVICE> when set (emulators in tests). Created once per process and reused across invocations,
 * so connections stay warm. Each is captured by the process's Tracer: on Lambda with active tracing every call is a
 * subsegment of the invocation's trace and carries its trace header (EventBridge passes it on to the SQS messages it
 * delivers); elsewhere capturing does nothing. The overrides (tests) are left as given.
 */
export function awsClients(overrides: Partial<AwsClients> = {}): AwsClients {
  const tracer = functionTracer();
  return {
    s3: overrides.s3 ?? tracer.captureAWSv3Client(new S3Client({})),
    dynamodb: overrides.dynamodb ?? tracer.captureAWSv3Client(new DynamoDBClient({})),
    eventBridge: overrides.eventBridge ?? tracer.captureAWSv3Client(new EventBridgeClient({})),
    // Queue URLs name their own host; keep using the configured endpoint (the same on AWS, the emulator's in tests).
    sqs: overrides.sqs ?? tracer.captureAWSv3Client(new SQSClient({ useQueueUrlAsEndpoint: false })),
    ssm: overrides.ssm ?? tracer.captureAWSv3Client(new SSMClient({})),
  };
}
