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
