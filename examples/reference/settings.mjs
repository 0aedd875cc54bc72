// The reference server's settings, from its flags and environment. A bad value stops the server with one line that
// names the setting, the value and what is expected.
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';

export const USAGE = `Usage: node examples/reference/server.mjs [--mode stateful|stateless|stdio] [--port N] [--host H]

  --mode       stateful (default; MCP sessions), stateless (a server per request) or stdio   env MCP_MODE
  --stateless  same as --mode stateless;  --stdio  same as --mode stdio
  --port       HTTP port, 0 picks a free one (default 3000; stdio: no HTTP unless set)       env PORT
  --host       interface to listen on (default 127.0.0.1)                                    env HOST

Environment: ADMIN_TOKEN (turns the fault-injection endpoint on; off without it), METRICS_TOKEN (protects /metrics;
needed off loopback unless METRICS_PUBLIC=true says the network is private),
LOG_LEVEL (request logs: debug|info|warn|error|silent), AUDIT_LOG (file for the audit lines; default stderr),
RATE_LIMIT_SCALE (multiplies tenant rate limits), BREAKER_FAILURES, BREAKER_OPEN_MS, SHUTDOWN_DELAY_MS,
DRAIN_TIMEOUT_MS, SESSION_IDLE_MS, MAX_SESSIONS, MEMORY_LIMIT_MB (where the memory drill stops: 95% of it; default
512), BACKUP_DIR (where the hourly backup of the documents goes; default in the temp directory), MCP_TENANT (the
tenant of stdio), the faults FAULT_ERROR_RATE, FAULT_LATENCY_MS, FAULT_OUTAGE, FAULT_MEMORY_MB_PER_S, FAULT_CRASH,
FAULT_TOOL, FAULT_TENANT;
OTEL_EXPORTER_OTLP_ENDPOINT and the other OTEL_* variables.`;

export class SettingsError extends Error {}

const MODES = ['stateful', 'stateless', 'stdio'];
const LEVELS = ['debug', 'info', 'warn', 'error', 'silent'];

function number(name, text, fallback, { min = 0, max = Number.MAX_SAFE_INTEGER, integer = true } = {}) {
  if (text === undefined || text === '') return fallback;
  const value = Number(text);
  if (!Number.isFinite(value) || value < min || value > max || (integer && !Number.isInteger(value))) {
    throw new SettingsError(`${name}=${text} is not ${integer ? 'an integer' : 'a number'} from ${min} to ${max}`);
  }
  return value;
}

/** Whether `host` is a loopback address: the admin endpoint's demo token and the Host check apply there. */
export const isLoopback = (host) => host === '127.0.0.1' || host === 'localhost' || host === '::1';

/**
 * /metrics names tenants, quotas and versions: anonymous only where nobody else can reach it (loopback), or where the
 * operator says the network is private (METRICS_PUBLIC=true, as the compose stack does).
 */
function metricsToken(host, env) {
  if (env.METRICS_TOKEN) return env.METRICS_TOKEN;
  if (isLoopback(host) || env.METRICS_PUBLIC === 'true') return undefined;
  throw new SettingsError(
    `listening on ${host} with an anonymous /metrics: set METRICS_TOKEN (scrapers send it as a bearer token), or ` +
      'METRICS_PUBLIC=true if only a private network reaches the server',
  );
}

/** Read the settings from `argv` (without node and the script) and `env`. */
export function readSettings(argv, env) {
  const { values } = parseArgs({
    args: argv,
    options: {
      mode: { type: 'string' },
      stateless: { type: 'boolean' },
      stdio: { type: 'boolean' },
      port: { type: 'string' },
      host: { type: 'string' },
      help: { type: 'boolean', short: 'h' },
    },
  });
  const mode = values.stdio ? 'stdio' : values.stateless ? 'stateless' : (values.mode ?? env.MCP_MODE ?? 'stateful');
  if (!MODES.includes(mode)) throw new SettingsError(`mode ${mode} is not one of ${MODES.join(', ')}`);
  const portText = values.port ?? env.PORT;
  const port = mode === 'stdio' && !portText ? undefined : number('PORT', portText, 3000, { max: 65_535 });
  const host = values.host ?? env.HOST ?? '127.0.0.1';
  const logLevel = env.LOG_LEVEL ?? 'info';
  if (!LEVELS.includes(logLevel)) throw new SettingsError(`LOG_LEVEL=${logLevel} is not one of ${LEVELS.join(', ')}`);
  return {
    help: values.help === true,
    mode,
    port,
    host,
    // The fault-injection endpoint can crash the server: on only with a token of the operator's choosing.
    adminToken: env.ADMIN_TOKEN || undefined,
    metricsToken: metricsToken(host, env),
    logLevel,
    auditLog: env.AUDIT_LOG || undefined,
    rateLimitScale: number('RATE_LIMIT_SCALE', env.RATE_LIMIT_SCALE, 1, { min: 0.01, max: 10_000, integer: false }),
    // The limit the bundle's memory alert assumes (thresholds.memoryLimitBytes, 512 MiB by default).
    backupDirectory: env.BACKUP_DIR || join(tmpdir(), 'mcp-observatory-reference-backups'),
    memoryLimitMb: number('MEMORY_LIMIT_MB', env.MEMORY_LIMIT_MB, 512, { min: 64 }),
    breakerFailures: number('BREAKER_FAILURES', env.BREAKER_FAILURES, 5, { min: 1 }),
    breakerOpenMs: number('BREAKER_OPEN_MS', env.BREAKER_OPEN_MS, 10_000, { min: 1 }),
    shutdownDelayMs: number('SHUTDOWN_DELAY_MS', env.SHUTDOWN_DELAY_MS, 1000),
    drainTimeoutMs: number('DRAIN_TIMEOUT_MS', env.DRAIN_TIMEOUT_MS, 10_000, { min: 1 }),
    sessionIdleMs: number('SESSION_IDLE_MS', env.SESSION_IDLE_MS, 30 * 60_000, { min: 1000 }),
    maxSessions: number('MAX_SESSIONS', env.MAX_SESSIONS, 1000, { min: 1 }),
    stdioTenant: env.MCP_TENANT || 'local',
    serviceName: env.OTEL_SERVICE_NAME || 'governance-docs',
  };
}
