import pino from 'pino';

/** A log call, pino's way: fields then message, or the message alone. */
export interface LogFn {
  (fields: object, msg?: string): void;
  (msg: string): void;
}

/**
 * What the code logs through: pino locally and in tests (createLogger), Powertools for AWS Lambda's Logger on Lambda
 * (@refinery/aws-runtime's lambdaLogger). Both write JSON lines with a numeric `level` (pino's: 50 is an error) and
 * `msg`, errors under `err` with their message and stack.
 */
export interface Logger {
  readonly debug: LogFn;
  readonly info: LogFn;
  readonly warn: LogFn;
  readonly error: LogFn;
  /** A logger that adds these fields to every line it writes. */
  child(bindings: Record<string, unknown>): Logger;
  /** The threshold, by pino's names: 'debug', 'info', 'warn', 'error', 'silent', … */
  readonly level: string;
}

/** JSON logs on stdout; LOG_LEVEL controls the level, default info ('silent' in tests). */
export function createLogger(service: string, options: { level?: string; destination?: NodeJS.WritableStream } = {}): Logger {
  const level = options.level ?? process.env.LOG_LEVEL ?? 'info';
  return options.destination ? pino({ level, base: { service } }, options.destination) : pino({ level, base: { service } });
}

export const silentLogger: Logger = pino({ level: 'silent' });
