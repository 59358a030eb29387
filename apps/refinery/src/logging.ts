import { join } from 'node:path';
import { DataDirFaultError, ensurePrivateDir, ensurePrivateFile, storageFaultOf } from '@refinery/local-runtime';
import type { Logger } from '@refinery/runtime';
import pino from 'pino';

/** Log lines held in memory, at most, while the log file cannot be written (a full disk); later ones are dropped. */
const MAX_UNWRITTEN_LOG_BYTES = 4 * 1024 * 1024;

/**
 * Where a data dir's logs go: DATA_DIR/logs/refinery.log, JSON lines, appended across runs. A data dir that cannot be
 * written is refused with a DataDirFaultError (what, where, what to do).
 */
function logFile(dataDir: string): pino.DestinationStream {
  let destination: ReturnType<typeof pino.destination>;
  try {
    // The data dir and its logs are the user's alone (docs/local-mode.md), whatever the umask.
    ensurePrivateDir(dataDir);
    const dir = join(dataDir, 'logs');
    ensurePrivateDir(dir);
    const file = join(dir, 'refinery.log');
    ensurePrivateFile(file);
    destination = pino.destination({ dest: file, append: true, sync: true, maxLength: MAX_UNWRITTEN_LOG_BYTES });
  } catch (error) {
    const fault = storageFaultOf(error);
    if (fault) throw new DataDirFaultError(fault.kind, fault.code, dataDir, { cause: error });
    throw error;
  }
  // A full disk fails the log file's writes too. The runtime says so (once: its error line, on stdout for a server, and
  // by the command); the lines not written stay in memory, up to a bound, and are written once space is back. Without a
  // listener the error would end the process.
  destination.on('error', () => undefined);
  return destination;
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
