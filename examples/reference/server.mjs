// The reference MCP server: a multi-tenant AI-governance document service, instrumented with mcp-observatory the way
// an application would do it. `npm start` serves stateful Streamable HTTP on http://127.0.0.1:3000/mcp; PORT=0 picks
// a free port and the URLs are printed on start. `--help` lists the flags and environment variables.
import { createWriteStream } from 'node:fs';
import { createServer } from 'node:http';
import { randomUUID } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import express from 'express';
import { NodeStreamableHTTPServerTransport, localhostHostValidation, toNodeHandler } from '@modelcontextprotocol/node';
import { McpServer, createMcpHandler, isInitializeRequest } from '@modelcontextprotocol/server';
import { StdioServerTransport } from '@modelcontextprotocol/server/stdio';
import {
  Health,
  instrument,
  instrumentHandler,
  metricsHandler,
  signals,
  startTelemetry,
} from '../../dist/lib/index.js';
import { adminRouter } from './admin.mjs';
import { CircuitBreaker } from './breaker.mjs';
import { TtlCache } from './cache.mjs';
import { Faults, FaultError, faultFromEnv } from './faults.mjs';
import { ComplianceRegistry } from './registry.mjs';
import { scheduleBackups } from './backup.mjs';
import { SettingsError, USAGE, isLoopback, readSettings } from './settings.mjs';
import { DEMO_TENANTS, DemoTokenVerifier, TenantLimits, authenticate } from './tenants.mjs';
import { TOOL_NAMES, registerCapabilities } from './tools.mjs';

let settings;
try {
  settings = readSettings(process.argv.slice(2), process.env);
} catch (error) {
  if (!(error instanceof SettingsError) && error?.code?.startsWith?.('ERR_PARSE_ARGS') !== true) throw error;
  process.stderr.write(`reference server: ${error.message}\n\n${USAGE}\n`);
  process.exit(2);
}
if (settings.help) {
  console.log(USAGE);
  process.exit(0);
}

// stdout carries MCP in stdio mode: everything the server says goes to stderr there.
const say = (line) => (settings.mode === 'stdio' ? process.stderr : process.stdout).write(`${line}\n`);

// Traces and logs over OTLP when a collector is configured; what cannot be delivered is counted, never waited for.
const telemetry = process.env.OTEL_EXPORTER_OTLP_ENDPOINT ? startTelemetry() : undefined;

const appSignals = signals();
const health = new Health();
const faults = new Faults({
  tools: TOOL_NAMES,
  tenants: DEMO_TENANTS.map((tenant) => tenant.id),
  memoryLimitMb: settings.memoryLimitMb,
  log: say,
});
try {
  const fromEnv = faultFromEnv(process.env);
  if (fromEnv) faults.add(fromEnv);
} catch (error) {
  if (!(error instanceof FaultError)) throw error;
  process.stderr.write(`reference server: ${error.message}\n`);
  process.exit(2);
}
const registry = new ComplianceRegistry({ outage: () => faults.outage });
const breaker = new CircuitBreaker(registry.name, {
  failureThreshold: settings.breakerFailures,
  openMs: settings.breakerOpenMs,
  signals: appSignals,
  log: say,
});
// Not ready while the dependency is down or its breaker is open; the probe goes through the breaker, so readiness
// also lets the half-open probe through when no traffic would.
health.register(registry.name, () => breaker.call(() => registry.ping()));

const service = {
  tenantOf: (ctx) => ctx?.http?.authInfo?.extra?.tenantId ?? settings.stdioTenant,
  limits: new TenantLimits(DEMO_TENANTS, appSignals, settings.rateLimitScale),
  faults,
  breaker,
  registry,
  // Five minutes: at the demo's rates (10–20 requests a second over five tenants) the healthy hit ratio settles near
  // 0.87–0.89, above the cache alert's 0.8; with one minute it sat near 0.61–0.69 and the alert fired with no fault.
  cache: new TtlCache({ maxEntries: 10_000, ttlMs: 300_000 }),
  signals: appSignals,
};

const stdioTenant = () => settings.stdioTenant;
// The audit trail ignores LOG_LEVEL (a trail with holes is none): it can have a file of its own.
const auditDestination = settings.auditLog ? createWriteStream(settings.auditLog, { flags: 'a' }) : undefined;

