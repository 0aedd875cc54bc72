import { describe, expect, it, beforeEach } from 'vitest';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { InMemoryTransport } from '@modelcontextprotocol/sdk/inMemory.js';
import { McpServer } from '@modelcontextprotocol/sdk/server/mcp.js';
import { CreateMessageRequestSchema } from '@modelcontextprotocol/sdk/types.js';
import { InMemoryTaskStore } from '@modelcontextprotocol/sdk/experimental/tasks/stores/in-memory.js';
import { Registry } from 'prom-client';
import { instrument, isServerFault, rejectByPolicy } from '../lib/index.js';
import type { InstrumentOptions } from '../lib/index.js';
import { calls, createTestServer, registerEarly, registerLate } from './fixtures/server.js';
import type { ExtraSeen } from './fixtures/server.js';
import { scrape, valueOf } from './fixtures/metrics.js';
import { connectV2, createV2TestServer, serveV2 } from './fixtures/server-v2.js';

const DURATION = 'mcp_server_operation_duration_seconds';

async function connect(server: McpServer) {
  const [clientSide, serverSide] = InMemoryTransport.createLinkedPair();
  const client = new Client(
    { name: 'test-client', version: '1.0.0' },
    { capabilities: { sampling: {}, roots: { listChanged: true } } },
  );
  await server.connect(serverSide);
  await client.connect(clientSide);
  return client;
}

function setup(options: InstrumentOptions = {}) {
  const registry = new Registry();
  const lines: Record<string, unknown>[] = [];
  const server = createTestServer();
  const handle = instrument(server, {
    registry,
    processMetrics: false,
    ...options,
    logs: { destination: (line) => lines.push(JSON.parse(line)), ...options.logs },
  });
  return { registry, lines, server, handle };
}

beforeEach(() => calls.clear());

describe('error semantics through the real SDK client', () => {
  it('counts a thrown tool error and an isError result as tool_error, and invalid arguments as -32602', async () => {
    const { registry, server } = setup();
    const client = await connect(server);

    const thrown = await client.callTool({ name: 'explode', arguments: {} });
    expect(thrown.isError).toBe(true);
    const refused = await client.callTool({ name: 'refuse', arguments: {} });
    expect(refused.isError).toBe(true);
    const invalid = await client.callTool({ name: 'echo', arguments: { text: 42 } });
    expect(invalid.isError).toBe(true);
    const unknown = await client.callTool({ name: 'nope', arguments: {} });
    expect(unknown.isError).toBe(true);
    await client.callTool({ name: 'echo', arguments: { text: 'hi' } });

    const samples = await scrape(registry);
    const calls = (tool: string, error_type: string) =>
      valueOf(samples, `${DURATION}_count`, { mcp_method_name: 'tools/call', gen_ai_tool_name: tool, error_type });
    expect(calls('explode', 'tool_error')).toBe(1);
    expect(calls('refuse', 'tool_error')).toBe(1);
    expect(calls('echo', '-32602')).toBe(1);
    // an unknown tool is the client's fault, and its name is not a label value: clients cannot mint series
    expect(calls('_OTHER', '-32602')).toBe(1);
    expect(calls('echo', '')).toBe(1);
    await client.close();
  });

  it('records JSON-RPC errors by code: unknown resources, unknown methods', async () => {
    const { registry, server } = setup();
    const client = await connect(server);
    await expect(client.readResource({ uri: 'doc://missing' })).rejects.toThrow(/not found/);
    await expect(client.request({ method: 'no/such/method' } as never, {} as never)).rejects.toThrow(
      /Method not found/,
    );
    const samples = await scrape(registry);
    expect(valueOf(samples, `${DURATION}_count`, { mcp_method_name: 'resources/read', error_type: '-32602' })).toBe(1);
    expect(valueOf(samples, `${DURATION}_count`, { mcp_method_name: '_OTHER', error_type: '-32601' })).toBe(1);
    await client.close();
  });
});

