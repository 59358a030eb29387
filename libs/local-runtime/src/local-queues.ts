import { randomUUID } from 'node:crypto';
import type { SqliteDatabase, Statement } from './database';

export interface QueueSettings {
  readonly visibilityTimeoutMs: number;
  /** With a dead-letter queue: a message received this many times is moved there on its next receive. */
  readonly maxReceiveCount?: number;
  readonly deadLetterQueue?: string;
}

export interface ReceivedMessage {
  readonly id: string;
  readonly queue: string;
  readonly body: string;
  readonly receiptHandle: string;
  readonly receiveCount: number;
  readonly sentAt: number;
  readonly firstReceivedAt: number;
}

export interface StoredMessage {
  readonly id: string;
  readonly queue: string;
  readonly body: string;
  readonly sentAt: number;
  readonly receiveCount: number;
  readonly visibleAt: number;
  readonly inFlight: boolean;
  readonly deadLetterSource?: string;
  readonly deadLetteredAt?: number;
}

export interface DeadLetteredMessage {
  readonly id: string;
  readonly sourceQueue: string;
  readonly deadLetterQueue: string;
  readonly body: string;
  readonly receiveCount: number;
}

interface MessageRow {
  seq: number;
  id: string;
  queue: string;
  body: string;
  sent_at: number;
  visible_at: number;
  receive_count: number;
  first_received_at: number | null;
  receipt_handle: string | null;
  dead_letter_source: string | null;
  dead_lettered_at: number | null;
}

interface QueueRow {
  name: string;
  visibility_timeout_ms: number;
  max_receive_count: number | null;
  dead_letter_queue: string | null;
}

/**
 * Queues with the semantics of SQS standard queues, in SQLite: at-least-once delivery, a visibility timeout that
 * hides a received message until it is deleted or the timeout ends, ApproximateReceiveCount, and a redrive policy that
 * moves a message to its dead-letter queue on the receive after maxReceiveCount. Every operation is one transaction,
 * so a process killed at any moment leaves each message either delivered-and-deleted or still in its queue.
 */
/** Oldest visible messages among which a receive picks fairly across jobs. */
const FAIRNESS_CANDIDATES = 256;

export class LocalQueues {
  private readonly listeners = new Map<string, Set<() => void>>();
  private readonly anyListeners = new Set<(queue: string) => void>();
  private readonly deadLetterListeners = new Set<(message: DeadLetteredMessage) => void>();
  /** Fault injection for tests: every message sent is enqueued this many times (SQS may deliver duplicates). */
  duplicateDeliveries = 1;

  private readonly statements = new Map<string, Statement>();

  constructor(
    private readonly db: SqliteDatabase,
    private readonly clock: () => number = Date.now,
  ) {}

  private sql(text: string): Statement {
    let statement = this.statements.get(text);
    if (!statement) {
      statement = this.db.prepare(text);
      this.statements.set(text, statement);
    }
    return statement;
  }

  createQueue(name: string, settings: QueueSettings): void {
    if (settings.deadLetterQueue && !this.getQueue(settings.deadLetterQueue)) {
      throw new Error(`dead-letter queue ${settings.deadLetterQueue} of ${name} does not exist; create it first`);
    }
    this.sql(
      `INSERT INTO queues (name, visibility_timeout_ms, max_receive_count, dead_letter_queue) VALUES (?, ?, ?, ?)
         ON CONFLICT (name) DO UPDATE SET visibility_timeout_ms = excluded.visibility_timeout_ms,
           max_receive_count = excluded.max_receive_count, dead_letter_queue = excluded.dead_letter_queue`,
    ).run(name, settings.visibilityTimeoutMs, settings.maxReceiveCount ?? null, settings.deadLetterQueue ?? null);
  }

  queueNames(): string[] {
    return (this.sql('SELECT name FROM queues ORDER BY name').all() as { name: string }[]).map((r) => r.name);
  }

  send(queue: string, bodies: readonly string[]): string[] {
    this.requireQueue(queue);
    const insert = this.sql('INSERT INTO messages (id, queue, body, sent_at, visible_at) VALUES (?, ?, ?, ?, ?)');
    const now = this.clock();
    const ids: string[] = [];
    this.db.transaction(() => {
      for (const body of bodies) {
        for (let copy = 0; copy < this.duplicateDeliveries; copy += 1) {
          const id = randomUUID();
          insert.run(id, queue, body, now, now);
          ids.push(id);
        }
      }
    })();
    this.wake(queue);
    return ids;
  }

