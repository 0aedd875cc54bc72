import { afterEach, describe, expect, it, vi } from 'vitest';
import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StdioClientTransport } from '@modelcontextprotocol/sdk/client/stdio.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import { SSEClientTransport } from '@modelcontextprotocol/sdk/client/sse.js';
import { Registry } from 'prom-client';
import { instrument } from '../lib/index.js';
import type { InstrumentOptions } from '../lib/index.js';
import { createTestServer } from './fixtures/server.js';
import { serveHttp } from './fixtures/http.js';
import type { HttpFixture, Mode } from './fixtures/http.js';
import { parseMetrics, scrape, valueOf } from './fixtures/metrics.js';

const DURATION = 'mcp_server_operation_duration_seconds_count';
let fixture: HttpFixture | undefined;
afterEach(async () => {
  await fixture?.close();
  fixture = undefined;
});

async function serveInstrumented(mode: Mode, options: InstrumentOptions = {}) {
  const registry = new Registry();
  fixture = await serveHttp(
    mode,
    () => {
      const server = createTestServer();
      instrument(server, { registry, processMetrics: false, logs: false, ...options });
      return server;
    },
    {
      tokens: {
        'token-acme': { token: 'token-acme', clientId: 'acme-app', scopes: [], extra: { tenantId: 'acme' } },
        'token-globex': { token: 'token-globex', clientId: 'globex', scopes: [] },
      },
    },
  );
  return { registry, url: new URL(fixture.url) };
}

function httpClient(mode: Mode, url: URL, headers: Record<string, string> = {}) {
  const requestInit = { headers };
  return mode === 'sse'
    ? new SSEClientTransport(url, {
        requestInit,
        eventSourceInit: { fetch: (u, init) => fetch(u, { ...init, headers: { ...init?.headers, ...headers } }) },
      })
    : new StreamableHTTPClientTransport(url, { requestInit });
}

describe.each(['stateful', 'stateless', 'sse'] as const)('%s HTTP with the SDK client', (mode) => {
  it('records tool calls with network_transport="tcp" and the tenant of the bearer token', async () => {
    const { registry, url } = await serveInstrumented(mode);
    const client = new Client({ name: 'c', version: '1' });
    await client.connect(httpClient(mode, url, { authorization: 'Bearer token-acme' }));
    expect((await client.callTool({ name: 'echo', arguments: { text: 'over http' } })).content).toEqual([
      { type: 'text', text: 'over http' },
    ]);
    await client.callTool({ name: 'refuse', arguments: {} });
    await client.close();
    const samples = await scrape(registry);
    const tcp = { mcp_method_name: 'tools/call', network_transport: 'tcp' };
    expect(valueOf(samples, DURATION, { ...tcp, gen_ai_tool_name: 'echo', error_type: '' })).toBe(1);
    expect(valueOf(samples, DURATION, { ...tcp, gen_ai_tool_name: 'refuse', error_type: 'tool_error' })).toBe(1);
    expect(
      valueOf(samples, 'mcp_server_tenant_operations_total', { tenant_id: 'acme', mcp_method_name: 'tools/call' }),
    ).toBe(2);
    expect(
      valueOf(samples, 'mcp_server_tenant_operations_total', { tenant_id: 'acme', error_type: 'tool_error' }),
    ).toBe(1);
  });
});

describe('sessions', () => {
  it('stateful HTTP: one active session while connected, a session duration when it ends', async () => {
    const { registry, url } = await serveInstrumented('stateful');
    const transport = new StreamableHTTPClientTransport(url);
    const client = new Client({ name: 'c', version: '1' });
    await client.connect(transport);
    await client.ping();
    let samples = await scrape(registry);
    expect(valueOf(samples, 'mcp_server_sessions_active', { network_transport: 'tcp' })).toBe(1);
    await transport.terminateSession();
    await client.close();
    samples = await scrape(registry);
    expect(valueOf(samples, 'mcp_server_sessions_active', { network_transport: 'tcp' })).toBe(0);
    expect(valueOf(samples, 'mcp_server_session_duration_seconds_count', { network_transport: 'tcp' })).toBe(1);
  });

  it('stateless HTTP has no sessions, however many servers it builds', async () => {
    const { registry, url } = await serveInstrumented('stateless');
    const client = new Client({ name: 'c', version: '1' });
    await client.connect(new StreamableHTTPClientTransport(url));
    await client.ping();
    await client.listTools();
    await client.close();
    const samples = await scrape(registry);
    expect(valueOf(samples, DURATION, { mcp_method_name: 'ping' })).toBe(1);
    expect(valueOf(samples, 'mcp_server_sessions_active')).toBe(0);
    expect(valueOf(samples, 'mcp_server_session_duration_seconds_count')).toBe(0);
  });
});

