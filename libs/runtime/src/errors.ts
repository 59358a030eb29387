/**
 * A failure that no retry can fix (bad input, a file that is not a CSV, an unusable header). The message is reported
 * at once as a failed stage instead of being retried until it lands in the dead-letter queue.
 */
export class NonRetryableError extends Error {
  override readonly name = 'NonRetryableError';
}

export function errorMessage(error: unknown): string {
  if (error instanceof Error) return error.message;
  return String(error);
}

/**
 * A fault of the machine a service runs on, not of the message it was handling: the storage it writes to is full or
 * cannot be written (the local mode's data dir). No retry of the message can fix it and none should be spent on it: the
 * platform that throws it pauses work until the fault is gone, and a delivery that met it is not one of the message's
 * attempts (never its last one).
 */
export class MachineFaultError extends Error {
  override readonly name: string = 'MachineFaultError';
}

/** The MachineFaultError that is the error or caused it (handlers may wrap what they caught), if any. */
export function machineFaultOf(error: unknown): MachineFaultError | undefined {
  let current: unknown = error;
  for (let depth = 0; depth < 8 && typeof current === 'object' && current !== null; depth += 1) {
    if (current instanceof MachineFaultError) return current;
    current = (current as { cause?: unknown }).cause;
  }
  return undefined;
}

export function isMachineFault(error: unknown): boolean {
  return machineFaultOf(error) !== undefined;
}
