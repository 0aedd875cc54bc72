import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { Client, StreamableHTTPClientTransport } from '@modelcontextprotocol/client';
import { acceptedContent, inputRequired } from '@modelcontextprotocol/server';
import { SpanKind, SpanStatusCode } from '@opentelemetry/api';
import { InMemorySpanExporter } from '@opentelemetry/sdk-trace-base';
import { Registry } from 'prom-client';
import { instrument, instrumentHandler } from '../lib/index.js';
import type { InstrumentOptions } from '../lib/index.js';
import { startTelemetry } from '../lib/telemetry.js';
import type { TelemetryHandle } from '../lib/telemetry.js';
import { scrape, valueOf } from './fixtures/metrics.js';
import { connectV2, createV2TestServer, serveV2, serveV2Stateful } from './fixtures/server-v2.js';
import type { V2HttpFixture } from './fixtures/server-v2.js';

// SDK v2 (@modelcontextprotocol/server 2.x) served the way its docs show: createMcpHandler(factory) on node:http,
// a new server per request, driven by the SDK's own v2 client in both protocol eras.

const spans = new InMemorySpanExporter();
let telemetry: TelemetryHandle;
beforeAll(() => {
  telemetry = startTelemetry({ spanExporter: spans, queue: { scheduledDelayMs: 5 }, env: {} });
});
afterAll(() => telemetry.shutdown());
beforeEach(() => spans.reset());

const DURATION = 'mcp_server_operation_duration_seconds_count';
const AUTH = { token: 't', clientId: 'client-7', scopes: [], extra: { tenantId: 'acme', userId: 'ada' } };

/** A factory server instrumented the natural way: an options literal written inside the per-request factory. */
function instrumentedFactory(registry: Registry) {
  return () => {
    const server = createV2TestServer();
    instrument(server, { registry, processMetrics: false, logs: false } satisfies InstrumentOptions);
    return server;
  };
}

