import { fetchPublic, isDestinationRefused } from '@refinery/outbound';
import { type Metrics, noMetrics, type Table } from '@refinery/ports';
import { type ProviderCallSettings, resolveCallSettings } from './call-settings';
import { CircuitBreaker, type CircuitObserver } from './circuit-breaker';
import { type Clock, withRealClock } from './clock';
import { isProviderUnavailable, ProviderRequestError, ProviderResponseError, ProviderUnavailableError } from './errors';
import { RateLimiter } from './rate-limiter';
import { retryAfterFromHeaders } from './retry-after';
import { isRetryableStatus, retryDelayMs } from './retry-policy';
import { SharedRateLimit } from './shared-rate-limit';

export interface ProviderHttpClientOptions {
  // Names the provider in every error.
  provider: string;
  settings?: Partial<ProviderCallSettings>;
  clock?: Partial<Clock>;
  // In [0, 1), for the backoff jitter. Injected in tests to make waits exact.
  random?: () => number;
  // Values that must never appear in an error (API keys, authorization headers): replaced by [redacted].
  secrets?: readonly string[];
  // How long a retryable response (429, 5xx) asks us to wait. Default: its Retry-After header.
  retryAfter?: (response: { status: number; headers: Headers }, nowMs: number) => number | undefined;
  // A clearer message for a refused request (say, "API key rejected" for 401), or undefined for the generic one.
  describeRefusal?: (status: number) => string | undefined;
  // A table every client of this provider reaches (every matcher container): requestsPerSecond then holds for all of
  // them together, not per process, and a Retry-After pauses them all. Without it the rate is this process's alone.
  rateTable?: Table;
  // Where each attempt's outcome and latency, and the time waited for the rate limits, are counted (the matcher's).
  metrics?: Metrics;
  // Hears of every change of the provider's circuit (the matcher records them for `refinery status`).
  circuitObserver?: CircuitObserver;
}

export interface ProviderHttpRequest {
  url: URL | string;
  method?: string;
  headers?: Readonly<Record<string, string>>;
  body?: string;
  // Statuses besides 2xx that are answers rather than failures, e.g. 404 "no such person".
  answerStatuses?: readonly number[];
  // When the caller must have its answer (epoch ms): a wait before a retry that would end past it (a Retry-After
  // longer than the time left) is not sat out; the request fails at once with ProviderUnavailableError carrying
  // retryAfterMs, so the queue brings the work back when the provider said.
  deadline?: number;
}

export interface ProviderHttpAnswer {
  status: number;
  headers: Headers;
  body: string;
}

type Attempt =
  | { kind: 'answer'; answer: ProviderHttpAnswer }
  | { kind: 'failed'; reason: string; cause?: unknown; retryAfterMs?: number; timedOut?: boolean };

const EXCERPT_LENGTH = 300;

// Every request to one provider goes through one client: the circuit breaker first (an open circuit rejects
// without sending or queueing), then per attempt the rate limiter (rate + concurrency), a timeout covering the
// whole response, and the retry policy between attempts. Waits between attempts hold no limiter slot.
export class ProviderHttpClient {
  readonly provider: string;
  readonly settings: Readonly<ProviderCallSettings>;
  private readonly options: ProviderHttpClientOptions;
  private readonly clock: Clock;
  private readonly random: () => number;
  private readonly secrets: readonly string[];
  private readonly metrics: Metrics;
  readonly limiter: RateLimiter;
  readonly sharedRate: SharedRateLimit | undefined;
  readonly breaker: CircuitBreaker;

