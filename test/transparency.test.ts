import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Registry } from 'prom-client';
import { instrument } from '../lib/index.js';
import { createTestServer } from './fixtures/server.js';
import { serveHttp } from './fixtures/http.js';
import type { HttpFixture } from './fixtures/http.js';
import { scrape, valueOf } from './fixtures/metrics.js';

/** Good and bad requests, as raw bodies: what a user's client could send. */
const init = {
  protocolVersion: '2025-06-18',
  capabilities: {},
  clientInfo: { name: 'raw', version: '1' },
};
const rpc = (id: number, method: string, params?: unknown) =>
  JSON.stringify({ jsonrpc: '2.0', id, method, ...(params !== undefined && { params }) });
const CORPUS: Record<string, string> = {
  initialize: rpc(1, 'initialize', init),
  ping: rpc(2, 'ping'),
  'tools/list': rpc(3, 'tools/list'),
  'call ok': rpc(4, 'tools/call', { name: 'echo', arguments: { text: 'same bytes' } }),
  'call invalid arguments': rpc(5, 'tools/call', { name: 'echo', arguments: { text: 7 } }),
  'call unknown tool': rpc(6, 'tools/call', { name: 'nope', arguments: {} }),
  'call throwing tool': rpc(7, 'tools/call', { name: 'explode', arguments: {} }),
  'call isError tool': rpc(8, 'tools/call', { name: 'refuse', arguments: {} }),
  'call without params': rpc(9, 'tools/call'),
  'read missing resource': rpc(10, 'resources/read', { uri: 'doc://missing' }),
  'get unknown prompt': rpc(11, 'prompts/get', { name: 'nope' }),
  'unknown method': rpc(12, 'no/such/method'),
  'string id': JSON.stringify({ jsonrpc: '2.0', id: 'abc', method: 'ping' }),
  notification: JSON.stringify({ jsonrpc: '2.0', method: 'notifications/initialized' }),
  'malformed JSON': '{"jsonrpc":"2.0",',
  'not JSON-RPC': JSON.stringify({ hello: 'world' }),
  'empty batch': '[]',
};

let plain: HttpFixture;
let observed: HttpFixture;
const registry = new Registry();

beforeAll(async () => {
  plain = await serveHttp('stateless', createTestServer, { jsonResponse: true });
  observed = await serveHttp(
    'stateless',
    () => {
      const server = createTestServer();
      instrument(server, { registry, processMetrics: false, logs: false });
      return server;
    },
    { jsonResponse: true },
  );
});
afterAll(async () => {
  await plain.close();
  await observed.close();
});

async function post(url: string, body: string) {
  const response = await fetch(url, {
    method: 'POST',
    headers: {
      'content-type': 'application/json',
      accept: 'application/json, text/event-stream',
      'mcp-protocol-version': '2025-06-18',
    },
    body,
  });
  return { status: response.status, type: response.headers.get('content-type'), body: await response.text() };
}

describe('an instrumented server answers byte for byte like the plain SDK server', () => {
  it.each(Object.keys(CORPUS))('%s', async (name) => {
    const body = CORPUS[name]!;
    const [expected, actual] = await Promise.all([post(plain.url, body), post(observed.url, body)]);
    expect(actual).toEqual(expected);
  });

  it('and counts the bad requests', async () => {
    const samples = await scrape(registry);
    const calls = (labels: Record<string, string>) =>
      valueOf(samples, 'mcp_server_operation_duration_seconds_count', labels);
    expect(calls({ mcp_method_name: 'tools/call', gen_ai_tool_name: 'echo', error_type: '-32602' })).toBe(1);
    expect(calls({ mcp_method_name: 'tools/call', gen_ai_tool_name: 'explode', error_type: 'tool_error' })).toBe(1);
    expect(calls({ mcp_method_name: '_OTHER', error_type: '-32601' })).toBe(1);
    expect(calls({ mcp_method_name: 'prompts/get', error_type: '-32602' })).toBe(1);
    expect(valueOf(samples, 'mcp_server_transport_errors_total', { error_type: '-32700' })).toBeGreaterThanOrEqual(2);
    expect(valueOf(samples, 'mcp_server_notifications_total', { mcp_method_name: 'notifications/initialized' })).toBe(
      1,
    );
  });
});