describe('tenants', () => {
  it('ignores a client-sent tenant header unless the app trusts it; auth wins over the header', async () => {
    const untrusted = await serveInstrumented('stateless');
    let client = new Client({ name: 'c', version: '1' });
    await client.connect(httpClient('stateless', untrusted.url, { 'x-tenant-id': 'spoofed' }));
    await client.ping();
    await client.close();
    let samples = await scrape(untrusted.registry);
    expect(valueOf(samples, 'mcp_server_tenant_operations_total', { tenant_id: 'spoofed' })).toBe(0);
    expect(valueOf(samples, 'mcp_server_tenant_operations_total', { tenant_id: 'none', mcp_method_name: 'ping' })).toBe(
      1,
    );
    await fixture?.close();

    const trusted = await serveInstrumented('stateless', { trustedTenantHeader: 'X-Tenant-Id' });
    client = new Client({ name: 'c', version: '1' });
    await client.connect(httpClient('stateless', trusted.url, { 'x-tenant-id': 'gateway-tenant' }));
    await client.ping();
    await client.close();
    client = new Client({ name: 'c', version: '1' });
    await client.connect(
      httpClient('stateless', trusted.url, { 'x-tenant-id': 'gateway-tenant', authorization: 'Bearer token-globex' }),
    );
    await client.ping();
    await client.close();
    samples = await scrape(trusted.registry);
    expect(
      valueOf(samples, 'mcp_server_tenant_operations_total', { tenant_id: 'gateway-tenant', mcp_method_name: 'ping' }),
    ).toBe(1);
    // token-globex has no tenantId claim: the default resolver falls back to the OAuth client id
    expect(
      valueOf(samples, 'mcp_server_tenant_operations_total', { tenant_id: 'globex', mcp_method_name: 'ping' }),
    ).toBe(1);
  });

  it('a throwing tenant resolver is counted and the request is served', async () => {
    const { registry, url } = await serveInstrumented('stateless', {
      resolveTenant: () => {
        throw new Error('resolver bug');
      },
    });
    const client = new Client({ name: 'c', version: '1' });
    await client.connect(new StreamableHTTPClientTransport(url));
    expect((await client.callTool({ name: 'echo', arguments: { text: 'still here' } })).content).toEqual([
      { type: 'text', text: 'still here' },
    ]);
    await client.close();
    const samples = await scrape(registry);
    expect(valueOf(samples, 'mcp_observatory_hook_errors_total', { hook: 'resolveTenant' })).toBeGreaterThanOrEqual(1);
    expect(valueOf(samples, DURATION, { gen_ai_tool_name: 'echo' })).toBe(1);
  });
});

describe('stdio', () => {
  it('a child-process server over stdio records network_transport="pipe" and one session', async () => {
    const transport = new StdioClientTransport({
      command: process.execPath,
      args: [fileURLToPath(new URL('./fixtures/stdio-server.mjs', import.meta.url))],
      stderr: 'pipe',
    });
    let stderr = '';
    const port = new Promise<string>((resolve) => {
      transport.stderr?.on('data', (chunk: Buffer) => {
        stderr += chunk.toString();
        const match = /METRICS_PORT=(\d+)/.exec(stderr);
        if (match) resolve(match[1]!);
      });
    });
    const client = new Client({ name: 'c', version: '1' });
    await client.connect(transport);
    try {
      await client.callTool({ name: 'echo', arguments: {} });
      await client.callTool({ name: 'refuse', arguments: {} });
      const text = await (await fetch(`http://127.0.0.1:${await port}/metrics`)).text();
      const samples = parseMetrics(text);
      const pipe = { mcp_method_name: 'tools/call', network_transport: 'pipe' };
      expect(valueOf(samples, DURATION, { ...pipe, gen_ai_tool_name: 'echo', error_type: '' })).toBe(1);
      expect(valueOf(samples, DURATION, { ...pipe, gen_ai_tool_name: 'refuse', error_type: 'tool_error' })).toBe(1);
      expect(valueOf(samples, 'mcp_server_sessions_active', { network_transport: 'pipe' })).toBe(1);
      expect(valueOf(samples, 'process_resident_memory_bytes')).toBeGreaterThan(0);
      // request logs went to stderr, never to stdout where the protocol runs
      const logLine = stderr.split('\n').find((line) => line.includes('"tools/call echo"'));
      expect(JSON.parse(logLine!)).toMatchObject({ channel: 'request', 'gen_ai.tool.name': 'echo' });
    } finally {
      await client.close();
    }
  });

  it('classifies a malformed line over stdio as over HTTP: -32700 for no JSON, -32600 for no JSON-RPC', async () => {
    const child = spawn(process.execPath, [fileURLToPath(new URL('./fixtures/stdio-server.mjs', import.meta.url))], {
      stdio: ['pipe', 'pipe', 'pipe'],
    });
    try {
      let stderr = '';
      const port = await new Promise<string>((resolve) => {
        child.stderr.on('data', (chunk: Buffer) => {
          stderr += chunk.toString();
          const match = /METRICS_PORT=(\d+)/.exec(stderr);
          if (match) resolve(match[1]!);
        });
      });
      child.stdin.write('{"jsonrpc":"2.0",\n{"hello":"world"}\n');
      const errors = (errorType: string) =>
        fetch(`http://127.0.0.1:${port}/metrics`)
          .then((response) => response.text())
          .then((text) =>
            valueOf(parseMetrics(text), 'mcp_server_transport_errors_total', {
              network_transport: 'pipe',
              error_type: errorType,
            }),
          );
      await vi.waitFor(async () => expect(await errors('-32600')).toBe(1));
      expect(await errors('-32700')).toBe(1);
      expect(await errors('other')).toBe(0);
    } finally {
      child.kill();
    }
  });
});