describe.each(['modern', 'legacy'] as const)('SDK v2 createMcpHandler, %s era', (era) => {
  const registry = new Registry();
  let fixture: V2HttpFixture;
  beforeAll(async () => {
    fixture = await serveV2(instrumentedFactory(registry), {
      auth: (headers) => (headers.authorization ? AUTH : undefined),
    });
  });
  afterAll(() => fixture.close());

  it('labels every outcome as on the wire, with the tenant, user and client address of the request', async () => {
    const client = await connectV2(fixture.url, era, {
      authorization: 'Bearer t',
      'x-forwarded-for': '203.0.113.9, 10.0.0.1',
    });
    expect((await client.callTool({ name: 'echo', arguments: { text: 'hi' } })).content).toEqual([
      { type: 'text', text: 'hi' },
    ]);
    expect(await client.callTool({ name: 'echo', arguments: { text: 7 } })).toMatchObject({ isError: true });
    await expect(client.callTool({ name: 'nope', arguments: {} })).rejects.toThrow(/not found/);
    expect(await client.callTool({ name: 'explode', arguments: {} })).toMatchObject({ isError: true });
    expect(await client.callTool({ name: 'refuse', arguments: {} })).toMatchObject({ isError: true });
    expect(await client.callTool({ name: 'reject', arguments: {} })).toMatchObject({ isError: true });
    await expect(client.readResource({ uri: 'doc://missing' })).rejects.toMatchObject({ code: -32602 });
    await client.getPrompt({ name: 'summarize', arguments: { topic: 'risk' } });
    await client.close();

    const samples = await scrape(registry);
    const calls = (tool: string, errorType: string) =>
      valueOf(samples, DURATION, { mcp_method_name: 'tools/call', gen_ai_tool_name: tool, error_type: errorType });
    expect(calls('echo', '')).toBe(1);
    // Invalid arguments: McpServer folds them into an isError result whose text carries no code.
    expect(calls('echo', '-32602')).toBe(1);
    expect(calls('_OTHER', '-32602')).toBe(1);
    expect(calls('explode', 'tool_error')).toBe(1);
    expect(calls('refuse', 'tool_error')).toBe(1);
    expect(calls('reject', '-32602')).toBe(1);
    // The handler threw -32002; the wire said -32602, and so does the label.
    expect(valueOf(samples, DURATION, { mcp_method_name: 'resources/read', error_type: '-32602' })).toBe(1);
    expect(valueOf(samples, DURATION, { mcp_method_name: 'resources/read', error_type: '-32002' })).toBe(0);
    expect(valueOf(samples, DURATION, { mcp_method_name: 'prompts/get', error_type: '' })).toBe(1);
    expect(valueOf(samples, DURATION, { network_transport: 'tcp' })).toBeGreaterThanOrEqual(8);
    expect(
      valueOf(samples, 'mcp_server_tenant_operations_total', { tenant_id: 'acme', error_type: '' }),
    ).toBeGreaterThan(0);
    expect(valueOf(samples, 'mcp_server_tenant_operations_total', { tenant_id: 'none' })).toBe(0);
    // Stateless HTTP has no sessions, whatever the era.
    expect(valueOf(samples, 'mcp_server_session_duration_seconds_count')).toBe(0);
    const build = samples.find((s) => s.name === 'mcp_server_build_info')!;
    expect(build.labels['mcp_sdk_version']).toMatch(/^2\.\d+\.\d+/);

    await telemetry.flush();
    const call = spans
      .getFinishedSpans()
      .find(
        (s) => s.kind === SpanKind.SERVER && s.name === 'tools/call echo' && s.status.code === SpanStatusCode.UNSET,
      )!;
    expect(call.attributes).toMatchObject({
      'tenant.id': 'acme',
      'enduser.id': 'ada',
      'client.address': '203.0.113.9',
      'mcp.protocol.version': era === 'modern' ? '2026-07-28' : expect.stringMatching(/^2025-/),
    });
    expect(call.attributes['mcp.session.id']).toBeUndefined();
  });

  it('takes the parent of the SERVER span from the trace context the client put in params._meta', async () => {
    const client = await connectV2(fixture.url, era);
    const traceId = '4bf92f3577b34da6a3ce929d0e0e4736';
    const parentId = '00f067aa0ba902b7';
    await client.callTool({
      name: 'echo',
      arguments: { text: 'traced' },
      _meta: { traceparent: `00-${traceId}-${parentId}-01` },
    });
    await client.close();
    await telemetry.flush();
    const span = spans.getFinishedSpans().find((s) => s.name === 'tools/call echo')!;
    expect(span.spanContext().traceId).toBe(traceId);
    expect(span.parentSpanContext?.spanId).toBe(parentId);
  });
});

