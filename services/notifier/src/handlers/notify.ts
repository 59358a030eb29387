import { type DecodedEvent, jobCompletedV1 } from '@refinery/events';
import { LimiterAbortedError, TableKeyedLimiter } from '@refinery/keyed-limiter';
import { createEventSubscriptionHandler, type EventOf, mapBounded, type SubscriptionBinding } from '@refinery/runtime';
import type { NotifierDeps } from '../config';
import { notifier } from '../definition';
import { SubscriptionCircuits } from '../domain/circuit';
import { type AttemptResult, postWebhook, webhookMessage } from '../domain/deliver';
import { type NotifiableEventType, type Subscription, SubscriptionStore } from '../domain/subscriptions';

/** What subscribers receive: the event type, when, and the job's outcome (never internal object locations). */
export function webhookPayload(event: EventOf<typeof notifier.subscriptions.jobs>): {
  type: string;
  timestamp: string;
  data: Record<string, unknown>;
} {
  const { jobId } = event.metadata;
  const links = { job: `/jobs/${jobId}`, events: `/jobs/${jobId}/events` };
  if (event.type === jobCompletedV1.type) {
    return {
      type: event.type,
      timestamp: event.metadata.occurredAt,
      data: {
        jobId,
        status: 'completed',
        rows: event.data.rows,
        byMethod: event.data.byMethod,
        links: { ...links, result: `/jobs/${jobId}/result` },
      },
    };
  }
  return {
    type: event.type,
    timestamp: event.metadata.occurredAt,
    data: { jobId, status: 'failed', reason: event.data.reason, ...(event.data.rows ? { affectedRows: event.data.rows } : {}), links },
  };
}

/**
 * job.completed.v1 / job.failed.v1 -> a signed webhook to each of the tenant's subscriptions for that type: one attempt
 * per subscription per delivery of the message, never a sleep inside the invocation. What fails (or is skipped: an
 * open circuit, the subscription's concurrency limit reached) makes the message fail, and the queue brings it back after
 * its backoff; subscriptions already served are skipped then (delivery is recorded per event and subscription), so one
 * subscriber's failure never delivers twice to another.
 *
 * Isolation: the messages of a batch (often several tenants') and the subscriptions of a message are delivered at
 * once, each attempt bounded by short connect and response timeouts; at most `concurrencyPerSubscription` attempts are
 * in flight to one subscription across every invocation; a subscription whose attempts keep failing has its circuit
 * opened, and its deliveries are skipped without a request until the cool-down ends. A hanging receiver thus holds at
 * most that many workers for one timeout each, and none while its circuit is open.
 */
