// @modelcontextprotocol/server-everything — the reference server that exercises every MCP feature, written by the
// protocol's maintainers — behind both sidecars: the SDK's client gets the same answers as directly, and the tools it
// lists are the labels.
import { spawn } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StdioClientTransport } from '@modelcontextprotocol/sdk/client/stdio.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import type { Transport } from '@modelcontextprotocol/sdk/shared/transport.js';
import { afterAll, describe, expect, it } from 'vitest';
import { parseMetrics, valueOf } from './fixtures/metrics.js';
import { freePort } from './fixtures/ports.js';

const BIN = 'dist/lib/bin.js';
const EVERYTHING = 'node_modules/@modelcontextprotocol/server-everything/dist/index.js';
const children = new Set<ChildProcess>();
afterAll(() => {
  for (const child of children) child.kill('SIGKILL');
});

/** What a client sees of the server: its tools, and the answers of a few deterministic calls. */
async function session(transport: Transport, beforeClose: () => Promise<void> = async () => {}) {
  const client = new Client({ name: 'everything-test', version: '1' });
  await client.connect(transport);
  try {
    const tools = (await client.listTools()).tools.map((tool) => tool.name).sort();
    const echo = await client.callTool({ name: 'echo', arguments: { message: 'héllo ✓' } });
    const sum = await client.callTool({ name: 'get-sum', arguments: { a: 2, b: 40 } });
    const missing = await client
      .callTool({ name: 'no-such-tool', arguments: {} })
      .catch((error: Error) => error.message);
    const prompts = (await client.listPrompts()).prompts.map((prompt) => prompt.name).sort();
    await beforeClose();
    return { tools, echo, sum, missing, prompts };
  } finally {
    await client.close();
  }
}

async function metricsOf(port: number) {
  return parseMetrics(await (await fetch(`http://127.0.0.1:${port}/metrics`)).text());
}

describe('server-everything behind the sidecar', () => {
  it('over stdio, inside wrap: the same answers, its tools by name', async () => {
    const direct = await session(
      new StdioClientTransport({ command: 'node', args: [EVERYTHING, 'stdio'], stderr: 'ignore' }),
    );
    const port = await freePort();
    const wrapped = await session(
      new StdioClientTransport({
        command: 'node',
        args: [BIN, 'wrap', '--metrics-port', String(port), '--log-level', 'silent', '--', 'node', EVERYTHING, 'stdio'],
        stderr: 'ignore',
      }),
      async () => {
        const samples = await metricsOf(port);
        const duration = 'mcp_server_operation_duration_seconds_count';
        expect(valueOf(samples, duration, { gen_ai_tool_name: 'echo', network_transport: 'pipe' })).toBe(1);
        expect(valueOf(samples, duration, { gen_ai_tool_name: '_OTHER', error_type: '-32602' })).toBe(1);
      },
    );
    expect(wrapped).toEqual(direct);
    expect(direct.tools).toContain('echo');
    expect(direct.tools.length).toBeGreaterThan(5);
  });

  it('over Streamable HTTP, behind proxy: the same answers, recorded by tool', async () => {
    const port = await freePort();
    const server = spawn('node', [EVERYTHING, 'streamableHttp'], {
      env: { ...process.env, PORT: String(port) },
      stdio: ['ignore', 'ignore', 'pipe'],
    });
    children.add(server);
    let log = '';
    server.stderr!.on('data', (chunk: Buffer) => (log += chunk.toString()));
    while (!log.includes(`listening on port ${port}`)) await once(server.stderr!, 'data');
    const upstream = `http://127.0.0.1:${port}/mcp`;
    const [listen, metricsPort] = [await freePort(), await freePort()];
    const proxy = spawn(
      'node',
      [BIN, 'proxy', '--upstream', upstream, '--listen', `127.0.0.1:${listen}`, '--metrics-port', String(metricsPort)],
      { stdio: ['ignore', 'ignore', 'pipe'] },
    );
    children.add(proxy);
    await once(proxy.stderr!, 'data');
    try {
      const direct = await session(new StreamableHTTPClientTransport(new URL(upstream)));
      const proxied = await session(new StreamableHTTPClientTransport(new URL(`http://127.0.0.1:${listen}/mcp`)));
      expect(proxied).toEqual(direct);
      const samples = await metricsOf(metricsPort);
      const duration = 'mcp_server_operation_duration_seconds_count';
      expect(valueOf(samples, duration, { gen_ai_tool_name: 'echo', error_type: '' })).toBe(1);
      expect(valueOf(samples, duration, { gen_ai_tool_name: 'get-sum', error_type: '' })).toBe(1);
      expect(valueOf(samples, duration, { mcp_method_name: 'prompts/list', error_type: '' })).toBe(1);
      expect(valueOf(samples, 'mcp_server_notifications_total', { mcp_method_name: 'notifications/initialized' })).toBe(
        1,
      );
    } finally {
      proxy.kill('SIGTERM');
      server.kill('SIGKILL');
    }
  });
});
