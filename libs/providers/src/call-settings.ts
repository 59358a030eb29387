import { describeValue } from './config-checks';

// How one provider is called: pace, patience and when to stop trying. One set per provider instance.
export interface ProviderCallSettings {
  // Sustained request rate (token bucket, burst of one second's worth).
  requestsPerSecond: number;
  // Requests in flight at once.
  maxConcurrent: number;
  // Attempts per request, the first included (1 = never retry).
  maxAttempts: number;
  // Per attempt, from sending the request to reading the whole body.
  timeoutMs: number;
  // What one request usually takes (not a limit): sizes the matcher's concurrency and the largest chunk
  // (chain-sizing.ts), since one container can send at most maxConcurrent / latency requests a second.
  latencyMs: number;
  // Exponential backoff with full jitter: before retry n, wait random(0, min(cap, base * 2^(n-1))).
  backoffBaseMs: number;
  backoffCapMs: number;
  // The longest Retry-After we are willing to sit out inside one call; longer means "come back later"
  // (ProviderUnavailableError with retryAfterMs) so the chunk is retried by the caller instead.
  maxRetryAfterMs: number;
  // Consecutive failed calls (after their retries) that open the circuit.
  circuitFailureThreshold: number;
  // How long an open circuit rejects calls before letting one trial call through.
  circuitCooldownMs: number;
}

export const DEFAULT_PROVIDER_CALL_SETTINGS: Readonly<ProviderCallSettings> = Object.freeze({
  requestsPerSecond: 10,
  maxConcurrent: 5,
  maxAttempts: 5,
  timeoutMs: 10_000,
  latencyMs: 1_000,
  backoffBaseMs: 200,
  backoffCapMs: 20_000,
  // People Data Labs limits per fixed one-minute window: a 429 may ask for up to a minute.
  maxRetryAfterMs: 60_000,
  circuitFailureThreshold: 5,
  circuitCooldownMs: 30_000,
});

interface Rule {
  min: number;
  whole: boolean;
}

const RULES: Readonly<Record<keyof ProviderCallSettings, Rule>> = {
  requestsPerSecond: { min: Number.MIN_VALUE, whole: false },
  maxConcurrent: { min: 1, whole: true },
  maxAttempts: { min: 1, whole: true },
  timeoutMs: { min: 1, whole: false },
  latencyMs: { min: 1, whole: false },
  backoffBaseMs: { min: 0, whole: false },
  backoffCapMs: { min: 0, whole: false },
  maxRetryAfterMs: { min: 0, whole: false },
  circuitFailureThreshold: { min: 1, whole: true },
  circuitCooldownMs: { min: 0, whole: false },
};

// Defaults filled in, every value checked: a typo in a config file must fail at start-up, naming the setting,
// not as a limiter that never lets anything through.
export function resolveCallSettings(owner: string, settings: Partial<ProviderCallSettings> = {}): ProviderCallSettings {
  const resolved = { ...DEFAULT_PROVIDER_CALL_SETTINGS };
  for (const key of Object.keys(settings)) {
    if (!(key in RULES)) {
      throw new Error(`${owner}: settings.${key} is not a setting (known: ${Object.keys(RULES).join(', ')})`);
    }
  }
  for (const key of Object.keys(RULES) as Array<keyof ProviderCallSettings>) {
    const value = settings[key];
    if (value === undefined) continue;
    const rule = RULES[key];
    const kind = rule.whole ? 'a whole number' : 'a number';
    const bound = rule.min === Number.MIN_VALUE ? 'greater than 0' : `>= ${rule.min}`;
    if (typeof value !== 'number' || !Number.isFinite(value) || value < rule.min || (rule.whole && !Number.isInteger(value))) {
      throw new Error(`${owner}: settings.${key} must be ${kind} ${bound} (got ${describeValue(value)})`);
    }
    resolved[key] = value;
  }
  if (resolved.backoffCapMs < resolved.backoffBaseMs) {
    throw new Error(
      `${owner}: settings.backoffCapMs (${resolved.backoffCapMs}) must not be below settings.backoffBaseMs (${resolved.backoffBaseMs})`,
    );
  }
  return resolved;
}
