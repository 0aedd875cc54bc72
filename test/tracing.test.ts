import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { SpanKind, SpanStatusCode, context, trace } from '@opentelemetry/api';
import type { Attributes } from '@opentelemetry/api';
import { InMemorySpanExporter } from '@opentelemetry/sdk-trace-base';
import type { ReadableSpan } from '@opentelemetry/sdk-trace-base';
import { InMemoryLogRecordExporter } from '@opentelemetry/sdk-logs';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { InMemoryTransport } from '@modelcontextprotocol/sdk/inMemory.js';
import { CreateMessageRequestSchema } from '@modelcontextprotocol/sdk/types.js';
import type { McpServer } from '@modelcontextprotocol/sdk/server/mcp.js';
import { instrument, newRegistry, renderMetrics } from '../lib/index.js';
import type { InstrumentOptions } from '../lib/index.js';
import { startTelemetry } from '../lib/telemetry.js';
import type { TelemetryHandle } from '../lib/telemetry.js';
import { SECRET_SHAPES } from './fixtures/secrets.js';
import { createTestServer } from './fixtures/server.js';

const spans = new InMemorySpanExporter();
const otelLogs = new InMemoryLogRecordExporter();
let telemetry: TelemetryHandle;

beforeAll(() => {
  telemetry = startTelemetry({
    spanExporter: spans,
    logExporter: otelLogs,
    queue: { scheduledDelayMs: 5 },
    env: { OTEL_SERVICE_NAME: 'tracing-test' },
  });
  expect(telemetry.started).toBe(true);
});
afterAll(() => telemetry.shutdown());
beforeEach(() => {
  spans.reset();
  otelLogs.reset();
});

async function connect(server: McpServer) {
  const [clientSide, serverSide] = InMemoryTransport.createLinkedPair();
  const client = new Client({ name: 'c', version: '1' }, { capabilities: { sampling: {} } });
  await server.connect(serverSide);
  await client.connect(clientSide);
  return client;
}

function setup(options: InstrumentOptions = {}) {
  const registry = newRegistry('openmetrics');
  const lines: Record<string, unknown>[] = [];
  const server = createTestServer();
  instrument(server, {
    registry,
    processMetrics: false,
    logs: { destination: (line) => lines.push(JSON.parse(line)) },
    ...options,
  });
  return { registry, lines, server };
}

async function serverSpans(): Promise<ReadableSpan[]> {
  await telemetry.flush();
  return spans.getFinishedSpans().filter((s) => s.kind === SpanKind.SERVER);
}

function only(list: ReadableSpan[], name: string): ReadableSpan {
  const found = list.filter((s) => s.name === name);
  expect(found.map((s) => s.name)).toEqual([name]);
  return found[0]!;
}

