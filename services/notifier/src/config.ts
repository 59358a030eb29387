import type { SocketConnections, Table } from '@refinery/ports';
import { type CommonDeps, type SecretSealer, settingDefaults, type TokenRegistry } from '@refinery/runtime';
import { notifier } from './definition';

export interface NotifierConfig {
  /** Pauses between delivery attempts inside one invocation; after the last, the queue retries the message later. */
  readonly retryDelaysMs: readonly number[];
  /** How long one delivery may take before it counts as failed. */
  readonly deliveryTimeoutMs: number;
  /** Allow plain-http webhook URLs to any host (the local mode). Otherwise only https, or http to localhost. */
  readonly allowHttp: boolean;
}

const defaults = settingDefaults(notifier);

export const DEFAULT_NOTIFIER_CONFIG: NotifierConfig = {
  retryDelaysMs: defaults.webhookRetryDelaysMs,
  deliveryTimeoutMs: defaults.webhookTimeoutMs,
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