/** Raw requests a user's client could send to a createMcpHandler endpoint: both eras and every ladder refusal. */
const MODERN = '2026-07-28';
const envelope = {
  'io.modelcontextprotocol/protocolVersion': MODERN,
  'io.modelcontextprotocol/clientCapabilities': {},
  'io.modelcontextprotocol/clientInfo': { name: 'raw', version: '1' },
};
interface Raw {
  method?: string;
  headers?: Record<string, string>;
  body?: string;
}
const modern = (
  id: number,
  method: string,
  params: Record<string, unknown> = {},
  headers: Record<string, string> = {},
) => ({
  headers: {
    'mcp-protocol-version': MODERN,
    'mcp-method': method,
    ...(typeof params['name'] === 'string' && { 'mcp-name': params['name'] }),
    ...(typeof params['uri'] === 'string' && { 'mcp-name': params['uri'] }),
    ...headers,
  },
  body: JSON.stringify({ jsonrpc: '2.0', id, method, params: { ...params, _meta: envelope } }),
});
const legacy = (id: number | undefined, method: string, params?: unknown) => ({
  headers: { 'mcp-protocol-version': '2025-11-25' },
  body: JSON.stringify({
    jsonrpc: '2.0',
    ...(id !== undefined && { id }),
    method,
    ...(params !== undefined && { params }),
  }),
});
const CORPUS: Record<string, Raw> = {
  'modern call ok': modern(1, 'tools/call', { name: 'echo', arguments: { text: 'same bytes' } }),
  'modern call invalid arguments': modern(2, 'tools/call', { name: 'echo', arguments: { text: 7 } }),
  'modern call unknown tool': modern(3, 'tools/call', { name: 'nope', arguments: {} }),
  'modern call throwing tool': modern(4, 'tools/call', { name: 'explode', arguments: {} }),
  'modern read missing resource (-32002 thrown)': modern(5, 'resources/read', { uri: 'doc://missing' }),
  'modern tools/list': modern(6, 'tools/list'),
  'modern server/discover': modern(7, 'server/discover'),
  'modern ping (removed in 2026)': modern(8, 'ping'),
  'modern unknown method': modern(9, 'no/such/method'),
  'modern missing MCP-Protocol-Version header': {
    headers: { 'mcp-method': 'tools/list' },
    body: modern(10, 'tools/list').body,
  },
  'modern Mcp-Method mismatch': modern(11, 'tools/list', {}, { 'mcp-method': 'prompts/list' }),
  'modern Mcp-Name mismatch': modern(
    12,
    'tools/call',
    { name: 'echo', arguments: { text: 'x' } },
    { 'mcp-name': 'other' },
  ),
  'modern unsupported version': {
    headers: { 'mcp-protocol-version': '2027-01-01', 'mcp-method': 'tools/list' },
    body: JSON.stringify({
      jsonrpc: '2.0',
      id: 13,
      method: 'tools/list',
      params: { _meta: { ...envelope, 'io.modelcontextprotocol/protocolVersion': '2027-01-01' } },
    }),
  },
  'modern envelope without clientCapabilities': {
    headers: { 'mcp-protocol-version': MODERN, 'mcp-method': 'tools/list' },
    body: JSON.stringify({
      jsonrpc: '2.0',
      id: 14,
      method: 'tools/list',
      params: { _meta: { 'io.modelcontextprotocol/protocolVersion': MODERN } },
    }),
  },
  'modern header without envelope': {
    headers: { 'mcp-protocol-version': MODERN, 'mcp-method': 'tools/list' },
    body: JSON.stringify({ jsonrpc: '2.0', id: 15, method: 'tools/list' }),
  },
  'wrong content type': { headers: { 'content-type': 'text/plain' }, body: modern(16, 'tools/list').body },
  GET: { method: 'GET' },
  DELETE: { method: 'DELETE' },
  'malformed JSON': { body: '{"jsonrpc":"2.0",' },
  'empty batch': { body: '[]' },
  'not JSON-RPC': { body: JSON.stringify({ hello: 'world' }) },
  'legacy initialize': legacy(20, 'initialize', {
    protocolVersion: '2025-11-25',
    capabilities: {},
    clientInfo: { name: 'raw', version: '1' },
  }),
  'legacy call ok': legacy(21, 'tools/call', { name: 'echo', arguments: { text: 'legacy bytes' } }),
  'legacy call invalid arguments': legacy(22, 'tools/call', { name: 'echo', arguments: { text: 7 } }),
  'legacy ping': legacy(23, 'ping'),
  'legacy server/discover (2026 only)': legacy(24, 'server/discover'),
  'legacy unknown method': legacy(25, 'no/such/method'),
  'legacy notification': legacy(undefined, 'notifications/initialized'),
};

async function send(url: string, raw: Raw) {
  const response = await fetch(url, {
    method: raw.method ?? 'POST',
    headers: {
      'content-type': 'application/json',
      accept: 'application/json, text/event-stream',
      ...raw.headers,
    },
    ...(raw.body !== undefined && { body: raw.body }),
  });
  return {
    status: response.status,
    type: response.headers.get('content-type'),
    allow: response.headers.get('allow'),
    body: await response.text(),
  };
}

