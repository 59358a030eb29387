import { createHmac } from 'node:crypto';

/**
 * A Standard Webhooks `webhook-signature` value computed here from the spec's definition — base64 HMAC-SHA256 of
 * "<id>.<timestamp>.<body>" under the decoded `whsec_` secret — independently of the code under test.
 */
export function standardWebhookSignature(secret: string, id: string, timestamp: number, body: string): string {
  const key = Buffer.from(secret.replace(/^whsec_/, ''), 'base64');
  return `v1,${createHmac('sha256', key).update(`${id}.${timestamp}.${body}`).digest('base64')}`;
}
