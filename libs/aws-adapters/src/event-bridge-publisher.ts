import { type EventBridgeClient, PutEventsCommand, type PutEventsRequestEntry, type PutEventsResultEntry } from '@aws-sdk/client-eventbridge';
import type { EventPublisher, PublishEntry } from '@refinery/ports';
import { putEventsBatches } from './event-bridge-entries';
import { errorCode, isRetryableCallError, PERMANENT_ENTRY_ERRORS } from './event-bridge-errors';

export interface EventBridgePublisherOptions {
  readonly client: EventBridgeClient;
  readonly eventBusName: string;
  /** Calls per request, the first included (default 6). Give the client `maxAttempts: 1` so that these are the only retries. */
  readonly maxAttempts?: number;
  /** Backoff before the n-th resend: a random delay up to min(maxDelayMs, baseDelayMs * 2^(n-1)) ("full jitter"). */
  readonly baseDelayMs?: number;
  readonly maxDelayMs?: number;
  readonly sleep?: (ms: number) => Promise<void>;
  /** Jitter source in [0, 1) (tests make it fixed). */
  readonly random?: () => number;
}

interface FailedEntry {
  readonly entry: PutEventsRequestEntry;
  readonly code: string;
  readonly message: string;
}

/**
 * `EventPublisher` on EventBridge PutEvents. A publish is checked whole first (nothing is sent if any entry could never
 * be accepted), then sent in requests of at most 10 entries and 256 KB, one after another so that order is kept. Of a
 * request, only the entries EventBridge reports as failed are resent, with exponential backoff and full jitter; a
 * throttled, 5xx or network-failed call is resent whole the same way. Codes that cannot pass on a resend throw at once.
 */
export class EventBridgePublisher implements EventPublisher {
  private readonly maxAttempts: number;
  private readonly baseDelayMs: number;
  private readonly maxDelayMs: number;
  private readonly sleep: (ms: number) => Promise<void>;
  private readonly random: () => number;

  constructor(private readonly options: EventBridgePublisherOptions) {
    this.maxAttempts = options.maxAttempts ?? 6;
    this.baseDelayMs = options.baseDelayMs ?? 100;
    this.maxDelayMs = options.maxDelayMs ?? 20_000;
    this.sleep = options.sleep ?? ((ms) => new Promise((resolve) => setTimeout(resolve, ms)));
    this.random = options.random ?? Math.random;
    if (!Number.isInteger(this.maxAttempts) || this.maxAttempts < 1) throw new Error('maxAttempts must be a positive integer');
  }

  async publish(entries: readonly PublishEntry[]): Promise<void> {
    for (const batch of putEventsBatches(entries, this.options.eventBusName)) await this.putBatch(batch);
  }

  private async putBatch(batch: readonly PutEventsRequestEntry[]): Promise<void> {
    let pending = batch;
    for (let attempt = 1; ; attempt += 1) {
      const failed = await this.attempt(pending);
      if (failed.length === 0) return;
      if (attempt === this.maxAttempts) throw new Error(giveUpMessage(failed, batch.length, attempt));
      await this.sleep(this.random() * Math.min(this.maxDelayMs, this.baseDelayMs * 2 ** (attempt - 1)));
      pending = failed.map((failure) => failure.entry);
    }
  }

  /** One PutEvents call; returns the entries to resend, or throws when resending cannot help. */
  private async attempt(entries: readonly PutEventsRequestEntry[]): Promise<FailedEntry[]> {
    let results: PutEventsResultEntry[];
    try {
      results = (await this.options.client.send(new PutEventsCommand({ Entries: [...entries] }))).Entries ?? [];
    } catch (error) {
      const code = errorCode(error);
      const message = error instanceof Error ? error.message : String(error);
      if (!isRetryableCallError(error)) throw new Error(`EventBridge PutEvents failed with ${code}: ${message}`, { cause: error });
      return entries.map((entry) => ({ entry, code, message }));
    }
    const failed: FailedEntry[] = [];
    entries.forEach((entry, index) => {
      const result = results[index];
      if (result?.EventId && !result.ErrorCode) return;
      // Results come in request order; a missing one is treated as a failure to resend (at least once, never lost).
      const code = result?.ErrorCode ?? 'MissingResult';
      const message = result?.ErrorMessage ?? 'no result for this entry';
      if (PERMANENT_ENTRY_ERRORS.has(code)) {
        throw new Error(`EventBridge refused event ${entry.DetailType} with ${code}: ${message}`);
      }
      failed.push({ entry, code, message });
    });
    return failed;
  }
}

function giveUpMessage(failed: readonly FailedEntry[], requestSize: number, attempts: number): string {
  const reasons = new Map<string, { count: number; message: string }>();
  for (const failure of failed) {
    const reason = reasons.get(failure.code) ?? { count: 0, message: failure.message };
    reason.count += 1;
    reasons.set(failure.code, reason);
  }
  const why = [...reasons].map(([code, { count, message }]) => `${count} × ${code} (${message})`).join(', ');
  return `EventBridge PutEvents: ${failed.length} of ${requestSize} entries still failed after ${attempts} attempts: ${why}`;
}
