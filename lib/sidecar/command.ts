/**
 * The sidecar's commands: `wrap` (a stdio MCP server as a child) and `proxy` (in front of a Streamable HTTP MCP
 * server). Configured like `mcp-observatory/register` — the same `OTEL_*` and `MCP_OBSERVATORY_*` variables — with a
 * flag for each, which wins. A bad flag is an error that names it; a bad variable is ignored with one line, as in
 * register.
 */
import { diag } from '@opentelemetry/api';
import { parseArgs } from 'node:util';
import { optionsFromEnv } from '../env.js';
import type { RegisterOptions } from '../env.js';
import { Health } from '../health.js';
import { serveMetrics } from '../metrics-server.js';
import { defaultRegistry } from '../metrics.js';
import { recorderFor } from '../recorders.js';
import { messageOf, say, stderrDiagLogger } from '../stderr.js';
import type { TelemetryHandle } from '../telemetry.js';
import { validTenant } from '../tenants.js';
import { Jwks } from './auth.js';
import { listenProxy } from './proxy.js';
import { exitStatus, wrapStdio } from './stdio.js';
import { wire } from './wire.js';

export class SidecarUsageError extends Error {}

const COMMON_OPTIONS = `  --metrics-host HOST  where /metrics and /health/* are served ($OTEL_EXPORTER_PROMETHEUS_HOST, default 0.0.0.0)
  --metrics-port PORT  their port ($OTEL_EXPORTER_PROMETHEUS_PORT, default 9464)
  --service-name NAME  service.name of the metrics, spans and logs ($OTEL_SERVICE_NAME)
  --max-tenants N      distinct tenant label values kept ($MCP_OBSERVATORY_MAX_TENANTS, default 100)
  --log-level LEVEL    request logs on stderr: debug, info, warn, error, silent ($MCP_OBSERVATORY_LOG_LEVEL, default info)
  --help               show this help

Traces and logs go over OTLP when OTEL_EXPORTER_OTLP_ENDPOINT (or its _TRACES_/_LOGS_ form) is set; scrapes of
/metrics need 'Authorization: Bearer T' when MCP_OBSERVATORY_METRICS_TOKEN=T is set.`;

export const SIDECAR_HELP = {
  wrap: `Usage: mcp-observatory wrap [options] -- COMMAND [ARGS...]

Runs the stdio MCP server COMMAND as a child, in any language, and relays stdin and stdout byte for byte while it
records the messages that cross: the same metrics, spans and logs as the in-process library, on /metrics of its own
port. The child's stderr passes through (our logs join it); signals are passed on to it, and the wrapper exits with
its exit code (128 + the signal number when a signal ended it).

Options:
${COMMON_OPTIONS}

Example:
  mcp-observatory wrap --metrics-port 9464 -- python server.py`,
  proxy: `Usage: mcp-observatory proxy --upstream URL [options]

A reverse proxy in front of a Streamable HTTP MCP server, in any language: every request is forwarded and every
response (JSON or SSE) streamed back as it arrives, while the messages that cross URL's path are recorded. When the
server cannot be reached, the proxy answers 502 with a JSON-RPC error (counted as upstream_unavailable) and
/health/ready answers 503.

Options:
  --upstream URL       the server's MCP endpoint, e.g. http://127.0.0.1:8000/mcp (required)
  --listen HOST:PORT   where the proxy listens (default 127.0.0.1:8080)
  --tenant-header NAME a request header set by your gateway that names the tenant ($MCP_OBSERVATORY_TRUSTED_TENANT_HEADER)
  --tenant-claim NAME  the claim of a JWT bearer token that names the tenant ($MCP_OBSERVATORY_TENANT_CLAIM;
                       default: tenant_id, tenantId, then client_id)
  --jwks FILE|URL      verify bearer tokens against this JWKS ($MCP_OBSERVATORY_JWKS); a token that fails names no
                       tenant and is counted as an auth failure. Without it, claims are read as your gateway verified them.
${COMMON_OPTIONS}

Example:
  mcp-observatory proxy --upstream http://127.0.0.1:8000/mcp --listen 0.0.0.0:8080 --tenant-claim org_id`,
} as const;

