import { CreateQueueCommand, GetQueueAttributesCommand, SQSClient } from '@aws-sdk/client-sqs';
import { describeQueuesContract } from '@refinery/port-contracts/src/queues';
import { type AwsEmulators, startAwsEmulators } from '@refinery/test-support';
import { SqsQueues } from '../src/sqs-queues';

// The AWS family of the queues contract, against fauxqs (SQS in this process). Every test makes queues of its own.

let emulators: AwsEmulators;
beforeAll(async () => {
  emulators = await startAwsEmulators();
});
afterAll(() => emulators.stop());

describeQueuesContract('SqsQueues on fauxqs', async () => {
  const client = new SQSClient({ ...emulators.clientConfig('sqs'), maxAttempts: 1 });
  return {
    // Scans poll briefly: fauxqs, unlike SQS, answers a short poll from the whole queue (and a long one waits it out).
    queues: new SqsQueues({ client, scanWaitSeconds: 0 }),
    createQueue: async (name, options) => {
      const attributes: Record<string, string> = { VisibilityTimeout: String(options.visibilityTimeoutSeconds) };
      if (options.deadLetterQueue !== undefined) {
        const { QueueUrl } = await client.send(new CreateQueueCommand({ QueueName: options.deadLetterQueue }));
        const { Attributes } = await client.send(new GetQueueAttributesCommand({ QueueUrl, AttributeNames: ['QueueArn'] }));
        attributes.RedrivePolicy = JSON.stringify({ deadLetterTargetArn: Attributes?.QueueArn, maxReceiveCount: options.maxReceiveCount ?? 10 });
      }
      await client.send(new CreateQueueCommand({ QueueName: name, Attributes: attributes }));
    },
    cleanup: async () => client.destroy(),
  };
});