describe('rejections by policy', () => {
  it('rejectByPolicy answers a tool error and records the policy, a client fault, for both SDK lines', async () => {
    const { registry, server } = setup();
    server.registerTool('limited', { description: 'Over its plan' }, async (extra) =>
      rejectByPolicy(extra, 'quota_exceeded', 'Daily quota exhausted; it resets at 00:00 UTC'),
    );
    const client = await connect(server);
    expect(await client.callTool({ name: 'limited', arguments: {} })).toEqual({
      content: [{ type: 'text', text: 'Daily quota exhausted; it resets at 00:00 UTC' }],
      isError: true,
    });
    await client.close();
    const v2 = createV2TestServer();
    instrument(v2, { registry, processMetrics: false, logs: false });
    v2.registerTool('throttled', { description: 'Over its rate' }, async (ctx) =>
      rejectByPolicy(ctx, 'rate_limited', 'Rate limit exceeded; retry in 2 s'),
    );
    const fixture = await serveV2(() => v2);
    try {
      const v2Client = await connectV2(fixture.url, 'modern');
      expect(await v2Client.callTool({ name: 'throttled', arguments: {} })).toMatchObject({ isError: true });
      await v2Client.close();
    } finally {
      await fixture.close();
    }
    const samples = await scrape(registry);
    expect(valueOf(samples, `${DURATION}_count`, { gen_ai_tool_name: 'limited', error_type: 'quota_exceeded' })).toBe(
      1,
    );
    expect(valueOf(samples, `${DURATION}_count`, { gen_ai_tool_name: 'throttled', error_type: 'rate_limited' })).toBe(
      1,
    );
    expect(valueOf(samples, `${DURATION}_count`, { error_type: 'tool_error' })).toBe(0);
    expect(['quota_exceeded', 'rate_limited'].some(isServerFault)).toBe(false);
    expect(() => rejectByPolicy({}, 'annoyed' as never, 'no')).toThrow(/Invalid policy rejection: annoyed/);
  });
});

describe('coverage of every method', () => {
  it('times initialize, ping, lists, reads, prompts, completions and logging/setLevel', async () => {
    const { registry, server } = setup();
    const client = await connect(server);
    await client.ping();
    await client.listTools();
    await client.listResourceTemplates();
    await client.readResource({ uri: 'doc://42' });
    await client.listPrompts();
    await client.getPrompt({ name: 'summarize', arguments: { topic: 'risk' } });
    await client.complete({
      ref: { type: 'ref/prompt', name: 'summarize' },
      argument: { name: 'topic', value: 'gov' },
    });
    await client.setLoggingLevel('warning');
    await client.sendRootsListChanged();
    await new Promise((resolve) => setTimeout(resolve, 20));

    const samples = await scrape(registry);
    for (const method of [
      'initialize',
      'ping',
      'tools/list',
      'resources/templates/list',
      'resources/read',
      'prompts/list',
      'prompts/get',
      'completion/complete',
      'logging/setLevel',
    ]) {
      expect(valueOf(samples, `${DURATION}_count`, { mcp_method_name: method, error_type: '' }), method).toBe(1);
    }
    expect(valueOf(samples, 'mcp_server_notifications_total', { mcp_method_name: 'notifications/initialized' })).toBe(
      1,
    );
    expect(
      valueOf(samples, 'mcp_server_notifications_total', { mcp_method_name: 'notifications/roots/list_changed' }),
    ).toBe(1);
    expect(valueOf(samples, 'mcp_server_operations_in_flight')).toBe(0);
    await client.close();
  });

  it('covers tools registered before and after instrument()', async () => {
    const registry = new Registry();
    const server = new McpServer({ name: 't', version: '1' });
    registerEarly(server);
    instrument(server, { registry, processMetrics: false, logs: false });
    registerLate(server);
    const client = await connect(server);
    await client.callTool({ name: 'echo', arguments: { text: 'a' } });
    await client.callTool({ name: 'refuse', arguments: {} });
    const samples = await scrape(registry);
    expect(valueOf(samples, `${DURATION}_count`, { gen_ai_tool_name: 'echo' })).toBe(1);
    expect(valueOf(samples, `${DURATION}_count`, { gen_ai_tool_name: 'refuse', error_type: 'tool_error' })).toBe(1);
    await client.close();
  });

  it('gives server-initiated requests the client duration metric', async () => {
    const { registry, server } = setup();
    const client = await connect(server);
    client.setRequestHandler(CreateMessageRequestSchema, async () => ({
      role: 'assistant',
      content: { type: 'text', text: 'sampled' },
      model: 'test-model',
    }));
    const result = await client.callTool({ name: 'ask', arguments: {} });
    expect(JSON.stringify(result.content)).toContain('sampled');
    const samples = await scrape(registry);
    expect(
      valueOf(samples, 'mcp_client_operation_duration_seconds_count', { mcp_method_name: 'sampling/createMessage' }),
    ).toBe(1);
    await client.close();
  });
});

