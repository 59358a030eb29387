import { type Clock, withRealClock } from './clock';
import { ProviderUnavailableError } from './errors';

export interface CircuitBreakerOptions {
  provider: string;
  // Consecutive failed calls that open the circuit.
  failureThreshold: number;
  // How long the open circuit rejects calls before one trial call may go through.
  cooldownMs: number;
  clock?: Partial<Clock>;
  // Which errors say the provider is failing. Default: all. The HTTP client counts only "unavailable" errors,
  // so a provider that correctly refuses one bad request is not cut off for everyone.
  isFailure?: (error: unknown) => boolean;
  // Hears of every change of state (the matcher records them where `refinery status` reads them: circuit-record.ts).
  // Called synchronously: it must return at once, and whatever it throws is ignored so that it cannot change a call.
  observer?: CircuitObserver;
}

export type CircuitState = 'closed' | 'open' | 'half-open';

/** One change of a circuit's state: which provider, from what to what, when (epoch ms) and why. */
export interface CircuitTransition {
  readonly provider: string;
  readonly from: CircuitState;
  readonly to: CircuitState;
  readonly at: number;
  readonly reason: string;
}

export type CircuitObserver = (transition: CircuitTransition) => void;

// A reason carries the last error's message (paths only, secrets redacted by the HTTP client): bounded, so one
// provider's long error text cannot make a record of its own.
const MAX_REASON_LENGTH = 500;

// Stops hammering a provider that is down: after `failureThreshold` consecutive failed calls it rejects every call
// at once (ProviderUnavailableError, nothing sent) for `cooldownMs`, then lets a single trial call through
// (half-open). The trial's success closes the circuit; its failure opens it for another cool-down.
export class CircuitBreaker {
  private readonly options: CircuitBreakerOptions;
  private readonly clock: Clock;
  private currentState: CircuitState = 'closed';
  private consecutiveFailures = 0;
  private openUntil = 0;
  // Bumped on every change of state. A call's outcome only counts in the state it was admitted in: a slow call
  // admitted before the circuit opened must not close it, nor re-open a circuit whose trial is running.
  private generation = 0;
  private trialInFlight = false;

  constructor(options: CircuitBreakerOptions) {
    this.options = options;
    this.clock = withRealClock(options.clock);
  }

  get state(): CircuitState {
    return this.currentState;
  }

  // True while calls are being rejected without trying (open and still cooling down).
  isOpen(): boolean {
    return this.currentState === 'open' && this.clock.now() < this.openUntil;
  }

  // For work admitted earlier that is about to send another request (a queued attempt, a retry): stop if the
  // circuit opened meanwhile.
  throwIfOpen(): void {
    if (this.isOpen()) {
      throw this.openError();
    }
  }

  async run<T>(call: () => Promise<T>): Promise<T> {
    const admission = this.admit();
    try {
      const result = await call();
      this.onSuccess(admission);
      return result;
    } catch (error) {
      if (this.options.isFailure?.(error) ?? true) {
        this.onFailure(admission, error);
      } else {
        this.onSuccess(admission);
      }
      throw error;
    }
  }

  private admit(): { generation: number; trial: boolean } {
    if (this.currentState === 'open') {
      if (this.clock.now() < this.openUntil) {
        throw this.openError();
      }
      this.transition('half-open', `cool-down of ${this.options.cooldownMs} ms over: one trial call let through`);
    }
    if (this.currentState === 'half-open') {
      if (this.trialInFlight) {
        throw new ProviderUnavailableError(
          this.options.provider,
          `${this.options.provider} is unavailable: circuit half-open, waiting for the outcome of a trial call`,
        );
      }
      this.trialInFlight = true;
      return { generation: this.generation, trial: true };
    }
    return { generation: this.generation, trial: false };
  }

  private onSuccess(admission: { generation: number; trial: boolean }): void {
    if (admission.generation !== this.generation) return;
    if (admission.trial) {
      this.trialInFlight = false;
      this.transition('closed', 'the trial call succeeded');
      return;
    }
    this.consecutiveFailures = 0;
  }

  private onFailure(admission: { generation: number; trial: boolean }, error: unknown): void {
    if (admission.generation !== this.generation) return;
    if (admission.trial) {
      this.trialInFlight = false;
      this.open(`the trial call failed: ${messageOf(error)}`);
      return;
    }
    this.consecutiveFailures += 1;
    if (this.consecutiveFailures >= this.options.failureThreshold) {
      const failures = this.consecutiveFailures;
      this.open(`${failures} consecutive failed call${failures === 1 ? '' : 's'}, the last: ${messageOf(error)}`);
    }
  }

  private open(reason: string): void {
    this.openUntil = this.clock.now() + this.options.cooldownMs;
    this.transition('open', reason);
  }

  private transition(state: CircuitState, reason: string): void {
    const from = this.currentState;
    this.currentState = state;
    this.consecutiveFailures = 0;
    this.generation += 1;
    const { observer } = this.options;
    if (observer === undefined) return;
    const bounded = reason.length > MAX_REASON_LENGTH ? `${reason.slice(0, MAX_REASON_LENGTH)}…` : reason;
    try {
      observer({ provider: this.options.provider, from, to: state, at: this.clock.now(), reason: bounded });
    } catch {
      // An observer's fault (a recorder that failed to start a write) must not turn a call's outcome into another.
    }
  }

  private openError(): ProviderUnavailableError {
    const retryAfterMs = Math.max(0, this.openUntil - this.clock.now());
    return new ProviderUnavailableError(
      this.options.provider,
      `${this.options.provider} is unavailable: circuit open until ${new Date(this.openUntil).toISOString()} ` +
        `(${this.options.failureThreshold} consecutive failed calls, or a failed trial call)`,
      { retryAfterMs },
    );
  }
}

function messageOf(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
