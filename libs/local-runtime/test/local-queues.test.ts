import { openDatabase } from '../src/database';
import { type DeadLetteredMessage, LocalQueues } from '../src/local-queues';

function setup() {
  let now = 1_000_000;
  const db = openDatabase(':memory:');
  const queues = new LocalQueues(db, () => now);
  queues.createQueue('work-dlq', { visibilityTimeoutMs: 30_000 });
  queues.createQueue('work', { visibilityTimeoutMs: 30_000, maxReceiveCount: 3, deadLetterQueue: 'work-dlq' });
  return { queues, advance: (ms: number) => (now += ms) };
}

describe('LocalQueues (SQS standard queue semantics)', () => {
  it('hides a received message for the visibility timeout, then delivers it again with a higher receive count', () => {
    const { queues, advance } = setup();
    queues.send('work', ['a']);
    const [first] = queues.receive('work', 10);
    expect(first).toMatchObject({ body: 'a', receiveCount: 1 });
    expect(queues.receive('work', 10)).toHaveLength(0);
    advance(29_999);
    expect(queues.receive('work', 10)).toHaveLength(0);
    advance(1);
    const [second] = queues.receive('work', 10);
    expect(second).toMatchObject({ body: 'a', receiveCount: 2 });
    expect(second?.receiptHandle).not.toBe(first?.receiptHandle);
  });

  it('deletes with the current receipt handle only', () => {
    const { queues, advance } = setup();
    queues.send('work', ['a']);
    const [first] = queues.receive('work', 1);
    advance(30_000);
    const [second] = queues.receive('work', 1);
    expect(queues.delete(first!.receiptHandle)).toBe(false);
    expect(queues.depth('work')).toEqual({ visible: 0, inFlight: 1 });
    expect(queues.delete(second!.receiptHandle)).toBe(true);
    expect(queues.depth('work')).toEqual({ visible: 0, inFlight: 0 });
  });

  it('receives at most the batch size, oldest first', () => {
    const { queues } = setup();
    queues.send('work', ['1', '2', '3', '4', '5']);
    expect(queues.receive('work', 2).map((m) => m.body)).toEqual(['1', '2']);
    expect(queues.receive('work', 10).map((m) => m.body)).toEqual(['3', '4', '5']);
  });

  it('serves jobs fairly: a message of a job with fewer in flight goes before older ones of a busy job', () => {
    const { queues } = setup();
    const event = (jobId: string, n: number) => JSON.stringify({ detail: { metadata: { jobId }, data: { n } } });
    queues.send(
      'work',
      [1, 2, 3, 4, 5].map((n) => event('big', n)),
    );
    expect(queues.receive('work', 2).map((m) => JSON.parse(m.body).detail.data.n)).toEqual([1, 2]);
    queues.send('work', [event('small', 1)]);
    // Big has two in flight, small none: small's one message comes first although big's 3, 4, 5 are older.
    const next = queues.receive('work', 2).map((m) => JSON.parse(m.body) as { detail: { metadata: { jobId: string }; data: { n: number } } });
    expect(next.map((m) => [m.detail.metadata.jobId, m.detail.data.n])).toEqual([
      ['small', 1],
      ['big', 3],
    ]);
    // Within a job, oldest first; bodies that are not events are served oldest first too.
    queues.send('work', ['plain']);
    expect(queues.receive('work', 10).map((m) => m.body)).toEqual(['plain', event('big', 4), event('big', 5)]);
  });

  it('moves a message to the dead-letter queue on the receive after maxReceiveCount and reports it', () => {
    const { queues, advance } = setup();
    const reports: DeadLetteredMessage[] = [];
    queues.onDeadLetter((message) => reports.push(message));
    queues.send('work', ['poison']);
    for (let attempt = 1; attempt <= 3; attempt += 1) {
      expect(queues.receive('work', 1)[0]?.receiveCount).toBe(attempt);
      advance(30_000);
    }
    expect(queues.receive('work', 1)).toHaveLength(0);
    expect(reports).toEqual([expect.objectContaining({ sourceQueue: 'work', deadLetterQueue: 'work-dlq', body: 'poison', receiveCount: 3 })]);
    expect(queues.peek('work-dlq')).toEqual([expect.objectContaining({ body: 'poison', deadLetterSource: 'work' })]);
  });

  it('redrives dead-lettered messages to their source queue with a fresh receive count', () => {
    const { queues, advance } = setup();
    queues.send('work', ['poison']);
    for (let attempt = 0; attempt < 4; attempt += 1) {
      queues.receive('work', 1);
      advance(30_000);
    }
    expect(queues.redrive('work-dlq')).toBe(1);
    expect(queues.peek('work-dlq')).toHaveLength(0);
    expect(queues.receive('work', 1)[0]).toMatchObject({ body: 'poison', receiveCount: 1 });
  });

  it('tells when the oldest message still in a queue was sent, in flight or dead-lettered included', () => {
    const { queues, advance } = setup();
    expect(queues.oldestSentAt('work')).toBeUndefined();
    queues.send('work', ['first']);
    const firstSentAt = advance(0);
    advance(5_000);
    queues.send('work', ['second']);
    // In flight still counts (SQS's age of the oldest message does too), and a dead-lettered message keeps its sent time.
    expect(queues.receive('work', 1)[0]?.body).toBe('first');
    expect(queues.oldestSentAt('work')).toBe(firstSentAt);
    for (let attempt = 0; attempt < 3; attempt += 1) {
      advance(30_000);
      queues.receive('work', 2);
    }
    advance(30_000);
    queues.receive('work', 2);
    expect(queues.peek('work-dlq')).toHaveLength(2);
    expect(queues.oldestSentAt('work')).toBeUndefined();
    expect(queues.oldestSentAt('work-dlq')).toBe(firstSentAt);
  });

  it('changes visibility of a received message', () => {
    const { queues, advance } = setup();
    queues.send('work', ['a']);
    const [message] = queues.receive('work', 1);
    expect(queues.changeVisibility(message!.receiptHandle, 0)).toBe(true);
    advance(1);
    expect(queues.receive('work', 1)).toHaveLength(1);
  });

  it('releases in-flight messages at start-up, keeping their receive counts', () => {
    const { queues } = setup();
    queues.send('work', ['a', 'b']);
    queues.receive('work', 2);
    expect(queues.releaseInFlight()).toBe(2);
    expect(queues.receive('work', 2).map((m) => m.receiveCount)).toEqual([2, 2]);
  });

  it('delivers duplicates when asked to (fault injection)', () => {
    const { queues } = setup();
    queues.duplicateDeliveries = 2;
    queues.send('work', ['a']);
    expect(queues.receive('work', 10).map((m) => m.body)).toEqual(['a', 'a']);
  });

  it('wakes listeners on send and refuses unknown queues', () => {
    const { queues } = setup();
    const woken: string[] = [];
    queues.onMessage('work', () => woken.push('work'));
    queues.send('work', ['a']);
    expect(woken).toEqual(['work']);
    expect(() => queues.send('nope', ['a'])).toThrow('queue nope does not exist');
    expect(() => queues.createQueue('x', { visibilityTimeoutMs: 1, deadLetterQueue: 'missing' })).toThrow('does not exist');
  });
});
