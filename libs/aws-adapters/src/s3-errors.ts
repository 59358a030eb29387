// What an S3 failure means for the port. The SDK names modelled errors (NoSuchKey) but not every HEAD or conditional
// failure has a body to name it, so the HTTP status decides as well.

export function httpStatusOf(error: unknown): number | undefined {
  return (error as { $metadata?: { httpStatusCode?: number } } | undefined)?.$metadata?.httpStatusCode;
}

function nameOf(error: unknown): string | undefined {
  return error instanceof Error ? error.name : undefined;
}

/** The key is missing. A missing bucket is a deployment error and is deliberately not reported as a missing object. */
export function isMissingObject(error: unknown): boolean {
  const name = nameOf(error);
  if (name === 'NoSuchBucket') return false;
  return name === 'NoSuchKey' || name === 'NotFound' || httpStatusOf(error) === 404;
}

/** `If-None-Match: *` did not hold: the key is taken. */
export function isPreconditionFailed(error: unknown): boolean {
  return nameOf(error) === 'PreconditionFailed' || httpStatusOf(error) === 412;
}

/** The Range header starts past the end of the object. */
export function isInvalidRange(error: unknown): boolean {
  return nameOf(error) === 'InvalidRange' || httpStatusOf(error) === 416;
}
