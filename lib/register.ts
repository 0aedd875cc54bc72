/**
 * Zero-code instrumentation: `node --import mcp-observatory/register app.js` instruments every MCP server of the
 * process (ESM and CommonJS apps alike) and serves its metrics on `/metrics`, configured by environment variables
 * (see `optionsFromEnv` in env.ts). Nothing here may stop the app from starting: problems are printed to stderr, one
 * line each, and the app runs on.
 *
 * @module
 */
import { createServer } from 'node:http';
import type { IncomingMessage, ServerResponse } from 'node:http';
import * as nodeModule from 'node:module';
import { format } from 'node:util';
import { isMainThread } from 'node:worker_threads';
import { diag } from '@opentelemetry/api';
import type { DiagLogger } from '@opentelemetry/api';
import { registerInstrumentations } from '@opentelemetry/instrumentation';
import { optionsFromEnv } from './env.js';
import type { MetricsServerOptions, RegisterOptions } from './env.js';
import { Health } from './health.js';
import { McpInstrumentation } from './instrumentation.js';
import { metricsHandler } from './metrics-handler.js';
import { SDK_ADAPTERS } from './sdk/index.js';

/** Only the SDK files the adapters patch go through import-in-the-middle; the rest of the app's ESM graph is untouched. */
const ESM_FILES = SDK_ADAPTERS.flatMap((sdk) => sdk.modules.map((module) => module.esmFiles));

// Per thread: a second copy of the package (or a second --import) must not bind the port twice.
const STARTED = Symbol.for('mcp-observatory.register');

function say(line: string): void {
  process.stderr.write(`${line}\n`);
}

function messageOf(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

/** OpenTelemetry diagnostics on stderr: stdio MCP servers speak the protocol on stdout. */
const stderrDiagLogger: DiagLogger = {
  error: (...args: unknown[]) => say(`[otel error] ${format(...args)}`),
  warn: (...args: unknown[]) => say(`[otel warn] ${format(...args)}`),
  info: (...args: unknown[]) => say(`[otel info] ${format(...args)}`),
  debug: (...args: unknown[]) => say(`[otel debug] ${format(...args)}`),
  verbose: (...args: unknown[]) => say(`[otel verbose] ${format(...args)}`),
};

/** Let import-in-the-middle see ESM imports of the SDK; CommonJS needs no loader (require-in-the-middle). */
function registerEsmHook(): void {
  // module.register arrived in Node 20.6; the package allows Node 20.0.
  if (typeof nodeModule.register !== 'function') {
    say(
      `mcp-observatory: Node ${process.version} cannot hook ES module imports (module.register needs Node >= 20.6); ` +
        'MCP servers in ESM apps will not be instrumented — upgrade Node or call instrument(server) in the app',
    );
    return;
  }
  nodeModule.register('@opentelemetry/instrumentation/hook.mjs', import.meta.url, {
    data: { include: ESM_FILES },
  });
}

function listenFailure(error: NodeJS.ErrnoException, { host, port }: MetricsServerOptions): string {
  const where = `${host}:${port}`;
  const keepsRunning = 'the app keeps running without a metrics endpoint';
  switch (error.code) {
    case 'EADDRINUSE':
      return `mcp-observatory: cannot serve /metrics: ${where} is already in use (set OTEL_EXPORTER_PROMETHEUS_PORT to a free port); ${keepsRunning}`;
    case 'EACCES':
      return `mcp-observatory: cannot serve /metrics: no permission to listen on ${where} (set OTEL_EXPORTER_PROMETHEUS_PORT to a port >= 1024); ${keepsRunning}`;
    default:
      return `mcp-observatory: cannot serve /metrics on ${where}: ${error.message} (check OTEL_EXPORTER_PROMETHEUS_HOST and OTEL_EXPORTER_PROMETHEUS_PORT); ${keepsRunning}`;
  }
}

/** `/metrics` and `/health/live` on their own port; never the reason the process stays alive. */
function serveMetrics(options: MetricsServerOptions): void {
  const metrics = metricsHandler(options.bearerToken === undefined ? {} : { bearerToken: options.bearerToken });
  const health = new Health().handler();
  const server = createServer((req: IncomingMessage, res: ServerResponse) => {
    if (req.method !== 'GET' && req.method !== 'HEAD') {
      res.writeHead(405, { allow: 'GET, HEAD', 'content-type': 'text/plain; charset=utf-8' });
      res.end('method not allowed\n');
      return;
    }
    if ((req.url ?? '').split('?')[0] === '/metrics') return metrics(req, res);
    if (health(req, res)) return;
    res.writeHead(404, { 'content-type': 'text/plain; charset=utf-8' });
    res.end('not found: mcp-observatory serves /metrics, /health/live and /health/ready\n');
  });
  server.on('error', (error: NodeJS.ErrnoException) => say(listenFailure(error, options)));
  // Scrapers keep connections alive; an accepted socket must not hold the process open either.
  server.on('connection', (socket) => socket.unref());
  server.listen(options.port, options.host, () => {
    diag.info(`mcp-observatory: serving metrics on http://${options.host}:${options.port}/metrics`);
  });
  server.unref();
}

/** Traces and logs over OTLP, through the OpenTelemetry Node SDK. Loaded only when asked for: it is large. */
async function exportTelemetry(options: RegisterOptions): Promise<void> {
  try {
    const { startTelemetry } = await import('./telemetry.js');
    const serviceName = options.instrument.serviceName;
    const telemetry = startTelemetry(serviceName === undefined ? {} : { serviceName });
    // Flush queued spans and logs when the app ends by itself (a signal ends it without this), within the shutdown
    // bound; then exit with the app's code, although an exporter may still be retrying a collector that is gone.
    if (telemetry.started) {
      process.once('beforeExit', (code) => void telemetry.shutdown().finally(() => process.exit(code)));
    }
  } catch (error) {
    say(`mcp-observatory: cannot export traces and logs over OTLP: ${messageOf(error)}; metrics are unaffected`);
  }
}

async function start(): Promise<void> {
  const { options, problems } = optionsFromEnv(process.env);
  for (const problem of problems) say(problem.message);
  if (options.disabled) return;

  diag.setLogger(stderrDiagLogger, { logLevel: options.diagLogLevel });
  registerEsmHook();
  registerInstrumentations({ instrumentations: [new McpInstrumentation({ instrumentOptions: options.instrument })] });
  if (options.metrics) serveMetrics(options.metrics);
  if (options.telemetry) await exportTelemetry(options);
}

const state = globalThis as { [STARTED]?: true };
// Worker threads run --import too: the main thread alone serves the port.
if (isMainThread && !state[STARTED]) {
  state[STARTED] = true;
  try {
    await start();
  } catch (error) {
    say(`mcp-observatory: zero-code instrumentation failed to start: ${messageOf(error)}; the app runs uninstrumented`);
  }
}
