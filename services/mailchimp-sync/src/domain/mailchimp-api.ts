import type { MailchimpClient } from '@refinery/mailchimp';

/** What the service asks of Mailchimp (the @refinery/mailchimp client; its requests pass the per-key limiter). */
export type MailchimpApi = Pick<MailchimpClient, 'listMembers' | 'startBatch' | 'waitForBatch' | 'batchResults'>;
