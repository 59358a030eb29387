/**
 * Mailchimp answers errors with a problem-detail document (RFC 7807; Mailchimp's schema is
 * `/schema/3.0/Definitions/ProblemDetailDocument.json`): `{ type, title, status, detail, instance }`, e.g.
 * `{"type":"https://mailchimp.com/developer/marketing/docs/errors/","title":"Resource Not Found","status":404,
 * "detail":"The requested resource could not be found.","instance":"9d74…"}`.
 */
export interface MailchimpProblem {
  readonly type?: string;
  readonly title?: string;
  readonly status?: number;
  readonly detail?: string;
  readonly instance?: string;
  /** Present on 400 "Invalid Resource" answers: one entry per rejected field. */
  readonly errors?: ReadonlyArray<{ field?: string; message?: string }>;
}

/**
 * A request Mailchimp refused (4xx other than throttling), or one still failing after every retry (`retryable`).
 * `status` is 0 when no HTTP answer came back (network error, timeout). The message names the method, the path,
 * the status and Mailchimp's title and detail; it never contains the API key.
 */
export class MailchimpRequestError extends Error {
  override readonly name = 'MailchimpRequestError';
  readonly method: string;
  readonly path: string;
  readonly status: number;
  readonly title: string | undefined;
  readonly detail: string | undefined;
  readonly type: string | undefined;
  readonly instance: string | undefined;
  readonly fieldErrors: ReadonlyArray<{ field?: string; message?: string }>;
  /** True when the last failure was throttling, a 5xx or a network error: trying again later may work. */
  readonly retryable: boolean;
  readonly attempts: number;

  constructor(input: {
    method: string;
    path: string;
    status: number;
    problem?: MailchimpProblem;
    retryable: boolean;
    attempts: number;
    cause?: unknown;
  }) {
    const { method, path, status, problem, retryable, attempts } = input;
    const what = [problem?.title, problem?.detail].filter((part) => part !== undefined && part !== '').join(': ');
    const tries = attempts > 1 ? ` after ${attempts} attempts` : '';
    super(`Mailchimp ${method} ${path} failed${tries}: ${status === 0 ? 'no answer' : `HTTP ${status}`}${what ? ` (${what})` : ''}`, {
      cause: input.cause,
    });
    this.method = method;
    this.path = path;
    this.status = status;
    this.title = problem?.title;
    this.detail = problem?.detail;
    this.type = problem?.type;
    this.instance = problem?.instance;
    this.fieldErrors = problem?.errors ?? [];
    this.retryable = retryable;
    this.attempts = attempts;
  }
}

/** A 2xx answer whose body is not what the documented schema says (contract change, or a proxy in the way). */
export class MailchimpResponseError extends Error {
  override readonly name = 'MailchimpResponseError';
  constructor(
    readonly path: string,
    message: string,
  ) {
    super(`Mailchimp ${path}: ${message}`);
  }
}

/** `waitForBatch` gave up: the batch had not finished within `timeoutMs`. */
export class MailchimpBatchTimeoutError extends Error {
  override readonly name = 'MailchimpBatchTimeoutError';
  constructor(
    readonly batchId: string,
    readonly lastStatus: string,
    readonly timeoutMs: number,
  ) {
    super(`Mailchimp batch ${batchId} still '${lastStatus}' after ${timeoutMs} ms`);
  }
}
