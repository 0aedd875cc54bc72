// The stdio sidecar (`mcp-observatory wrap`): byte-for-byte relay, the child's exit code and signals, and the
// telemetry contract computed from the messages that cross, against a real stdio MCP server on the SDK.
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { PassThrough } from 'node:stream';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StdioClientTransport } from '@modelcontextprotocol/sdk/client/stdio.js';
import { CreateMessageRequestSchema } from '@modelcontextprotocol/sdk/types.js';
import { Registry } from 'prom-client';
import { describe, expect, it } from 'vitest';
import { Health } from '../lib/health.js';
import { Recorder } from '../lib/recorder.js';
import { wrapStdio } from '../lib/sidecar/stdio.js';
import type { ChildExit } from '../lib/sidecar/stdio.js';
import { parseMetrics, scrape, valueOf } from './fixtures/metrics.js';
import { freePort } from './fixtures/ports.js';

const BIN = 'dist/lib/bin.js';
const SERVER = 'test/fixtures/plain-server.mjs';
const DURATION = 'mcp_server_operation_duration_seconds_count';

const initialize = (id: number) =>
  JSON.stringify({
    jsonrpc: '2.0',
    id,
    method: 'initialize',
    params: { protocolVersion: '2025-06-18', capabilities: {}, clientInfo: { name: 'corpus', version: '1' } },
  });
const call = (id: number, name: string, args: unknown = {}) =>
  JSON.stringify({ jsonrpc: '2.0', id, method: 'tools/call', params: { name, arguments: args } });

/** Good and bad messages, written in awkward pieces: what a client may send and how it may arrive. */
function corpus(): Buffer[] {
  const big = 'x'.repeat(2 * 1024 * 1024);
  const lines = [
    initialize(1),
    JSON.stringify({ jsonrpc: '2.0', method: 'notifications/initialized' }),
    JSON.stringify({ jsonrpc: '2.0', id: 2, method: 'tools/list' }),
    call(3, 'echo', { text: 'héllo wörld ✓' }),
    'this is not json',
    '{"jsonrpc":"2.0","result":"no id"}',
    JSON.stringify({ jsonrpc: '2.0', id: 4, method: 'no/such/method' }),
    call(5, 'invented-tool'),
    call(6, 'fail'),
    call(7, 'echo', { text: big }),
    `${call(8, 'echo', { text: 'crlf' })}\r`,
    JSON.stringify({ jsonrpc: '2.0', id: 'string-id', method: 'ping' }),
  ];
  const bytes = Buffer.concat([
    Buffer.from(lines.join('\n') + '\n'),
    Buffer.from([0xff, 0xfe, 0x00, 0x80, 0x0a]), // a line that is not even UTF-8
    Buffer.from(call(9, 'echo', { text: 'last' }) + '\n'),
  ]);
  // Cut at odd places: mid-line, mid-UTF-8 sequence, one byte at a time for a while.
  const cuts = [1, 7, 100, 101, 102, 5000, 1024 * 1024, 2 * 1024 * 1024 + 333];
  const pieces: Buffer[] = [];
  let start = 0;
  for (const cut of cuts) {
    pieces.push(bytes.subarray(start, cut));
    start = cut;
  }
  pieces.push(bytes.subarray(start));
  return pieces;
}

/** Run `command` with the corpus on stdin; its stdout bytes and exit code. */
async function run(command: string, args: string[], env: NodeJS.ProcessEnv = {}) {
  const child = spawn(command, args, { env: { ...process.env, ...env }, stdio: ['pipe', 'pipe', 'pipe'] });
  const out: Buffer[] = [];
  const err: Buffer[] = [];
  child.stdout.on('data', (chunk: Buffer) => out.push(chunk));
  child.stderr.on('data', (chunk: Buffer) => err.push(chunk));
  for (const piece of corpus()) {
    child.stdin.write(piece);
    await new Promise((resolve) => setImmediate(resolve));
  }
  child.stdin.end();
  const [code] = (await once(child, 'close')) as [number];
  return { stdout: Buffer.concat(out), stderr: Buffer.concat(err).toString(), code };
}

/** wrapStdio in this process, with a registry of its own and streams for stdin and stdout. */
function wrapped(command: string, args: string[]) {
  const registry = new Registry();
  const recorder = new Recorder({ registry, logs: false, tracing: false, processMetrics: false });
  const stdin = new PassThrough();
  const stdout = new PassThrough();
  const health = new Health({ cacheMs: 0 });
  const exit: Promise<ChildExit> = wrapStdio(command, args, recorder, health, () => {}, {
    stdin,
    stdout,
    processMetrics: registry,
  });
  let answers = 0;
  const answered: { count: number; resolve: () => void }[] = [];
  stdout.on('data', (chunk: Buffer) => {
    for (let at = chunk.indexOf(10); at !== -1; at = chunk.indexOf(10, at + 1)) answers++;
    for (const wait of answered.filter((each) => answers >= each.count)) wait.resolve();
  });
  /** Write the handshake (initialize, initialized, tools/list) and wait for its two answers: tools are now listed. */
  const handshake = () =>
    new Promise<void>((resolve) => {
      answered.push({ count: 2, resolve });
      stdin.write(
        [
          initialize(1),
          JSON.stringify({ jsonrpc: '2.0', method: 'notifications/initialized' }),
          JSON.stringify({ jsonrpc: '2.0', id: 2, method: 'tools/list' }),
        ].join('\n') + '\n',
      );
    });
  return { registry, stdin, health, exit, handshake };
}

