// In-process micro-benchmarks, one mode per run so that each starts in a clean process; prints one JSON line.
//   node bench/micro.mjs cpu --otel off|on   CPU per tools/call: SDK Client over the in-memory transport, direct
//                                            dispatch (as bench/quick-overhead.mjs) and building a per-request server
//   node bench/micro.mjs render              /metrics render time and size at the cardinality guard's maximum
//   node --expose-gc bench/micro.mjs memory  RSS and heap over a million requests, rotating tenants and sessions
// Add --quick for shorter runs. bench/run.mjs runs all of them.
import { performance } from 'node:perf_hooks';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { InMemoryTransport } from '@modelcontextprotocol/sdk/inMemory.js';
import { McpServer, ResourceTemplate } from '@modelcontextprotocol/sdk/server/mcp.js';
import { McpError } from '@modelcontextprotocol/sdk/types.js';
import { AjvJsonSchemaValidator } from '@modelcontextprotocol/sdk/validation/ajv';
import { z } from 'zod';
import { instrument, newRegistry, renderMetrics, startTelemetry } from '../dist/lib/index.js';

const args = process.argv.slice(2);
const mode = args[0];
const quick = args.includes('--quick');
const flag = (name) => args[args.indexOf(name) + 1];

const median = (values) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)];
const cpuMicros = () => {
  const { user, system } = process.cpuUsage();
  return user + system;
};
const jsonSchemaValidator = new AjvJsonSchemaValidator();
// Log lines are built in full and handed to a function that drops them: the cost measured is ours, not a terminal's.
const quietLogs = { destination: () => {}, otel: false };
// An exporter that accepts at once: the OpenTelemetry SDK's cost and ours, without a network.
const acceptAll = { export: (_items, done) => done({ code: 0 }), shutdown: async () => {} };

function echoServer() {
  const server = new McpServer({ name: 'bench', version: '1.0.0' }, { jsonSchemaValidator });
  return server;
}

function registerEcho(server) {
  server.registerTool(
    'echo',
    { description: 'Echo the text back', inputSchema: { text: z.string() } },
    async ({ text }) => ({ content: [{ type: 'text', text }] }),
  );
}

/** A client and an instrumented server over the in-memory transport; every request carries the tenant's authInfo. */
async function session(options, tenant = () => 'tenant-0001') {
  const server = echoServer();
  const handle = options && instrument(server, options);
  registerEcho(server);
  const [clientTransport, serverTransport] = InMemoryTransport.createLinkedPair();
  const send = clientTransport.send.bind(clientTransport);
  clientTransport.send = (message, sendOptions) => {
    const id = tenant();
    return send(message, {
      ...sendOptions,
      authInfo: { token: id, clientId: id, scopes: [], extra: { tenantId: id } },
    });
  };
  const client = new Client({ name: 'bench-client', version: '1.0.0' });
  await server.connect(serverTransport);
  await client.connect(clientTransport);
  return {
    server,
    client,
    call: () => client.callTool({ name: 'echo', arguments: { text: 'x' } }),
    close: async () => {
      await client.close();
      await server.close();
      handle?.uninstrument();
    },
  };
}

/** Alternate `variants` in rounds (the first warms up) and return each one's median CPU µs per call. */
async function alternate(variants, perRound, rounds) {
  const samples = Object.fromEntries(Object.keys(variants).map((name) => [name, []]));
  for (let round = 0; round <= rounds; round++) {
    for (const [name, run] of Object.entries(variants)) {
      const before = cpuMicros();
      await run(perRound);
      if (round > 0) samples[name].push((cpuMicros() - before) / perRound);
    }
  }
  return Object.fromEntries(Object.entries(samples).map(([name, values]) => [name, median(values)]));
}

