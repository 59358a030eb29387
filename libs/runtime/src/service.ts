import type { EventPublisher, Clock, IdGenerator } from '@refinery/ports';
import type { HttpApiHandler } from './http';
import type { Logger } from './logger';
import type { ServiceManifest } from './manifest';
import type { FailureSubject, SqsBatchHandler } from './sqs';

export interface SubscriptionBinding {
  readonly handler: SqsBatchHandler;
  /** What a message of this subscription is about (for dead-letter reports); default: one of our catalog events. */
  readonly describe?: (body: string) => FailureSubject | undefined;
}

/**
 * A service, ready to run: its manifest and the handler functions for each declared subscription and its HTTP API.
 * The local runtime runs these directly; on Lambda each handler is one function.
 */
export interface ServiceDefinition {
  readonly manifest: ServiceManifest;
  readonly subscriptions: Readonly<Record<string, SubscriptionBinding>>;
  readonly http?: HttpApiHandler;
}

/** The ports every service gets, whatever adapters implement them. */
export interface CommonDeps {
  readonly publisher: EventPublisher;
  readonly clock: Clock;
  readonly ids: IdGenerator;
  readonly logger: Logger;
}
