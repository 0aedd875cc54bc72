// The quickstart on SDK v1 (@modelcontextprotocol/sdk 1.x): an MCP server over Streamable HTTP, instrumented with
// mcp-observatory. New servers start on v2: see server.mjs.
//   node examples/quickstart/server-v1.mjs → http://127.0.0.1:3000/mcp, /metrics, /health/live, /health/ready
//   PORT=0 picks a free port; the URL is printed on start.
import { createServer } from 'node:http';
import { McpServer } from '@modelcontextprotocol/sdk/server/mcp.js';
import { StreamableHTTPServerTransport } from '@modelcontextprotocol/sdk/server/streamableHttp.js';
import { AjvJsonSchemaValidator } from '@modelcontextprotocol/sdk/validation/ajv';
import { z } from 'zod';
import { Health, instrument, metricsHandler, startTelemetry } from '../../dist/lib/index.js';

// OTLP traces and logs to a collector; what cannot be delivered is counted, never waited for.
if (process.env.OTEL_EXPORTER_OTLP_ENDPOINT) startTelemetry();
const metrics = metricsHandler();
const health = new Health();
// One validator for every per-request server: the SDK would otherwise compile schemas on each request.
const jsonSchemaValidator = new AjvJsonSchemaValidator();

function buildServer() {
  const server = new McpServer({ name: 'quickstart', version: '1.0.0' }, { jsonSchemaValidator });
  instrument(server);
  server.registerTool(
    'search',
    { description: 'Search the governance documents', inputSchema: { query: z.string() } },
    async ({ query }) => ({ content: [{ type: 'text', text: `3 documents match "${query}"` }] }),
  );
  server.registerTool('flaky', { description: 'Fails one call in three' }, async () => {
    if (Math.random() < 1 / 3) throw new Error('upstream timeout');
    return { content: [{ type: 'text', text: 'ok' }] };
  });
  return server;
}

const http = createServer(async (req, res) => {
  if (req.url === '/metrics') return metrics(req, res);
  if (health.handler()(req, res)) return;
  if (req.url !== '/mcp') return void res.writeHead(404).end();
  // Stateless Streamable HTTP: a fresh server and transport per request.
  const server = buildServer();
  const transport = new StreamableHTTPServerTransport({ sessionIdGenerator: undefined });
  res.on('close', () => {
    void transport.close();
    void server.close();
  });
  await server.connect(transport);
  await transport.handleRequest(req, res);
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
