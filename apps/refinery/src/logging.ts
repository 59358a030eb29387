import { join } from 'node:path';
import { ensurePrivateDir, ensurePrivateFile } from '@refinery/local-runtime';
import type { Logger } from '@refinery/runtime';
import pino from 'pino';

/** Where a data dir's logs go: DATA_DIR/logs/refinery.log, JSON lines, appended across runs. */
function logFile(dataDir: string): pino.DestinationStream {
  // The data dir and its logs are the user's alone (docs/local-mode.md), whatever the umask.
  ensurePrivateDir(dataDir);
  const dir = join(dataDir, 'logs');
  ensurePrivateDir(dir);
  const file = join(dir, 'refinery.log');
  ensurePrivateFile(file);
  return pino.destination({ dest: file, append: true, sync: true });
}

/** `refinery enrich`: logs to the data dir's log file only, keeping the terminal for the progress bar and summary. */
export function fileLogger(dataDir: string, level = process.env.LOG_LEVEL ?? 'info'): Logger {
  return pino({ level }, logFile(dataDir));
}

/**
 * `refinery dev`, a server: the same JSON lines on stdout (what a supervisor or container runtime collects) and in the
 * data dir's log file (what is still there after the terminal is gone).
 */
export function serverLogger(dataDir: string, level = process.env.LOG_LEVEL ?? 'info'): Logger {
  return pino(
    { level },
    pino.multistream([
      { level: 'trace', stream: pino.destination({ dest: 1, sync: true }) },
      { level: 'trace', stream: logFile(dataDir) },
    ]),
  );
}
