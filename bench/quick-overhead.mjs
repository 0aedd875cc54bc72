// Quick per-request overhead of the instrumentation, in process: the SDK's own client calls a tool over the SDK's
// in-memory transport on a plain server and on instrumented ones, alternating variants in rounds. Reports CPU
// microseconds per request and the difference to plain. The full benchmark (HTTP, peers, ratios) is bench/'s job.
//   npm run build && node bench/quick-overhead.mjs [requests-per-round] [rounds]
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { InMemoryTransport } from '@modelcontextprotocol/sdk/inMemory.js';
import { McpServer } from '@modelcontextprotocol/sdk/server/mcp.js';
import { InMemorySpanExporter } from '@opentelemetry/sdk-trace-base';
import { instrument, newRegistry, startTelemetry } from '../dist/lib/index.js';

const perRound = Number(process.argv[2] ?? 5000);
const rounds = Number(process.argv[3] ?? 5);
const spans = new InMemorySpanExporter();
startTelemetry({
  spanExporter: spans,
  logExporter: { export: (_, cb) => cb({ code: 0 }), shutdown: async () => {} },
  env: {},
});

const variants = {
  plain: () => undefined,
  'metrics only': (server) => instrument(server, { registry: newRegistry(), logs: false, tracing: false }),
  'metrics + logs': (server) =>
    instrument(server, { registry: newRegistry(), logs: { destination: () => {}, otel: false }, tracing: false }),
  'metrics + traces': (server) => instrument(server, { registry: newRegistry(), logs: false }),
  'metrics + logs + traces': (server) =>
    instrument(server, { registry: newRegistry(), logs: { destination: () => {} } }),
};

async function client(variant) {
  const server = new McpServer({ name: 'bench', version: '1' });
  variants[variant](server);
  server.registerTool('echo', { description: 'echo' }, async () => ({ content: [{ type: 'text', text: 'x' }] }));
  const [a, b] = InMemoryTransport.createLinkedPair();
  const c = new Client({ name: 'bench', version: '1' });
  await server.connect(b);
  await c.connect(a);
  return c;
}

const clients = {};
for (const variant of Object.keys(variants)) clients[variant] = await client(variant);
const results = Object.fromEntries(Object.keys(variants).map((v) => [v, []]));
for (let round = 0; round < rounds + 1; round++) {
  for (const variant of Object.keys(variants)) {
    const c = clients[variant];
    const before = process.cpuUsage();
    for (let i = 0; i < perRound; i++) await c.callTool({ name: 'echo', arguments: {} });
    const used = process.cpuUsage(before);
    spans.reset();
    if (round > 0) results[variant].push((used.user + used.system) / perRound); // round 0 warms up
  }
}
const median = (xs) => xs.sort((a, b) => a - b)[Math.floor(xs.length / 2)];
const plain = median(results.plain);
console.log(`node ${process.versions.node}, ${perRound} requests x ${rounds} rounds (median), CPU us per request`);
for (const [variant, xs] of Object.entries(results)) {
  const m = median(xs);
  console.log(
    `${variant.padEnd(26)} ${m.toFixed(1).padStart(7)} us   +${(m - plain).toFixed(1)} us   ${(plain / m).toFixed(3)}x plain throughput-equivalent`,
  );
}
process.exit(0);
