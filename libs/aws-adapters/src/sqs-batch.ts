import type { BatchResultErrorEntry } from '@aws-sdk/client-sqs';

/** SQS batch actions (SendMessageBatch, DeleteMessageBatch, ChangeMessageVisibilityBatch) take at most 10 entries. */
export const MAX_BATCH_ENTRIES = 10;

export interface RetryPolicy {
  /** Calls per batch, the first included. */
  readonly maxAttempts: number;
  readonly baseDelayMs: number;
  readonly maxDelayMs: number;
  readonly sleep: (ms: number) => Promise<void>;
  readonly random: () => number;
}

/**
 * Runs one SQS batch call and resends only the entries that failed through no fault of ours (SenderFault false), with
 * exponential backoff and full jitter. Sender faults throw at once unless `ignore` says the failure is expected (a
 * stale receipt handle). Whole-call failures are the SDK client's to retry.
 */
export async function runSqsBatch<Entry extends { Id: string }>(
  action: string,
  entries: readonly Entry[],
  call: (entries: Entry[]) => Promise<{ Failed?: BatchResultErrorEntry[] | undefined }>,
  policy: RetryPolicy,
  ignore: (failure: BatchResultErrorEntry) => boolean = () => false,
): Promise<void> {
  let pending = [...entries];
  for (let attempt = 1; pending.length > 0; attempt += 1) {
    const { Failed = [] } = await call([...pending]);
    const retry: BatchResultErrorEntry[] = [];
    for (const failure of Failed) {
      if (ignore(failure)) continue;
      if (failure.SenderFault !== false) throw new Error(`SQS ${action} refused entry ${failure.Id}: ${failure.Code}: ${failure.Message ?? ''}`);
      retry.push(failure);
    }
    if (retry.length === 0) return;
    if (attempt >= policy.maxAttempts) {
      const codes = [...new Set(retry.map((failure) => failure.Code))].join(', ');
      throw new Error(`SQS ${action}: ${retry.length} of ${entries.length} entries still failed after ${attempt} attempts (${codes})`);
    }
    await policy.sleep(policy.random() * Math.min(policy.maxDelayMs, policy.baseDelayMs * 2 ** (attempt - 1)));
    const failedIds = new Set(retry.map((failure) => failure.Id));
    pending = pending.filter((entry) => failedIds.has(entry.Id));
  }
}

/** Whether SQS says a receipt handle no longer designates the message (deleted, received again, or expired). */
export function isStaleReceiptHandle(failure: { Code?: string | undefined; name?: string; Message?: string | undefined; message?: string }): boolean {
  const code = failure.Code ?? failure.name ?? '';
  const message = failure.Message ?? failure.message ?? '';
  return (
    code === 'ReceiptHandleIsInvalid' ||
    code === 'MessageNotInflight' ||
    code.endsWith('.MessageNotInflight') ||
    (code.includes('InvalidParameterValue') && /receipt ?handle/i.test(message))
  );
}
