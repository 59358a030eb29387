import { EventBridgeClient, PutEventsCommand, PutRuleCommand, PutTargetsCommand } from '@aws-sdk/client-eventbridge';
import { CreateQueueCommand, GetQueueAttributesCommand, ReceiveMessageCommand, SQSClient } from '@aws-sdk/client-sqs';
import { type MotoServer, startMotoServer } from '../src';

// moto's server through our launcher: what it patches (moto/launcher.py), checked against the server itself.

jest.setTimeout(60_000);

let moto: MotoServer;
beforeAll(async () => {
  moto = await startMotoServer();
});
afterAll(async () => {
  await moto?.stop();
});

it('delivers whole events (account included) to a queue rule, even beside a scheduled rule with a Lambda target', async () => {
  const sqs = new SQSClient(moto.clientConfig);
  const events = new EventBridgeClient(moto.clientConfig);
  const url = (await sqs.send(new CreateQueueCommand({ QueueName: 'caught' }))).QueueUrl as string;
  const arn = (await sqs.send(new GetQueueAttributesCommand({ QueueUrl: url, AttributeNames: ['QueueArn'] }))).Attributes?.QueueArn;
  // A schedule's rule on the default bus, as Serverless makes it: no pattern, a function as its target.
  await events.send(new PutRuleCommand({ Name: 'sweep-schedule', ScheduleExpression: 'rate(5 minutes)' }));
  await events.send(
    new PutTargetsCommand({
      Rule: 'sweep-schedule',
      Targets: [{ Id: 'fn', Arn: `arn:aws:lambda:${moto.clientConfig.region}:123456789012:function:sweep` }],
    }),
  );
  await events.send(new PutRuleCommand({ Name: 'uploads', EventPattern: JSON.stringify({ source: ['test.uploads'] }) }));
  await events.send(new PutTargetsCommand({ Rule: 'uploads', Targets: [{ Id: 'q', Arn: arn }] }));

  const put = await events.send(new PutEventsCommand({ Entries: [{ Source: 'test.uploads', DetailType: 'Object Created', Detail: '{"k":1}' }] }));
  expect(put.FailedEntryCount).toBe(0);
  const { Messages = [] } = await sqs.send(new ReceiveMessageCommand({ QueueUrl: url, WaitTimeSeconds: 2 }));
  expect(Messages).toHaveLength(1);
  expect(JSON.parse(Messages[0]?.Body ?? '{}')).toMatchObject({ source: 'test.uploads', account: expect.any(String), detail: { k: 1 } });
});