const instrumentOptions = {
  serviceName: settings.serviceName,
  // A handful of tenants and tools: the tenant x tool view is affordable, and it tells which tenant a tool fails for.
  tenantToolMetrics: true,
  logs: { level: settings.logLevel, ...(auditDestination && { auditDestination }) },
  ...(settings.mode === 'stdio' && { resolveTenant: stdioTenant }),
};

/** One McpServer with the service's tools, instrumented: per session (stateful), per request (stateless) or stdio. */
function buildServer() {
  // No JSON-schema validator shared by all instances as with SDK v1: v2 checks tool arguments with the zod schemas, and
  // builds its own validator, used only for elicitation (not here), lazily.
  const server = new McpServer({ name: 'governance-docs', version: '1.0.0' });
  instrument(server, instrumentOptions);
  registerCapabilities(server, service);
  return server;
}

const rpcError = (res, status, code, message) =>
  res.status(status).json({ jsonrpc: '2.0', error: { code, message }, id: null });

// --- Streamable HTTP ----------------------------------------------------------------------------------------------

/** Stateful sessions: transport, server, the tenant that opened it, and when it was last used. */
const sessions = new Map();

async function stateful(req, res) {
  const tenant = req.auth?.extra?.tenantId;
  const id = req.headers['mcp-session-id'];
  if (typeof id === 'string') {
    const session = sessions.get(id);
    // A session belongs to the tenant that opened it: another tenant's token cannot ride on it.
    if (!session || session.tenant !== tenant) return rpcError(res, 404, -32001, 'Session not found');
    session.seen = Date.now();
    return session.transport.handleRequest(req, res, req.body);
  }
  if (req.method !== 'POST' || !isInitializeRequest(req.body)) {
    return rpcError(res, 400, -32000, 'Bad Request: no valid session id; start with an initialize request');
  }
  if (sessions.size >= settings.maxSessions) {
    return rpcError(res, 503, -32000, `Too many sessions (${settings.maxSessions}); retry later`);
  }
  const server = buildServer();
  const transport = new NodeStreamableHTTPServerTransport({
    sessionIdGenerator: randomUUID,
    onsessioninitialized: (sessionId) => sessions.set(sessionId, { transport, server, tenant, seen: Date.now() }),
  });
  transport.onclose = () => {
    if (transport.sessionId) sessions.delete(transport.sessionId);
  };
  await server.connect(transport);
  await transport.handleRequest(req, res, req.body);
}

/**
 * Stateless: the SDK's handler builds a server per request (buildServer), for 2026-07-28 and 2025-era clients alike; it
 * answers GET and DELETE, the 2025 session operations, with 405. instrumentHandler counts what the handler refuses
 * before any server exists; toNodeHandler hands `req.auth` to the server as its authInfo.
 */
const stateless =
  settings.mode === 'stateless'
    ? toNodeHandler(instrumentHandler(createMcpHandler(buildServer), instrumentOptions))
    : undefined;

// Requests being served right now: POST and DELETE. Streams open as long as the client wants (a GET stream, a 2026-07-28
// subscriptions/listen POST) are not work: a drain would wait for them until its timeout.
let inFlight = 0;
// Set once the listener is closed: requests that still arrive on kept-alive connections are turned away.
let closing = false;

function track(req, res, next) {
  if (closing) {
    res.set('Connection', 'close');
    return rpcError(res, 503, -32000, 'Server is shutting down');
  }
  if (req.method !== 'GET' && req.body?.method !== 'subscriptions/listen') {
    inFlight++;
    res.once('close', () => inFlight--);
  }
  next();
}

/** As SDK v1's createMcpExpressApp: DNS rebinding protection (a Host check) when listening on loopback, JSON bodies. */
function httpApp() {
  const app = express();
  if (isLoopback(settings.host)) {
    const validHost = localhostHostValidation();
    // Before the body parser: a request for a foreign Host is answered 403 by the guard, its body unread.
    app.use((req, res, next) => validHost(req, res) && next());
  } else if (settings.host === '0.0.0.0' || settings.host === '::') {
    process.stderr.write(
      `reference server: listening on ${settings.host}, the Host header unchecked (no DNS rebinding protection)\n`,
    );
  }
  app.use(express.json());
  const metrics = metricsHandler({ bearerToken: settings.metricsToken });
  const healthRoutes = health.handler();
  app.get('/metrics', (req, res) => metrics(req, res));
  app.use((req, res, next) => healthRoutes(req, res, next));
  if (settings.adminToken) app.use('/admin', adminRouter({ token: settings.adminToken, faults, signals: appSignals }));
  if (settings.mode !== 'stdio') {
    const handle = settings.mode === 'stateful' ? stateful : stateless;
    app.all('/mcp', track, authenticate(new DemoTokenVerifier(DEMO_TENANTS), appSignals), (req, res, next) => {
      handle(req, res, req.body).catch(next);
    });
  }
  app.use((error, _req, res, _next) => {
    if (res.headersSent) return void res.end();
    // Malformed JSON bodies arrive here from the body parser, with their status: refused before the SDK could see
    // them, so counted here, as the SDK counts its own.
    const status = Number.isInteger(error?.status) ? error.status : 500;
    if (status === 400) appSignals.refusedMessage('-32700');
    rpcError(res, status, status === 400 ? -32700 : -32603, status === 400 ? 'Parse error' : 'Internal error');
  });
  return app;
}

