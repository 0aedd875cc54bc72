import { DiagLogLevel } from '@opentelemetry/api';
import { DEFAULT_MAX_TENANTS } from './contract.js';
import type { InstrumentOptions, LogOptions } from './types.js';

/** Where `mcp-observatory/register` serves `/metrics` and `/health/live`. */
export interface MetricsServerOptions {
  /** `OTEL_EXPORTER_PROMETHEUS_HOST`. @default '0.0.0.0' */
  host: string;
  /** `OTEL_EXPORTER_PROMETHEUS_PORT`. @default 9464 */
  port: number;
  /** `MCP_OBSERVATORY_METRICS_TOKEN`: scrapes must send `Authorization: Bearer <token>`. @default undefined (open) */
  bearerToken?: string;
}

/** Everything `mcp-observatory/register` reads from the environment. */
export interface RegisterOptions {
  /** `OTEL_SDK_DISABLED=true`: instrument nothing, serve nothing, export nothing. */
  disabled: boolean;
  /** Options handed to `instrument()` for every MCP server of the process. */
  instrument: InstrumentOptions;
  /** The Prometheus endpoint; undefined when `OTEL_METRICS_EXPORTER=none`. */
  metrics: MetricsServerOptions | undefined;
  /** Export traces and logs over OTLP: an OTLP endpoint is set and the trace or log exporter is not `none`. */
  telemetry: boolean;
  /** Lowest OpenTelemetry diagnostic level written to stderr (`OTEL_LOG_LEVEL`). @default DiagLogLevel.WARN */
  diagLogLevel: DiagLogLevel;
}

/** An environment variable that was set to a value mcp-observatory cannot use; its default applies instead. */
export interface EnvProblem {
  /** The variable's name. */
  variable: string;
  /** The value it was set to. */
  value: string;
  /** What would be accepted, e.g. `set it to a port number from 1 to 65535`. */
  expected: string;
  /** One line for stderr: the variable, the value, what is expected and the default used instead. */
  message: string;
}

export const DEFAULT_PROMETHEUS_HOST = '0.0.0.0';
/** The OpenTelemetry Prometheus exporter's default port. */
export const DEFAULT_PROMETHEUS_PORT = 9464;

const LOG_LEVELS = ['debug', 'info', 'warn', 'error', 'silent'] as const;

const DIAG_LEVELS: Record<string, DiagLogLevel> = {
  none: DiagLogLevel.NONE,
  error: DiagLogLevel.ERROR,
  warn: DiagLogLevel.WARN,
  info: DiagLogLevel.INFO,
  debug: DiagLogLevel.DEBUG,
  verbose: DiagLogLevel.VERBOSE,
  all: DiagLogLevel.ALL,
};

