// The quickstart: an MCP server on SDK v2 (@modelcontextprotocol/server), stateless Streamable HTTP with
// createMcpHandler, instrumented with mcp-observatory. (server-v1.mjs is the same on SDK 1.x.)
//   node examples/quickstart/server.mjs → http://127.0.0.1:3000/mcp, /metrics, /health/live, /health/ready
//   PORT=0 picks a free port; the URL is printed on start.
import { createServer } from 'node:http';
import { toNodeHandler } from '@modelcontextprotocol/node';
import { McpServer, createMcpHandler } from '@modelcontextprotocol/server';
import { z } from 'zod';
import { Health, instrument, instrumentHandler, metricsHandler, startTelemetry } from '../../dist/lib/index.js';

// OTLP traces and logs to a collector; what cannot be delivered is counted, never waited for.
if (process.env.OTEL_EXPORTER_OTLP_ENDPOINT) startTelemetry();
const metrics = metricsHandler();
const health = new Health();

// createMcpHandler builds a server per request, in either protocol era (2026-07-28 stateless, 2025 legacy).
const mcp = createMcpHandler(() => {
  const server = new McpServer({ name: 'quickstart', version: '1.0.0' });
  instrument(server);
  server.registerTool(
    'search',
    { description: 'Search the governance documents', inputSchema: z.object({ query: z.string() }) },
    async ({ query }) => ({ content: [{ type: 'text', text: `3 documents match "${query}"` }] }),
  );
  server.registerTool('flaky', { description: 'Fails one call in three' }, async () => {
    if (Math.random() < 1 / 3) throw new Error('upstream timeout');
    return { content: [{ type: 'text', text: 'ok' }] };
  });
  return server;
});
// Counts what the handler refuses before any server exists (bad headers, unsupported versions, malformed bodies).
const serveMcp = toNodeHandler(instrumentHandler(mcp));

const http = createServer((req, res) => {
  if (req.url === '/metrics') return metrics(req, res);
  if (health.handler()(req, res)) return;
  if (req.url !== '/mcp') return void res.writeHead(404).end();
  return serveMcp(req, res);
});

const port = Number(process.env.PORT ?? 3000);
http.listen(port, process.env.HOST ?? '127.0.0.1', () => {
  const { address, port: bound } = http.address();
  const base = `http://${address}:${bound}`;
  console.log(`quickstart MCP server: ${base}/mcp  metrics: ${base}/metrics  health: ${base}/health/ready`);
});
for (const signal of ['SIGINT', 'SIGTERM']) {
  process.on(signal, () => {
    health.drain();
    http.close(() => process.exit(0));
  });
}