  constructor(options: ProviderHttpClientOptions) {
    this.options = options;
    this.provider = options.provider;
    this.settings = resolveCallSettings(options.provider, options.settings);
    this.clock = withRealClock(options.clock);
    this.random = options.random ?? Math.random;
    this.secrets = (options.secrets ?? []).filter((secret) => secret !== '');
    this.metrics = options.metrics ?? noMetrics;
    this.limiter = new RateLimiter({
      requestsPerSecond: this.settings.requestsPerSecond,
      maxConcurrent: this.settings.maxConcurrent,
      clock: this.clock,
    });
    this.sharedRate =
      options.rateTable === undefined
        ? undefined
        : new SharedRateLimit({
            table: options.rateTable,
            key: options.provider,
            requestsPerSecond: this.settings.requestsPerSecond,
            clock: this.clock,
          });
    this.breaker = new CircuitBreaker({
      provider: options.provider,
      failureThreshold: this.settings.circuitFailureThreshold,
      cooldownMs: this.settings.circuitCooldownMs,
      clock: this.clock,
      // A refused request (ProviderRequestError) means the provider is up and answering.
      isFailure: isProviderUnavailable,
      ...(options.circuitObserver === undefined ? {} : { observer: options.circuitObserver }),
    });
  }

  // Resolves with a 2xx answer or one of `answerStatuses`. Rejects with ProviderRequestError (other 4xx, not
  // retried), or ProviderUnavailableError (retries exhausted, Retry-After too long, circuit open).
  async request(request: ProviderHttpRequest): Promise<ProviderHttpAnswer> {
    return this.breaker.run(() => this.requestWithRetries(request));
  }

  // The answer body as JSON; a body that is not JSON is a ProviderResponseError.
  parseJson(answer: ProviderHttpAnswer): unknown {
    try {
      return JSON.parse(answer.body) as unknown;
    } catch {
      throw new ProviderResponseError(
        this.provider,
        answer.status,
        `${this.provider} answered HTTP ${answer.status} with a body that is not JSON: ${this.excerpt(answer.body)}`,
      );
    }
  }

  private async requestWithRetries(request: ProviderHttpRequest): Promise<ProviderHttpAnswer> {
    const url = new URL(request.url);
    const method = request.method ?? 'GET';
    // Path only: query strings carry personal data (and, for some APIs, keys).
    const what = `${method} ${url.pathname}`;
    for (let attempt = 1; ; attempt += 1) {
      const queuedAt = this.clock.now();
      const outcome = await this.limiter.run(async () => {
        this.breaker.throwIfOpen();
        await this.sharedRate?.take();
        this.metrics.record('limiterWait', this.clock.now() - queuedAt, { limiter: 'provider' });
        return this.measuredAttempt(url, method, request);
      });
      let failure: Extract<Attempt, { kind: 'failed' }>;
      if (outcome.kind === 'answer') {
        const { answer } = outcome;
        if ((answer.status >= 200 && answer.status < 300) || request.answerStatuses?.includes(answer.status)) {
          return answer;
        }
        if (!isRetryableStatus(answer.status)) {
          throw this.refusal(what, answer);
        }
        failure = {
          kind: 'failed',
          reason: `HTTP ${answer.status}`,
          retryAfterMs: (this.options.retryAfter ?? defaultRetryAfter)(answer, this.clock.now()),
        };
      } else {
        failure = outcome;
      }
      const options = { retryAfterMs: failure.retryAfterMs, cause: failure.cause };
      if (attempt >= this.settings.maxAttempts) {
        throw new ProviderUnavailableError(
          this.provider,
          `${this.provider} is unavailable: ${what} failed ${attempt} time(s), last with ${failure.reason}`,
          options,
        );
      }
      if (failure.retryAfterMs !== undefined && failure.retryAfterMs > this.settings.maxRetryAfterMs) {
        throw new ProviderUnavailableError(
          this.provider,
          `${this.provider} is unavailable: it asked us to wait ${failure.retryAfterMs} ms before retrying ${what} ` +
            `(${failure.reason}), more than maxRetryAfterMs (${this.settings.maxRetryAfterMs} ms)`,
          options,
        );
      }
      const delayMs = retryDelayMs(attempt, failure.retryAfterMs, this.settings, this.random);
      if (request.deadline !== undefined && this.clock.now() + delayMs >= request.deadline) {
        throw new ProviderUnavailableError(
          this.provider,
          `${this.provider} is unavailable for now: retrying ${what} (${failure.reason}) means waiting ${Math.ceil(delayMs)} ms, ` +
            `more than the ${Math.max(0, request.deadline - this.clock.now())} ms left before the caller's deadline`,
          { retryAfterMs: failure.retryAfterMs ?? delayMs, cause: failure.cause },
        );
      }
      if (failure.retryAfterMs !== undefined) {
        this.limiter.pauseFor(failure.retryAfterMs);
        await this.sharedRate?.pauseUntil(this.clock.now() + failure.retryAfterMs);
      }
      // Other calls may have opened the circuit while this one was failing: stop now rather than add load.
      this.breaker.throwIfOpen();
      await this.clock.sleep(delayMs);
    }
  }