describe('transparency', () => {
  it('runs each handler exactly once and passes the SDK extra through untouched', async () => {
    const { server } = setup();
    const client = await connect(server);
    const result = await client.callTool({ name: 'whoami', arguments: {} });
    const seen = JSON.parse((result.content as { text: string }[])[0]!.text) as ExtraSeen;
    expect(seen.hasSignal).toBe(true);
    expect(seen.hasSendNotification).toBe(true);
    expect(typeof seen.requestId).toBe('number');
    await client.callTool({ name: 'echo', arguments: { text: 'x' } });
    expect(calls.get('whoami')).toBe(1);
    expect(calls.get('echo')).toBe(1);
    await client.close();
  });

  it('uninstrument() restores the server: the same handlers and methods, no more recording, same answers', async () => {
    const registry = new Registry();
    const server = createTestServer();
    const dispatch = server.server as unknown as { _requestHandlers: Map<string, unknown> };
    const client = await connect(server);
    const ownBefore = Object.getOwnPropertyNames(dispatch).sort();
    const handlersBefore = new Map(dispatch._requestHandlers);
    const handle = instrument(server, { registry, processMetrics: false, logs: false });
    await client.callTool({ name: 'echo', arguments: { text: 'observed' } });
    // A handler is wrapped when its first request arrives.
    expect(dispatch._requestHandlers.get('tools/call')).not.toBe(handlersBefore.get('tools/call'));
    expect(dispatch._requestHandlers.get('ping')).toBe(handlersBefore.get('ping'));
    handle.uninstrument();
    expect(Object.getOwnPropertyNames(dispatch).sort()).toEqual(ownBefore);
    expect(Object.getOwnPropertyNames(dispatch._requestHandlers)).toEqual([]);
    expect(new Map(dispatch._requestHandlers)).toEqual(handlersBefore);
    for (const [method, handler] of handlersBefore) expect(dispatch._requestHandlers.get(method)).toBe(handler);
    handle.uninstrument();
    const result = await client.callTool({ name: 'echo', arguments: { text: 'plain' } });
    expect(result.content).toEqual([{ type: 'text', text: 'plain' }]);
    const samples = await scrape(registry);
    expect(valueOf(samples, `${DURATION}_count`)).toBe(1);
    // and instrumenting again works
    instrument(server, { registry, processMetrics: false, logs: false });
    await client.callTool({ name: 'echo', arguments: { text: 'again' } });
    expect(valueOf(await scrape(registry), `${DURATION}_count`, { gen_ai_tool_name: 'echo' })).toBe(2);
    await client.close();
  });

  it('rejects what is not an SDK server with a clear error', () => {
    expect(() => instrument({} as never)).toThrow(/expects an McpServer or a Server/);
  });
});

describe('units', () => {
  it('records a 200 ms tool as about 0.2 in the seconds histogram', async () => {
    const { registry, server } = setup();
    const client = await connect(server);
    await client.callTool({ name: 'sleep', arguments: { ms: 200 } });
    const samples = await scrape(registry);
    const sum = valueOf(samples, `${DURATION}_sum`, { gen_ai_tool_name: 'sleep' });
    expect(sum).toBeGreaterThanOrEqual(0.19);
    // 200 would mean milliseconds in a seconds histogram; the bound is loose on purpose (a busy machine is slow)
    expect(sum).toBeLessThan(10);
    expect(valueOf(samples, `${DURATION}_bucket`, { gen_ai_tool_name: 'sleep', le: '0.1' })).toBe(0);
    await client.close();
  });
});

describe('tasks', () => {
  it('times tasks/list and tasks/get like every other method', async () => {
    const registry = new Registry();
    const server = new McpServer(
      { name: 'tasks', version: '1' },
      {
        capabilities: { tasks: { list: {}, cancel: {}, requests: { tools: { call: {} } } } },
        taskStore: new InMemoryTaskStore(),
      },
    );
    registerEarly(server);
    instrument(server, { registry, processMetrics: false, logs: false });
    const client = await connect(server);
    await client.experimental.tasks.listTasks();
    await expect(client.experimental.tasks.getTask('no-such-task')).rejects.toThrow();
    const samples = await scrape(registry);
    expect(valueOf(samples, `${DURATION}_count`, { mcp_method_name: 'tasks/list', error_type: '' })).toBe(1);
    expect(valueOf(samples, `${DURATION}_count`, { mcp_method_name: 'tasks/get', error_type: '-32602' })).toBe(1);
    await client.close();
  });
});

describe('log levels', () => {
  it('filters request lines by level but never the audit channel', async () => {
    const { server, lines } = setup({ logs: { level: 'warn', otel: false } });
    const client = await connect(server);
    await client.callTool({ name: 'echo', arguments: { text: 'quiet' } });
    await client.callTool({ name: 'echo', arguments: { text: 3 } });
    const requests = lines.filter((l) => l['channel'] === 'request');
    expect(requests.map((l) => [l['level'], l['error.type']])).toEqual([['warn', '-32602']]);
    // no OpenTelemetry SDK in this file: no all-zero trace ids either
    expect(requests[0]).not.toHaveProperty('trace_id');
    expect(lines.filter((l) => l['channel'] === 'audit').map((l) => l['outcome'])).toEqual(['ok', '-32602']);
    await client.close();
  });
});