scheduleBackups({ signals: appSignals, directory: settings.backupDirectory, say });

// Close sessions nobody used for a while, so abandoned clients do not hold memory forever.
setInterval(() => {
  const cutoff = Date.now() - settings.sessionIdleMs;
  for (const session of sessions.values()) if (session.seen < cutoff) void session.transport.close();
}, 60_000).unref();

let http;
let stdioServer;

if (settings.port !== undefined) {
  http = createServer(httpApp());
  http.on('error', (error) => {
    process.stderr.write(`reference server: cannot listen on ${settings.host}:${settings.port}: ${error.message}\n`);
    process.exit(1);
  });
  await new Promise((resolve) => http.listen(settings.port, settings.host, resolve));
  const { address, port } = http.address();
  const base = `http://${address.includes(':') ? `[${address}]` : address}:${port}`;
  const lines = [
    `${settings.serviceName}: reference MCP server, ${settings.mode === 'stdio' ? 'stdio' : `${settings.mode} Streamable HTTP`}`,
  ];
  if (settings.mode !== 'stdio') lines.push(`  MCP      ${base}/mcp`);
  lines.push(`  metrics  ${base}/metrics`, `  health   ${base}/health/live  ${base}/health/ready`);
  lines.push(
    settings.adminToken
      ? `  admin    ${base}/admin/faults  (Authorization: Bearer $ADMIN_TOKEN)`
      : '  admin    off: set ADMIN_TOKEN to inject faults',
  );
  if (settings.mode !== 'stdio') {
    lines.push(
      `  tenants  ${DEMO_TENANTS.map((tenant) => tenant.id).join(', ')}  (Authorization: Bearer demo-token-<tenant>)`,
      `  try      node dist/lib/bin.js load ${base}/mcp --duration 60s`,
    );
  }
  say(lines.join('\n'));
}

if (settings.mode === 'stdio') {
  stdioServer = buildServer();
  await stdioServer.connect(new StdioServerTransport());
  say(`${settings.serviceName}: reference MCP server on stdio, tenant ${settings.stdioTenant}`);
  // The client closing our stdin is the end of the session.
  process.stdin.once('end', () => shutdown('stdin closed'));
}

// --- graceful shutdown --------------------------------------------------------------------------------------------

let stopping = false;

/**
 * Readiness goes false at once; after SHUTDOWN_DELAY_MS (time for load balancers to notice) the listener closes, the
 * requests in flight finish (up to DRAIN_TIMEOUT_MS), sessions close, telemetry is flushed, and the process exits.
 */
async function shutdown(reason) {
  if (stopping) {
    say(`${reason} again: exiting now`);
    process.exit(1);
  }
  stopping = true;
  health.drain();
  say(`${reason}: draining; readiness answers 503, ${inFlight} request(s) in flight`);
  await sleep(settings.shutdownDelayMs);
  closing = true;
  http?.close();
  const waited = inFlight;
  const deadline = Date.now() + settings.drainTimeoutMs;
  while (inFlight > 0 && Date.now() < deadline) await sleep(20);
  const abandoned = inFlight;
  for (const session of sessions.values()) await session.transport.close().catch(() => undefined);
  await stdioServer?.close().catch(() => undefined);
  http?.closeAllConnections();
  await telemetry?.shutdown().catch(() => undefined);
  if (abandoned > 0) {
    say(`drain timeout: ${abandoned} request(s) still in flight after ${settings.drainTimeoutMs} ms; exiting`);
    process.exit(1);
  }
  say(`drained: ${waited} in-flight request(s) finished; exiting`);
  process.exit(0);
}

for (const signal of ['SIGTERM', 'SIGINT']) process.on(signal, () => void shutdown(signal));