describe('wrap relays stdio byte for byte', () => {
  it('answers a corpus of good and bad messages exactly as the server does directly, and writes nothing of its own to stdout', async () => {
    const direct = await run('node', [SERVER]);
    const port = await freePort();
    const sidecar = await run('node', [BIN, 'wrap', '--metrics-port', String(port), '--', 'node', SERVER]);
    expect(direct.stdout.length).toBeGreaterThan(2 * 1024 * 1024);
    expect(sidecar.code).toBe(direct.code);
    expect(sidecar.stdout.equals(direct.stdout)).toBe(true);
    // Our request logs went to stderr, as JSON lines.
    expect(sidecar.stderr).toContain('"msg":"tools/call echo"');
  });

  it('records the corpus: methods, tools as listed, unparseable and invalid lines, and the unknown kept bounded', async () => {
    const { registry, stdin, exit, handshake } = wrapped('node', [SERVER]);
    await handshake();
    // The corpus again: its handshake is a second initialize and tools/list on the same connection.
    for (const piece of corpus()) stdin.write(piece);
    stdin.end();
    expect(await exit).toEqual({ code: 0 });
    const samples = await scrape(registry);
    const count = (labels: Record<string, string>) => valueOf(samples, DURATION, labels);
    expect(count({ mcp_method_name: 'initialize', network_transport: 'pipe' })).toBe(2);
    expect(count({ mcp_method_name: 'tools/list', error_type: '' })).toBe(2);
    expect(count({ mcp_method_name: 'tools/call', gen_ai_tool_name: 'echo', error_type: '' })).toBe(4);
    expect(count({ mcp_method_name: 'tools/call', gen_ai_tool_name: 'fail', error_type: 'tool_error' })).toBe(1);
    // An invented tool: the SDK's folded "MCP error -32602", the client's fault; its name is no label.
    expect(count({ mcp_method_name: 'tools/call', gen_ai_tool_name: '_OTHER', error_type: '-32602' })).toBe(1);
    expect(count({ mcp_method_name: '_OTHER', error_type: '-32601' })).toBe(1);
    expect(count({ mcp_method_name: 'ping', error_type: '' })).toBe(1);
    // 'this is not json' and the bytes that are no UTF-8 text; a response with no id is no message.
    expect(valueOf(samples, 'mcp_server_transport_errors_total', { error_type: '-32700' })).toBe(2);
    expect(valueOf(samples, 'mcp_server_transport_errors_total', { error_type: '-32600' })).toBe(1);
    expect(valueOf(samples, 'mcp_server_notifications_total', { mcp_method_name: 'notifications/initialized' })).toBe(
      2,
    );
    // The session ended with the child.
    expect(valueOf(samples, 'mcp_server_sessions_active', { network_transport: 'pipe' })).toBe(0);
    expect(valueOf(samples, 'mcp_server_session_duration_seconds_count', { network_transport: 'pipe' })).toBe(1);
    expect(valueOf(samples, 'mcp_server_operations_in_flight')).toBe(0);
  });

  it('keeps 10,000 invented tool names out of the labels', async () => {
    const { registry, stdin, exit, handshake } = wrapped('node', [SERVER]);
    await handshake();
    const lines = [];
    for (let index = 1; index <= 10_000; index++) lines.push(call(1000 + index, `invented-${index}`));
    stdin.end(lines.join('\n') + '\n');
    await exit;
    const samples = await scrape(registry);
    const tools = new Set(samples.filter((s) => s.name === DURATION).map((s) => s.labels['gen_ai_tool_name']));
    expect([...tools].sort()).toEqual(['', '_OTHER']);
    expect(valueOf(samples, DURATION, { gen_ai_tool_name: '_OTHER' })).toBe(10_000);
  });
});

