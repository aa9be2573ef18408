/**
 * Structured JSON logs (pino) for the API, the worker and the main job. One line per event, with
 * the fields an operator filters on: requestId for API requests; workflowId, runId and
 * activityType for anything the worker runs on behalf of a workflow.
 */
import type { LogLevel as TemporalLogLevel, LogMetadata, Logger as TemporalLogger } from '@temporalio/common';
import pino, { DestinationStream, Logger } from 'pino';

export type { Logger } from 'pino';

const LEVELS = ['trace', 'debug', 'info', 'warn', 'error', 'fatal', 'silent'] as const;
export type LogLevelName = (typeof LEVELS)[number];

/**
 * Secrets that must never reach a log line even if a caller passes a whole object along:
 * API keys (headers and bodies) and card numbers.
 */
const REDACT = [
  'authorization',
  'apiKey',
  'card',
  'cardNumber',
  '*.authorization',
  '*["x-api-key"]',
  '*.apiKey',
  '*.card',
  '*.cardNumber',
];

/** LOG_LEVEL when it names a pino level, else `fallback`; an unknown name is a configuration error. */
export function logLevelFromEnv(env: NodeJS.ProcessEnv, fallback: LogLevelName): LogLevelName {
  const raw = env.LOG_LEVEL?.trim().toLowerCase();
  if (!raw) return fallback;
  if (!(LEVELS as readonly string[]).includes(raw)) {
    throw new Error(`LOG_LEVEL=${env.LOG_LEVEL} is not one of ${LEVELS.join(', ')}`);
  }
  return raw as LogLevelName;
}

export interface LoggerOptions {
  level?: LogLevelName;
  /** Where lines go; stdout when not given. Tests pass a stream and read the lines back. */
  destination?: DestinationStream;
  /** Fields on every line, e.g. `{ service: 'tradeguard-worker' }`. */
  base?: Record<string, unknown>;
}

export function createLogger(opts: LoggerOptions = {}): Logger {
  const options: pino.LoggerOptions = {
    level: opts.level ?? 'info',
    base: { service: 'tradeguard', ...opts.base },
    timestamp: pino.stdTimeFunctions.isoTime,
    formatters: { level: (label) => ({ level: label }) },
    redact: { paths: REDACT, censor: '[redacted]' },
    serializers: { err: pino.stdSerializers.err },
  };
  return opts.destination ? pino(options, opts.destination) : pino(options);
}

/** A logger that writes nothing: the default wherever a logger is optional. */
export function silentLogger(): Logger {
  return pino({ level: 'silent' });
}

/** Adapts a logger to the `(line) => void` callbacks of the infra helpers (embedded services, mailer). */
export function lineLogger(logger: Logger, level: 'info' | 'warn' = 'info'): (line: string) => void {
  return (line) => logger[level](line);
}

const temporalToPino: Record<TemporalLogLevel, 'trace' | 'debug' | 'info' | 'warn' | 'error'> = {
  TRACE: 'trace',
  DEBUG: 'debug',
  INFO: 'info',
  WARN: 'warn',
  ERROR: 'error',
};

/**
 * The Temporal Runtime's logger, backed by pino. The SDK attaches workflowId, runId,
 * workflowType, activityType, taskQueue and sdkComponent to what workflows, activities and the
 * worker log; they become fields of the JSON line (an activity's run is `runId` too).
 */
export function temporalLogger(logger: Logger): TemporalLogger {
  const write = (level: TemporalLogLevel, message: string, meta?: LogMetadata) => {
    // Symbol keys (the SDK's nanosecond timestamp) are not JSON; keep the named fields only.
    const fields: Record<string, unknown> = Object.fromEntries(Object.entries(meta ?? {}));
    // Activity lines name the run `workflowRunId`, workflow lines `runId`: one name to filter on.
    if (fields.workflowRunId !== undefined && fields.runId === undefined) {
      fields.runId = fields.workflowRunId;
      delete fields.workflowRunId;
    }
    if (fields.error instanceof Error && !fields.err) {
      fields.err = fields.error;
      delete fields.error;
    }
    logger[temporalToPino[level] ?? 'info'](fields, message);
  };
  return {
    log: write,
    trace: (m, meta) => write('TRACE', m, meta),
    debug: (m, meta) => write('DEBUG', m, meta),
    info: (m, meta) => write('INFO', m, meta),
    warn: (m, meta) => write('WARN', m, meta),
    error: (m, meta) => write('ERROR', m, meta),
  };
}