/** Flags that stand for a variable of `optionsFromEnv`: the flag wins, and its bad value is an error. */
const FLAG_VARIABLES = {
  'metrics-host': 'OTEL_EXPORTER_PROMETHEUS_HOST',
  'metrics-port': 'OTEL_EXPORTER_PROMETHEUS_PORT',
  'service-name': 'OTEL_SERVICE_NAME',
  'max-tenants': 'MCP_OBSERVATORY_MAX_TENANTS',
  'log-level': 'MCP_OBSERVATORY_LOG_LEVEL',
  'tenant-header': 'MCP_OBSERVATORY_TRUSTED_TENANT_HEADER',
} as const;

type FlagValues = Partial<Record<string, string | boolean>>;

/** The register options from the environment with the flags laid over it; a flag's bad value throws, naming it. */
function optionsFrom(values: FlagValues, command: string): RegisterOptions {
  const env: NodeJS.ProcessEnv = { ...process.env };
  const fromFlag = new Map<string, string>();
  for (const [flag, variable] of Object.entries(FLAG_VARIABLES)) {
    const value = values[flag];
    if (typeof value !== 'string') continue;
    env[variable] = value;
    fromFlag.set(variable, flag);
  }
  const { options, problems } = optionsFromEnv(env);
  for (const problem of problems) {
    const flag = fromFlag.get(problem.variable);
    if (flag === undefined) say(problem.message);
    else throw new SidecarUsageError(`--${flag} ${JSON.stringify(problem.value)}: ${problem.expected}`);
  }
  if (options.disabled) {
    say(`mcp-observatory ${command}: OTEL_SDK_DISABLED=true: relaying without metrics, spans or logs`);
    options.instrument.logs = false;
    options.instrument.tracing = false;
  }
  // The sidecar's own Node.js process is not the server's: its runtime series would pass for the server's (`wrap`
  // reports its child's process instead).
  options.instrument.processMetrics = false;
  return options;
}

function flagOrEnv(values: FlagValues, flag: string, variable: string): string | undefined {
  const value = values[flag];
  if (typeof value === 'string') return value;
  return process.env[variable] || undefined;
}

/** Start what every sidecar runs: the metrics endpoint and, when configured, OTLP export. */
async function startTelemetry(options: RegisterOptions, health: Health): Promise<TelemetryHandle | undefined> {
  if (options.disabled) return undefined;
  diag.setLogger(stderrDiagLogger, { logLevel: options.diagLogLevel });
  if (options.metrics) serveMetrics(options.metrics, health, say);
  if (!options.telemetry) return undefined;
  try {
    const { startTelemetry: start } = await import('../telemetry.js');
    const serviceName = options.instrument.serviceName;
    return start(serviceName === undefined ? {} : { serviceName });
  } catch (error) {
    say(`mcp-observatory: cannot export traces and logs over OTLP: ${messageOf(error)}; metrics are unaffected`);
    return undefined;
  }
}

const COMMON_FLAGS = {
  'metrics-host': { type: 'string' },
  'metrics-port': { type: 'string' },
  'service-name': { type: 'string' },
  'max-tenants': { type: 'string' },
  'log-level': { type: 'string' },
  help: { type: 'boolean', short: 'h' },
} as const;

/** `mcp-observatory wrap [options] -- COMMAND [ARGS...]`; resolves to the exit status. */
export async function wrapCommand(args: string[]): Promise<number> {
  const { values, positionals } = parseArgs({ args, options: COMMON_FLAGS, allowPositionals: true });
  if (values.help) return (void console.log(SIDECAR_HELP.wrap), 0);
  const [command, ...commandArgs] = positionals;
  if (command === undefined) {
    throw new SidecarUsageError('no server to run: put its command after --, e.g. wrap -- python server.py');
  }
  const options = optionsFrom(values, 'wrap');
  const recorder = recorderFor(options.instrument);
  recorder.serving(wire);
  const health = new Health();
  const telemetry = await startTelemetry(options, health);
  const exit = await wrapStdio(command, commandArgs, recorder, health, say, {
    processMetrics: options.instrument.registry ?? defaultRegistry,
  });
  await telemetry?.shutdown();
  if (exit.signal !== undefined) {
    // Die of the same signal, so whoever started us sees what the server died of.
    process.kill(process.pid, exit.signal);
  }
  return exitStatus(exit);
}

