import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createServer } from 'node:net';
import { Writable } from 'node:stream';
import type { AddressInfo } from 'node:net';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { InMemoryTransport } from '@modelcontextprotocol/sdk/inMemory.js';
import { Server } from '@modelcontextprotocol/sdk/server/index.js';
import {
  CallToolRequestSchema,
  GetPromptRequestSchema,
  ListToolsRequestSchema,
  PingRequestSchema,
} from '@modelcontextprotocol/sdk/types.js';
import type { McpServer } from '@modelcontextprotocol/sdk/server/mcp.js';
import { Registry } from 'prom-client';
import { instrument, newRegistry } from '../lib/index.js';
import { MAX_PENDING_LOG_BYTES } from '../lib/logs.js';
import { tenantFromAuth, withTrustedHeader } from '../lib/tenants.js';
import { ExportQueue } from '../lib/export-queue.js';
import { startTelemetry } from '../lib/telemetry.js';
import type { TelemetryHandle } from '../lib/telemetry.js';
import { createTestServer } from './fixtures/server.js';
import { scrape, valueOf } from './fixtures/metrics.js';

/** A port on 127.0.0.1 that nothing listens on: the collector is gone. */
async function closedPort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

async function connect(server: McpServer) {
  const [clientSide, serverSide] = InMemoryTransport.createLinkedPair();
  const client = new Client({ name: 'c', version: '1' });
  await server.connect(serverSide);
  await client.connect(clientSide);
  return client;
}

const registry = newRegistry('openmetrics');
let telemetry: TelemetryHandle;

beforeAll(async () => {
  const port = await closedPort();
  telemetry = startTelemetry({
    registry,
    env: {},
    // A small queue that is only exported on flush, so a burst overflows it.
    queue: { maxQueueSize: 4, maxExportBatchSize: 1000, scheduledDelayMs: 600_000, exportTimeoutMs: 5_000 },
    spanExporter: new (await import('@opentelemetry/exporter-trace-otlp-http')).OTLPTraceExporter({
      url: `http://127.0.0.1:${port}/v1/traces`,
      timeoutMillis: 1_000,
    }),
    logExporter: new (await import('@opentelemetry/exporter-logs-otlp-http')).OTLPLogExporter({
      url: `http://127.0.0.1:${port}/v1/logs`,
      timeoutMillis: 1_000,
    }),
  });
  expect(telemetry.started).toBe(true);
});
afterAll(() => telemetry.shutdown());

describe('telemetry never breaks the server it watches', () => {
  it('with the collector gone and the export queue full, every request is answered and the loss is counted', async () => {
    const server = createTestServer();
    instrument(server, { registry, processMetrics: false, logs: { destination: () => {} } });
    const client = await connect(server);
    for (let i = 0; i < 10; i++) {
      const result = await client.callTool({ name: 'echo', arguments: { text: `n${i}` } });
      expect(result.content).toEqual([{ type: 'text', text: `n${i}` }]);
    }
    await telemetry.flush();
    const samples = await scrape(registry);
    const dropped = (signal: string, reason: string) =>
      valueOf(samples, 'mcp_observatory_telemetry_dropped_total', { signal, reason });
    expect(dropped('span', 'queue_full')).toBeGreaterThanOrEqual(6);
    expect(dropped('span', 'export_failed')).toBe(4);
    expect(dropped('log', 'queue_full')).toBeGreaterThan(0);
    expect(dropped('log', 'export_failed')).toBe(4);
    await client.close();
  });

  it('a log destination that throws costs log lines, not responses', async () => {
    const local = new Registry();
    const server = createTestServer();
    instrument(server, {
      registry: local,
      processMetrics: false,
      tracing: false,
      logs: {
        otel: false,
        destination: () => {
          throw new Error('disk full');
        },
      },
    });
    const client = await connect(server);
    expect((await client.callTool({ name: 'echo', arguments: { text: 'ok' } })).content).toEqual([
      { type: 'text', text: 'ok' },
    ]);
    const samples = await scrape(local);
    expect(
      valueOf(samples, 'mcp_observatory_telemetry_dropped_total', { signal: 'log', reason: 'write_failed' }),
    ).toBeGreaterThan(0);
    await client.close();
  });

  it('a tenant label explosion is folded into one overflow value and counted', async () => {
    const local = new Registry();
    const server = createTestServer();
    let next = 0;
    instrument(server, {
      registry: local,
      processMetrics: false,
      logs: false,
      maxTenants: 3,
      resolveTenant: () => `tenant-${next++}`,
    });
    const client = await connect(server);
    for (let i = 0; i < 20; i++) await client.ping();
    const samples = await scrape(local);
    const tenants = new Set(
      samples.filter((s) => s.name === 'mcp_server_tenant_operations_total').map((s) => s.labels['tenant_id']),
    );
    expect([...tenants].sort()).toEqual(['__overflow__', 'tenant-0', 'tenant-1', 'tenant-2']);
    // initialize + 20 pings = 21 requests; the first three tenants were admitted
    expect(valueOf(samples, 'mcp_observatory_tenant_overflow_total')).toBe(18);
    expect(valueOf(samples, 'mcp_observatory_tenants_tracked')).toBe(3);
    expect(valueOf(samples, 'mcp_server_tenant_operations_total', { tenant_id: '__overflow__' })).toBe(18);
    await client.close();
  });

  it('invented method, notification and tool names cannot mint series', async () => {
    const local = new Registry();
    const server = createTestServer();
    instrument(server, { registry: local, processMetrics: false, logs: false });
    const client = await connect(server);
    for (let i = 0; i < 50; i++) {
      await expect(client.request({ method: `invented/${i}` } as never, {} as never)).rejects.toThrow(/not found/);
      await client.notification({ method: `notifications/invented-${i}` } as never);
      await client.callTool({ name: `invented-tool-${i}`, arguments: {} });
    }
    await client.ping();
    const samples = await scrape(local);
    const methods = new Set(
      samples
        .filter((s) => s.name === 'mcp_server_operation_duration_seconds_count')
        .map((s) => s.labels['mcp_method_name']),
    );
    expect([...methods].sort()).toEqual(['_OTHER', 'initialize', 'ping', 'tools/call']);
    const tools = new Set(
      samples
        .filter((s) => s.name === 'mcp_server_operation_duration_seconds_count')
        .map((s) => s.labels['gen_ai_tool_name']),
    );
    expect([...tools].sort()).toEqual(['', '_OTHER']);
    expect(valueOf(samples, 'mcp_server_notifications_total', { mcp_method_name: '_OTHER' })).toBe(50);
    await client.close();
  });
});

