// The sidecar's spans and logs: a SERVER span per request seen, parented on the trace context the client put in
// `params._meta`, JSON logs with the same ids and the tenant, and captured content redacted as in-process.
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { SpanKind, SpanStatusCode } from '@opentelemetry/api';
import { InMemoryLogRecordExporter } from '@opentelemetry/sdk-logs';
import { InMemorySpanExporter } from '@opentelemetry/sdk-trace-base';
import { Registry } from 'prom-client';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { ATTR } from '../lib/contract.js';
import { Health } from '../lib/health.js';
import { Recorder } from '../lib/recorder.js';
import { listenProxy } from '../lib/sidecar/proxy.js';
import { startTelemetry } from '../lib/telemetry.js';
import type { TelemetryHandle } from '../lib/telemetry.js';
import { freePort } from './fixtures/ports.js';
import { SECRET_SHAPES } from './fixtures/secrets.js';

const spans = new InMemorySpanExporter();
const otelLogs = new InMemoryLogRecordExporter();
let telemetry: TelemetryHandle;
let upstream: ReturnType<typeof spawn>;
let upstreamUrl: string;

beforeAll(async () => {
  telemetry = startTelemetry({
    spanExporter: spans,
    logExporter: otelLogs,
    queue: { scheduledDelayMs: 5 },
    env: { OTEL_SERVICE_NAME: 'sidecar-tracing-test' },
  });
  const port = await freePort();
  upstream = spawn('node', ['test/fixtures/plain-server.mjs'], {
    env: { ...process.env, PORT: String(port), JSON_RESPONSES: '1' },
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  await once(upstream.stderr!, 'data');
  upstreamUrl = `http://127.0.0.1:${port}/mcp`;
});
afterAll(async () => {
  upstream.kill('SIGKILL');
  await telemetry.shutdown();
});

it('parents the SERVER span on params._meta, logs its ids with the tenant, and redacts captured content', async () => {
  const lines: Record<string, unknown>[] = [];
  const recorder = new Recorder({
    registry: new Registry(),
    trustedTenantHeader: 'x-tenant-id',
    capture: { echo: { arguments: true, result: true } },
    logs: { destination: (line) => lines.push(JSON.parse(line) as Record<string, unknown>) },
  });
  const port = await freePort();
  const proxy = await listenProxy({ upstream: new URL(upstreamUrl) }, recorder, new Health(), {
    host: '127.0.0.1',
    port,
  });
  try {
    const url = `http://127.0.0.1:${port}/mcp`;
    const headers = {
      'content-type': 'application/json',
      accept: 'application/json, text/event-stream',
      'x-tenant-id': 'acme',
    };
    const post = async (body: unknown, session?: string) => {
      const response = await fetch(url, {
        method: 'POST',
        headers: { ...headers, ...(session && { 'mcp-session-id': session, 'mcp-protocol-version': '2025-06-18' }) },
        body: JSON.stringify(body),
      });
      return { session: response.headers.get('mcp-session-id') ?? undefined, body: await response.text() };
    };
    const { session } = await post({
      jsonrpc: '2.0',
      id: 1,
      method: 'initialize',
      params: { protocolVersion: '2025-06-18', capabilities: {}, clientInfo: { name: 't', version: '1' } },
    });
    await post({ jsonrpc: '2.0', id: 2, method: 'tools/list' }, session);
    const traceId = '4bf92f3577b34da6a3ce929d0e0e4736';
    const parentId = '00f067aa0ba902b7';
    const secrets = SECRET_SHAPES.slice(0, 8);
    const echoed = await post(
      {
        jsonrpc: '2.0',
        id: 3,
        method: 'tools/call',
        params: {
          name: 'echo',
          arguments: { text: secrets.map((secret) => secret.text).join(' | ') },
          _meta: { traceparent: `00-${traceId}-${parentId}-01` },
        },
      },
      session,
    );
    // The client got its text back untouched: redaction is for telemetry only.
    for (const { secret } of secrets) expect(echoed.body).toContain(secret);
    await post({ jsonrpc: '2.0', id: 4, method: 'tools/call', params: { name: 'fail', arguments: {} } }, session);

    await telemetry.flush();
    const server = spans.getFinishedSpans().filter((span) => span.kind === SpanKind.SERVER);
    const echo = server.find((span) => span.name === 'tools/call echo')!;
    expect(echo).toBeDefined();
    expect(echo.spanContext().traceId).toBe(traceId);
    expect(echo.parentSpanContext?.spanId).toBe(parentId);
    expect(echo.attributes[ATTR.TENANT_ID]).toBe('acme');
    expect(echo.attributes[ATTR.MCP_SESSION_ID]).toBe(session);
    expect(echo.attributes[ATTR.NETWORK_TRANSPORT]).toBe('tcp');
    const captured = JSON.stringify(echo.attributes);
    expect(captured).toContain('[REDACTED]');
    for (const { shape, secret } of secrets) expect(captured, shape).not.toContain(secret);
    const fail = server.find((span) => span.name === 'tools/call fail')!;
    expect(fail.status).toEqual({ code: SpanStatusCode.ERROR, message: 'tool_error' });

    const request = lines.find((line) => line['msg'] === 'tools/call echo')!;
    expect(request['trace_id']).toBe(traceId);
    expect(request['span_id']).toBe(echo.spanContext().spanId);
    expect(request[ATTR.TENANT_ID]).toBe('acme');
    const logged = JSON.stringify(lines);
    for (const { shape, secret } of secrets) expect(logged, shape).not.toContain(secret);
  } finally {
    await proxy.close();
  }
});
