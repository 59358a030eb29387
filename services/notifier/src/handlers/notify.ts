import { type DecodedEvent, jobCompletedV1 } from '@refinery/events';
import { createEventSubscriptionHandler, type EventOf, type SubscriptionBinding } from '@refinery/runtime';
import type { NotifierDeps } from '../config';
import { notifier } from '../definition';
import { postWebhook, webhookMessage } from '../domain/deliver';
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
 * job.completed.v1 / job.failed.v1 -> a signed webhook to each of the tenant's subscriptions for that type. Each
 * subscription is retried with backoff inside the invocation; what still fails makes the message fail, and the queue
 * brings it back later (subscriptions already served are skipped: delivery is recorded per event and subscription).
 */
export function createNotifyHandler(deps: NotifierDeps): SubscriptionBinding {
  const store = new SubscriptionStore(deps.subscriptions, deps.secrets);
  return createEventSubscriptionHandler({
    subscription: notifier.subscriptions.jobs,
    publisher: deps.publisher,
    logger: deps.logger,
    handle: async (event, { logger, receiveCount }) => {
      const payload = webhookPayload(event);
      const subscriptions = (await store.list(event.metadata.tenantId)).filter((s) => s.eventTypes.includes(event.type as NotifiableEventType));
      const failed: string[] = [];
      for (const subscription of subscriptions) {
        if (await store.wasDelivered(event.metadata.eventId, subscription.id)) continue;
        const delivered = await deliverWithRetries(deps, store, subscription, event, payload, receiveCount);
        if (!delivered) failed.push(subscription.id);
      }
      if (failed.length) throw new Error(`webhook delivery failed for subscription(s) ${failed.join(', ')}; the queue will retry`);
      logger.info({ type: event.type, subscriptions: subscriptions.length }, 'notifications delivered');
    },
  });
}

async function deliverWithRetries(
  deps: NotifierDeps,
  store: SubscriptionStore,
  subscription: Subscription,
  event: DecodedEvent,
  payload: unknown,
  receiveCount: number,
): Promise<boolean> {
  const delays = deps.config.retryDelaysMs;
  for (let i = 0; i <= delays.length; i += 1) {
    if (i > 0) await sleep(withJitter(delays[i - 1] as number));
    const now = deps.clock.now();
    const message = webhookMessage(subscription, event.metadata.eventId, payload, now);
    const result = await postWebhook(subscription, message, deps.config.deliveryTimeoutMs);
    await store.recordAttempt({
      subscriptionId: subscription.id,
      eventId: event.metadata.eventId,
      eventType: event.type,
      jobId: event.metadata.jobId,
      attempt: (receiveCount - 1) * (delays.length + 1) + i + 1,
      at: now.toISOString(),
      ...result,
    });
    if (result.ok) {
      await store.markDelivered(event.metadata.eventId, subscription.id, now.toISOString());
      return true;
    }
    // A 4xx other than 408/429 will not get better by asking again right away.
    if (result.statusCode !== null && result.statusCode >= 400 && result.statusCode < 500 && ![408, 429].includes(result.statusCode)) return false;
  }
  return false;
}

/** Full jitter around the nominal delay (50-100 %), so many retries do not fire in step. */
function withJitter(delayMs: number): number {
  return Math.round(delayMs * (0.5 + Math.random() * 0.5));
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