describe('nothing a resolver or a client sends becomes an unbounded or malformed value', () => {
  it('tenant values that are no tenant ids reach no label, log line or span, and are counted', async () => {
    const local = new Registry();
    const server = createTestServer();
    const lines: string[] = [];
    const returned: unknown[] = [
      ['evil', 'gw-tenant'],
      42,
      '',
      'x'.repeat(100_000),
      'none',
      '__overflow__',
      'evil"}\n{"injected":1',
      'a,b',
      { toString: () => 'object' },
      'acme',
    ];
    let next = 0;
    instrument(server, {
      registry: local,
      processMetrics: false,
      logs: { otel: false, destination: (line) => lines.push(line) },
      resolveTenant: () => returned[next++ % returned.length] as string,
    });
    const client = await connect(server);
    // initialize took the first value; one tool call per remaining value.
    for (let i = 1; i < returned.length; i++) await client.callTool({ name: 'echo', arguments: { text: `t${i}` } });
    const text = await local.metrics();
    expect(text.length).toBeLessThan(50_000);
    const samples = await scrape(local);
    const tenants = new Set(
      samples.filter((s) => s.name === 'mcp_server_tenant_operations_total').map((s) => s.labels['tenant_id']),
    );
    expect([...tenants].sort()).toEqual(['acme', 'none']);
    expect(valueOf(samples, 'mcp_observatory_hook_errors_total', { hook: 'resolveTenant' })).toBe(9);
    for (const line of lines) {
      const record = JSON.parse(line) as Record<string, unknown>;
      expect(Object.keys(record)).not.toContain('injected');
      expect([undefined, 'acme']).toContain(record['tenant.id']);
    }
    await client.close();
  });

  it('the default resolver falls back to clientId past a numeric or empty tenantId; a repeated trusted header is refused', () => {
    const authInfo = (extra: Record<string, unknown>) => ({ token: 't', clientId: 'client-7', scopes: [], extra });
    expect(tenantFromAuth({ authInfo: authInfo({ tenantId: 5 }) })).toBe('client-7');
    expect(tenantFromAuth({ authInfo: authInfo({ tenantId: '' }) })).toBe('client-7');
    expect(tenantFromAuth({ authInfo: authInfo({ tenantId: 'acme' }) })).toBe('acme');
    const resolve = withTrustedHeader(tenantFromAuth, 'X-Tenant');
    expect(resolve({ headers: { 'x-tenant': 'gw-tenant' } })).toBe('gw-tenant');
    expect(resolve({ headers: { 'x-tenant': 'evil, gw-tenant' } })).toBeUndefined();
    expect(resolve({ headers: { 'x-tenant': ['evil', 'gw-tenant'] } })).toBeUndefined();
    expect(resolve({ headers: { 'x-tenant': '__overflow__' } })).toBeUndefined();
  });

  it('a handler that throws an object whose getters throw still ends its operation', async () => {
    const local = new Registry();
    const server = createTestServer();
    instrument(server, { registry: local, processMetrics: false, logs: false });
    const hostile = {
      get message(): string {
        throw new Error('getter');
      },
      get code(): number {
        throw new Error('getter');
      },
    };
    server.server.setRequestHandler(PingRequestSchema, () => {
      throw hostile;
    });
    const client = await connect(server);
    // The SDK itself cannot answer such a throw (it reads the message too): the client times out.
    await expect(client.ping({ timeout: 500 })).rejects.toThrow(/timed out/i);
    const samples = await scrape(local);
    expect(valueOf(samples, 'mcp_server_operations_in_flight', { mcp_method_name: 'ping' })).toBe(0);
    expect(
      valueOf(samples, 'mcp_server_operation_duration_seconds_count', {
        mcp_method_name: 'ping',
        error_type: '-32603',
      }),
    ).toBe(1);
    await client.close();
  });

  it('a log destination that never drains holds at most its bound and counts what it drops', async () => {
    const local = new Registry();
    const server = createTestServer();
    // A stream whose writes never complete: everything written stays buffered.
    const stalled = new Writable({ write: () => {} });
    instrument(server, {
      registry: local,
      processMetrics: false,
      tracing: false,
      logs: { otel: false, destination: stalled },
    });
    const client = await connect(server);
    // About 370 bytes of request and audit lines per call: 15,000 calls write more than the bound.
    for (let i = 0; i < 15_000; i++) await client.callTool({ name: 'echo', arguments: { text: 'x' } });
    expect(stalled.writableLength).toBeLessThan(MAX_PENDING_LOG_BYTES + 10_000);
    const samples = await scrape(local);
    expect(
      valueOf(samples, 'mcp_observatory_telemetry_dropped_total', { signal: 'log', reason: 'backpressure' }),
    ).toBeGreaterThan(0);
    await client.close();
  }, 60_000);
});

