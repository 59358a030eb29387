// Shaped after SQS, for what runs queues rather than what handlers do: the event-source poller that feeds handlers
// (Lambda's event source mapping, or ours in tests) and the operators' dead-letter tooling (`refinery dlq`).

export interface QueueMessage {
  readonly id: string;
  readonly body: string;
  /** ApproximateReceiveCount, counting this receive. */
  readonly receiveCount: number;
  readonly sentAt: Date;
  readonly firstReceivedAt?: Date;
}

export interface ReceivedQueueMessage extends QueueMessage {
  readonly receiptHandle: string;
}

export interface QueueDepth {
  /** ApproximateNumberOfMessages. */
  readonly visible: number;
  /** ApproximateNumberOfMessagesNotVisible. */
  readonly inFlight: number;
}

export interface Queues {
  /** Sends bodies (SendMessageBatch: the AWS adapter sends 10 per call within the 256 KB batch limit). */
  send(queue: string, bodies: readonly string[]): Promise<void>;
  /** Receives up to `max` (1-10) messages, hiding them for the queue's visibility timeout (or the one given). */
  receive(queue: string, options: { max: number; visibilityTimeoutSeconds?: number; waitSeconds?: number }): Promise<ReceivedQueueMessage[]>;
  /** Deletes received messages; a stale receipt handle deletes nothing and is not an error. */
  delete(queue: string, receiptHandles: readonly string[]): Promise<void>;
  changeVisibility(queue: string, receiptHandle: string, visibilityTimeoutSeconds: number): Promise<void>;
  depth(queue: string): Promise<QueueDepth>;
  /**
   * Up to `limit` messages of a queue without consuming them (operators inspecting a dead-letter queue): received with
   * a short visibility timeout and made visible again at once. Receive counts go up, as they would on SQS.
   */
  peek(queue: string, limit: number): Promise<QueueMessage[]>;
  /**
   * Moves messages from a dead-letter queue back to `target` (all, or those whose id is listed): send, then delete.
   * At least once, like everything else: a crash in between leaves a copy in both, and consumers are idempotent.
   */
  redrive(deadLetterQueue: string, target: string, options?: { messageIds?: readonly string[] }): Promise<number>;
}