  /**
   * Receives up to `max` visible messages and hides them for the visibility timeout. A message already received
   * maxReceiveCount times is moved to the dead-letter queue instead (and dead-letter listeners hear of it, inside the
   * same transaction, so a report of the move can never be lost).
   */
  receive(queue: string, max: number, visibilityTimeoutMs?: number): ReceivedMessage[] {
    const settings = this.requireQueue(queue);
    // Most receives find nothing (every poller of every idle queue asks again after a pause, each service's many
    // workers): those answer from one indexed read, without the write transaction and the fairness query. Nothing is
    // lost: a message that becomes visible just after this read is what the next receive finds, as with SQS.
    if (!this.sql('SELECT 1 FROM messages WHERE queue = ? AND visible_at <= ? LIMIT 1').get(queue, this.clock())) return [];
    const timeout = visibilityTimeoutMs ?? settings.visibility_timeout_ms;
    // Fair among jobs, like SQS fair queues: of the oldest visible messages, those of the job with the fewest messages
    // in flight come first, so a small job's message is not served after every queued one of a big job (order within
    // a job, and for messages of no job, stays oldest first). Standard queues promise no order, so nothing relies on
    // FIFO. Only a bounded window of candidates is looked at, whatever the queue's length.
    const select = this.sql(
      `WITH candidates AS (
         SELECT seq, CASE WHEN json_valid(body) THEN json_extract(body, '$.detail.metadata.jobId') END AS job FROM messages
         WHERE queue = ? AND visible_at <= ? ORDER BY visible_at, seq LIMIT ${FAIRNESS_CANDIDATES}
       ), busy AS (
         SELECT CASE WHEN json_valid(body) THEN json_extract(body, '$.detail.metadata.jobId') END AS job, COUNT(*) AS n FROM messages
         WHERE queue = ? AND visible_at > ? AND receipt_handle IS NOT NULL GROUP BY job
       )
       SELECT m.* FROM candidates c JOIN messages m ON m.seq = c.seq LEFT JOIN busy b ON b.job IS c.job
       ORDER BY COALESCE(b.n, 0), m.visible_at, m.seq LIMIT ?`,
    );
    const markReceived = this.sql(
      `UPDATE messages SET receive_count = receive_count + 1, visible_at = ?, receipt_handle = ?,
         first_received_at = COALESCE(first_received_at, ?) WHERE seq = ?`,
    );
    const moveToDeadLetter = this.sql(
      `UPDATE messages SET queue = ?, visible_at = ?, receipt_handle = NULL, dead_letter_source = ?, dead_lettered_at = ?
       WHERE seq = ?`,
    );
    return this.db
      .transaction(() => {
        const now = this.clock();
        const received: ReceivedMessage[] = [];
        const deadLettered: DeadLetteredMessage[] = [];
        while (received.length < max) {
          const rows = select.all(queue, now, queue, now, max - received.length) as MessageRow[];
          if (rows.length === 0) break;
          for (const row of rows) {
            if (settings.dead_letter_queue && settings.max_receive_count !== null && row.receive_count >= settings.max_receive_count) {
              moveToDeadLetter.run(settings.dead_letter_queue, now, queue, now, row.seq);
              deadLettered.push({
                id: row.id,
                sourceQueue: queue,
                deadLetterQueue: settings.dead_letter_queue,
                body: row.body,
                receiveCount: row.receive_count,
              });
              continue;
            }
            const receiptHandle = randomUUID();
            markReceived.run(now + timeout, receiptHandle, now, row.seq);
            received.push({
              id: row.id,
              queue,
              body: row.body,
              receiptHandle,
              receiveCount: row.receive_count + 1,
              sentAt: row.sent_at,
              firstReceivedAt: row.first_received_at ?? now,
            });
          }
        }
        for (const message of deadLettered) for (const listener of this.deadLetterListeners) listener(message);
        return received;
      })
      .immediate();
  }

  /** Deletes a received message. Like SQS, a stale receipt handle (the message was received again since) deletes nothing. */
  delete(receiptHandle: string): boolean {
    return this.sql('DELETE FROM messages WHERE receipt_handle = ?').run(receiptHandle).changes === 1;
  }

  changeVisibility(receiptHandle: string, timeoutMs: number): boolean {
    const changed =
      this.sql('UPDATE messages SET visible_at = ? WHERE receipt_handle = ?').run(this.clock() + timeoutMs, receiptHandle).changes === 1;
    return changed;
  }

  /**
   * Returns a received message to its queue as if this receive had not happened: its receive count goes back down and
   * it is visible again after `delayMs`. For deliveries that failed on a fault of the machine (a full disk), which must
   * not bring the message closer to its dead-letter queue. A stale receipt handle returns nothing.
   */
  giveBack(receiptHandle: string, delayMs = 0): boolean {
    return (
      this.sql('UPDATE messages SET receive_count = MAX(receive_count - 1, 0), visible_at = ?, receipt_handle = NULL WHERE receipt_handle = ?').run(
        this.clock() + delayMs,
        receiptHandle,
      ).changes === 1
    );
  }

  /** How long a receive hides a message of this queue, unless it says otherwise. */
  visibilityTimeoutMs(queue: string): number {
    return this.requireQueue(queue).visibility_timeout_ms;
  }

  /**
   * Makes every in-flight message visible again. Only for start-up with the data dir locked: the process that
   * received them is gone, so their receipt handles can never be used. Receive counts are kept, as SQS would.
   */
  releaseInFlight(): number {
    const now = this.clock();
    return this.sql('UPDATE messages SET visible_at = ?, receipt_handle = NULL WHERE receipt_handle IS NOT NULL AND visible_at > ?').run(now, now)
      .changes;
  }

