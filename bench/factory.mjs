// Per-request cost of instrumenting inside a factory, for both SDK lines: stateless servers (v1 stateless HTTP, v2's
// createMcpHandler) build, connect and close a server per request, and the natural code instruments it there with an
// options literal written inside the factory. Each request here is exactly that: factory → instrument → connect to an
// in-process transport → one tools/call through the SDK's own dispatch → close. No network, so the figure is the CPU
// that the server and mcp-observatory spend, plain against instrumented, in alternating rounds (the first warms up).
//   npm run build && node bench/factory.mjs [requests-per-round] [rounds]
import { McpServer as McpServerV1 } from '@modelcontextprotocol/sdk/server/mcp.js';
import { AjvJsonSchemaValidator as ValidatorV1 } from '@modelcontextprotocol/sdk/validation/ajv';
import { McpServer as McpServerV2 } from '@modelcontextprotocol/server';
import { AjvJsonSchemaValidator as ValidatorV2 } from '@modelcontextprotocol/server/validators/ajv';
import { z } from 'zod';
import { instrument, newRegistry, startTelemetry } from '../dist/lib/index.js';

const perRound = Number(process.argv[2] ?? 20_000);
const rounds = Number(process.argv[3] ?? 5);

// An OpenTelemetry SDK whose exporters accept everything at once: the cost measured is ours and the SDK's.
const sink = { export: (_items, done) => done({ code: 0 }), shutdown: async () => {} };
startTelemetry({ spanExporter: sink, logExporter: sink, env: {} });
const registry = newRegistry();
const discard = () => {};

// One JSON-schema validator for every per-request server, as the SDK's stateless examples advise.
const validatorV1 = new ValidatorV1();
const validatorV2 = new ValidatorV2();
const lines = {
  v1: () => {
    const server = new McpServerV1({ name: 'bench', version: '1' }, { jsonSchemaValidator: validatorV1 });
    server.registerTool('echo', { inputSchema: { text: z.string() } }, async ({ text }) => ({
      content: [{ type: 'text', text }],
    }));
    return server;
  },
  v2: () => {
    const server = new McpServerV2({ name: 'bench', version: '1' }, { jsonSchemaValidator: validatorV2 });
    server.registerTool('echo', { inputSchema: z.object({ text: z.string() }) }, async ({ text }) => ({
      content: [{ type: 'text', text }],
    }));
    return server;
  },
};

// Options written inside the factory, a new object per request, as users write them.
const variants = {
  plain: undefined,
  'metrics only': () => ({ registry, processMetrics: false, logs: false, tracing: false }),
  'all signals': () => ({ registry, processMetrics: false, logs: { destination: discard } }),
};

/** A transport that hands each response back to the waiting request. */
class InProcessTransport {
  async start() {}
  async close() {
    this.onclose?.();
  }
  async send(message) {
    this.resolve?.(message);
  }
}

const request = (id) => ({
  jsonrpc: '2.0',
  id,
  method: 'tools/call',
  params: { name: 'echo', arguments: { text: 'x' } },
});

async function oneRequest(makeServer, options, id) {
  const server = makeServer();
  if (options) instrument(server, options());
  const transport = new InProcessTransport();
  await server.connect(transport);
  const answered = new Promise((resolve) => (transport.resolve = resolve));
  transport.onmessage(request(id), {});
  const response = await answered;
  if (response.error || response.result?.isError) throw new Error(`bench request failed: ${JSON.stringify(response)}`);
  await server.close();
}

const samples = {};
for (let round = 0; round <= rounds; round++) {
  for (const [line, makeServer] of Object.entries(lines)) {
    for (const [name, options] of Object.entries(variants)) {
      const before = process.cpuUsage();
      for (let i = 0; i < perRound; i++) await oneRequest(makeServer, options, i);
      const used = process.cpuUsage(before);
      if (round > 0) (samples[`${line} ${name}`] ??= []).push((used.user + used.system) / perRound);
    }
  }
}

const median = (values) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)];
console.log(`node ${process.versions.node}: ${perRound} requests per round, ${rounds} rounds, median CPU per request`);
for (const line of Object.keys(lines)) {
  const plain = median(samples[`${line} plain`]);
  for (const name of Object.keys(variants)) {
    const cpu = median(samples[`${line} ${name}`]);
    const added = name === 'plain' ? '' : `   added ${(cpu - plain).toFixed(1).padStart(5)} us`;
    console.log(`SDK ${line} ${name.padEnd(14)} ${cpu.toFixed(1).padStart(7)} us${added}`);
  }
}
process.exit(0);
