// Standard Webhooks (https://www.standardwebhooks.com), the receiving side: the sender signs
// "<webhook-id>.<webhook-timestamp>.<body>" with HMAC-SHA256 under the shared secret (`whsec_` + base64 of the key) and
// sends `webhook-signature: v1,<base64 signature>` (several, space-separated, while it rotates secrets).
//
// Written on node:crypto rather than with the `standardwebhooks` package (which the notifier signs with): its verify()
// reads Date.now() and a fixed 5-minute tolerance, so neither a test nor a caller could set the clock or the window,
// and it signs the body re-decoded as a string rather than its bytes. The tests check both agree on signatures.
import { createHmac, randomBytes } from 'node:crypto';
import { constantTimeEqual } from './constant-time';
import { WebhookVerificationError } from './errors';

/** How far a webhook's timestamp may be from our clock, either way, by default: Standard Webhooks' 5 minutes. */
export const DEFAULT_TOLERANCE_SECONDS = 300;

const SECRET_PREFIX = 'whsec_';
const BASE64 = /^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=|[A-Za-z0-9+/]{2,3})?$/;

/** Request headers as a handler has them; names are matched case-insensitively. */
export type WebhookHeaders = Readonly<Record<string, string | readonly string[] | undefined>>;

export interface VerifyStandardWebhookInput {
  /** The source's secret, `whsec_<base64>` (the prefix may be left out). */
  readonly secret: string;
  readonly headers: WebhookHeaders;
  /** The raw body, exactly as received: the signature covers its bytes. */
  readonly body: string | Buffer;
  /** Our clock; the current time by default. */
  readonly now?: Date;
  /** How far `webhook-timestamp` may be from `now`, either way (inclusive); 300 by default. */
  readonly toleranceSeconds?: number;
}

export interface VerifiedWebhook {
  /** `webhook-id`: the same for every delivery attempt of one message; the key to drop repeats by. */
  readonly id: string;
  /** `webhook-timestamp`, when the sender signed this attempt. */
  readonly timestamp: Date;
}

/**
 * Checks a webhook per Standard Webhooks and returns its id and timestamp, or throws WebhookVerificationError:
 * a header missing, a timestamp that is no Unix time or is outside the tolerance (too old: a replay or a queue that
 * held it too long; too new: a clock far off), or no `v1` signature that matches. Signatures are compared in constant
 * time. A secret that is not `whsec_<base64>` is our own misconfiguration: a plain Error, not a verification failure.
 */
export function verifyStandardWebhook(input: VerifyStandardWebhookInput): VerifiedWebhook {
  const key = secretKey(input.secret);
  const tolerance = input.toleranceSeconds ?? DEFAULT_TOLERANCE_SECONDS;
  if (!Number.isFinite(tolerance) || tolerance < 0) throw new Error(`toleranceSeconds must be a number of seconds >= 0, got ${tolerance}`);

  const id = headerValue(input.headers, 'webhook-id');
  const timestampText = headerValue(input.headers, 'webhook-timestamp');
  const signatures = headerValue(input.headers, 'webhook-signature');
  const missing = [
    ['webhook-id', id],
    ['webhook-timestamp', timestampText],
    ['webhook-signature', signatures],
  ].flatMap(([name, value]) => (value ? [] : [name as string]));
  if (missing.length > 0 || !id || !timestampText || !signatures) {
    throw new WebhookVerificationError('missing_header', `missing ${missing.join(', ')} header${missing.length > 1 ? 's' : ''} (Standard Webhooks)`);
  }

  if (!/^\d{1,12}$/.test(timestampText)) {
    throw new WebhookVerificationError(
      'invalid_timestamp',
      `webhook-timestamp must be a Unix time in whole seconds, got "${timestampText.slice(0, 40)}"`,
    );
  }
  const seconds = Number(timestampText);
  const nowSeconds = Math.floor((input.now ?? new Date()).getTime() / 1000);
  if (nowSeconds - seconds > tolerance) {
    throw new WebhookVerificationError(
      'timestamp_too_old',
      `webhook-timestamp ${seconds} is ${nowSeconds - seconds} s old; at most ${tolerance} s is accepted (a replay, or a sender's clock far off)`,
    );
  }
  if (seconds - nowSeconds > tolerance) {
    throw new WebhookVerificationError(
      'timestamp_too_new',
      `webhook-timestamp ${seconds} is ${seconds - nowSeconds} s in the future; at most ${tolerance} s is accepted (a sender's clock far off)`,
    );
  }

  const expected = signature(key, id, timestampText, input.body);
  let matched = false;
  for (const entry of signatures.split(' ')) {
    const comma = entry.indexOf(',');
    if (comma < 0 || entry.slice(0, comma) !== 'v1') continue;
    // Every candidate is compared (no early exit), each in constant time.
    if (constantTimeEqual(entry.slice(comma + 1), expected)) matched = true;
  }
  if (!matched) {
    throw new WebhookVerificationError(
      'no_valid_signature',
      'no v1 signature in webhook-signature matches: sign "<webhook-id>.<webhook-timestamp>.<raw body>" with HMAC-SHA256 ' +
        "under the source's secret (the base64 after whsec_, decoded) and send v1,<base64 signature>",
    );
  }
  return { id, timestamp: new Date(seconds * 1000) };
}

/**
 * The `webhook-signature` value a sender would send: `v1,<base64 HMAC-SHA256 of "<id>.<timestamp>.<body>">`.
 * `timestamp` is a Date or Unix seconds.
 */
export function signStandardWebhook(input: { secret: string; id: string; timestamp: Date | number; body: string | Buffer }): string {
  const seconds = typeof input.timestamp === 'number' ? input.timestamp : Math.floor(input.timestamp.getTime() / 1000);
  return `v1,${signature(secretKey(input.secret), input.id, String(seconds), input.body)}`;
}

/** A new signing secret: `whsec_` and the base64 of 32 random bytes (Standard Webhooks asks for 24 to 64). */
export function generateWebhookSecret(): string {
  return `${SECRET_PREFIX}${randomBytes(32).toString('base64')}`;
}

function signature(key: Buffer, id: string, timestamp: string, body: string | Buffer): string {
  return createHmac('sha256', key)
    .update(`${id}.${timestamp}.`, 'utf8')
    .update(typeof body === 'string' ? Buffer.from(body, 'utf8') : body)
    .digest('base64');
}

function secretKey(secret: string): Buffer {
  const encoded = secret.startsWith(SECRET_PREFIX) ? secret.slice(SECRET_PREFIX.length) : secret;
  if (encoded.length === 0 || !BASE64.test(encoded)) throw new Error('the webhook secret is not whsec_ followed by base64');
  return Buffer.from(encoded, 'base64');
}

function headerValue(headers: WebhookHeaders, name: string): string | undefined {
  for (const [key, value] of Object.entries(headers)) {
    if (key.toLowerCase() !== name || value === undefined) continue;
    // Repeated headers: signatures may come in several; an id or a timestamp must not.
    const text = typeof value === 'string' ? value : name === 'webhook-signature' ? value.join(' ') : value.length === 1 ? value[0] : undefined;
    const trimmed = text?.trim();
    return trimmed ? trimmed : undefined;
  }
  return undefined;
}
