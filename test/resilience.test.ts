import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createServer } from 'node:net';
import type { AddressInfo } from 'node:net';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { InMemoryTransport } from '@modelcontextprotocol/sdk/inMemory.js';
import type { McpServer } from '@modelcontextprotocol/sdk/server/mcp.js';
import { Registry } from 'prom-client';
import { instrument, newRegistry } from '../lib/index.js';
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
