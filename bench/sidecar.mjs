// What the sidecar costs a server: the same MCP server (test/fixtures/plain-server.mjs, the SDK's own transports)
// called directly and through the sidecar, in alternating rounds of one run — over Streamable HTTP (`proxy`) and over
// stdio (`wrap`) — on `echo` and on a 1 ms tool. Latency is measured one request at a time (p50, p99: what the sidecar
// adds to a call), throughput with 16 requests in flight (what it takes from the machine). The sidecar runs as users
// run it, a process of its own with its defaults (request logs on stderr, here to /dev/null).
//   npm run build && node bench/sidecar.mjs [seconds-per-round] [rounds]
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { Agent, request } from 'node:http';
import { createServer } from 'node:net';

const seconds = Number(process.argv[2] ?? 5);
const rounds = Number(process.argv[3] ?? 4);
const SERVER = 'test/fixtures/plain-server.mjs';
const CALLS = {
  echo: { name: 'echo', arguments: { text: 'hello' } },
  '1 ms tool': { name: 'slow', arguments: { ms: 1 } },
};

async function freePort() {
  const server = createServer().listen(0, '127.0.0.1');
  await once(server, 'listening');
  const { port } = server.address();
  server.close();
  await once(server, 'close');
  return port;
}

const children = [];
process.on('exit', () => children.forEach((child) => child.kill('SIGKILL')));
function start(command, args, env = {}) {
  const child = spawn(command, args, { env: { ...process.env, ...env }, stdio: ['pipe', 'pipe', 'pipe'] });
  children.push(child);
  return child;
}

const initialize = (id) => ({
  jsonrpc: '2.0',
  id,
  method: 'initialize',
  params: { protocolVersion: '2025-06-18', capabilities: {}, clientInfo: { name: 'bench', version: '1' } },
});

/** An HTTP MCP session: `call(params)` sends one tools/call and resolves when its answer has arrived. */
async function httpSession(url) {
  const agent = new Agent({ keepAlive: true, maxSockets: 64 });
  let session;
  let id = 0;
  const post = (body) =>
    new Promise((resolve, reject) => {
      const headers = {
        'content-type': 'application/json',
        accept: 'application/json, text/event-stream',
        ...(session && { 'mcp-session-id': session, 'mcp-protocol-version': '2025-06-18' }),
      };
      const outgoing = request(url, { method: 'POST', headers, agent }, (answer) => {
        session ??= answer.headers['mcp-session-id'];
        answer.resume();
        answer.once('end', resolve);
      });
      outgoing.once('error', reject);
      outgoing.end(JSON.stringify(body));
    });
  await post(initialize(++id));
  await post({ jsonrpc: '2.0', method: 'notifications/initialized' });
  await post({ jsonrpc: '2.0', id: ++id, method: 'tools/list' });
  return {
    call: (params) => post({ jsonrpc: '2.0', id: ++id, method: 'tools/call', params }),
    close: () => agent.destroy(),
  };
}

/** A stdio MCP connection to `child`: requests are matched to answers by id. */
async function stdioSession(child) {
  const waiting = new Map();
  let buffer = '';
  child.stdout.setEncoding('utf8');
  child.stdout.on('data', (text) => {
    buffer += text;
    for (let at = buffer.indexOf('\n'); at !== -1; at = buffer.indexOf('\n')) {
      const line = buffer.slice(0, at);
      buffer = buffer.slice(at + 1);
      const { id } = JSON.parse(line);
      waiting.get(id)?.();
      waiting.delete(id);
    }
  });
  let id = 0;
  const send = (message) =>
    new Promise((resolve) => {
      if (message.id !== undefined) waiting.set(message.id, resolve);
      child.stdin.write(JSON.stringify(message) + '\n');
      if (message.id === undefined) resolve();
    });
  await send(initialize(++id));
  await send({ jsonrpc: '2.0', method: 'notifications/initialized' });
  await send({ jsonrpc: '2.0', id: ++id, method: 'tools/list' });
  return {
    call: (params) => send({ jsonrpc: '2.0', id: ++id, method: 'tools/call', params }),
    close: () => child.stdin.end(),
  };
}

