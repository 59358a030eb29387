/**
 * Entry error codes PutEvents documents as never succeeding on a resend (PutEventsResultEntry.ErrorCode). The documented
 * retryable ones are InternalFailure and ThrottlingException; a code we do not know is resent, within maxAttempts.
 */
export const PERMANENT_ENTRY_ERRORS: ReadonlySet<string> = new Set([
  'AccessDeniedException',
  'InvalidAccountIdException',
  'InvalidArgument',
  'MalformedDetail',
  'RedactionFailure',
  'NotAuthorizedForSourceException',
  'NotAuthorizedForDetailTypeException',
  'ValidationException',
]);

const THROTTLING_ERRORS = new Set([
  'ThrottlingException',
  'Throttling',
  'ThrottledException',
  'TooManyRequestsException',
  'RequestLimitExceeded',
  'RequestThrottled',
  'RequestThrottledException',
]);
const TRANSIENT_ERRORS = new Set([
  'InternalException',
  'InternalFailure',
  'ServiceUnavailable',
  'TimeoutError',
  'RequestTimeout',
  'RequestTimeoutException',
]);
const NETWORK_ERROR_CODES = new Set(['ECONNRESET', 'ECONNREFUSED', 'EPIPE', 'ETIMEDOUT', 'EHOSTUNREACH', 'ENETUNREACH', 'ENOTFOUND', 'EAI_AGAIN']);

interface SdkErrorShape {
  name?: unknown;
  code?: unknown;
  $retryable?: unknown;
  $metadata?: { httpStatusCode?: unknown };
}

/** The error code of a failed call: the service's code, or the network error's. */
export function errorCode(error: unknown): string {
  const shape = (typeof error === 'object' && error !== null ? error : {}) as SdkErrorShape;
  if (typeof shape.code === 'string' && NETWORK_ERROR_CODES.has(shape.code)) return shape.code;
  return typeof shape.name === 'string' ? shape.name : 'UnknownError';
}

/** Whether a whole PutEvents call that threw may pass later: throttling, a 5xx, or a network failure. */
export function isRetryableCallError(error: unknown): boolean {
  const shape = (typeof error === 'object' && error !== null ? error : {}) as SdkErrorShape;
  const status = shape.$metadata?.httpStatusCode;
  if (shape.$retryable) return true;
  if (typeof status === 'number' && (status >= 500 || status === 429)) return true;
  const code = errorCode(error);
  return THROTTLING_ERRORS.has(code) || TRANSIENT_ERRORS.has(code) || NETWORK_ERROR_CODES.has(code);
}
