import { deriveEventId } from '@refinery/events';
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

/** One signed POST (https://www.standardwebhooks.com): webhook-id, webhook-timestamp, webhook-signature headers. */
export async function postWebhook(subscription: Subscription, message: WebhookMessage, timeoutMs: number): Promise<AttemptResult> {
  const signature = new Webhook(subscription.secret).sign(message.id, message.timestamp, message.body);
  const started = Date.now();
  try {
    const response = await fetch(subscription.url, {
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
    });
    await response.arrayBuffer().catch(() => undefined);
    const ok = response.status >= 200 && response.status < 300;
    return { ok, statusCode: response.status, error: ok ? null : `HTTP ${response.status}`, durationMs: Date.now() - started };
  } catch (error) {
    const reason =
      error instanceof Error ? (error.name === 'TimeoutError' ? `timed out after ${timeoutMs} ms` : describeFetchError(error)) : String(error);
    return { ok: false, statusCode: null, error: reason, durationMs: Date.now() - started };
  }
}

function describeFetchError(error: Error): string {
  const cause = (error as Error & { cause?: { code?: string; message?: string } }).cause;
  return cause?.code ? `${error.message}: ${cause.code}` : (cause?.message ?? error.message);
}
