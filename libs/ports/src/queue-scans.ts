import type { QueueMessage, ReceivedQueueMessage } from './queues';

/** SQS's largest message body (1 MiB): both adapters refuse what SQS would refuse, before anything is sent. */
export const MAX_QUEUE_BODY_BYTES = 1024 * 1024;
// The characters SQS accepts in a body (#x9 | #xA | #xD | #x20-#xD7FF | #xE000-#xFFFD | #x10000-#x10FFFF).
// biome-ignore lint/suspicious/noControlCharactersInRegex: SQS's own list of allowed characters names control characters.
const INVALID_BODY_CHARACTER = /[^\x09\x0A\x0D\x20-\uD7FF\uE000-\uFFFD\u{10000}-\u{10FFFF}]/u;

/** Throws when SQS would refuse `body` (size or characters); returns its size in bytes. */
export function checkQueueMessageBody(queue: string, body: string, index: number): number {
  const bytes = Buffer.byteLength(body);
  if (bytes === 0 || bytes > MAX_QUEUE_BODY_BYTES) {
    throw new Error(`queue ${queue}: message ${index} is ${bytes} bytes; SQS accepts 1 to ${MAX_QUEUE_BODY_BYTES}`);
  }
  if (INVALID_BODY_CHARACTER.test(body)) {
    throw new Error(`queue ${queue}: message ${index} has characters SQS refuses (InvalidMessageContents)`);
  }
  return bytes;
}

/** The primitives peek and redrive are made of, which each adapter provides. */
export interface QueueScanner {
  /** Receives up to `max` messages, hiding them for as long as a scan needs. */
  scan(queue: string, max: number): Promise<ReceivedQueueMessage[]>;
  /** Makes received messages visible again (a handle gone stale meanwhile is not an error). */
  release(queue: string, receiptHandles: readonly string[]): Promise<void>;
  send(queue: string, bodies: readonly string[]): Promise<void>;
  delete(queue: string, receiptHandles: readonly string[]): Promise<void>;
  /** Messages per scan receive. */
  readonly pageSize: number;
}

/**
 * Receives until `limit` messages or a receive brings nothing new, then makes every received message visible again.
 * Receive counts go up, as on SQS (peek is meant for dead-letter queues, which have no redrive policy of their own).
 */
export async function peekByScanning(scanner: QueueScanner, queue: string, limit: number): Promise<QueueMessage[]> {
  const found = new Map<string, QueueMessage>();
  const handles: string[] = [];
  try {
    while (found.size < limit) {
      const received = await scanner.scan(queue, Math.min(scanner.pageSize, limit - found.size));
      handles.push(...received.map((message) => message.receiptHandle));
      const fresh = received.filter((message) => !found.has(message.id));
      if (fresh.length === 0) break;
      for (const { receiptHandle: _handle, ...message } of fresh) found.set(message.id, message);
    }
  } finally {
    await scanner.release(queue, handles);
  }
  return [...found.values()];
}

/**
 * Moves messages from a dead-letter queue to `target` (all, or those listed) by receive, send, delete — the way that
 * works everywhere (SQS's StartMessageMoveTask cannot pick messages, and emulators lack it). Messages not asked for are
 * made visible again. Send first, then delete: a crash in between leaves a copy in both, never in neither.
 */
export async function redriveByScanning(
  scanner: QueueScanner,
  deadLetterQueue: string,
  target: string,
  options: { messageIds?: readonly string[] } = {},
): Promise<number> {
  const wanted = options.messageIds ? new Set(options.messageIds) : undefined;
  const seen = new Set<string>();
  const kept: string[] = [];
  let moved = 0;
  try {
    while (!wanted || [...wanted].some((id) => !seen.has(id))) {
      const received = await scanner.scan(deadLetterQueue, scanner.pageSize);
      const fresh = received.filter((message) => !seen.has(message.id));
      // A receive that brings nothing new ends the scan.
      if (fresh.length === 0) {
        kept.push(...received.map((message) => message.receiptHandle));
        break;
      }
      const toMove = fresh.filter((message) => !wanted || wanted.has(message.id));
      kept.push(...received.filter((message) => !toMove.includes(message)).map((message) => message.receiptHandle));
      for (const message of fresh) seen.add(message.id);
      if (toMove.length > 0) {
        await scanner.send(
          target,
          toMove.map((message) => message.body),
        );
        await scanner.delete(
          deadLetterQueue,
          toMove.map((message) => message.receiptHandle),
        );
      }
      moved += toMove.length;
    }
  } finally {
    await scanner.release(deadLetterQueue, kept);
  }
  return moved;
}
