import { afterAll, describe, expect, it } from 'vitest';
import { trace } from '@opentelemetry/api';
import { BasicTracerProvider, InMemorySpanExporter, SimpleSpanProcessor } from '@opentelemetry/sdk-trace-base';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { InMemoryTransport } from '@modelcontextprotocol/sdk/inMemory.js';
import { Server } from '@modelcontextprotocol/sdk/server/index.js';
import { CallToolRequestSchema, ListToolsRequestSchema } from '@modelcontextprotocol/sdk/types.js';
import { Registry } from 'prom-client';
import { instrument, startTelemetry } from '../lib/index.js';
import { scrape, valueOf } from './fixtures/metrics.js';

// The app registered its own OpenTelemetry SDK before us: startTelemetry() must start nothing and our spans must flow
// through the app's provider.
const appExporter = new InMemorySpanExporter();
const appProvider = new BasicTracerProvider({ spanProcessors: [new SimpleSpanProcessor(appExporter)] });
trace.setGlobalTracerProvider(appProvider);
afterAll(() => trace.disable());

describe('an app with its own OpenTelemetry SDK and a low-level Server', () => {
  it('startTelemetry() starts nothing, and the low-level server is instrumented into the app provider', async () => {
    const telemetry = startTelemetry({ env: {} });
    expect(telemetry).toMatchObject({ started: false, reason: 'existing-sdk' });

    const registry = new Registry();
    const server = new Server({ name: 'low-level', version: '1' }, { capabilities: { tools: {} } });
    server.setRequestHandler(ListToolsRequestSchema, async () => ({
      tools: [{ name: 'add', inputSchema: { type: 'object' } }],
    }));
    instrument(server, { registry, processMetrics: false, logs: false });
    // registered after instrument(): covered too
    server.setRequestHandler(CallToolRequestSchema, async (request) => {
      if (request.params.name !== 'add') throw new Error('unknown tool');
      return { content: [{ type: 'text', text: '3' }] };
    });

    const [clientSide, serverSide] = InMemoryTransport.createLinkedPair();
    const client = new Client({ name: 'c', version: '1' });
    await server.connect(serverSide);
    await client.connect(clientSide);
    await client.listTools();
    await client.callTool({ name: 'add', arguments: {} });
    await expect(client.callTool({ name: 'sub', arguments: {} })).rejects.toThrow(/unknown tool/);
    await client.close();

    expect(appExporter.getFinishedSpans().map((s) => s.name)).toEqual(
      // 'sub' was never listed by the server: a client's name, bounded like a label.
      expect.arrayContaining(['initialize', 'tools/list', 'tools/call add', 'tools/call _OTHER']),
    );
    const samples = await scrape(registry);
    const count = (labels: Record<string, string>) =>
      valueOf(samples, 'mcp_server_operation_duration_seconds_count', labels);
    expect(count({ mcp_method_name: 'tools/call', gen_ai_tool_name: 'add', error_type: '' })).toBe(1);
    // a plain Error thrown by a low-level handler becomes JSON-RPC -32603: a server fault
    expect(count({ mcp_method_name: 'tools/call', gen_ai_tool_name: '_OTHER', error_type: '-32603' })).toBe(1);
  });
});
