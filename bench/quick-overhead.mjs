// Quick per-request overhead of the instrumentation: the tools/call handler of an McpServer is invoked directly,
// plain and instrumented, so the figure is what mcp-observatory adds at dispatch, without client or transport noise.
// Variants alternate in rounds; the first round warms up. The full benchmark (HTTP, peers, ratios) is bench/'s job.
//   npm run build && node bench/quick-overhead.mjs [requests-per-round] [rounds]
import { McpServer } from '@modelcontextprotocol/sdk/server/mcp.js';
import { instrument, newRegistry, startTelemetry } from '../dist/lib/index.js';

const perRound = Number(process.argv[2] ?? 100_000);
const rounds = Number(process.argv[3] ?? 5);

// An SDK whose exporters accept everything at once: the cost measured is ours and the SDK's, not a network's.
const sink = { export: (_items, done) => done({ code: 0 }), shutdown: async () => {} };
startTelemetry({ spanExporter: sink, logExporter: sink, env: {} });

const quiet = { destination: () => {}, otel: false };
const variants = {
  plain: null,
  'metrics only': { logs: false, tracing: false },
  'metrics + logs': { logs: quiet, tracing: false },
  'metrics + traces': { logs: false },
  'metrics + logs + traces': { logs: quiet },
  'all, logs also to OTel': { logs: { destination: () => {} } },
};

function handlerFor(options) {
  const server = new McpServer({ name: 'bench', version: '1' });
  server.registerTool('echo', { description: 'echo' }, async () => ({ content: [{ type: 'text', text: 'x' }] }));
  if (options) instrument(server, { registry: newRegistry(), processMetrics: false, ...options });
  return server.server._requestHandlers.get('tools/call');
}

const request = { jsonrpc: '2.0', id: 1, method: 'tools/call', params: { name: 'echo', arguments: {} } };
const extra = { signal: new AbortController().signal, requestId: 1, sendNotification: async () => {} };
const handlers = Object.fromEntries(Object.entries(variants).map(([name, options]) => [name, handlerFor(options)]));
const samples = Object.fromEntries(Object.keys(variants).map((name) => [name, []]));

for (let round = 0; round <= rounds; round++) {
  for (const [name, handler] of Object.entries(handlers)) {
    const before = process.cpuUsage();
    for (let i = 0; i < perRound; i++) await handler(request, extra);
    const used = process.cpuUsage(before);
    if (round > 0) samples[name].push((used.user + used.system) / perRound);
  }
}

const median = (values) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)];
const plain = median(samples.plain);
console.log(
  `node ${process.versions.node}: ${perRound} tools/call per round, ${rounds} rounds, median CPU per request`,
);
for (const [name, values] of Object.entries(samples)) {
  const cpu = median(values);
  console.log(`${name.padEnd(24)} ${cpu.toFixed(2).padStart(6)} us   added ${(cpu - plain).toFixed(2).padStart(5)} us`);
}
process.exit(0);
