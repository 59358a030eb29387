export { constantTimeEqual } from './constant-time';
export { WebhookPayloadError, WebhookVerificationError, type WebhookVerificationFailure } from './errors';
export {
  isMailchimpValidationRequest,
  MAILCHIMP_EVENT_TYPES,
  type MailchimpCampaignEvent,
  type MailchimpCleanedEvent,
  type MailchimpEventType,
  type MailchimpMemberData,
  type MailchimpMerges,
  type MailchimpMergeValue,
  type MailchimpProfileEvent,
  type MailchimpSubscribeEvent,
  type MailchimpUnsubscribeEvent,
  type MailchimpUpemailEvent,
  type MailchimpWebhookEvent,
  mailchimpEventKey,
  parseMailchimpWebhook,
} from './mailchimp';
export { DEFAULT_RETENTION_SECONDS, type FirstTime, SeenMessages, type SeenMessagesOptions, type SeenRecord } from './seen-messages';
export {
  DEFAULT_TOLERANCE_SECONDS,
  generateWebhookSecret,
  signStandardWebhook,
  type VerifiedWebhook,
  type VerifyStandardWebhookInput,
  verifyStandardWebhook,
  type WebhookHeaders,
} from './standard-webhooks';