describe('a low-level Server: only the names it listed become labels', () => {
  it('600 invented tool and prompt names never push out a listed tool, nor name a span', async () => {
    const local = new Registry();
    const server = new Server({ name: 'low-level', version: '1' }, { capabilities: { tools: {}, prompts: {} } });
    instrument(server, { registry: local, processMetrics: false, logs: false });
    server.setRequestHandler(ListToolsRequestSchema, async () => ({
      tools: [{ name: 'lookup', inputSchema: { type: 'object' as const } }],
    }));
    server.setRequestHandler(CallToolRequestSchema, async (request) => ({
      content: [{ type: 'text' as const, text: request.params.name }],
    }));
    server.setRequestHandler(GetPromptRequestSchema, async () => ({ messages: [] }));
    const [clientSide, serverSide] = InMemoryTransport.createLinkedPair();
    const client = new Client({ name: 'c', version: '1' });
    await server.connect(serverSide);
    await client.connect(clientSide);
    for (let i = 0; i < 600; i++) {
      await client.callTool({ name: `invented-${i}`, arguments: {} });
      await client.getPrompt({ name: `invented-prompt-${i}` });
    }
    await client.listTools();
    await client.callTool({ name: 'lookup', arguments: {} });
    const samples = await scrape(local);
    const tools = new Set(
      samples
        .filter(
          (s) =>
            s.name === 'mcp_server_operation_duration_seconds_count' && s.labels['mcp_method_name'] === 'tools/call',
        )
        .map((s) => s.labels['gen_ai_tool_name']),
    );
    expect([...tools].sort()).toEqual(['_OTHER', 'lookup']);
    await client.close();
  });
});

describe('shutting down never waits on a collector that is gone', () => {
  it('the export queue stops within its bound and counts what it drops, queued and in flight', async () => {
    const drops: Record<string, number> = {};
    // An exporter that never answers: a collector that accepted the connection and went silent.
    const silent = { export: () => {}, shutdown: () => new Promise<void>(() => {}) };
    const queue = new ExportQueue<number>(
      silent,
      {
        maxQueueSize: 100,
        maxExportBatchSize: 4,
        scheduledDelayMs: 60_000,
        exportTimeoutMs: 60_000,
        shutdownTimeoutMs: 200,
      },
      (count, reason) => (drops[reason] = (drops[reason] ?? 0) + count),
    );
    for (let i = 0; i < 10; i++) queue.push(i);
    await queue.shutdown();
    expect(drops).toEqual({ shutdown: 10 });
    queue.push(11);
    expect(drops).toEqual({ shutdown: 11 });
  });
});
