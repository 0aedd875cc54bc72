// One server variant of the HTTP benchmark, in its own process: the plain SDK server of examples/quickstart (stateless
// Streamable HTTP, a fresh McpServer per request, one shared JSON-schema validator), with or without an
// instrumentation. Forked by bench/run.mjs with BENCH_VARIANT, BENCH_WORK_ITERATIONS and the OTEL_* variables of the
// sink; it answers `stats` over IPC with its own CPU time, memory and the requests it served, so the orchestrator
// measures the server and nothing else.
import { createWriteStream, writeFileSync } from 'node:fs';
import { createServer } from 'node:http';
import * as inspector from 'node:inspector/promises';
import { createRequire } from 'node:module';
import { McpServer } from '@modelcontextprotocol/sdk/server/mcp.js';
import * as sdkServerModule from '@modelcontextprotocol/sdk/server/index.js';
import * as streamableHttpModule from '@modelcontextprotocol/sdk/server/streamableHttp.js';
import { AjvJsonSchemaValidator } from '@modelcontextprotocol/sdk/validation/ajv';
import { z } from 'zod';
import { work } from './variants.mjs';

const { StreamableHTTPServerTransport } = streamableHttpModule;
const variant = process.env.BENCH_VARIANT ?? 'plain';
const iterations = Number(process.env.BENCH_WORK_ITERATIONS ?? 100_000);
// Peers are installed apart from the project (bench/peers/), so they are loaded from there.
const requirePeer = createRequire(new URL('./peers/package.json', import.meta.url));

// Request logs go to a real stream whose writes the kernel discards: the JSON lines and the stream machinery are
// paid for, a disk is not.
const devNull = () => createWriteStream('/dev/null');

/** What each variant does once at start-up, and to each per-request server. */
async function setup() {
  const observatory = () => import('../dist/lib/index.js');
  switch (variant) {
    case 'plain':
      return () => {};
    case 'metrics': {
      const { instrument } = await observatory();
      return (server) => instrument(server, { logs: false, tracing: false });
    }
    case 'metrics-logs': {
      const { instrument } = await observatory();
      const logs = { destination: devNull() };
      return (server) => instrument(server, { logs, tracing: false });
    }
    case 'all':
    case 'all-tenants': {
      const { instrument, startTelemetry } = await observatory();
      telemetry = startTelemetry();
      if (!telemetry.started) throw new Error(`startTelemetry() did not start: ${telemetry.reason}`);
      const logs = { destination: devNull() };
      return (server) => instrument(server, { logs });
    }
    case 'otel-sdk': {
      const { startTelemetry } = await observatory();
      telemetry = startTelemetry();
      // One context.with() switches the SDK's AsyncLocalStorage on for good, as the first instrumented request would.
      const { context } = await import('@opentelemetry/api');
      context.with(context.active(), () => {});
      return () => {};
    }
    case 'traceloop': {
      // Its README registers the instrumentation with an OpenTelemetry SDK; this one exports to the same sink.
      const { McpInstrumentation } = requirePeer('@traceloop/instrumentation-mcp');
      const instrumentation = new McpInstrumentation({ traceContent: false });
      startPeerSdk([instrumentation]);
      // Automatic patching hooks require(); this server is ESM, so it also gets the manual call the package
      // documents for ESM apps.
      instrumentation.manuallyInstrument({ Server: sdkServerModule.Server });
      patched = Boolean(sdkServerModule.Server.prototype.request.__wrapped);
      return () => {};
    }
    case 'arize': {
      const { MCPInstrumentation } = requirePeer('@arizeai/openinference-instrumentation-mcp');
      const instrumentation = new MCPInstrumentation();
      startPeerSdk([instrumentation]);
      // The README's way: the transport modules are instrumented by hand.
      instrumentation.manuallyInstrument({ serverStreamableHTTPModule: streamableHttpModule });
      patched = Boolean(StreamableHTTPServerTransport.prototype.start.__wrapped);
      return () => {};
    }
    case 'shinzo': {
      // Its README: instrumentServer(server, config) on each server, which starts an OpenTelemetry SDK of its own.
      const { instrumentServer } = requirePeer('@shinzolabs/instrumentation-mcp');
      const config = {
        serverName: process.env.OTEL_SERVICE_NAME,
        serverVersion: '1.0.0',
        exporterEndpoint: `${process.env.OTEL_EXPORTER_OTLP_ENDPOINT}/v1`,
        enableMetrics: false,
      };
      registration = 'tool';
      return (server) => instrumentServer(server, config);
    }
    case 'sentry': {
      // Sentry's MCP set-up: Sentry.init() before anything else, then wrapMcpServerWithSentry() on the McpServer.
      // Stateless HTTP builds a fresh McpServer per request, so each one is wrapped (the wrapper patches the instance
      // and its connect(), and wraps the transport it is connected to). Everything else is the SDK's default: its
      // default integrations (incoming HTTP requests become transactions of their own), request sessions, client
      // reports. The DSN is the sink's envelope endpoint on 127.0.0.1, the only place the SDK sends anything;
      // serverName (the host name by default) names the variant, so the sink can count its events apart.
      const Sentry = requirePeer('@sentry/node');
      Sentry.init({
        dsn: process.env.SENTRY_DSN,
        tracesSampleRate: 1.0,
        sendDefaultPii: false,
        serverName: process.env.OTEL_SERVICE_NAME,
      });
      if (!Sentry.isInitialized()) throw new Error('Sentry.init() did not initialise a client');
      peerFlush = () => Sentry.flush(30_000);
      return (server) => {
        Sentry.wrapMcpServerWithSentry(server);
      };
    }
    default:
      throw new Error(`unknown BENCH_VARIANT ${variant}`);
  }
}