  /** One attempt, counted by how it went: answered (any status but 429 and 5xx), throttled (429), timed out, or failed. */
  private async measuredAttempt(url: URL, method: string, request: ProviderHttpRequest): Promise<Attempt> {
    const sentAt = this.clock.now();
    let outcome: 'ok' | 'error' | 'timeout' | 'throttled' = 'error';
    try {
      const attempt = await this.attemptOnce(url, method, request);
      if (attempt.kind === 'failed') outcome = attempt.timedOut ? 'timeout' : 'error';
      else if (attempt.answer.status === 429) outcome = 'throttled';
      // A refusal (4xx) is the provider answering; only its own failures (5xx) count against its health.
      else outcome = attempt.answer.status >= 500 ? 'error' : 'ok';
      return attempt;
    } finally {
      this.metrics.record('providerCalls', 1, { provider: this.provider, outcome });
      this.metrics.record('providerLatency', this.clock.now() - sentAt, { provider: this.provider });
    }
  }

  private async attemptOnce(url: URL, method: string, request: ProviderHttpRequest): Promise<Attempt> {
    // Covers the body too: a provider that sends headers and then stalls is as unavailable as a silent one.
    const signal = AbortSignal.timeout(this.settings.timeoutMs);
    try {
      // Only public addresses, checked at each connection; redirects are not followed. fetchPublic looks the global
      // fetch up per call, so whatever patches it (nock) is honoured.
      const response = await fetchPublic(url, {
        method,
        headers: { accept: 'application/json', ...request.headers },
        ...(request.body === undefined ? {} : { body: request.body }),
        signal,
      });
      const body = await response.text();
      return { kind: 'answer', answer: { status: response.status, headers: response.headers, body } };
    } catch (error) {
      if (isDestinationRefused(error)) {
        // Where the provider's name points now is not allowed: asking again cannot help, so no retry and no circuit.
        throw new ProviderRequestError(this.provider, 0, `${this.provider} was not asked ${method} ${url.pathname}: ${error.message}`);
      }
      if (signal.aborted) {
        return { kind: 'failed', reason: `a timeout after ${this.settings.timeoutMs} ms`, cause: error, timedOut: true };
      }
      return { kind: 'failed', reason: `a network error: ${this.redact(messageOf(error))}`, cause: error };
    }
  }

  private refusal(what: string, answer: ProviderHttpAnswer): ProviderRequestError {
    const excerpt = this.excerpt(answer.body);
    const described = this.options.describeRefusal?.(answer.status);
    const message = `${this.provider} refused ${what}: ${described ?? `HTTP ${answer.status}`}${excerpt === '' ? '' : `: ${excerpt}`}`;
    return new ProviderRequestError(this.provider, answer.status, message, excerpt);
  }

  private excerpt(body: string): string {
    const text = this.redact(body).replace(/\s+/gu, ' ').trim();
    return text.length > EXCERPT_LENGTH ? `${text.slice(0, EXCERPT_LENGTH)}…` : text;
  }

  private redact(text: string): string {
    let redacted = text;
    for (const secret of this.secrets) {
      redacted = redacted.split(secret).join('[redacted]');
    }
    return redacted;
  }
}

function defaultRetryAfter(response: { headers: Headers }, nowMs: number): number | undefined {
  return retryAfterFromHeaders(response.headers, nowMs);
}

function messageOf(error: unknown): string {
  if (error instanceof Error) {
    const cause = error.cause instanceof Error ? ` (${error.cause.message})` : '';
    return `${error.message}${cause}`;
  }
  return String(error);
}