/** Calls for `seconds` with `concurrency` in flight: requests per second and latency percentiles (ms). */
async function measure(session, params, concurrency) {
  const latencies = [];
  const end = performance.now() + seconds * 1000;
  const worker = async () => {
    while (performance.now() < end) {
      const started = performance.now();
      await session.call(params);
      latencies.push(performance.now() - started);
    }
  };
  await Promise.all(Array.from({ length: concurrency }, worker));
  latencies.sort((a, b) => a - b);
  const at = (q) => latencies[Math.min(latencies.length - 1, Math.floor(q * latencies.length))];
  return { rps: latencies.length / seconds, p50: at(0.5), p99: at(0.99) };
}

const median = (values) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)];

/** Setups of each transport: direct, and through the sidecar. Each returns a session and a stop function. */
const setups = {
  http: {
    direct: async () => {
      const port = await freePort();
      const server = start('node', [SERVER], { PORT: String(port) });
      await once(server.stderr, 'data');
      const session = await httpSession(`http://127.0.0.1:${port}/mcp`);
      return { session, stop: () => (session.close(), server.kill()) };
    },
    sidecar: async (env) => {
      const [port, listen, metrics] = [await freePort(), await freePort(), await freePort()];
      const server = start('node', [SERVER], { PORT: String(port) });
      await once(server.stderr, 'data');
      const proxy = start(
        'node',
        [
          'dist/lib/bin.js',
          'proxy',
          '--upstream',
          `http://127.0.0.1:${port}/mcp`,
          '--listen',
          `127.0.0.1:${listen}`,
          '--metrics-port',
          String(metrics),
        ],
        env,
      );
      // Its line naming where it listens ("http://… → …") says it is ready.
      for (let said = ''; !said.includes('→');) said += await once(proxy.stderr, 'data');
      proxy.stderr.resume();
      const session = await httpSession(`http://127.0.0.1:${listen}/mcp`);
      return { session, stop: () => (session.close(), proxy.kill(), server.kill()) };
    },
  },
  stdio: {
    direct: async () => {
      const server = start('node', [SERVER]);
      return { session: await stdioSession(server), stop: () => server.kill() };
    },
    sidecar: async (env) => {
      const metrics = await freePort();
      const wrap = start(
        'node',
        ['dist/lib/bin.js', 'wrap', '--metrics-port', String(metrics), '--', 'node', SERVER],
        env,
      );
      wrap.stderr.resume();
      return { session: await stdioSession(wrap), stop: () => wrap.kill() };
    },
  },
};

/** The sidecar as users run it, and two diagnostic rows: without request logs, and relaying only. */
const SIDECARS = {
  sidecar: {},
  'sidecar, no logs': { MCP_OBSERVATORY_LOG_LEVEL: 'silent' },
  'sidecar, relay only': { OTEL_SDK_DISABLED: 'true' },
};

const results = {};
for (const [transport, ways] of Object.entries(setups)) {
  for (const [callName, params] of Object.entries(CALLS)) {
    const samples = Object.fromEntries(['direct', ...Object.keys(SIDECARS)].map((way) => [way, []]));
    for (let round = 0; round <= rounds; round++) {
      // Rotate which goes first, so a drift of the machine weighs on all alike; round 0 warms up.
      const order = Object.keys(samples);
      for (let turn = 0; turn < order.length; turn++) {
        const way = order[(turn + round) % order.length];
        const { session, stop } = way === 'direct' ? await ways.direct() : await ways.sidecar(SIDECARS[way]);
        const latency = await measure(session, params, 1);
        const throughput = await measure(session, params, 16);
        stop();
        if (round > 0) samples[way].push({ ...latency, rps: throughput.rps });
      }
    }
    const of = (way, key) => median(samples[way].map((sample) => sample[key]));
    for (const way of Object.keys(SIDECARS)) {
      results[`${transport}, ${callName}, ${way}`] = {
        'p50 added (ms)': +(of(way, 'p50') - of('direct', 'p50')).toFixed(3),
        'p99 added (ms)': +(of(way, 'p99') - of('direct', 'p99')).toFixed(3),
        'throughput × direct': +(of(way, 'rps') / of('direct', 'rps')).toFixed(3),
        'direct p50 (ms)': +of('direct', 'p50').toFixed(3),
        'direct req/s': Math.round(of('direct', 'rps')),
      };
    }
    console.error(`${transport}, ${callName}: done`);
  }
}
console.log(`sidecar overhead, Node ${process.versions.node}, ${rounds} rounds of ${seconds} s each way`);
console.table(results);
process.exit(0);
