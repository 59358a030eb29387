/**
 * How long `refinery dev` (and `emulate`) give the work in flight to finish after SIGTERM or SIGINT before they exit
 * anyway. A handler may be busy for minutes (a provider that does not answer, a large chunk): waiting for it made
 * SIGTERM look ignored. Nothing is lost by leaving: the queues live in the data dir, and the next start makes the
 * messages that were in flight visible again at once, so the job resumes.
 */
export const SHUTDOWN_GRACE_MS = 5_000;

/** Exit status when the grace period ran out (or a second signal came): 128 + the signal's number, as a shell reports. */
const SIGNAL_EXIT: Record<'SIGINT' | 'SIGTERM', number> = { SIGINT: 130, SIGTERM: 143 };

/**
 * Waits for SIGINT or SIGTERM, then closes: at once if the work in flight finishes within `graceMs`, else exits the
 * process when the grace period is over. A second signal exits at once. Resolves only after a clean close.
 */
export async function serveUntilSignalled(
  name: string,
  close: () => Promise<void>,
  options: { stderr: NodeJS.WritableStream; graceMs?: number; exit?: (code: number) => never },
): Promise<void> {
  const graceMs = options.graceMs ?? SHUTDOWN_GRACE_MS;
  const exit = options.exit ?? ((code: number) => process.exit(code));
  const signal = await new Promise<'SIGINT' | 'SIGTERM'>((resolve) => {
    process.once('SIGINT', () => resolve('SIGINT'));
    process.once('SIGTERM', () => resolve('SIGTERM'));
  });
  options.stderr.write(`${name}: stopping\n`);
  const now = (): void => {
    options.stderr.write(`${name}: stopping at once; the work in flight resumes on the next start\n`);
    exit(SIGNAL_EXIT[signal]);
  };
  process.once('SIGINT', now);
  process.once('SIGTERM', now);
  const timer = setTimeout(() => {
    options.stderr.write(`${name}: the work in flight did not stop within ${graceMs / 1000} s; exiting (it resumes on the next start)\n`);
    exit(SIGNAL_EXIT[signal]);
  }, graceMs);
  try {
    await close();
  } finally {
    clearTimeout(timer);
    process.off('SIGINT', now);
    process.off('SIGTERM', now);
  }
}