describe('SDK v2 createMcpHandler: a raw-request corpus, plain and instrumented', () => {
  const registry = new Registry();
  let plain: V2HttpFixture;
  let observed: V2HttpFixture;
  beforeAll(async () => {
    plain = await serveV2(createV2TestServer, { handler: { responseMode: 'json' } });
    observed = await serveV2(instrumentedFactory(registry), {
      handler: { responseMode: 'json' },
      wrap: (handler) => instrumentHandler(handler, { registry, processMetrics: false, logs: false }),
    });
  });
  afterAll(async () => {
    await plain.close();
    await observed.close();
  });

  it.each(Object.keys(CORPUS))('%s: answered byte for byte as without instrumentation', async (name) => {
    const raw = CORPUS[name]!;
    const [expected, actual] = await Promise.all([send(plain.url, raw), send(observed.url, raw)]);
    expect(actual).toEqual(expected);
  });

  it('and every request is counted with the code on the wire', async () => {
    // Rejections are recorded after the response is handed back: give the last one a moment.
    await new Promise((resolve) => setTimeout(resolve, 50));
    const samples = await scrape(registry);
    const count = (labels: Record<string, string>) => valueOf(samples, DURATION, labels);
    const call = (tool: string, errorType: string) =>
      count({ mcp_method_name: 'tools/call', gen_ai_tool_name: tool, error_type: errorType });
    expect(call('echo', '')).toBe(2);
    expect(call('echo', '-32602')).toBe(2);
    expect(call('_OTHER', '-32602')).toBe(1);
    expect(call('explode', 'tool_error')).toBe(1);
    expect(count({ mcp_method_name: 'resources/read', error_type: '-32602' })).toBe(1);
    expect(count({ mcp_method_name: 'tools/list', error_type: '' })).toBe(1);
    expect(count({ mcp_method_name: 'server/discover', error_type: '' })).toBe(1);
    expect(count({ mcp_method_name: 'initialize', error_type: '' })).toBe(1);
    // Answered -32601 inside the server: a method the era removed keeps its name, an invented one does not.
    expect(count({ mcp_method_name: 'ping', error_type: '-32601' })).toBe(1);
    expect(count({ mcp_method_name: 'server/discover', error_type: '-32601' })).toBe(1);
    expect(count({ mcp_method_name: '_OTHER', error_type: '-32601' })).toBe(2);
    expect(count({ mcp_method_name: 'ping', error_type: '' })).toBe(1);
    // Refused by the handler's ladder, before any server existed.
    expect(count({ error_type: '-32020' })).toBe(3);
    expect(count({ error_type: '-32022' })).toBe(1);
    expect(count({ mcp_method_name: 'tools/list', error_type: '-32602' })).toBe(2);
    const transport = (errorType: string) =>
      valueOf(samples, 'mcp_server_transport_errors_total', { network_transport: 'tcp', error_type: errorType });
    expect(transport('http_415')).toBe(1);
    expect(transport('http_405')).toBe(2);
    expect(transport('-32700')).toBe(1);
    expect(transport('-32600')).toBe(2);
    expect(valueOf(samples, 'mcp_server_notifications_total', { mcp_method_name: 'notifications/initialized' })).toBe(
      1,
    );
    // Client faults, all of them: none counts against the availability SLO.
    const serverFaults = samples.filter(
      (s) =>
        s.name === DURATION &&
        !['', 'tool_error', '-32601', '-32602', '-32020', '-32022'].includes(s.labels['error_type']!),
    );
    expect(serverFaults.filter((s) => s.value > 0)).toEqual([]);
  });
});