export function createNotifyHandler(deps: NotifierDeps): SubscriptionBinding {
  const store = new SubscriptionStore(deps.subscriptions, deps.secrets, deps.config.retentionDays);
  const { config } = deps;
  const circuits = new SubscriptionCircuits(deps.subscriptions, { failuresToOpen: config.circuitFailures, cooldownMs: config.circuitCooldownMs });
  const slots = new TableKeyedLimiter({
    table: deps.subscriptions,
    limit: config.concurrencyPerSubscription,
    logger: deps.logger,
    waits: { metrics: deps.metrics, limiter: 'webhook' },
  });
  const timeouts = { connectTimeoutMs: config.connectTimeoutMs, timeoutMs: config.deliveryTimeoutMs };

  const deliver = async (subscription: Subscription, event: DecodedEvent, payload: unknown, receiveCount: number): Promise<Outcome> => {
    const { eventId } = event.metadata;
    if (await store.wasDelivered(eventId, subscription.id)) return { kind: 'done' };
    const record = (at: Date, result: AttemptResult) =>
      store.recordAttempt({
        subscriptionId: subscription.id,
        eventId,
        eventType: event.type,
        jobId: event.metadata.jobId,
        attempt: receiveCount,
        at: at.toISOString(),
        ...result,
      });
    const skipped = async (reason: string): Promise<void> => {
      await record(deps.clock.now(), { ok: false, statusCode: null, error: `skipped: ${reason}`, durationMs: 0 });
      deps.metrics.record('webhookDeliveries', 1, { outcome: 'skipped' });
    };

    const circuit = await circuits.view(subscription.id, deps.clock.now());
    if (circuit.open) {
      const reason = `endpoint circuit open until ${circuit.until.toISOString()} (${circuit.consecutiveFailures} consecutive failures, the last: ${circuit.lastError ?? 'unknown'})`;
      await skipped(reason);
      return { kind: 'deferred', reason, until: circuit.until };
    }
    let outcome: Outcome;
    try {
      outcome = await slots.run(
        `webhook-subscription:${subscription.id}`,
        async () => {
          const now = deps.clock.now();
          const result = await postWebhook(subscription, webhookMessage(subscription, eventId, payload, now), timeouts);
          deps.metrics.record('webhookDeliveries', 1, { outcome: result.ok ? 'delivered' : 'failed' });
          await record(now, result);
          if (result.ok) {
            await store.markDelivered(eventId, subscription.id, now.toISOString());
            await circuits.succeeded(subscription.id, circuit);
            return { kind: 'done' } as const;
          }
          const after = await circuits.failed(subscription.id, deps.clock.now(), result.error ?? 'failed');
          return { kind: 'failed', reason: result.error ?? 'failed', ...(after.open ? { circuitOpenedUntil: after.until } : {}) } as const;
        },
        { signal: AbortSignal.timeout(config.slotWaitMs) },
      );
    } catch (error) {
      if (!(error instanceof LimiterAbortedError)) throw error;
      const reason = `${config.concurrencyPerSubscription} ${config.concurrencyPerSubscription === 1 ? 'delivery' : 'deliveries'} to this subscription already in flight (its limit), none finished within ${config.slotWaitMs} ms`;
      await skipped(reason);
      return { kind: 'deferred', reason };
    }
    return outcome;
  };

  return createEventSubscriptionHandler({
    subscription: notifier.subscriptions.jobs,
    publisher: deps.publisher,
    logger: deps.logger,
    // A batch holds several tenants' events: each is handled on its own, so a slow receiver holds up no other.
    concurrency: notifier.subscriptions.jobs.queue.batchSize,
    handle: async (event, { logger, receiveCount }) => {
      const payload = webhookPayload(event);
      const subscriptions = (await store.list(event.metadata.tenantId)).filter((s) => s.eventTypes.includes(event.type as NotifiableEventType));
      const outcomes = await mapBounded(subscriptions, SUBSCRIPTIONS_AT_ONCE, (subscription) => deliver(subscription, event, payload, receiveCount));
      const pending = subscriptions.flatMap((subscription, index) => {
        const outcome = outcomes[index] as Outcome;
        return outcome.kind === 'done' ? [] : [{ subscription, outcome }];
      });
      if (pending.length > 0) throw new DeliveriesPending(pending, deps.clock.now());
      logger.info({ type: event.type, subscriptions: subscriptions.length }, 'notifications delivered');
    },
  });
}

/** Subscriptions of one message delivered at once, at most (each also within its own concurrency limit). */
const SUBSCRIPTIONS_AT_ONCE = 8;

type Outcome =
  | { readonly kind: 'done' }
  /** Attempted and failed; the attempt may have opened the circuit. */
  | { readonly kind: 'failed'; readonly reason: string; readonly circuitOpenedUntil?: Date }
  /** Not attempted: the circuit is open (until then), or the subscription's concurrency limit was reached. */
  | { readonly kind: 'deferred'; readonly reason: string; readonly until?: Date };

/**
 * Some subscriptions of the message are not served yet: the queue retries the message. When every one of them waits
 * for an open circuit, the retry waits for the earliest cool-down to end (retryAfterMs); otherwise the queue's backoff.
 */
export class DeliveriesPending extends Error {
  override readonly name = 'DeliveriesPending';
  readonly retryAfterMs: number | undefined;

  constructor(pending: readonly { subscription: Subscription; outcome: Outcome }[], now: Date) {
    super(
      `webhook delivery pending for ${pending.map(({ subscription, outcome }) => `subscription ${subscription.id} (${'reason' in outcome ? outcome.reason : ''})`).join(', ')}; the queue will retry`,
    );
    const waits = pending.map(({ outcome }) => {
      const until = outcome.kind === 'deferred' ? outcome.until : outcome.kind === 'failed' ? outcome.circuitOpenedUntil : undefined;
      return until ? until.getTime() - now.getTime() : undefined;
    });
    this.retryAfterMs = waits.every((wait) => wait !== undefined) ? Math.max(0, Math.min(...waits)) : undefined;
  }
}