describe('server spans', () => {
  it('names, kinds and attributes follow the MCP semantic conventions', async () => {
    const { server } = setup();
    const client = await connect(server);
    await client.callTool({ name: 'echo', arguments: { text: 'hello' } });
    await client.getPrompt({ name: 'summarize', arguments: { topic: 'risk' } });
    await client.readResource({ uri: 'doc://7' });
    const list = await serverSpans();
    const call = only(list, 'tools/call echo');
    expect(call.attributes).toMatchObject({
      'mcp.method.name': 'tools/call',
      'gen_ai.tool.name': 'echo',
      'gen_ai.operation.name': 'execute_tool',
      'network.transport': 'inproc',
      'mcp.protocol.version': expect.any(String),
    } satisfies Attributes);
    expect(call.attributes['jsonrpc.request.id']).toEqual(expect.any(String));
    expect(call.status.code).toBe(SpanStatusCode.UNSET);
    expect(only(list, 'prompts/get summarize').attributes['gen_ai.prompt.name']).toBe('summarize');
    expect(only(list, 'resources/read').attributes['mcp.resource.uri']).toBe('doc://7');
    expect(only(list, 'initialize').kind).toBe(SpanKind.SERVER);
    await client.close();
  });

  it('marks only server faults as ERROR; client faults keep error.type but not the status', async () => {
    const { server } = setup();
    const client = await connect(server);
    await client.callTool({ name: 'explode', arguments: {} });
    await client.callTool({ name: 'echo', arguments: { text: 1 } });
    const list = await serverSpans();
    const exploded = only(list, 'tools/call explode');
    expect(exploded.attributes['error.type']).toBe('tool_error');
    expect(exploded.status).toEqual({ code: SpanStatusCode.ERROR, message: 'tool_error' });
    const invalid = only(list, 'tools/call echo');
    expect(invalid.attributes['error.type']).toBe('-32602');
    expect(invalid.attributes['rpc.response.status_code']).toBe('-32602');
    expect(invalid.status.code).toBe(SpanStatusCode.UNSET);
    await client.close();
  });

  it('names spans of unknown tools and methods _OTHER, keeping the names sent as attributes', async () => {
    const { server } = setup();
    const client = await connect(server);
    await client.callTool({ name: 'no-such-tool', arguments: {} });
    await expect(client.request({ method: 'no/such/method' } as never, {} as never)).rejects.toThrow();
    const list = await serverSpans();
    expect(only(list, 'tools/call _OTHER').attributes['gen_ai.tool.name']).toBe('no-such-tool');
    expect(only(list, '_OTHER').attributes['mcp.method.name']).toBe('no/such/method');
    await client.close();
  });

  it('names spans of invented prompt names _OTHER, so clients cannot mint span names', async () => {
    const { server } = setup();
    const client = await connect(server);
    for (let i = 0; i < 20; i++) await expect(client.getPrompt({ name: `invented-${i}` })).rejects.toThrow();
    await client.getPrompt({ name: 'summarize', arguments: { topic: 'risk' } });
    const names = new Set((await serverSpans()).filter((s) => s.name.startsWith('prompts/get')).map((s) => s.name));
    expect([...names].sort()).toEqual(['prompts/get _OTHER', 'prompts/get summarize']);
    await client.close();
  });

  it('takes its parent from params._meta and keeps the surrounding span as a link', async () => {
    const { server } = setup();
    const client = await connect(server);
    const tracer = trace.getTracer('test');
    const remote = tracer.startSpan('client side');
    const { traceId, spanId } = remote.spanContext();
    const surrounding = tracer.startSpan('http request');
    await context.with(trace.setSpan(context.active(), surrounding), () =>
      client.callTool({
        name: 'echo',
        arguments: { text: 'x' },
        _meta: { traceparent: `00-${traceId}-${spanId}-01`, baggage: 'tenant=acme' },
      }),
    );
    surrounding.end();
    remote.end();
    const call = only(await serverSpans(), 'tools/call echo');
    expect(call.spanContext().traceId).toBe(traceId);
    expect(call.parentSpanContext?.spanId).toBe(spanId);
    expect(call.links.map((l) => l.context.spanId)).toEqual([surrounding.spanContext().spanId]);
    await client.close();
  });

  it('gives sampling requests a CLIENT span under the tool call and propagates it in _meta', async () => {
    const { server } = setup();
    const client = await connect(server);
    let metaSeen: Record<string, unknown> | undefined;
    client.setRequestHandler(CreateMessageRequestSchema, async (request) => {
      metaSeen = request.params._meta;
      return { role: 'assistant', content: { type: 'text', text: 'ok' }, model: 'm' };
    });
    await client.callTool({ name: 'ask', arguments: {} });
    await telemetry.flush();
    const all = spans.getFinishedSpans();
    const call = only(all, 'tools/call ask');
    const sampling = only(all, 'sampling/createMessage');
    expect(sampling.kind).toBe(SpanKind.CLIENT);
    expect(sampling.parentSpanContext?.spanId).toBe(call.spanContext().spanId);
    expect(String(metaSeen?.['traceparent'])).toContain(sampling.spanContext().spanId);
    await client.close();
  });
});

describe('correlated logs', () => {
  it('writes one JSON line per request carrying the span trace id, and an audit line per tool call', async () => {
    const { server, lines } = setup();
    const client = await connect(server);
    await client.callTool({ name: 'refuse', arguments: {} });
    const call = only(await serverSpans(), 'tools/call refuse');
    const request = lines.find((l) => l['channel'] === 'request' && l['gen_ai.tool.name'] === 'refuse');
    expect(request).toMatchObject({
      level: 'error',
      'mcp.method.name': 'tools/call',
      'error.type': 'tool_error',
      trace_id: call.spanContext().traceId,
      span_id: call.spanContext().spanId,
      'jsonrpc.request.id': expect.any(Number),
    });
    expect(request!['duration_ms']).toEqual(expect.any(Number));
    expect(typeof request!['time']).toBe('string');
    const audit = lines.find((l) => l['channel'] === 'audit');
    expect(audit).toMatchObject({
      'gen_ai.tool.name': 'refuse',
      outcome: 'tool_error',
      trace_id: call.spanContext().traceId,
    });
    // the same records reach the OpenTelemetry log pipeline, linked to the span
    const exported = otelLogs.getFinishedLogRecords().filter((r) => r.attributes['gen_ai.tool.name'] === 'refuse');
    expect(exported.length).toBe(2);
    expect(exported.every((r) => r.spanContext?.traceId === call.spanContext().traceId)).toBe(true);
    await client.close();
  });
});

