import { MailchimpRequestError } from '@refinery/mailchimp';
import { NonRetryableError } from '@refinery/runtime';
import type { MailchimpSyncDeps } from '../config';
import type { MailchimpApi } from './mailchimp-api';

/** The Mailchimp client for an import's key, or a NonRetryableError (the job fails saying so) when the key is gone. */
export async function mailchimpForImport(deps: MailchimpSyncDeps, tenantId: string, apiKeyRef: string): Promise<MailchimpApi> {
  const apiKey = await deps.keys.open(tenantId, apiKeyRef);
  if (apiKey === undefined) throw new NonRetryableError(`the Mailchimp API key ${apiKeyRef} is no longer stored for this tenant`);
  return deps.mailchimp(apiKey);
}

/** Members in opt-in order, oldest first: a new opt-in can only come after the snapshot, never shift earlier pages. */
export const STABLE_ORDER = { sortField: 'timestamp_opt', sortDir: 'ASC' } as const;

/**
 * A Mailchimp call whose refusal no retry can fix (a wrong list id, a revoked key: 4xx other than throttling) ends the
 * job at once with Mailchimp's own words; throttling, 5xx and network failures stay retryable (the queue retries).
 */
export async function askMailchimp<T>(what: string, call: () => Promise<T>): Promise<T> {
  try {
    return await call();
  } catch (error) {
    if (error instanceof MailchimpRequestError && !error.retryable) {
      throw new NonRetryableError(`Mailchimp refused to ${what}: ${error.message}`);
    }
    throw error;
  }
}
