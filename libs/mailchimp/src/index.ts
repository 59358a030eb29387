export { baseUrlFor, basicAuthorization, checkMailchimpBaseUrl, dataCenterOf } from './api-key';
export {
  isThrottling,
  type ListMembersOptions,
  MAX_PAGE_SIZE,
  type MailchimpBatch,
  type MailchimpBatchOperation,
  type MailchimpBatchResult,
  type MailchimpBatchStatus,
  MailchimpClient,
  type MailchimpClientOptions,
  type MailchimpClock,
  type MailchimpGate,
  type MailchimpMember,
  type MailchimpMemberStatus,
  MEMBER_FIELDS,
  type MemberPage,
  type MemberSortField,
  parseRetryAfter,
  subscriberHash,
  systemClock,
  unlimitedGate,
  type WaitForBatchOptions,
} from './client';
export { MailchimpBatchTimeoutError, type MailchimpProblem, MailchimpRequestError, MailchimpResponseError } from './errors';
export { readTar, type TarEntry, TarFormatError } from './tar';
