/**
 * Builds a Lambda's handlers once per process. On Lambda (AWS_LAMBDA_FUNCTION_NAME is set) the build starts when the
 * module loads — at cold start — so a missing or malformed setting fails the init with its name instead of surfacing
 * in the first invocation's logs; elsewhere (tests, tools) it waits for the first call. A failed build is retried on
 * the next call rather than cached.
 */
export function onColdStart<T>(build: () => Promise<T>, options: { readonly cache?: boolean } = {}): () => Promise<T> {
  let pending: Promise<T> | undefined;
  // cache: false for a build that keeps (and renews) its result itself.
  const get =
    options.cache === false
      ? build
      : (): Promise<T> => {
          pending ??= build().catch((error: unknown) => {
            pending = undefined;
            throw error;
          });
          return pending;
        };
  if (process.env.AWS_LAMBDA_FUNCTION_NAME) {
    // Surfaced by the first invocation too, but this makes the init log say it at once.
    get().catch((error: unknown) => console.error(`cold start failed: ${(error as Error).message}`));
  }
  return get;
}
