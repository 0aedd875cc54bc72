/** The options of `mcp-observatory report` and the parser of its command line. */
import { existsSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { ReportUsageError } from './errors.js';
import { REPORT_FORMATS } from './format.js';
import type { ReportFormat } from './format.js';

/** A report, as `parseReportArgs` reads it from the command line. */
export interface ReportOptions {
  /** Base URL of the Prometheus HTTP API. */
  prometheus: URL;
  /** The report window, a Prometheus duration (`24h`, `7d`). */
  window: string;
  format: ReportFormat;
  /** Only this Prometheus job. */
  job?: string | undefined;
  /** Configuration whose SLOs are computed from raw series when the recording rules are not loaded. */
  config?: string | undefined;
  /** Offenders listed per kind. */
  top: number;
  /** Timeout of each Prometheus request. */
  timeoutMs: number;
}

/** Where `report` looks for Prometheus unless told. */
export const DEFAULT_PROMETHEUS = 'http://127.0.0.1:9090';
const DEFAULT_CONFIG = 'mcp-observatory.yaml';

/** Parse the arguments of `mcp-observatory report` (after the command name). */
export function parseReportArgs(args: string[], env: Record<string, string | undefined> = process.env): ReportOptions {
  const { values, positionals } = parseArgs({
    args,
    options: {
      prometheus: { type: 'string' },
      window: { type: 'string' },
      format: { type: 'string' },
      job: { type: 'string' },
      config: { type: 'string' },
      top: { type: 'string' },
      timeout: { type: 'string' },
    },
  });
  if (positionals.length > 0) throw new ReportUsageError(`report takes no arguments, got ${positionals.join(' ')}`);
  const text = values.prometheus ?? env['PROMETHEUS_URL'] ?? DEFAULT_PROMETHEUS;
  let prometheus: URL;
  try {
    prometheus = new URL(text);
    if (prometheus.protocol !== 'http:' && prometheus.protocol !== 'https:') throw new TypeError('not http');
  } catch {
    throw new ReportUsageError(`--prometheus ${text}: not an http(s) URL; e.g. --prometheus ${DEFAULT_PROMETHEUS}`);
  }
  const window = values.window ?? '24h';
  if (!/^(\d+(ms|s|m|h|d|w|y))+$/.test(window) || /^0+[a-z]+$/.test(window)) {
    throw new ReportUsageError(`--window ${window}: not a Prometheus duration; e.g. --window 24h, 7d or 90m`);
  }
  const format = (values.format ?? 'table') as ReportFormat;
  if (!REPORT_FORMATS.includes(format)) {
    throw new ReportUsageError(`--format ${values.format}: use one of ${REPORT_FORMATS.join(', ')}`);
  }
  const top = values.top === undefined ? 5 : Number(values.top);
  if (!Number.isInteger(top) || top < 1 || top > 100) {
    throw new ReportUsageError(`--top ${values.top}: a whole number from 1 to 100`);
  }
  const timeout = values.timeout ?? '10s';
  const match = /^(\d+(?:\.\d+)?)(ms|s|m)$/.exec(timeout);
  if (!match || Number(match[1]) <= 0) throw new ReportUsageError(`--timeout ${timeout}: e.g. --timeout 10s or 500ms`);
  const timeoutMs = Number(match[1]) * { ms: 1, s: 1000, m: 60_000 }[match[2] as 'ms' | 's' | 'm'];
  if (values.config !== undefined && !existsSync(values.config)) {
    throw new ReportUsageError(`--config ${values.config}: no such file`);
  }
  return {
    prometheus,
    window,
    format,
    job: values.job,
    config: values.config ?? (existsSync(DEFAULT_CONFIG) ? DEFAULT_CONFIG : undefined),
    top,
    timeoutMs,
  };
}
