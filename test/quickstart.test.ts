import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { spawn } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import { parseMetrics, valueOf } from './fixtures/metrics.js';

// The README's ten-line quickstart server (examples/quickstart) must stay true: start it as a user would and talk to it.
let child: ChildProcess;
let base: string;

beforeAll(async () => {
  child = spawn(process.execPath, [fileURLToPath(new URL('../examples/quickstart/server.mjs', import.meta.url))], {
    env: { ...process.env, PORT: '0', HOST: '127.0.0.1', OTEL_SDK_DISABLED: 'true' },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  base = await new Promise<string>((resolve, reject) => {
    let out = '';
    child.stdout!.on('data', (chunk: Buffer) => {
      out += chunk.toString();
      const match = /MCP server: (http:\/\/[^/\s]+)\/mcp/.exec(out);
      if (match) resolve(match[1]!);
    });
    child.once('exit', (code) => reject(new Error(`quickstart exited with ${code}`)));
  });
});
afterAll(() => {
  child.kill('SIGTERM');
});

describe('quickstart demo', () => {
  it('serves MCP, metrics and health', async () => {
    const client = new Client({ name: 'readme', version: '1' });
    await client.connect(new StreamableHTTPClientTransport(new URL(`${base}/mcp`)));
    for (let i = 0; i < 3; i++) await client.callTool({ name: 'search', arguments: { query: 'risk' } });
    await client.close();
    const samples = parseMetrics(await (await fetch(`${base}/metrics`)).text());
    expect(valueOf(samples, 'mcp_server_operation_duration_seconds_count', { gen_ai_tool_name: 'search' })).toBe(3);
    expect((await fetch(`${base}/health/ready`)).status).toBe(200);
  });
});
