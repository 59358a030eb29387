// Shaped after EventBridge PutEvents.

export interface PublishEntry {
  readonly source: string;
  readonly detailType: string;
  /** JSON text of an object. */
  readonly detail: string;
}

export interface EventPublisher {
  /**
   * Publishes every entry or throws; entries that were accepted before a failure may be sent again by a retry.
   *
   * What every adapter promises (the contract suite in `@refinery/port-contracts` checks it):
   * - Each entry of a call that succeeds is accepted exactly once (no deduplication: two equal entries are two events),
   *   in the order given. An adapter that sends a call in several requests sends them one after another; only an entry
   *   the bus asked to resend may land after the other entries of its own request.
   * - Entries that can never be accepted are refused before any entry of the call is: a missing source or detail-type,
   *   a detail that is not a JSON object, or an entry over 256 KB (262,144 bytes) counted as EventBridge counts it
   *   (the UTF-8 bytes of source, detail-type and detail). The error names the entry's detail-type, if it has one.
   * - Any other failure may leave a prefix of the call accepted; the caller retries the whole call (consumers are
   *   idempotent). An entry the bus refuses for a reason that will not pass (e.g. validation) is not retried.
   */
  publish(entries: readonly PublishEntry[]): Promise<void>;
}