async function cpu() {
  const otel = flag('--otel') === 'on';
  if (otel) startTelemetry({ spanExporter: acceptAll, logExporter: acceptAll, env: {} });
  const variants = otel
    ? {
        plain: null,
        'metrics + traces': { logs: false },
        'metrics + logs + traces': { logs: quietLogs },
        'all, logs also as OTel records': { logs: { destination: () => {} } },
      }
    : {
        plain: null,
        'metrics only': { logs: false, tracing: false },
        'metrics + logs': { logs: quietLogs, tracing: false },
      };
  const registry = newRegistry();
  const withRegistry = (options) => options && { registry, processMetrics: false, ...options };
  const perRound = quick ? 5_000 : 10_000;
  const rounds = quick ? 3 : 7;

  const inMemory = {};
  const dispatch = {};
  const build = {};
  const extra = { signal: new AbortController().signal, requestId: 1, sendNotification: async () => {} };
  const request = { jsonrpc: '2.0', id: 1, method: 'tools/call', params: { name: 'echo', arguments: { text: 'x' } } };
  for (const [name, options] of Object.entries(variants)) {
    const { call } = await session(withRegistry(options));
    inMemory[name] = async (n) => {
      for (let i = 0; i < n; i++) await call();
    };
    const server = echoServer();
    if (options) instrument(server, withRegistry(options));
    registerEcho(server);
    const handler = server.server._requestHandlers.get('tools/call');
    dispatch[name] = async (n) => {
      for (let i = 0; i < n; i++) await handler(request, extra);
    };
    // What stateless HTTP pays before any request: a server built, instrumented and given its tools.
    build[name] = async (n) => {
      for (let i = 0; i < n; i++) {
        const fresh = echoServer();
        if (options) instrument(fresh, withRegistry(options));
        registerEcho(fresh);
      }
    };
  }
  const result = {
    node: process.versions.node,
    otel,
    perRound,
    rounds,
    inMemory: await alternate(inMemory, perRound, rounds),
    dispatch: await alternate(dispatch, perRound * 5, rounds),
    build: await alternate(build, perRound / 4, rounds),
  };
  return result;
}

/** Fill a registry through real instrument() calls up to the guard's maximum, then time both render formats. */
async function render() {
  const registry = newRegistry();
  const server = echoServer();
  instrument(server, { registry, logs: false, tracing: false });
  server.server.registerCapabilities({ logging: {} });
  for (let i = 0; i < 20; i++) {
    server.registerTool(`tool_${i}`, { description: 'ok' }, async () => ({ content: [{ type: 'text', text: 'ok' }] }));
  }
  server.registerTool('fails', { description: 'isError' }, async () => ({
    content: [{ type: 'text', text: 'broken' }],
    isError: true,
  }));
  server.registerTool('throws', { description: 'throws' }, async () => {
    throw new Error('upstream timeout');
  });
  server.registerResource('doc', 'docs://readme', { description: 'a document' }, async (uri) => ({
    contents: [{ uri: uri.href, text: 'readme' }],
  }));
  server.registerResource(
    'page',
    new ResourceTemplate('pages://{id}', { list: undefined, complete: { id: () => ['1', '2'] } }),
    { description: 'a page' },
    async (uri, { id }) => {
      if (id === 'missing') throw new McpError(-32002, 'Resource not found');
      return { contents: [{ uri: uri.href, text: id }] };
    },
  );
  server.registerPrompt('greet', { description: 'a prompt', argsSchema: { name: z.string() } }, ({ name }) => ({
    messages: [{ role: 'user', content: { type: 'text', text: `hello ${name}` } }],
  }));
  let tenant = '';
  const client = new Client({ name: 'bench-client', version: '1.0.0' });
  const [clientTransport, serverTransport] = InMemoryTransport.createLinkedPair();
  const send = clientTransport.send.bind(clientTransport);
  clientTransport.send = (message, options) =>
    send(message, {
      ...options,
      authInfo: { token: tenant, clientId: tenant, scopes: [], extra: { tenantId: tenant } },
    });
  await server.connect(serverTransport);
  await client.connect(clientTransport);
  const swallow = (promise) =>
    promise.then(
      () => undefined,
      () => undefined,
    );
  // Every method with each outcome it can have: ok, tool_error, client faults (-32602, -32002, -32601).
  const scenarios = [
    () => client.ping(),
    () => client.listTools(),
    (i) => client.callTool({ name: `tool_${i % 20}`, arguments: {} }),
    () => client.callTool({ name: 'fails', arguments: {} }),
    () => client.callTool({ name: 'throws', arguments: {} }),
    () => client.callTool({ name: 'no_such_tool', arguments: {} }),
    () => client.listResources(),
    () => client.listResourceTemplates(),
    () => client.readResource({ uri: 'docs://readme' }),
    () => client.readResource({ uri: 'pages://missing' }),
    () => client.listPrompts(),
    () => client.getPrompt({ name: 'greet', arguments: { name: 'a' } }),
    () => client.getPrompt({ name: 'no_such_prompt' }),
    () => client.complete({ ref: { type: 'ref/resource', uri: 'pages://{id}' }, argument: { name: 'id', value: '' } }),
    () => client.setLoggingLevel('info'),
    () => client.request({ method: 'no/such/method', params: {} }, z.any()),
  ];
  // 150 tenants: the first 100 are admitted, the rest fold into __overflow__.
  for (let t = 0; t < 150; t++) {
    tenant = `tenant-${String(t).padStart(4, '0')}`;
    for (let i = 0; i < scenarios.length; i++) await swallow(scenarios[i](t));
  }
  const time = async (openMetrics) => {
    const samples = [];
    let body = '';
    for (let i = 0; i < (quick ? 10 : 30); i++) {
      const start = performance.now();
      body = await renderMetrics(registry, openMetrics);
      samples.push(performance.now() - start);
    }
    const series = body.split('\n').filter((line) => line !== '' && !line.startsWith('#')).length;
    return { ms: median(samples), maxMs: Math.max(...samples), bytes: Buffer.byteLength(body), series };
  };
  const tenants = (await renderMetrics(registry, false)).match(/^mcp_observatory_tenants_tracked (\d+)/m)?.[1];
  return {
    node: process.versions.node,
    tenantsAdmitted: Number(tenants),
    requests: 150 * scenarios.length,
    prometheus: await time(false),
    openMetrics: await time(true),
  };
}

