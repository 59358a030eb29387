/** A webhook body that cannot be read as what it claims to be: says what is wrong and where (`field`). */
export class WebhookPayloadError extends Error {
  override readonly name = 'WebhookPayloadError';
  constructor(
    message: string,
    /** The form field or key at fault (e.g. `data[email]`, `fired_at`), when there is one. */
    readonly field?: string,
  ) {
    super(message);
  }
}

export type WebhookVerificationFailure = 'missing_header' | 'invalid_timestamp' | 'timestamp_too_old' | 'timestamp_too_new' | 'no_valid_signature';

/**
 * A webhook that must not be trusted: a signature header missing, a timestamp outside the tolerance, or no signature
 * that matches. Answer it with 401 and act on nothing in it.
 */
export class WebhookVerificationError extends Error {
  override readonly name = 'WebhookVerificationError';
  constructor(
    readonly reason: WebhookVerificationFailure,
    message: string,
  ) {
    super(message);
  }
}
