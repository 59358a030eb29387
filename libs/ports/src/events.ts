// Shaped after EventBridge PutEvents.

export interface PublishEntry {
  readonly source: string;
  readonly detailType: string;
  /** JSON text. */
  readonly detail: string;
}

export interface EventPublisher {
  /** Publishes every entry or throws; entries that were accepted before a failure may be sent again by a retry. */
  publish(entries: readonly PublishEntry[]): Promise<void>;
}
