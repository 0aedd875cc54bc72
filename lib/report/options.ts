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
  /** Markdown only: where the chart images go (the Markdown links them by name, relative to it). */
  images?: string | undefined;
}

/** Where `report` looks for Prometheus unless told. */
export const DEFAULT_PROMETHEUS = 'http://127.0.0.1:9090';
const DEFAULT_CONFIG = 'mcp-observatory.yaml';

/** The flags of every command that reads Prometheus: `report`, `capacity`, `snapshot`. */
export const PROMETHEUS_FLAGS = {
  prometheus: { type: 'string' },
  job: { type: 'string' },
  config: { type: 'string' },
  timeout: { type: 'string' },
} as const;

/** Parse the arguments of `mcp-observatory report` (after the command name). */
export function parseReportArgs(args: string[], env: Record<string, string | undefined> = process.env): ReportOptions {
  const { values, positionals } = parseArgs({
    args,
    options: {
      ...PROMETHEUS_FLAGS,
      window: { type: 'string' },
      format: { type: 'string' },
      top: { type: 'string' },
      images: { type: 'string' },
    },
  });
  if (positionals.length > 0) throw new ReportUsageError(`report takes no arguments, got ${positionals.join(' ')}`);
  const prometheus = prometheusUrl(values.prometheus, env);
  const window = promDuration('--window', values.window ?? '24h', '24h, 7d or 90m');
  const format = (values.format ?? 'table') as ReportFormat;
  if (!REPORT_FORMATS.includes(format)) {
    throw new ReportUsageError(`--format ${values.format}: use one of ${REPORT_FORMATS.join(', ')}`);
  }
  const top = values.top === undefined ? 5 : Number(values.top);
  if (!Number.isInteger(top) || top < 1 || top > 100) {
    throw new ReportUsageError(`--top ${values.top}: a whole number from 1 to 100`);
  }
  const timeoutMs = requestTimeout(values.timeout);
  const config = configPath(values.config);
  if (values.images !== undefined && format !== 'markdown') {
    throw new ReportUsageError(`--images ${values.images}: charts go with --format markdown, not ${format}`);
  }
  return {
    prometheus,
    window,
    format,
    job: values.job,
    config,
    top,
    timeoutMs,
    images: values.images,
  };
}

/** `--prometheus`, else $PROMETHEUS_URL, else the default: an http(s) URL. */
export function prometheusUrl(flag: string | undefined, env: Record<string, string | undefined>): URL {
  const text = flag ?? env['PROMETHEUS_URL'] ?? DEFAULT_PROMETHEUS;
  try {
    const url = new URL(text);
    if (url.protocol === 'http:' || url.protocol === 'https:') return url;
  } catch {
    // reported below
  }
  throw new ReportUsageError(`--prometheus ${text}: not an http(s) URL; e.g. --prometheus ${DEFAULT_PROMETHEUS}`);
}

/** A Prometheus duration above zero given as `flag`. */
export function promDuration(flag: string, value: string, examples: string): string {
  if (!/^(\d+(ms|s|m|h|d|w|y))+$/.test(value) || /^0+[a-z]+$/.test(value)) {
    throw new ReportUsageError(`${flag} ${value}: not a Prometheus duration; e.g. ${flag} ${examples}`);
  }
  return value;
}

/** `--timeout` in milliseconds (default 10 s). */
export function requestTimeout(value = '10s'): number {
  const match = /^(\d+(?:\.\d+)?)(ms|s|m)$/.exec(value);
  if (!match || Number(match[1]) <= 0) throw new ReportUsageError(`--timeout ${value}: e.g. --timeout 10s or 500ms`);
  return Number(match[1]) * { ms: 1, s: 1000, m: 60_000 }[match[2] as 'ms' | 's' | 'm'];
}

/** `--config`, which must exist, else ./mcp-observatory.yaml when there is one. */
export function configPath(flag: string | undefined): string | undefined {
  if (flag !== undefined && !existsSync(flag)) throw new ReportUsageError(`--config ${flag}: no such file`);
  return flag ?? (existsSync(DEFAULT_CONFIG) ? DEFAULT_CONFIG : undefined);
}