// An RFC 9110 token: anything else can never match a request header.
const HEADER_NAME = /^[!#$%&'*+.^_`|~0-9A-Za-z-]+$/;

/**
 * Read the zero-code configuration from environment variables, standard `OTEL_*` ones where they exist. Pure: the
 * caller decides where the problems go. As the OpenTelemetry specification asks, an empty value counts as unset.
 *
 * | variable | meaning |
 * |---|---|
 * | `OTEL_SDK_DISABLED` | `true` turns mcp-observatory off entirely |
 * | `OTEL_SERVICE_NAME` | `service.name` (else `service.name` in `OTEL_RESOURCE_ATTRIBUTES`) |
 * | `OTEL_EXPORTER_PROMETHEUS_HOST` / `_PORT` | where `/metrics` is served (default `0.0.0.0:9464`) |
 * | `OTEL_METRICS_EXPORTER` | `none` turns the metrics endpoint off |
 * | `OTEL_LOG_LEVEL` | OpenTelemetry diagnostics on stderr (default `warn`) |
 * | `MCP_OBSERVATORY_METRICS_TOKEN` | bearer token required to scrape `/metrics` |
 * | `MCP_OBSERVATORY_MAX_TENANTS` | distinct tenant label values kept (default 100) |
 * | `MCP_OBSERVATORY_TRUSTED_TENANT_HEADER` | request header trusted to carry the tenant id |
 * | `MCP_OBSERVATORY_LOG_LEVEL` | request logs on stderr: debug, info, warn, error or silent (default info) |
 *
 * @example
 * const { options, problems } = optionsFromEnv(process.env);
 * for (const problem of problems) process.stderr.write(`${problem.message}\n`);
 */
export function optionsFromEnv(env: NodeJS.ProcessEnv = process.env): {
  options: RegisterOptions;
  problems: EnvProblem[];
} {
  const problems: EnvProblem[] = [];
  const read = (variable: string): string | undefined => {
    const value = env[variable];
    return value === undefined || value === '' ? undefined : value;
  };
  const problem = (variable: string, value: string, expected: string, fallback: string) =>
    problems.push({
      variable,
      value,
      expected,
      message: `mcp-observatory: ignoring ${variable}=${JSON.stringify(value)}: ${expected} (using ${fallback})`,
    });

  let disabled = false;
  const sdkDisabled = read('OTEL_SDK_DISABLED');
  if (sdkDisabled !== undefined) {
    const normalized = sdkDisabled.trim().toLowerCase();
    if (normalized === 'true') disabled = true;
    else if (normalized !== 'false') {
      problem('OTEL_SDK_DISABLED', sdkDisabled, 'set it to true or false', 'false');
    }
  }

  const instrument: InstrumentOptions = {};
  const serviceName = read('OTEL_SERVICE_NAME') ?? resourceAttribute(read('OTEL_RESOURCE_ATTRIBUTES'), 'service.name');
  if (serviceName !== undefined) instrument.serviceName = serviceName;

  const maxTenants = read('MCP_OBSERVATORY_MAX_TENANTS');
  if (maxTenants !== undefined) {
    const parsed = integer(maxTenants);
    if (parsed !== undefined && parsed >= 1) instrument.maxTenants = parsed;
    else {
      problem(
        'MCP_OBSERVATORY_MAX_TENANTS',
        maxTenants,
        'set it to a whole number of tenants >= 1',
        String(DEFAULT_MAX_TENANTS),
      );
    }
  }

  const tenantHeader = read('MCP_OBSERVATORY_TRUSTED_TENANT_HEADER');
  if (tenantHeader !== undefined) {
    if (HEADER_NAME.test(tenantHeader.trim())) instrument.trustedTenantHeader = tenantHeader.trim();
    else {
      problem(
        'MCP_OBSERVATORY_TRUSTED_TENANT_HEADER',
        tenantHeader,
        'set it to an HTTP header name such as x-tenant-id',
        'no trusted header',
      );
    }
  }

  const logLevel = read('MCP_OBSERVATORY_LOG_LEVEL');
  if (logLevel !== undefined) {
    const normalized = logLevel.trim().toLowerCase();
    if ((LOG_LEVELS as readonly string[]).includes(normalized)) {
      instrument.logs = { level: normalized as NonNullable<LogOptions['level']> };
    } else {
      problem('MCP_OBSERVATORY_LOG_LEVEL', logLevel, `set it to one of ${LOG_LEVELS.join(', ')}`, 'info');
    }
  }

  let metrics: MetricsServerOptions | undefined = { host: DEFAULT_PROMETHEUS_HOST, port: DEFAULT_PROMETHEUS_PORT };
  const host = read('OTEL_EXPORTER_PROMETHEUS_HOST');
  if (host !== undefined) {
    if (host.trim() !== '' && !/\s/.test(host.trim())) metrics.host = host.trim();
    else problem('OTEL_EXPORTER_PROMETHEUS_HOST', host, 'set it to a host name or IP address', DEFAULT_PROMETHEUS_HOST);
  }
  const port = read('OTEL_EXPORTER_PROMETHEUS_PORT');
  if (port !== undefined) {
    const parsed = integer(port);
    if (parsed !== undefined && parsed >= 1 && parsed <= 65535) metrics.port = parsed;
    else {
      problem(
        'OTEL_EXPORTER_PROMETHEUS_PORT',
        port,
        'set it to a port number from 1 to 65535',
        String(DEFAULT_PROMETHEUS_PORT),
      );
    }
  }
  const token = read('MCP_OBSERVATORY_METRICS_TOKEN');
  if (token !== undefined) metrics.bearerToken = token;
  if (exporters(read('OTEL_METRICS_EXPORTER')).includes('none')) metrics = undefined;

  const tracesOn = !exporters(read('OTEL_TRACES_EXPORTER')).includes('none');
  const logsOn = !exporters(read('OTEL_LOGS_EXPORTER')).includes('none');
  const endpoint =
    read('OTEL_EXPORTER_OTLP_ENDPOINT') !== undefined ||
    read('OTEL_EXPORTER_OTLP_TRACES_ENDPOINT') !== undefined ||
    read('OTEL_EXPORTER_OTLP_LOGS_ENDPOINT') !== undefined;

  let diagLogLevel = DiagLogLevel.WARN;
  const diagLevel = read('OTEL_LOG_LEVEL');
  if (diagLevel !== undefined) {
    const level = DIAG_LEVELS[diagLevel.trim().toLowerCase()];
    if (level !== undefined) diagLogLevel = level;
    else problem('OTEL_LOG_LEVEL', diagLevel, `set it to one of ${Object.keys(DIAG_LEVELS).join(', ')}`, 'warn');
  }

  return {
    options: { disabled, instrument, metrics, telemetry: endpoint && (tracesOn || logsOn), diagLogLevel },
    problems,
  };
}

/** A non-negative decimal integer, or undefined (rejects `9464abc`, `1e3`, `-1`, `0x10`). */
function integer(value: string): number | undefined {
  const trimmed = value.trim();
  return /^\d{1,9}$/.test(trimmed) ? Number(trimmed) : undefined;
}

/** The comma-separated exporter list of `OTEL_*_EXPORTER`, lower-cased. */
function exporters(value: string | undefined): string[] {
  return (value ?? '').split(',').map((each) => each.trim().toLowerCase());
}

/** One key of `OTEL_RESOURCE_ATTRIBUTES` (`key=value,…`, values percent-encoded). */
function resourceAttribute(attributes: string | undefined, key: string): string | undefined {
  for (const pair of (attributes ?? '').split(',')) {
    const at = pair.indexOf('=');
    if (at < 0 || pair.slice(0, at).trim() !== key) continue;
    const raw = pair.slice(at + 1).trim();
    try {
      return decodeURIComponent(raw) || undefined;
    } catch {
      return raw || undefined;
    }
  }
  return undefined;
}
