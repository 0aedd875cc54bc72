import { logs, SeverityNumber } from '@opentelemetry/api-logs';
import type { Context } from '@opentelemetry/api';
import { INSTRUMENTATION_SCOPE } from './contract.js';
import type { LogDestination, LogOptions } from './types.js';

export type Level = 'debug' | 'info' | 'warn' | 'error';

const RANK: Record<Level | 'silent', number> = { debug: 10, info: 20, warn: 30, error: 40, silent: 100 };
const SEVERITY: Record<Level, SeverityNumber> = {
  debug: SeverityNumber.DEBUG,
  info: SeverityNumber.INFO,
  warn: SeverityNumber.WARN,
  error: SeverityNumber.ERROR,
};

/** One structured record; keys keep their insertion order in the JSON line. Keys are JSON-safe constants. */
export type LogRecord = Record<string, string | number | boolean | undefined>;

export interface LogSink {
  /** Whether request lines at `level` are written (audit lines always are). */
  enabled(level: Level): boolean;
  /** Write a request or audit record at `level`; `context` links the OTel log record to its span. */
  write(channel: 'request' | 'audit', level: Level, msg: string, record: LogRecord, context?: Context): void;
}

/**
 * Bytes a stream destination may hold unwritten before lines are dropped (and counted): a destination that never
 * drains (a stalled pipe, a full disk behind a slow stream) must not grow the server's memory without bound.
 */
export const MAX_PENDING_LOG_BYTES = 4 * 1024 * 1024;

function lineWriter(destination: LogDestination, onDrop: (reason: string) => void): (line: string) => void {
  if (typeof destination === 'function') return destination;
  return (line) => {
    if (((destination as { writableLength?: number }).writableLength ?? 0) > MAX_PENDING_LOG_BYTES) {
      onDrop('backpressure');
      return;
    }
    destination.write(`${line}\n`);
  };
}

/**
 * Builds the log sink once from the options; undefined when logging is off, so the recorder can bind a no-op instead.
 * The audit channel ignores the level: an audit trail with holes is no audit trail. `onDrop` counts lines that could
 * not be written (a closed stream, a throwing destination) — the request is never affected.
 */
export function createLogSink(
  options: LogOptions | false | undefined,
  onDrop: (reason: string) => void,
): LogSink | undefined {
  if (options === false) return undefined;
  const threshold = RANK[options?.level ?? 'info'];
  if (threshold === RANK.silent) return undefined;
  const request = lineWriter(options?.destination ?? process.stderr, onDrop);
  const audit = options?.auditDestination ? lineWriter(options.auditDestination, onDrop) : request;
  const otel = options?.otel === false ? undefined : logs.getLogger(INSTRUMENTATION_SCOPE);

  return {
    enabled: (level) => RANK[level] >= threshold,
    write(channel, level, msg, record, context) {
      let line = `{"time":"${isoNow()}","level":"${level}","msg":${JSON.stringify(msg)},"channel":"${channel}"`;
      for (const key in record) {
        const value = record[key];
        if (value !== undefined) line += `,"${key}":${typeof value === 'string' ? JSON.stringify(value) : value}`;
      }
      line += '}';
      try {
        (channel === 'audit' ? audit : request)(line);
      } catch {
        onDrop('write_failed');
      }
      if (otel) {
        try {
          otel.emit({
            severityNumber: SEVERITY[level],
            severityText: level.toUpperCase(),
            body: msg,
            attributes: { 'log.channel': channel, ...withoutUndefined(record) },
            ...(context && { context }),
          });
        } catch {
          onDrop('emit_failed');
        }
      }
    },
  };
}

let lastMs = 0;
let lastIso = '';

/** The ISO timestamp, formatted at most once per millisecond: `toISOString` costs more than the rest of a line. */
function isoNow(): string {
  const now = Date.now();
  if (now !== lastMs) {
    lastMs = now;
    lastIso = new Date(now).toISOString();
  }
  return lastIso;
}

function withoutUndefined(record: LogRecord): Record<string, string | number | boolean> {
  const out: Record<string, string | number | boolean> = {};
  for (const key in record) {
    const value = record[key];
    if (value !== undefined) out[key] = value;
  }
  return out;
}
