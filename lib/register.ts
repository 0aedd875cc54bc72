/**
 * Zero-code instrumentation: `node --import mcp-observatory/register app.js` instruments every MCP server of the
 * process (ESM and CommonJS apps alike) and serves its metrics on `/metrics`, configured by environment variables
 * (see `optionsFromEnv` in env.ts). Nothing here may stop the app from starting: problems are printed to stderr, one
 * line each, and the app runs on.
 *
 * @module
 */
import * as nodeModule from 'node:module';
import { isMainThread } from 'node:worker_threads';
import { diag } from '@opentelemetry/api';
import { registerInstrumentations } from '@opentelemetry/instrumentation';
import { optionsFromEnv } from './env.js';
import type { RegisterOptions } from './env.js';
import { Health } from './health.js';
import { McpInstrumentation } from './instrumentation.js';
import { serveMetrics } from './metrics-server.js';
import { messageOf, say, stderrDiagLogger } from './stderr.js';
import { SDK_ADAPTERS } from './sdk/index.js';

/** Only the SDK files the adapters patch go through import-in-the-middle; the rest of the app's ESM graph is untouched. */
const ESM_FILES = SDK_ADAPTERS.flatMap((sdk) => sdk.modules.map((module) => module.esmFiles));

// Per thread: a second copy of the package (or a second --import) must not bind the port twice.
const STARTED = Symbol.for('mcp-observatory.register');

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
  if (options.metrics) serveMetrics(options.metrics, new Health(), say);
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