describe('SDK v2 McpServer.connect(NodeStreamableHTTPServerTransport), stateful', () => {
  it('has sessions (2025 era with a session id), and server-initiated requests get CLIENT spans under the call', async () => {
    const registry = new Registry();
    const fixture = await serveV2Stateful(() => {
      const server = createV2TestServer();
      server.registerTool('ask', { description: 'Asks the client to sample' }, async (ctx) => {
        const answer = await ctx.mcpReq.requestSampling({
          messages: [{ role: 'user', content: { type: 'text', text: 'hello?' } }],
          maxTokens: 10,
        });
        return { content: [{ type: 'text', text: JSON.stringify(answer.content) }] };
      });
      instrument(server, { registry, processMetrics: false, logs: false });
      return server;
    });
    try {
      const client = new Client({ name: 'stateful', version: '1' }, { capabilities: { sampling: {} } });
      client.setRequestHandler('sampling/createMessage', async () => ({
        role: 'assistant',
        content: { type: 'text', text: 'hi' },
        model: 'test-model',
      }));
      await client.connect(new StreamableHTTPClientTransport(new URL(fixture.url)));
      await client.callTool({ name: 'echo', arguments: { text: 'x' } });
      expect(await client.callTool({ name: 'ask', arguments: {} })).toMatchObject({ content: [{ type: 'text' }] });
      let samples = await scrape(registry);
      expect(valueOf(samples, 'mcp_server_sessions_active', { network_transport: 'tcp' })).toBe(1);
      expect(
        valueOf(samples, 'mcp_client_operation_duration_seconds_count', { mcp_method_name: 'sampling/createMessage' }),
      ).toBe(1);
      await telemetry.flush();
      const finished = spans.getFinishedSpans();
      const echo = finished.find((s) => s.name === 'tools/call echo')!;
      expect(echo.attributes['mcp.session.id']).toEqual(expect.any(String));
      const ask = finished.find((s) => s.name === 'tools/call ask')!;
      const sampling = finished.find((s) => s.kind === SpanKind.CLIENT && s.name === 'sampling/createMessage')!;
      expect(sampling.parentSpanContext?.spanId).toBe(ask.spanContext().spanId);
      await client.close();
      // The session ends when the server closes its transport.
      for (const transport of fixture.sessions.values()) await transport.close();
      samples = await scrape(registry);
      expect(valueOf(samples, 'mcp_server_sessions_active', { network_transport: 'tcp' })).toBe(0);
      expect(valueOf(samples, 'mcp_server_session_duration_seconds_count', { network_transport: 'tcp' })).toBe(1);
    } finally {
      await fixture.close();
    }
  });
});

describe('SDK v2, 2026-07-28 multi-round requests', () => {
  it('tells an input_required round from the final answer, and counts a missing client capability as its fault', async () => {
    const registry = new Registry();
    const fixture = await serveV2(() => {
      const server = createV2TestServer();
      server.registerTool('greet', { description: 'Asks who is there, then greets' }, async (ctx) => {
        const who = acceptedContent(ctx.mcpReq.inputResponses, 'who') as { name?: string } | undefined;
        if (who?.name) return { content: [{ type: 'text', text: `hello ${who.name}` }] };
        return inputRequired({
          inputRequests: {
            who: inputRequired.elicit({
              message: 'Who is there?',
              requestedSchema: { type: 'object', properties: { name: { type: 'string' } } },
            }),
          },
        });
      });
      instrument(server, { registry, processMetrics: false, logs: false });
      return server;
    });
    try {
      const asked = new Client(
        { name: 'elicits', version: '1' },
        { versionNegotiation: { mode: 'auto' }, capabilities: { elicitation: { form: {} } } },
      );
      asked.setRequestHandler('elicitation/create', async () => ({ action: 'accept', content: { name: 'Ada' } }));
      await asked.connect(new StreamableHTTPClientTransport(new URL(fixture.url)));
      expect((await asked.callTool({ name: 'greet', arguments: {} })).content).toEqual([
        { type: 'text', text: 'hello Ada' },
      ]);
      await asked.close();
      // A client that cannot answer elicitations: the server cannot ask it (-32021), the client's fault.
      const mute = await connectV2(fixture.url, 'modern');
      await expect(mute.callTool({ name: 'greet', arguments: {} })).rejects.toMatchObject({ code: -32021 });
      await mute.close();

      const samples = await scrape(registry);
      const greet = (errorType: string) =>
        valueOf(samples, DURATION, { mcp_method_name: 'tools/call', gen_ai_tool_name: 'greet', error_type: errorType });
      expect(greet('')).toBe(2);
      expect(greet('-32021')).toBe(1);
      await telemetry.flush();
      const rounds = spans.getFinishedSpans().filter((s) => s.name === 'tools/call greet');
      expect(rounds.map((s) => s.attributes['mcp_observatory.result_type'] ?? 'final').sort()).toEqual([
        'final',
        'final',
        'input_required',
      ]);
      expect(rounds.every((s) => s.status.code === SpanStatusCode.UNSET)).toBe(true);
    } finally {
      await fixture.close();
    }
  });
});