/** A million requests through instrumented sessions that come and go, with tenants rotating over 1,000. */
async function memory() {
  if (typeof globalThis.gc !== 'function') throw new Error('run with node --expose-gc');
  startTelemetry({ spanExporter: acceptAll, logExporter: acceptAll, env: {} });
  const total = quick ? 100_000 : 1_000_000;
  const perSession = 1_000;
  const sampleEvery = total / 20;
  const registry = newRegistry();
  let next = 0;
  const tenant = () => `tenant-${String(next++ % 1000).padStart(4, '0')}`;
  const samples = [];
  const started = performance.now();
  for (let done = 0; done < total;) {
    const s = await session({ registry, logs: { destination: () => {} } }, tenant);
    for (let i = 0; i < perSession; i++) await s.call();
    await s.close();
    done += perSession;
    if (done % sampleEvery === 0) {
      globalThis.gc();
      const { rss, heapUsed } = process.memoryUsage();
      samples.push({ requests: done, rss, heapUsed });
    }
  }
  // RSS settles over the first ~100,000 requests (heap spaces and malloc arenas grow to their working size) and then
  // moves by ±10 % from one sample to the next as the allocator hands pages back: the first three samples after
  // that tenth are compared with the last three, by their medians.
  const settled = samples.filter((sample) => sample.requests > total / 10);
  const mid = (values) => [...values].sort((a, b) => a - b)[1];
  const first = {
    rss: mid(settled.slice(0, 3).map((x) => x.rss)),
    heapUsed: mid(settled.slice(0, 3).map((x) => x.heapUsed)),
  };
  const last = {
    rss: mid(settled.slice(-3).map((x) => x.rss)),
    heapUsed: mid(settled.slice(-3).map((x) => x.heapUsed)),
  };
  return {
    node: process.versions.node,
    requests: total,
    sessions: total / perSession,
    tenants: 1000,
    seconds: (performance.now() - started) / 1000,
    samples,
    first,
    last,
    rssGrowth: last.rss / first.rss - 1,
    heapGrowth: last.heapUsed / first.heapUsed - 1,
  };
}

const modes = { cpu, render, memory };
if (!modes[mode]) throw new Error(`usage: node bench/micro.mjs cpu|render|memory [--otel on|off] [--quick]`);
console.log(JSON.stringify(await modes[mode]()));
process.exit(0);
