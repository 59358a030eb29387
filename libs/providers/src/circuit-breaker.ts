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
}

export type CircuitState = 'closed' | 'open' | 'half-open';

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
        this.onFailure(admission);
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
      this.transition('half-open');
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
      this.transition('closed');
      return;
    }
    this.consecutiveFailures = 0;
  }

  private onFailure(admission: { generation: number; trial: boolean }): void {
    if (admission.generation !== this.generation) return;
    if (admission.trial) {
      this.trialInFlight = false;
      this.open();
      return;
    }
    this.consecutiveFailures += 1;
    if (this.consecutiveFailures >= this.options.failureThreshold) {
      this.open();
    }
  }

  private open(): void {
    this.openUntil = this.clock.now() + this.options.cooldownMs;
    this.transition('open');
  }

  private transition(state: CircuitState): void {
    this.currentState = state;
    this.consecutiveFailures = 0;
    this.generation += 1;
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
