import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import pino from 'pino';
import type { Logger } from '@refinery/runtime';

/** Logs of a local run go to DATA_DIR/logs/refinery.log (JSON lines), keeping the terminal for the user. */
export function fileLogger(dataDir: string, level = process.env.LOG_LEVEL ?? 'info'): Logger {
  const dir = join(dataDir, 'logs');
  mkdirSync(dir, { recursive: true });
  return pino({ level }, pino.destination({ dest: join(dir, 'refinery.log'), append: true, sync: true }));
}

export function stdoutLogger(level = process.env.LOG_LEVEL ?? 'info'): Logger {
  return pino({ level });
}
