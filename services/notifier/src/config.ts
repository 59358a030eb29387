import type { SocketConnections, Table } from '@refinery/ports';
import { type CommonDeps, type SecretSealer, settingDefaults, type TokenRegistry } from '@refinery/runtime';
import { notifier } from './definition';

export interface NotifierConfig {
  /** Connecting to a receiver may take this long. */
  readonly connectTimeoutMs: number;
  /** One delivery attempt, connecting to the end of the answer, may take this long before it counts as failed. */
  readonly deliveryTimeoutMs: number;
  /** Deliveries in flight to one subscription at once, across every invocation (kept in the subscriptions table). */
  readonly concurrencyPerSubscription: number;
  /** How long a delivery waits for one of its subscription's slots before it is left to the queue to retry. */
  readonly slotWaitMs: number;
  /** Consecutive failed attempts that open a subscription's circuit. */
  readonly circuitFailures: number;
  /** How long an open circuit skips the subscription's deliveries. */
  readonly circuitCooldownMs: number;
  /** A tenant's webhook subscriptions at most. */
  readonly maxSubscriptions: number;
  /** Days a delivery marker or attempt is kept (the table's TTL removes it then), as every job's data. */
  readonly retentionDays: number;
  /**
   * Allow plain-http webhook URLs (the local mode). Otherwise (AWS) only https; plain http only to a non-public
   * destination while REFINERY_ALLOW_PRIVATE_DESTINATIONS=1 (tests on the emulator). Either way only public addresses
   * unless that variable is set (@refinery/outbound).
   */
  readonly allowHttp: boolean;
}

const defaults = settingDefaults(notifier);

/**
 * A delivery waits at most this long for a slot of its subscription: long enough for a burst to a receiver that
 * answers in a few hundred milliseconds to go through at once, short enough that a hanging receiver's queue costs the
 * worker (and the other messages of its batch) little.
 */
export const SLOT_WAIT_MS = 1_000;

export const DEFAULT_NOTIFIER_CONFIG: NotifierConfig = {
  connectTimeoutMs: defaults.webhookConnectTimeoutMs,
  deliveryTimeoutMs: defaults.webhookTimeoutMs,
  concurrencyPerSubscription: defaults.webhookConcurrencyPerSubscription,
  slotWaitMs: SLOT_WAIT_MS,
  circuitFailures: defaults.webhookCircuitFailures,
  circuitCooldownMs: defaults.webhookCircuitCooldownMs,
  maxSubscriptions: defaults.maxSubscriptions,
  retentionDays: defaults.retentionDays,
  allowHttp: false,
};

export interface NotifierDeps extends CommonDeps {
  readonly config: NotifierConfig;
  /** Subscriptions, delivery records and attempts; open WebSocket connections and the latest view of each job. */
  readonly subscriptions: Table;
  /** The connections of notifier's WebSocket API (API Gateway's Management API; the local gateway's sockets). */
  readonly sockets: SocketConnections;
  readonly tokens: TokenRegistry;
  /** Seals the subscriptions' signing secrets before they are stored (the key-encryption key ring). */
  readonly secrets: SecretSealer;
}
