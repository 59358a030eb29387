export { dataCenterOf, baseUrlFor, basicAuthorization } from './api-key';
export {
  MailchimpClient,
  MEMBER_FIELDS,
  MAX_PAGE_SIZE,
  unlimitedGate,
  systemClock,
  subscriberHash,
  isThrottling,
  parseRetryAfter,
  type MailchimpGate,
  type MailchimpClock,
  type MailchimpClientOptions,
  type MailchimpMember,
  type MailchimpMemberStatus,
  type MemberSortField,
  type ListMembersOptions,
  type MemberPage,
  type MailchimpBatchOperation,
  type MailchimpBatch,
  type MailchimpBatchStatus,
  type MailchimpBatchResult,
  type WaitForBatchOptions,
} from './client';
export { MailchimpRequestError, MailchimpResponseError, MailchimpBatchTimeoutError, type MailchimpProblem } from './errors';
export { readTar, TarFormatError, type TarEntry } from './tar';
