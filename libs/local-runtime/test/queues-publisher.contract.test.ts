import { describePublisherContract } from '@refinery/port-contracts/src/publisher';
import { describeQueuesContract } from '@refinery/port-contracts/src/queues';
import { openDatabase } from '../src/database';
import { LocalEventBus } from '../src/local-event-bus';
import { LocalQueues } from '../src/local-queues';
import { LocalQueuesPort } from '../src/local-queues-port';

// The local family of the publisher and queues contracts (the AWS family runs the same suites in libs/aws-adapters).

describePublisherContract('LocalEventBus', async () => {
  const db = openDatabase(':memory:');
  const bus = new LocalEventBus(db, new LocalQueues(db));
  return {
    publisher: bus,
    // The bus's accepted events are its event log.
    accepted: async () =>
      bus.history({ limit: 1_000_000 }).map((logged) => ({
        source: logged.source,
        detailType: logged.detailType,
        detail: JSON.stringify(logged.event.detail),
      })),
    cleanup: async () => {
      db.close();
    },
  };
});

describeQueuesContract('LocalQueuesPort', async () => {
  const db = openDatabase(':memory:');
  const queues = new LocalQueues(db);
  return {
    queues: new LocalQueuesPort(queues),
    createQueue: async (name, options) =>
      queues.createQueue(name, {
        visibilityTimeoutMs: options.visibilityTimeoutSeconds * 1000,
        ...(options.maxReceiveCount === undefined ? {} : { maxReceiveCount: options.maxReceiveCount }),
        ...(options.deadLetterQueue === undefined ? {} : { deadLetterQueue: options.deadLetterQueue }),
      }),
    cleanup: async () => {
      db.close();
    },
  };
});
