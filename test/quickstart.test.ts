import { afterAll, describe, expect, it } from 'vitest';
import { spawn } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { Client as ClientV1 } from '@modelcontextprotocol/sdk/client/index.js';
import { StreamableHTTPClientTransport as TransportV1 } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import { parseMetrics, valueOf } from './fixtures/metrics.js';
import { connectV2 } from './fixtures/server-v2.js';

// The README's quickstart servers (examples/quickstart, SDK v2 and SDK v1) must stay true: start each as a user would
// and talk to it with its own line's client.
const children: ChildProcess[] = [];
afterAll(() => children.forEach((child) => child.kill('SIGTERM')));

async function start(file: string): Promise<string> {
  const child = spawn(process.execPath, [fileURLToPath(new URL(`../examples/quickstart/${file}`, import.meta.url))], {
    env: { ...process.env, PORT: '0', HOST: '127.0.0.1', OTEL_SDK_DISABLED: 'true' },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  children.push(child);
  return new Promise<string>((resolve, reject) => {
    let out = '';
    child.stdout!.on('data', (chunk: Buffer) => {
      out += chunk.toString();
      const match = /MCP server: (http:\/\/[^/\s]+)\/mcp/.exec(out);
      if (match) resolve(match[1]!);
    });
    child.once('exit', (code) => reject(new Error(`${file} exited with ${code}`)));
  });
}

async function searchThrice(base: string, line: 'v1' | 'v2-modern' | 'v2-legacy') {
  if (line === 'v1') {
    const client = new ClientV1({ name: 'readme', version: '1' });
    await client.connect(new TransportV1(new URL(`${base}/mcp`)));
    for (let i = 0; i < 3; i++) await client.callTool({ name: 'search', arguments: { query: 'risk' } });
    await client.close();
  } else {
    const client = await connectV2(`${base}/mcp`, line === 'v2-modern' ? 'modern' : 'legacy');
    for (let i = 0; i < 3; i++) await client.callTool({ name: 'search', arguments: { query: 'risk' } });
    await client.close();
  }
}

describe('quickstart', () => {
  it('server.mjs (SDK v2) serves MCP in both eras, metrics and health', async () => {
    const base = await start('server.mjs');
    await searchThrice(base, 'v2-modern');
    await searchThrice(base, 'v2-legacy');
    const samples = parseMetrics(await (await fetch(`${base}/metrics`)).text());
    expect(valueOf(samples, 'mcp_server_operation_duration_seconds_count', { gen_ai_tool_name: 'search' })).toBe(6);
    expect(samples.find((s) => s.name === 'mcp_server_build_info')?.labels['mcp_sdk_version']).toMatch(/^2\./);
    expect((await fetch(`${base}/health/ready`)).status).toBe(200);
  });

  it('server-v1.mjs (SDK v1) serves MCP, metrics and health', async () => {
    const base = await start('server-v1.mjs');
    await searchThrice(base, 'v1');
    const samples = parseMetrics(await (await fetch(`${base}/metrics`)).text());
    expect(valueOf(samples, 'mcp_server_operation_duration_seconds_count', { gen_ai_tool_name: 'search' })).toBe(3);
    expect(samples.find((s) => s.name === 'mcp_server_build_info')?.labels['mcp_sdk_version']).toMatch(/^1\./);
    expect((await fetch(`${base}/health/ready`)).status).toBe(200);
  });
});
