// A Jest reporter that turns "Jest did not exit" into a failure. Jest waits for the event loop to drain after the last
// test; a server, browser, emulator or timer that a test left open (typically when its set-up failed half-way) keeps
// the run alive forever, and CI would only see a time-out. After the run completes this gives the process
// EXIT_GRACE_MS to exit by itself; past that it names what is still open and exits with code 1.
//
// Its timer is unref'd: it never keeps the process alive itself, so a clean run exits as soon as it would anyway.

const DEFAULT_GRACE_MS = 15_000;

class ExitWatchdog {
  constructor(_globalConfig, options = {}) {
    const fromEnv = Number(process.env.JEST_EXIT_GRACE_MS);
    this.graceMs = Number.isFinite(fromEnv) && fromEnv > 0 ? fromEnv : (options.graceMs ?? DEFAULT_GRACE_MS);
  }

  onRunComplete() {
    const timer = setTimeout(() => {
      // What Node reports as keeping the loop alive (this timer excluded: it is unref'd and fired).
      const open = process.getActiveResourcesInfo().filter((kind) => kind !== 'Timeout' && kind !== 'TTYWrap');
      process.stderr.write(
        `\nexit-watchdog: Jest has not exited ${this.graceMs} ms after the last test: something a test opened is still ` +
          `open (${open.length ? open.join(', ') : 'timers'}). Run \`npx jest --detectOpenHandles <file>\` to find it. ` +
          'Failing the run.\n',
      );
      process.exit(1);
    }, this.graceMs);
    timer.unref();
  }
}

module.exports = ExitWatchdog;
