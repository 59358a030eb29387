export { constantTimeEqual } from './constant-time';
export { WebhookPayloadError, WebhookVerificationError, type WebhookVerificationFailure } from './errors';
export {
  MAILCHIMP_EVENT_TYPES,
  isMailchimpValidationRequest,
  mailchimpEventKey,
  parseMailchimpWebhook,
  type MailchimpCampaignEvent,
  type MailchimpCleanedEvent,
  type MailchimpEventType,
  type MailchimpMemberData,
  type MailchimpMergeValue,
  type MailchimpMerges,
  type MailchimpProfileEvent,
  type MailchimpSubscribeEvent,
  type MailchimpUnsubscribeEvent,
  type MailchimpUpemailEvent,
  type MailchimpWebhookEvent,
} from './mailchimp';
export { DEFAULT_RETENTION_SECONDS, SeenMessages, type FirstTime, type SeenMessagesOptions, type SeenRecord } from './seen-messages';
export {
  DEFAULT_TOLERANCE_SECONDS,
  generateWebhookSecret,
  signStandardWebhook,
  verifyStandardWebhook,
  type VerifiedWebhook,
  type VerifyStandardWebhookInput,
  type WebhookHeaders,
} from './standard-webhooks';
