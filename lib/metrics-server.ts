/**
 * `/metrics`, `/health/live` and `/health/ready` on a port of their own: what `mcp-observatory/register` and the
 * sidecar serve. Never the reason a process stays alive, never the reason it fails: a port that cannot be bound is one
 * line for `say`, and the MCP server keeps running.
 */
import { createServer } from 'node:http';
import type { IncomingMessage, Server, ServerResponse } from 'node:http';
import { diag } from '@opentelemetry/api';
import type { MetricsServerOptions } from './env.js';
import type { Health } from './health.js';
import { metricsHandler } from './metrics-handler.js';

function listenFailure(error: NodeJS.ErrnoException, { host, port }: MetricsServerOptions): string {
  const where = `${host}:${port}`;
  const keepsRunning = 'the MCP server keeps running without a metrics endpoint';
  switch (error.code) {
    case 'EADDRINUSE':
      return `mcp-observatory: cannot serve /metrics: ${where} is already in use (set OTEL_EXPORTER_PROMETHEUS_PORT to a free port); ${keepsRunning}`;
    case 'EACCES':
      return `mcp-observatory: cannot serve /metrics: no permission to listen on ${where} (set OTEL_EXPORTER_PROMETHEUS_PORT to a port >= 1024); ${keepsRunning}`;
    default:
      return `mcp-observatory: cannot serve /metrics on ${where}: ${error.message} (check OTEL_EXPORTER_PROMETHEUS_HOST and OTEL_EXPORTER_PROMETHEUS_PORT); ${keepsRunning}`;
  }
}

/** Serve the metrics `instrument()` records and `health`'s endpoints; returns the (unreferenced) server. */
export function serveMetrics(options: MetricsServerOptions, health: Health, say: (line: string) => void): Server {
  const metrics = metricsHandler(options.bearerToken === undefined ? {} : { bearerToken: options.bearerToken });
  const healthHandler = health.handler();
  const server = createServer((req: IncomingMessage, res: ServerResponse) => {
    if (req.method !== 'GET' && req.method !== 'HEAD') {
      res.writeHead(405, { allow: 'GET, HEAD', 'content-type': 'text/plain; charset=utf-8' });
      res.end('method not allowed\n');
      return;
    }
    if ((req.url ?? '').split('?')[0] === '/metrics') return metrics(req, res);
    if (healthHandler(req, res)) return;
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
  return server;
}