  /** Milliseconds until the next message of `queue` becomes visible; undefined when the queue is empty. */
  nextVisibleIn(queue: string): number | undefined {
    const row = this.sql('SELECT MIN(visible_at) AS at FROM messages WHERE queue = ?').get(queue) as { at: number | null };
    return row.at === null ? undefined : Math.max(0, row.at - this.clock());
  }

  depth(queue: string): { visible: number; inFlight: number } {
    const now = this.clock();
    const row = this.sql(
      `SELECT SUM(CASE WHEN visible_at <= ? THEN 1 ELSE 0 END) AS visible,
                SUM(CASE WHEN visible_at > ? THEN 1 ELSE 0 END) AS in_flight FROM messages WHERE queue = ?`,
    ).get(now, now, queue) as { visible: number | null; in_flight: number | null };
    return { visible: row.visible ?? 0, inFlight: row.in_flight ?? 0 };
  }

  /**
   * When the oldest message of `queue` still there (waiting or in flight) was sent, epoch ms; undefined when the queue is
   * empty. SQS's ApproximateAgeOfOldestMessage, for operators (`refinery status`). A dead-lettered message keeps the time
   * it was first sent, as on SQS standard queues.
   */
  oldestSentAt(queue: string): number | undefined {
    const row = this.sql('SELECT MIN(sent_at) AS at FROM messages WHERE queue = ?').get(queue) as { at: number | null };
    return row.at ?? undefined;
  }

  /** Every message of a queue without receiving it (for operators and tests). */
  peek(queue: string, limit = 100): StoredMessage[] {
    const now = this.clock();
    const rows = this.sql('SELECT * FROM messages WHERE queue = ? ORDER BY seq LIMIT ?').all(queue, limit) as MessageRow[];
    return rows.map((row) => ({
      id: row.id,
      queue: row.queue,
      body: row.body,
      sentAt: row.sent_at,
      receiveCount: row.receive_count,
      visibleAt: row.visible_at,
      inFlight: row.visible_at > now,
      ...(row.dead_letter_source ? { deadLetterSource: row.dead_letter_source } : {}),
      ...(row.dead_lettered_at ? { deadLetteredAt: row.dead_lettered_at } : {}),
    }));
  }

  /** Moves messages of a dead-letter queue back to the queues they came from, with fresh receive counts. */
  redrive(deadLetterQueue: string, messageIds?: readonly string[]): number {
    const now = this.clock();
    const moved = this.db.transaction(() => {
      const rows = this.sql('SELECT seq, id, dead_letter_source FROM messages WHERE queue = ? AND dead_letter_source IS NOT NULL').all(
        deadLetterQueue,
      ) as Pick<MessageRow, 'seq' | 'id' | 'dead_letter_source'>[];
      const wanted = messageIds ? new Set(messageIds) : undefined;
      const update = this.sql(
        `UPDATE messages SET queue = ?, visible_at = ?, receive_count = 0, first_received_at = NULL, receipt_handle = NULL,
           dead_letter_source = NULL, dead_lettered_at = NULL WHERE seq = ?`,
      );
      const sources = new Set<string>();
      let count = 0;
      for (const row of rows) {
        if (wanted && !wanted.has(row.id)) continue;
        update.run(row.dead_letter_source, now, row.seq);
        sources.add(row.dead_letter_source as string);
        count += 1;
      }
      return { count, sources };
    })();
    for (const source of moved.sources) this.wake(source);
    return moved.count;
  }

  /** Calls `listener` whenever a message is sent to `queue`. */
  onMessage(queue: string, listener: () => void): () => void {
    const set = this.listeners.get(queue) ?? new Set();
    set.add(listener);
    this.listeners.set(queue, set);
    return () => set.delete(listener);
  }

  /**
   * Calls `listener` with the queue's name whenever a message is sent to any queue (or redriven to it) — possibly inside
   * the sending transaction, before it commits: a listener that tells another thread must wait for the commit.
   */
  onAnyMessage(listener: (queue: string) => void): () => void {
    this.anyListeners.add(listener);
    return () => this.anyListeners.delete(listener);
  }

  /** Called inside the receive transaction that moves a message to a dead-letter queue. Must be synchronous. */
  onDeadLetter(listener: (message: DeadLetteredMessage) => void): () => void {
    this.deadLetterListeners.add(listener);
    return () => this.deadLetterListeners.delete(listener);
  }

  wake(queue: string): void {
    for (const listener of this.listeners.get(queue) ?? []) listener();
    for (const listener of this.anyListeners) listener(queue);
  }

  private getQueue(name: string): QueueRow | undefined {
    return this.sql('SELECT * FROM queues WHERE name = ?').get(name) as QueueRow | undefined;
  }

  private requireQueue(name: string): QueueRow {
    const queue = this.getQueue(name);
    if (!queue) throw new Error(`queue ${name} does not exist`);
    return queue;
  }
}