/** `mcp-observatory proxy --upstream URL [options]`; runs until SIGINT or SIGTERM, then resolves to 0. */
export async function proxyCommand(args: string[]): Promise<number> {
  const { values, positionals } = parseArgs({
    args,
    options: {
      ...COMMON_FLAGS,
      upstream: { type: 'string' },
      listen: { type: 'string' },
      'tenant-header': { type: 'string' },
      'tenant-claim': { type: 'string' },
      jwks: { type: 'string' },
    },
    allowPositionals: true,
  });
  if (values.help) return (void console.log(SIDECAR_HELP.proxy), 0);
  if (positionals.length > 0) throw new SidecarUsageError(`unexpected argument ${JSON.stringify(positionals[0])}`);
  const upstream = upstreamUrl(values.upstream);
  const listen = listenAddress(values.listen ?? '127.0.0.1:8080');
  const options = optionsFrom(values, 'proxy');
  const claim = flagOrEnv(values, 'tenant-claim', 'MCP_OBSERVATORY_TENANT_CLAIM');
  if (claim !== undefined && !/^[\w.:/-]{1,128}$/.test(claim)) {
    throw new SidecarUsageError(`--tenant-claim ${JSON.stringify(claim)}: name a claim of the token, such as org_id`);
  }
  if (claim !== undefined) {
    options.instrument.resolveTenant = ({ authInfo }) => validTenant(authInfo?.extra?.[claim]);
  }
  const jwksSource = flagOrEnv(values, 'jwks', 'MCP_OBSERVATORY_JWKS');
  let jwks: Jwks | undefined;
  if (jwksSource !== undefined) {
    try {
      jwks = /^https?:\/\//.test(jwksSource) ? Jwks.fromUrl(jwksSource) : Jwks.fromFile(jwksSource);
    } catch (error) {
      throw new SidecarUsageError(`--jwks ${JSON.stringify(jwksSource)}: ${messageOf(error)}`);
    }
  }

  const recorder = recorderFor(options.instrument);
  recorder.serving(wire);
  const health = new Health();
  let proxy;
  try {
    proxy = await listenProxy({ upstream, ...(jwks && { jwks }) }, recorder, health, listen);
  } catch (error) {
    throw new SidecarUsageError(`--listen ${values.listen ?? '127.0.0.1:8080'}: cannot listen: ${messageOf(error)}`);
  }
  const telemetry = await startTelemetry(options, health);
  say(`mcp-observatory proxy: http://${listen.host}:${listen.port} → ${upstream.href}`);
  const signal = await new Promise<NodeJS.Signals>((resolve) => {
    process.once('SIGINT', () => resolve('SIGINT'));
    process.once('SIGTERM', () => resolve('SIGTERM'));
  });
  health.drain();
  await proxy.close();
  await telemetry?.shutdown();
  say(`mcp-observatory proxy: stopped on ${signal}`);
  return 0;
}

function upstreamUrl(value: string | undefined): URL {
  if (value === undefined) {
    throw new SidecarUsageError(
      '--upstream is required: the MCP endpoint of your server, e.g. http://127.0.0.1:8000/mcp',
    );
  }
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    throw new SidecarUsageError(
      `--upstream ${JSON.stringify(value)}: not a URL; give the MCP endpoint, e.g. http://127.0.0.1:8000/mcp`,
    );
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') {
    throw new SidecarUsageError(`--upstream ${JSON.stringify(value)}: use an http:// or https:// URL`);
  }
  return url;
}

function listenAddress(value: string): { host: string; port: number } {
  const match = /^(.+):(\d{1,5})$/.exec(value);
  const port = match ? Number(match[2]) : NaN;
  if (!match || port > 65535) {
    throw new SidecarUsageError(
      `--listen ${JSON.stringify(value)}: give HOST:PORT, e.g. 127.0.0.1:8080 or 0.0.0.0:8080`,
    );
  }
  return { host: match[1]!.replace(/^\[(.*)\]$/, '$1'), port };
}