describe('content capture', () => {
  it('never records tool arguments or results by default', async () => {
    const { server, lines } = setup();
    const client = await connect(server);
    // A name with letters no trace or span id (hex) can contain by chance.
    await client.callTool({ name: 'login', arguments: { user: 'lovelace', apiKey: 'sk-abcdefghijklmnopqrstuvwx' } });
    const call = only(await serverSpans(), 'tools/call login');
    expect(call.attributes['gen_ai.tool.call.arguments']).toBeUndefined();
    expect(call.attributes['gen_ai.tool.call.result']).toBeUndefined();
    expect(JSON.stringify(lines)).not.toContain('lovelace');
    expect(JSON.stringify(lines)).not.toContain('sk-abc');
    await client.close();
  });

  it('keeps error texts out of spans and logs: a thrown error or an isError result full of secrets leaves its type', async () => {
    const { server, lines } = setup();
    const corpus = SECRET_SHAPES.map((s) => s.text).join('\n');
    // Registered after instrument(): the wrapping covers late tools too.
    server.registerTool('leak_throw', { description: 'Throws its secrets' }, async () => {
      throw new Error(corpus);
    });
    server.registerTool('leak_result', { description: 'Fails with its secrets' }, async () => ({
      content: [{ type: 'text', text: corpus }],
      isError: true,
    }));
    const client = await connect(server);
    for (const name of ['leak_throw', 'leak_result']) {
      const result = await client.callTool({ name, arguments: {} });
      // The client still gets the text: the response is the server's, untouched.
      expect(JSON.stringify(result)).toContain(SECRET_SHAPES[0]!.secret);
    }
    const list = await serverSpans();
    for (const name of ['tools/call leak_throw', 'tools/call leak_result']) {
      const span = only(list, name);
      expect(span.status).toEqual({ code: SpanStatusCode.ERROR, message: 'tool_error' });
      expect(span.attributes['error.type']).toBe('tool_error');
    }
    await telemetry.flush();
    const recorded = JSON.stringify([
      list.map((s) => [s.status, s.attributes, s.events]),
      lines,
      otelLogs.getFinishedLogRecords().map((r) => [r.body, r.attributes]),
    ]);
    for (const { shape, secret } of SECRET_SHAPES) expect(recorded, shape).not.toContain(secret);
    await client.close();
  });

  it('records opted-in tools through redaction: secrets masked, the rest kept', async () => {
    const { server, lines } = setup({ capture: { login: { arguments: true, result: true } } });
    const client = await connect(server);
    await client.callTool({ name: 'login', arguments: { user: 'ada', apiKey: 'sk-abcdefghijklmnopqrstuvwx' } });
    const call = only(await serverSpans(), 'tools/call login');
    const args = String(call.attributes['gen_ai.tool.call.arguments']);
    expect(args).toContain('ada');
    expect(args).toContain('[REDACTED]');
    expect(args).not.toContain('sk-abc');
    const result = String(call.attributes['gen_ai.tool.call.result']);
    expect(result).toContain('welcome ada');
    expect(result).not.toContain('abcdefghijklmnop');
    const audit = lines.find((l) => l['channel'] === 'audit')!;
    expect(String(audit['gen_ai.tool.call.arguments'])).toContain('[REDACTED]');
    expect(JSON.stringify(lines)).not.toContain('sk-abc');
    await client.close();
  });
});

describe('exemplars', () => {
  it('links the duration histogram to the trace in OpenMetrics output only', async () => {
    const { server, registry } = setup();
    const client = await connect(server);
    await client.callTool({ name: 'echo', arguments: { text: 'e' } });
    const call = only(await serverSpans(), 'tools/call echo');
    const openMetrics = await renderMetrics(registry, true);
    const bucket = openMetrics
      .split('\n')
      .find(
        (l) =>
          l.startsWith('mcp_server_operation_duration_seconds_bucket') &&
          l.includes('gen_ai_tool_name="echo"') &&
          l.includes(' # {'),
      );
    expect(bucket).toContain(`trace_id="${call.spanContext().traceId}"`);
    expect(openMetrics.trimEnd().endsWith('# EOF')).toBe(true);
    const text = await renderMetrics(registry, false);
    expect(text).not.toContain('trace_id=');
    expect(text).toContain('mcp_server_notifications_total');
    // rendering OpenMetrics did not rename the counters for the next Prometheus render
    expect(await renderMetrics(registry, false)).toContain('# TYPE mcp_server_tenant_operations_total counter');
    await client.close();
  });
});
