import { deriveEventId } from '@refinery/events';
import { fetchPublic } from '@refinery/outbound';
import { Webhook } from 'standardwebhooks';
import type { Subscription } from './subscriptions';

export interface WebhookMessage {
  /** Standard Webhooks `webhook-id`: the same for every attempt of one message, so receivers can drop repeats. */
  readonly id: string;
  readonly body: string;
  readonly timestamp: Date;
}

export function webhookMessage(subscription: Subscription, eventId: string, payload: unknown, timestamp: Date): WebhookMessage {
  return { id: `msg_${deriveEventId(eventId, subscription.id).replace(/-/g, '')}`, body: JSON.stringify(payload), timestamp };
}

export interface AttemptResult {
  readonly ok: boolean;
  readonly statusCode: number | null;
  readonly error: string | null;
  readonly durationMs: number;
}

export interface DeliveryTimeouts {
  /** Connecting to the receiver (TCP, and TLS for https) may take this long. */
  readonly connectTimeoutMs: number;
  /** The whole attempt, connecting to the last byte of the answer, may take this long. */
  readonly timeoutMs: number;
}

/**
 * One signed POST (https://www.standardwebhooks.com): webhook-id, webhook-timestamp, webhook-signature headers. Short
 * timeouts: a receiver that accepts and never answers costs one attempt of `timeoutMs`, never a worker's minute.
 */
export async function postWebhook(subscription: Subscription, message: WebhookMessage, timeouts: DeliveryTimeouts): Promise<AttemptResult> {
  const { connectTimeoutMs, timeoutMs } = timeouts;
  const signature = new Webhook(subscription.secret).sign(message.id, message.timestamp, message.body);
  const started = Date.now();
  try {
    // Only public addresses, checked at each connection against what the host resolves to then (a refusal connects
    // nowhere, so the recorded attempt says nothing of the ports behind it); one pool per connect timeout, kept warm.
    const response = await fetchPublic(
      subscription.url,
      {
        method: 'POST',
        headers: {
          'content-type': 'application/json',
          'user-agent': 'ContactRefinery-Webhooks/1',
          'webhook-id': message.id,
          'webhook-timestamp': String(Math.floor(message.timestamp.getTime() / 1000)),
          'webhook-signature': signature,
        },
        body: message.body,
        redirect: 'manual',
        signal: AbortSignal.timeout(timeoutMs),
      },
      { connectTimeoutMs },
    );
    // Only the status counts: the body is dropped unread, so a receiver cannot make us hold a large answer.
    await response.body?.cancel().catch(() => undefined);
    const ok = response.status >= 200 && response.status < 300;
    return { ok, statusCode: response.status, error: ok ? null : `HTTP ${response.status}`, durationMs: Date.now() - started };
  } catch (error) {
    return { ok: false, statusCode: null, error: failureReason(error, timeouts), durationMs: Date.now() - started };
  }
}

/** Why an attempt got no answer. Read by shape, not instanceof: under Jest, fetch's errors come from another realm. */
function failureReason(error: unknown, { connectTimeoutMs, timeoutMs }: DeliveryTimeouts): string {
  if (typeof error !== 'object' || error === null) return String(error);
  const { name, message, cause } = error as { name?: unknown; message?: unknown; cause?: { code?: unknown; message?: unknown } };
  if (name === 'TimeoutError') return `timed out after ${timeoutMs} ms`;
  // undici's ConnectTimeoutError; when fetch's own undici is not the pool's, it hands the error on as a plain Error.
  if (cause?.code === 'UND_ERR_CONNECT_TIMEOUT' || (typeof cause?.message === 'string' && cause.message.startsWith('ConnectTimeoutError')))
    return `could not connect within ${connectTimeoutMs} ms`;
  const text = typeof message === 'string' ? message : String(error);
  if (typeof cause?.code === 'string') return `${text}: ${cause.code}`;
  return typeof cause?.message === 'string' ? cause.message : text;
}