let telemetry;
let profiler;
let patched;
let peerSdk;
/** A peer that exports on its own (not through an OpenTelemetry SDK of ours) and how to flush it. */
let peerFlush;
/** How tools are registered: `registerTool`, or the deprecated `tool()` that the shinzo peer wraps. */
let registration = 'registerTool';

function startPeerSdk(instrumentations) {
  const { NodeSDK } = requireProject('@opentelemetry/sdk-node');
  const { BatchSpanProcessor } = requireProject('@opentelemetry/sdk-trace-base');
  const { OTLPTraceExporter } = requireProject('@opentelemetry/exporter-trace-otlp-http');
  peerSdk = new NodeSDK({
    spanProcessors: [new BatchSpanProcessor(new OTLPTraceExporter())],
    logRecordProcessors: [],
    metricReaders: [],
    instrumentations,
  });
  peerSdk.start();
}

const requireProject = createRequire(import.meta.url);
const instrumentServer = await setup();
const jsonSchemaValidator = new AjvJsonSchemaValidator();

function buildServer() {
  const server = new McpServer({ name: 'bench', version: '1.0.0' }, { jsonSchemaValidator });
  instrumentServer(server);
  const echo = async ({ text }) => ({ content: [{ type: 'text', text }] });
  const busy = async ({ text }) => ({ content: [{ type: 'text', text: `${text} ${work(iterations)}` }] });
  if (registration === 'tool') {
    server.tool('echo', 'Echo the text back', { text: z.string() }, echo);
    server.tool('work', 'About 1 ms of CPU', { text: z.string() }, busy);
  } else {
    server.registerTool('echo', { description: 'Echo the text back', inputSchema: { text: z.string() } }, echo);
    server.registerTool('work', { description: 'About 1 ms of CPU', inputSchema: { text: z.string() } }, busy);
  }
  return server;
}

let served = 0;
const http = createServer(async (req, res) => {
  if (req.url !== '/mcp') return void res.writeHead(404).end();
  // What an auth middleware does: the bearer token names the tenant, and the SDK hands req.auth to handlers.
  const token = (req.headers.authorization ?? '').slice('Bearer '.length);
  req.auth = { token, clientId: token, scopes: [], extra: { tenantId: token } };
  const server = buildServer();
  const transport = new StreamableHTTPServerTransport({ sessionIdGenerator: undefined });
  res.on('close', () => {
    served++;
    void transport.close();
    void server.close();
  });
  await server.connect(transport);
  await transport.handleRequest(req, res);
});

async function dropped() {
  if (!variant.startsWith('all') && !variant.startsWith('metrics')) return undefined;
  const { defaultRegistry, renderMetrics } = await import('../dist/lib/index.js');
  const text = await renderMetrics(defaultRegistry, false);
  const lines = text.split('\n').filter((line) => line.startsWith('mcp_observatory_telemetry_dropped_total{'));
  return Object.fromEntries(
    lines.map((line) => [line.slice(line.indexOf('{'), line.lastIndexOf(' ')), +line.split(' ')[1]]),
  );
}

process.on('message', async (message) => {
  if (message.type === 'stats') {
    const cpu = process.cpuUsage();
    const memory = process.memoryUsage();
    process.send({
      type: 'stats',
      cpuMicros: cpu.user + cpu.system,
      rss: memory.rss,
      heapUsed: memory.heapUsed,
      served,
    });
  } else if (message.type === 'flush') {
    await telemetry?.flush();
    await peerSdk?.shutdown().catch(() => undefined);
    await peerFlush?.().catch(() => undefined);
    process.send({ type: 'flushed', dropped: await dropped(), patched });
  } else if (message.type === 'profile-start') {
    // The same V8 sampling profiler as --cpu-prof, started and stopped around the measured window only.
    profiler = new inspector.Session();
    profiler.connect();
    await profiler.post('Profiler.enable');
    await profiler.post('Profiler.start');
    process.send({ type: 'profiling' });
  } else if (message.type === 'profile-stop') {
    const { profile } = await profiler.post('Profiler.stop');
    profiler.disconnect();
    writeFileSync(message.path, JSON.stringify(profile));
    process.send({ type: 'profiled' });
  } else if (message.type === 'stop') {
    http.close();
    // A normal exit, so that --cpu-prof writes its profile.
    setImmediate(() => process.exit(0));
  }
});
process.on('disconnect', () => process.exit(0));

http.listen(0, '127.0.0.1', () => process.send({ type: 'ready', port: http.address().port }));
