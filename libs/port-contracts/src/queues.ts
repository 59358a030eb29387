import { randomUUID } from 'node:crypto';
import type { Queues, ReceivedQueueMessage } from '@refinery/ports';

export interface QueueOptions {
  readonly visibilityTimeoutSeconds: number;
  readonly maxReceiveCount?: number;
  readonly deadLetterQueue?: string;
}

export interface QueuesContractSubject {
  readonly queues: Queues;
  /** Creates a standard queue (its dead-letter queue, when given, already exists). */
  createQueue(name: string, options: QueueOptions): Promise<void>;
  cleanup(): Promise<void>;
}

/**
 * What every `Queues` adapter must agree on, with SQS standard-queue semantics. The suite waits for real visibility
 * timeouts of one second in two tests; elsewhere it ends an invisibility with changeVisibility(0). It asserts only what
 * SQS promises: no order within a queue, no exact depth while a visibility timeout is lapsing, new ids after a redrive.
 */
export function describeQueuesContract(name: string, setup: () => Promise<QueuesContractSubject>): void {
  describe(`Queues contract: ${name}`, () => {
    let subject: QueuesContractSubject;
    let queues: Queues;
    beforeEach(async () => {
      subject = await setup();
      queues = subject.queues;
    });
    afterEach(() => subject.cleanup());

    /** A queue of its own for each test, so a suite can share one emulator. */
    async function queue(options: QueueOptions = { visibilityTimeoutSeconds: 30 }): Promise<string> {
      const queueName = `contract-${randomUUID().slice(0, 8)}`;
      await subject.createQueue(queueName, options);
      return queueName;
    }

    async function workWithDeadLetterQueue(maxReceiveCount: number): Promise<{ work: string; dlq: string }> {
      const dlq = await queue();
      const work = await queue({ visibilityTimeoutSeconds: 30, maxReceiveCount, deadLetterQueue: dlq });
      return { work, dlq };
    }

    /** Receives until `count` messages came or a receive is empty. */
    async function receiveAll(queueName: string, count: number): Promise<ReceivedQueueMessage[]> {
      const all: ReceivedQueueMessage[] = [];
      while (all.length < count) {
        const batch = await queues.receive(queueName, { max: 10 });
        if (batch.length === 0) break;
        all.push(...batch);
      }
      return all;
    }

    /** Sends bodies to a work queue and, after maxReceiveCount receives each, lets the next receive dead-letter them. */
    async function deadLetter(bodies: readonly string[]): Promise<{ work: string; dlq: string; ids: Map<string, string> }> {
      const { work, dlq } = await workWithDeadLetterQueue(1);
      await queues.send(work, bodies);
      const received = await receiveAll(work, bodies.length);
      expect(received).toHaveLength(bodies.length);
      for (const message of received) await queues.changeVisibility(work, message.receiptHandle, 0);
      expect(await queues.receive(work, { max: 10 })).toEqual([]);
      return { work, dlq, ids: new Map(received.map((message) => [message.body, message.id])) };
    }

    it('sends, receives with id, body, receive count and sent time, and deletes', async () => {
      const work = await queue();
      const before = Date.now();
      await queues.send(work, ['{"n":1}']);
      const [message, ...rest] = await queues.receive(work, { max: 10 });
      expect(rest).toEqual([]);
      expect(message).toMatchObject({ body: '{"n":1}', receiveCount: 1 });
      expect(typeof message?.id).toBe('string');
      expect(typeof message?.receiptHandle).toBe('string');
      expect(message?.sentAt.getTime()).toBeGreaterThanOrEqual(before - 1000);
      expect(message?.sentAt.getTime()).toBeLessThanOrEqual(Date.now() + 1000);
      if (message?.firstReceivedAt) expect(message.firstReceivedAt.getTime()).toBeGreaterThanOrEqual(message.sentAt.getTime());
      await queues.delete(work, [message!.receiptHandle]);
      expect(await queues.depth(work)).toEqual({ visible: 0, inFlight: 0 });
      expect(await queues.receive(work, { max: 10 })).toEqual([]);
    });

    it('sends and deletes more than 10 at a time, and bodies of any size up to 1 MiB', async () => {
      const work = await queue();
      const bodies = Array.from({ length: 25 }, (_, index) => `${index}:${'b'.repeat(index % 5 === 0 ? 100 * 1024 : index)}`);
      bodies.push(`large:${'l'.repeat(300 * 1024)}`, `utf8:${'é'.repeat(100)}`);
      await queues.send(work, bodies);
      expect(await queues.depth(work)).toEqual({ visible: bodies.length, inFlight: 0 });
      const received = await receiveAll(work, bodies.length);
      expect(received.map((message) => message.body).sort()).toEqual([...bodies].sort());
      expect(new Set(received.map((message) => message.id)).size).toBe(bodies.length);
      await queues.delete(
        work,
        received.map((message) => message.receiptHandle),
      );
      expect(await queues.depth(work)).toEqual({ visible: 0, inFlight: 0 });
    });

    it('refuses bodies SQS would refuse before sending any body of the call', async () => {
      const work = await queue();
      await expect(queues.send(work, ['ok', 'x'.repeat(1024 * 1024 + 1)])).rejects.toThrow(/message 1 is 1048577 bytes/);
      await expect(queues.send(work, ['ok', ''])).rejects.toThrow(/message 1 is 0 bytes/);
      await expect(queues.send(work, ['ok', 'nul \u0000 inside'])).rejects.toThrow(/message 1 has characters/);
      await queues.send(work, []);
      expect(await queues.depth(work)).toEqual({ visible: 0, inFlight: 0 });
    });

    it('receives at most `max` (1 to 10) and refuses other limits', async () => {
      const work = await queue();
      await queues.send(work, ['1', '2', '3']);
      expect(await queues.receive(work, { max: 2 })).toHaveLength(2);
      await expect(queues.receive(work, { max: 0 })).rejects.toThrow(/max/);
      await expect(queues.receive(work, { max: 11 })).rejects.toThrow(/max/);
      await expect(queues.receive(work, { max: 1, waitSeconds: 21 })).rejects.toThrow(/waitSeconds/);
      await expect(queues.receive(work, { max: 1, visibilityTimeoutSeconds: -1 })).rejects.toThrow(/visibilityTimeoutSeconds/);
      expect(await queues.depth(work)).toEqual({ visible: 1, inFlight: 2 });
    });

    it('refuses a queue that does not exist', async () => {
      const missing = `missing-${randomUUID().slice(0, 8)}`;
      await expect(queues.send(missing, ['a'])).rejects.toThrow(`queue ${missing} does not exist`);
      await expect(queues.receive(missing, { max: 1 })).rejects.toThrow(`queue ${missing} does not exist`);
      await expect(queues.depth(missing)).rejects.toThrow(`queue ${missing} does not exist`);
    });

    it('hides a received message for the visibility timeout, then delivers it again with a higher count and a new handle', async () => {
      const work = await queue({ visibilityTimeoutSeconds: 1 });
      await queues.send(work, ['short', 'long']);
      const [first] = await queues.receive(work, { max: 1 });
      const [second] = await queues.receive(work, { max: 1, visibilityTimeoutSeconds: 30 });
      expect([first?.body, second?.body].sort()).toEqual(['long', 'short']);
      expect(await queues.receive(work, { max: 10 })).toEqual([]);
      expect(await queues.depth(work)).toEqual({ visible: 0, inFlight: 2 });
      await sleep(1300);
      // Only the message received with the queue's one-second timeout is back; the other was hidden for 30 s.
      const again = await queues.receive(work, { max: 10 });
      expect(again).toHaveLength(1);
      expect(again[0]).toMatchObject({ id: first?.id, body: first?.body, receiveCount: 2 });
      expect(again[0]?.receiptHandle).not.toBe(first?.receiptHandle);
    });

    it('long-polls: a receive that waits returns a message sent while it waits', async () => {
      const work = await queue();
      const started = Date.now();
      const receiving = queues.receive(work, { max: 10, waitSeconds: 5 });
      await sleep(200);
      await queues.send(work, ['late']);
      const received = await receiving;
      expect(received.map((message) => message.body)).toEqual(['late']);
      expect(Date.now() - started).toBeLessThan(3000);
    });

    it('ignores a stale receipt handle on delete: the message stays for its current receiver', async () => {
      const work = await queue();
      await queues.send(work, ['a']);
      const [first] = await queues.receive(work, { max: 1 });
      await queues.changeVisibility(work, first!.receiptHandle, 0);
      const [second] = await queues.receive(work, { max: 1 });
      expect(second).toMatchObject({ id: first?.id, receiveCount: 2 });
      await queues.delete(work, [first!.receiptHandle]);
      expect(await queues.depth(work)).toEqual({ visible: 0, inFlight: 1 });
      await queues.delete(work, [second!.receiptHandle, second!.receiptHandle]);
      expect(await queues.depth(work)).toEqual({ visible: 0, inFlight: 0 });
      await expect(queues.changeVisibility(work, second!.receiptHandle, 0)).rejects.toThrow(/stale/);
    });

    it('moves a message to the dead-letter queue on the receive after maxReceiveCount, keeping its id and body', async () => {
      const { work, dlq } = await workWithDeadLetterQueue(2);
      await queues.send(work, ['poison']);
      let id: string | undefined;
      for (let attempt = 1; attempt <= 2; attempt += 1) {
        const [message] = await queues.receive(work, { max: 1 });
        expect(message).toMatchObject({ body: 'poison', receiveCount: attempt });
        id = message?.id;
        await queues.changeVisibility(work, message!.receiptHandle, 0);
      }
      expect(await queues.receive(work, { max: 10 })).toEqual([]);
      expect(await queues.depth(work)).toEqual({ visible: 0, inFlight: 0 });
      expect(await queues.depth(dlq)).toEqual({ visible: 1, inFlight: 0 });
      const [dead] = await queues.receive(dlq, { max: 10 });
      expect(dead).toMatchObject({ id, body: 'poison' });
      expect(dead!.receiveCount).toBeGreaterThan(2);
    });

    it('peeks without consuming: messages stay visible, receive counts go up by one', async () => {
      const { dlq, ids } = await deadLetter(['p1', 'p2', 'p3']);
      const peeked = await queues.peek(dlq, 10);
      expect(peeked.map((message) => message.body).sort()).toEqual(['p1', 'p2', 'p3']);
      for (const message of peeked) expect(message.id).toBe(ids.get(message.body));
      expect(peeked.every((message) => !('receiptHandle' in message))).toBe(true);
      expect(await queues.depth(dlq)).toEqual({ visible: 3, inFlight: 0 });
      expect(await queues.peek(dlq, 2)).toHaveLength(2);
      const counts = new Map(peeked.map((message) => [message.id, message.receiveCount]));
      const after = await queues.peek(dlq, 10);
      expect(after).toHaveLength(3);
      for (const message of after) expect(message.receiveCount).toBeGreaterThan(counts.get(message.id)!);
      expect(await queues.peek(await queue(), 10)).toEqual([]);
    });

    it('redrives chosen messages by id to the target, leaving the others visible in the dead-letter queue', async () => {
      const { work, dlq, ids } = await deadLetter(['r1', 'r2', 'r3']);
      expect(await queues.redrive(dlq, work, { messageIds: [ids.get('r2')!, 'no-such-id'] })).toBe(1);
      expect(await queues.depth(dlq)).toEqual({ visible: 2, inFlight: 0 });
      const [redriven, ...rest] = await queues.receive(work, { max: 10 });
      expect(rest).toEqual([]);
      expect(redriven).toMatchObject({ body: 'r2', receiveCount: 1 });
      expect((await queues.peek(dlq, 10)).map((message) => message.body).sort()).toEqual(['r1', 'r3']);
    });

    it('redrives every message of a dead-letter queue to the target', async () => {
      const { work, dlq } = await deadLetter(['a1', 'a2', 'a3']);
      const elsewhere = await queue();
      expect(await queues.redrive(dlq, elsewhere)).toBe(3);
      expect(await queues.depth(dlq)).toEqual({ visible: 0, inFlight: 0 });
      expect(await queues.depth(work)).toEqual({ visible: 0, inFlight: 0 });
      const received = await receiveAll(elsewhere, 3);
      expect(received.map((message) => message.body).sort()).toEqual(['a1', 'a2', 'a3']);
      expect(received.every((message) => message.receiveCount === 1)).toBe(true);
      expect(await queues.redrive(dlq, elsewhere)).toBe(0);
    });
  });
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
