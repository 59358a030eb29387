import pino, { type Logger } from 'pino';

export type { Logger } from 'pino';

/** JSON logs on stdout (CloudWatch on Lambda); LOG_LEVEL controls the level, default info ('silent' in tests). */
export function createLogger(service: string, options: { level?: string; destination?: NodeJS.WritableStream } = {}): Logger {
  const level = options.level ?? process.env.LOG_LEVEL ?? 'info';
  return options.destination ? pino({ level, base: { service } }, options.destination) : pino({ level, base: { service } });
}

export const silentLogger: Logger = pino({ level: 'silent' });