describe('wrap and the child process', () => {
  it('times server-initiated requests and counts requests in flight, on the port and service name given by flags', async () => {
    const port = await freePort();
    const transport = new StdioClientTransport({
      command: 'node',
      args: [BIN, 'wrap', '--metrics-port', String(port), '--service-name', 'py-finance', '--', 'node', SERVER],
      stderr: 'pipe',
    });
    const client = new Client({ name: 'test', version: '1' }, { capabilities: { sampling: {} } });
    client.setRequestHandler(CreateMessageRequestSchema, async () => ({
      role: 'assistant',
      model: 'm',
      content: { type: 'text', text: 'sampled' },
    }));
    await client.connect(transport);
    await client.listTools();
    const asked = await client.callTool({ name: 'ask', arguments: {} });
    expect(asked.content).toEqual([{ type: 'text', text: 'sampled' }]);
    const metrics = async () => parseMetrics(await (await fetch(`http://127.0.0.1:${port}/metrics`)).text());
    const ready = await fetch(`http://127.0.0.1:${port}/health/ready`);
    expect(ready.status).toBe(200);
    let samples = await metrics();
    expect(
      valueOf(samples, 'mcp_client_operation_duration_seconds_count', {
        mcp_method_name: 'sampling/createMessage',
        error_type: '',
        network_transport: 'pipe',
      }),
    ).toBe(1);
    expect(valueOf(samples, 'mcp_server_build_info', { service_name: 'py-finance', mcp_sdk_version: 'sidecar' })).toBe(
      1,
    );
    expect(valueOf(samples, 'mcp_server_operations_in_flight', { mcp_method_name: 'tools/call' })).toBe(0);
    // A slow call is in flight while it runs.
    const slow = client.callTool({ name: 'slow', arguments: { ms: 1500 } });
    await new Promise((resolve) => setTimeout(resolve, 300));
    samples = await metrics();
    expect(valueOf(samples, 'mcp_server_operations_in_flight', { mcp_method_name: 'tools/call' })).toBe(1);
    await slow;
    await client.close();
  });

  it('exits with the child exit code, failing the request the crash left unanswered', async () => {
    const { registry, stdin, exit, handshake } = wrapped('node', [SERVER]);
    await handshake();
    stdin.write(call(3, 'crash') + '\n');
    expect(await exit).toEqual({ code: 3 });
    const samples = await scrape(registry);
    expect(valueOf(samples, DURATION, { gen_ai_tool_name: 'crash', error_type: '-32000' })).toBe(1);
    expect(valueOf(samples, 'mcp_server_operations_in_flight')).toBe(0);

    const port = await freePort();
    const cli = spawn('node', [BIN, 'wrap', '--metrics-port', String(port), '--', 'node', '-e', 'process.exit(42)']);
    const [code] = (await once(cli, 'close')) as [number];
    expect(code).toBe(42);
  });

  it('passes signals on to the child and dies of the signal the child died of', async () => {
    const port = await freePort();
    // A server that ignores SIGINT and exits 0 on SIGTERM, and one that does nothing about SIGTERM.
    const graceful = `process.on('SIGINT', () => {}); process.on('SIGTERM', () => process.exit(0)); process.stderr.write('up\\n'); setInterval(() => {}, 1000);`;
    const plain = `process.stderr.write('up\\n'); setInterval(() => {}, 1000);`;
    const started = async (script: string) => {
      const cli = spawn('node', [BIN, 'wrap', '--metrics-port', String(port), '--', 'node', '-e', script]);
      await once(cli.stderr, 'data');
      return cli;
    };
    const ended = async (cli: ReturnType<typeof spawn>) => {
      const [code, signal] = (await once(cli, 'close')) as [number | null, string | null];
      return { code, signal };
    };
    const survivor = await started(graceful);
    survivor.kill('SIGINT');
    await new Promise((resolve) => setTimeout(resolve, 300));
    expect(survivor.exitCode).toBe(null);
    expect(survivor.signalCode).toBe(null);
    survivor.kill('SIGTERM');
    expect(await ended(survivor)).toEqual({ code: 0, signal: null });

    const victim = await started(plain);
    victim.kill('SIGTERM');
    expect(await ended(victim)).toEqual({ code: null, signal: 'SIGTERM' });
  });

  it('names a command that cannot run, exiting 127 as a shell does', async () => {
    const port = await freePort();
    const cli = spawn('node', [BIN, 'wrap', '--metrics-port', String(port), '--', 'no-such-mcp-server-xyz']);
    let stderr = '';
    cli.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    const [code] = (await once(cli, 'close')) as [number];
    expect(code).toBe(127);
    expect(stderr).toContain('cannot run "no-such-mcp-server-xyz"');
    expect(stderr).toContain('PATH');
  });

  it("reports the child's CPU, memory, file descriptors and start time as its process_* series", async () => {
    const { registry, stdin, exit, handshake } = wrapped('node', [SERVER]);
    await handshake();
    const samples = await scrape(registry);
    const memory = valueOf(samples, 'process_resident_memory_bytes');
    // A Node.js server holds tens of megabytes; the series are the child's, read from /proc.
    expect(memory).toBeGreaterThan(10 * 1024 * 1024);
    expect(valueOf(samples, 'process_cpu_seconds_total')).toBeGreaterThan(0);
    expect(valueOf(samples, 'process_open_fds')).toBeGreaterThanOrEqual(3);
    const started = valueOf(samples, 'process_start_time_seconds');
    expect(Math.abs(started - Date.now() / 1000)).toBeLessThan(60);
    stdin.end();
    await exit;
    expect(valueOf(await scrape(registry), 'process_resident_memory_bytes')).toBe(0);
  });

  it('reports the server not ready once it has exited', async () => {
    const { health, stdin, exit } = wrapped('node', [SERVER]);
    expect((await health.ready()).status).toBe('ok');
    stdin.end();
    await exit;
    const readiness = await health.ready();
    expect(readiness.failing).toEqual(['server']);
  });
});
