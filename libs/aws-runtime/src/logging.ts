import { LogFormatter, LogItem, Logger as PowertoolsLogger } from '@aws-lambda-powertools/logger';
import type { LogAttributes, UnformattedAttributes } from '@aws-lambda-powertools/logger/types';
import type { LogFn, Logger } from '@refinery/runtime';
import type { Context } from 'aws-lambda';

/** Pino's level names (what LOG_LEVEL takes) as Powertools names them. */
const POWERTOOLS_LEVELS: Readonly<Record<string, string>> = {
  trace: 'TRACE',
  debug: 'DEBUG',
  info: 'INFO',
  warn: 'WARN',
  error: 'ERROR',
  fatal: 'CRITICAL',
  silent: 'SILENT',
};

/** Powertools' level names as pino's numbers: the runbooks' queries filter `level >= 50`, locally and on AWS alike. */
const PINO_LEVEL_NUMBERS: Readonly<Record<string, number>> = { TRACE: 10, DEBUG: 20, INFO: 30, WARN: 40, ERROR: 50, CRITICAL: 60 };

/** Keys Powertools drops (with a warning line) when a call's fields use them; they are written as `extra_<key>`. */
const RESERVED_KEYS = new Set(['level', 'message', 'sampling_rate', 'service', 'timestamp']);

/**
 * The functions' log lines in pino's shape — numeric `level`, `time` in epoch milliseconds, `msg`, `service`, errors
 * with `type`, `message` and `stack` — so a line reads the same locally and on AWS, plus what Powertools knows of the
 * invocation under its own names: function_name, function_request_id, function_arn, function_memory_size, cold_start
 * and xray_trace_id.
 */
export class PinoShapedLogFormatter extends LogFormatter {
  formatAttributes(attributes: UnformattedAttributes, additionalLogAttributes: LogAttributes): LogItem {
    const lambda = attributes.lambdaContext;
    return new LogItem({
      attributes: {
        level: PINO_LEVEL_NUMBERS[attributes.logLevel.toUpperCase()] ?? 30,
        time: attributes.timestamp.getTime(),
        service: attributes.serviceName,
        function_name: lambda?.functionName,
        function_request_id: lambda?.awsRequestId,
        cold_start: lambda?.coldStart,
        function_arn: lambda?.invokedFunctionArn,
        function_memory_size: lambda?.memoryLimitInMB,
        xray_trace_id: attributes.xRayTraceId,
        sampling_rate: attributes.sampleRateValue || undefined,
      },
    })
      .addAttributes(additionalLogAttributes)
      .addAttributes({ msg: attributes.message });
  }

  override formatError(error: Error): LogAttributes {
    // pino's err serializer names the error's class `type`: queries written against local logs keep working.
    return { type: error.constructor?.name ?? error.name, ...super.formatError(error) };
  }
}

/**
 * The Logger interface on a Powertools Logger, for the Lambda entry points. Every adapter made from one (children
 * included) writes through the same Powertools Logger, so the invocation's context added once by the entry point is on
 * every line, also those of children made at cold start (Powertools' own children copy the context they were made
 * with, which would be the first invocation's).
 */
export class LambdaLogger implements Logger {
  readonly debug: LogFn = (fields: object | string, msg?: string) => this.write('debug', fields, msg);
  readonly info: LogFn = (fields: object | string, msg?: string) => this.write('info', fields, msg);
  readonly warn: LogFn = (fields: object | string, msg?: string) => this.write('warn', fields, msg);
  readonly error: LogFn = (fields: object | string, msg?: string) => this.write('error', fields, msg);

  constructor(
    private readonly powertools: PowertoolsLogger,
    private readonly bindings: Readonly<Record<string, unknown>> = {},
  ) {}

  get level(): string {
    const name = this.powertools.getLevelName();
    return name === 'CRITICAL' ? 'fatal' : name.toLowerCase();
  }

  /** The invocation's context on every line until the next one's: function name, request id, cold start. */
  addContext(context: Context): void {
    this.powertools.addContext(context);
  }

  child(bindings: Record<string, unknown>): LambdaLogger {
    return new LambdaLogger(this.powertools, { ...this.bindings, ...bindings });
  }

  private write(method: 'debug' | 'info' | 'warn' | 'error', fields: object | string, msg: string | undefined): void {
    if (typeof fields === 'string') {
      this.powertools[method](fields, extraKeys(this.bindings));
      return;
    }
    // Like pino: an error given alone is the line's `err`, its message the line's message.
    const given = fields instanceof Error ? { err: fields } : fields;
    this.powertools[method](msg ?? (fields instanceof Error ? fields.message : ''), extraKeys({ ...this.bindings, ...given }));
  }
}

function extraKeys(fields: Readonly<Record<string, unknown>>): Record<string, unknown> {
  const keys: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(fields)) keys[RESERVED_KEYS.has(key) ? `extra_${key}` : key] = value;
  return keys;
}

/**
 * A function's logger on Lambda: JSON lines on stdout and stderr (CloudWatch Logs) through Powertools for AWS Lambda's
 * Logger, at `level` by pino's names (LOG_LEVEL's values).
 */
export function lambdaLogger(service: string, level = 'info'): LambdaLogger {
  const logLevel = POWERTOOLS_LEVELS[level.toLowerCase()];
  if (!logLevel) {
    throw new Error(`invalid configuration from environment: LOG_LEVEL: "${level}" is not one of ${Object.keys(POWERTOOLS_LEVELS).join(', ')}`);
  }
  return new LambdaLogger(new PowertoolsLogger({ serviceName: service, logLevel: logLevel as 'INFO', logFormatter: new PinoShapedLogFormatter() }));
}
