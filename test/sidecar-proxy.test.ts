// The HTTP sidecar (`mcp-observatory proxy`): raw requests answered as the server answers them, the telemetry contract
// computed from what crosses, tenants from a trusted header or a JWT claim, auth failures, and the faults of the
// server behind it. Upstreams are real: the TypeScript SDK's Streamable HTTP transport and the Python SDK's.
import { spawn } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import { generateKeyPairSync, sign } from 'node:crypto';
import type { KeyObject } from 'node:crypto';
import { once } from 'node:events';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { createServer, request } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { SSEClientTransport } from '@modelcontextprotocol/sdk/client/sse.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import { CreateMessageRequestSchema } from '@modelcontextprotocol/sdk/types.js';
import { Registry } from 'prom-client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Health } from '../lib/health.js';
import { Recorder } from '../lib/recorder.js';
import { Jwks } from '../lib/sidecar/auth.js';
import { listenProxy } from '../lib/sidecar/proxy.js';
import { wire } from '../lib/sidecar/wire.js';
import type { InstrumentOptions } from '../lib/types.js';
import { scrape, valueOf } from './fixtures/metrics.js';
import { freePort } from './fixtures/ports.js';
import { waitFor } from './fixtures/prometheus.js';
import { needsPythonMcp, startPythonHttpServer } from './fixtures/python.js';

const BIN = 'dist/lib/bin.js';
const DURATION = 'mcp_server_operation_duration_seconds_count';
const servers = new Set<ChildProcess>();
afterAll(() => {
  for (const server of servers) server.kill('SIGKILL');
});

/** test/fixtures/plain-server.mjs over Streamable HTTP (SSE answers; JSON with `json`), on a free port. */
async function startPlain(json = false): Promise<{ url: string; stop(): void }> {
  const port = await freePort();
  const child = spawn('node', ['test/fixtures/plain-server.mjs'], {
    env: { ...process.env, PORT: String(port), JSON_RESPONSES: json ? '1' : '0' },
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  servers.add(child);
  await once(child.stderr!, 'data');
  return { url: `http://127.0.0.1:${port}/mcp`, stop: () => child.kill('SIGKILL') };
}

/** The proxy in this process, in front of `upstream`, recording into a registry of its own. */
async function startProxy(upstream: string, options: InstrumentOptions = {}, jwks?: Jwks) {
  const registry = new Registry();
  const recorder = new Recorder({ registry, logs: false, tracing: false, ...options });
  const health = new Health({ cacheMs: 0 });
  const port = await freePort();
  const proxy = await listenProxy({ upstream: new URL(upstream), ...(jwks && { jwks }) }, recorder, health, {
    host: '127.0.0.1',
    port,
  });
  return {
    url: `http://127.0.0.1:${port}${new URL(upstream).pathname}`,
    registry,
    health,
    samples: () => scrape(registry),
    close: () => proxy.close(),
  };
}

interface RawAnswer {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  body: string;
}

/** One raw HTTP request (node:http, so nothing is added or normalised), the answer read to its end. */
function raw(url: string, method: string, headers: Record<string, string>, body?: string): Promise<RawAnswer> {
  return new Promise((resolve, reject) => {
    const outgoing = request(url, { method, headers }, (answer) => {
      const chunks: Buffer[] = [];
      answer.on('data', (chunk: Buffer) => chunks.push(chunk));
      answer.once('end', () =>
        resolve({ status: answer.statusCode!, headers: answer.headers, body: Buffer.concat(chunks).toString() }),
      );
      answer.once('error', reject);
    });
    outgoing.once('error', reject);
    outgoing.setTimeout(10_000, () => outgoing.destroy(new Error(`${method} ${url}: no answer in 10 s`)));
    outgoing.end(body);
  });
}

const POST_HEADERS = { 'content-type': 'application/json', accept: 'application/json, text/event-stream' };
const message = (id: number | undefined, method: string, params?: unknown) =>
  JSON.stringify({ jsonrpc: '2.0', ...(id !== undefined && { id }), method, ...(params !== undefined && { params }) });
const initializeParams = (version = '2025-06-18') => ({
  protocolVersion: version,
  capabilities: {},
  clientInfo: { name: 'corpus', version: '1' },
});

/**
 * A corpus of raw requests — the handshake, a listing, tool calls good and bad, malformed bodies, a wrong media type,
 * a batch, GET and DELETE, a request after the session ended — and the answers, with the session id written as
 * `<session>` (each run opens its own).
 */
async function corpus(url: string): Promise<{ status: number; type: string | undefined; body: string }[]> {
  const answers: RawAnswer[] = [];
  const init = await raw(url, 'POST', POST_HEADERS, message(1, 'initialize', initializeParams()));
  answers.push(init);
  const session = init.headers['mcp-session-id'] as string | undefined;
  const headers = {
    ...POST_HEADERS,
    'mcp-protocol-version': '2025-06-18',
    ...(session !== undefined && { 'mcp-session-id': session }),
  };
  const post = async (body: string, extra: Record<string, string> = {}) =>
    answers.push(await raw(url, 'POST', { ...headers, ...extra }, body));
  await post(message(undefined, 'notifications/initialized'));
  await post(message(2, 'tools/list'));
  await post(message(3, 'tools/call', { name: 'echo', arguments: { text: 'héllo ✓' } }));
  await post(message(4, 'tools/call', { name: 'fail', arguments: {} }));
  await post(message(5, 'tools/call', { name: 'invented', arguments: {} }));
  await post(message(6, 'no/such/method'));
  await post('{ this is not json');
  await post('{"jsonrpc":"2.0","result":1}');
  await post(message(7, 'ping'), { 'content-type': 'text/plain' });
  await post(`[${message(8, 'ping')},${message(9, 'tools/list')}]`);
  answers.push(await raw(url, 'GET', { accept: 'application/json' }));
  if (session !== undefined) {
    answers.push(await raw(url, 'DELETE', { 'mcp-session-id': session }));
    await post(message(10, 'tools/list'));
  }
  return answers.map((answer) => ({
    status: answer.status,
    type: answer.headers['content-type'] as string | undefined,
    body: session === undefined ? answer.body : answer.body.replaceAll(session, '<session>'),
  }));
}

describe('proxy answers raw requests exactly as the server does', () => {
  for (const json of [false, true]) {
    it(`TypeScript SDK server, ${json ? 'JSON' : 'SSE'} answers: same statuses, media types and bodies`, async () => {
      const upstream = await startPlain(json);
      const proxy = await startProxy(upstream.url);
      try {
        const direct = await corpus(upstream.url);
        const proxied = await corpus(proxy.url);
        expect(proxied).toEqual(direct);
        expect(direct.map((answer) => answer.status)).toContain(400);
        // What crossed was recorded: the listed tool by name, the invented one bounded.
        const samples = await proxy.samples();
        expect(valueOf(samples, DURATION, { gen_ai_tool_name: 'echo', error_type: '' })).toBe(1);
        expect(valueOf(samples, DURATION, { gen_ai_tool_name: 'fail', error_type: 'tool_error' })).toBe(1);
        expect(valueOf(samples, DURATION, { gen_ai_tool_name: '_OTHER', error_type: '-32602' })).toBe(1);
        expect(valueOf(samples, DURATION, { mcp_method_name: '_OTHER', error_type: '-32601' })).toBe(1);
        expect(valueOf(samples, DURATION, { mcp_method_name: 'tools/list', error_type: '' })).toBe(2);
        expect(valueOf(samples, 'mcp_server_transport_errors_total', { error_type: '-32700' })).toBe(1);
        expect(valueOf(samples, 'mcp_server_transport_errors_total', { error_type: '-32600' })).toBe(1);
        expect(valueOf(samples, 'mcp_server_sessions_active')).toBe(0);
        expect(valueOf(samples, 'mcp_server_session_duration_seconds_count')).toBe(1);
        expect(valueOf(samples, 'mcp_server_operations_in_flight')).toBe(0);
      } finally {
        await proxy.close();
        upstream.stop();
      }
    });
  }

  describe.skipIf(needsPythonMcp().skip)('Python SDK server (mcp 2.3.0)', () => {
    for (const stateless of [false, true]) {
      it(`${stateless ? 'stateless, JSON' : 'stateful, SSE'}: same answers, recorded`, async () => {
        const upstream = await startPythonHttpServer(stateless ? { MCP_STATELESS: '1' } : {});
        const proxy = await startProxy(upstream.url);
        try {
          const direct = await corpus(upstream.url);
          const proxied = await corpus(proxy.url);
          expect(proxied).toEqual(direct);
          const samples = await proxy.samples();
          expect(valueOf(samples, DURATION, { gen_ai_tool_name: 'echo', error_type: '' })).toBe(1);
          expect(valueOf(samples, DURATION, { gen_ai_tool_name: 'fail', error_type: 'tool_error' })).toBe(1);
          expect(valueOf(samples, DURATION, { mcp_method_name: 'initialize', error_type: '' })).toBe(1);
          expect(valueOf(samples, 'mcp_server_sessions_active')).toBe(0);
          expect(valueOf(samples, 'mcp_server_session_duration_seconds_count')).toBe(stateless ? 0 : 1);
        } finally {
          await proxy.close();
          await upstream.stop();
        }
      });
    }

    it('2026-07-28 requests without a handshake: answered alike and recorded, a header mismatch as -32020', async () => {
      const upstream = await startPythonHttpServer({ MCP_STATELESS: '1' });
      const proxy = await startProxy(upstream.url);
      try {
        const meta = {
          'io.modelcontextprotocol/protocolVersion': '2026-07-28',
          'io.modelcontextprotocol/clientInfo': { name: 'corpus', version: '1' },
          'io.modelcontextprotocol/clientCapabilities': {},
        };
        const headers = { ...POST_HEADERS, 'mcp-protocol-version': '2026-07-28', 'mcp-method': 'tools/call' };
        const body = message(1, 'tools/call', { name: 'echo', arguments: { text: 'new era' }, _meta: meta });
        const direct = await raw(upstream.url, 'POST', { ...headers, 'mcp-name': 'echo' }, body);
        const proxied = await raw(proxy.url, 'POST', { ...headers, 'mcp-name': 'echo' }, body);
        expect(proxied.status).toBe(direct.status);
        expect(proxied.body).toBe(direct.body);
        expect(proxied.body).toContain('new era');
        const mismatch = await raw(proxy.url, 'POST', { ...headers, 'mcp-name': 'add' }, body);
        expect(mismatch.status).toBe(400);
        const samples = await proxy.samples();
        // No initialize went through, and the tool was never listed: its name is no label.
        expect(valueOf(samples, DURATION, { mcp_method_name: 'tools/call', error_type: '' })).toBe(1);
        expect(valueOf(samples, DURATION, { mcp_method_name: 'tools/call', error_type: '-32020' })).toBe(1);
      } finally {
        await proxy.close();
        await upstream.stop();
      }
    });
  });
});

describe('proxy telemetry with the SDK client', () => {
  let upstream: { url: string; stop(): void };
  beforeAll(async () => {
    upstream = await startPlain();
  });
  afterAll(() => upstream.stop());

  it('times tools, server-initiated requests on the SSE stream, sessions from open to DELETE', async () => {
    const proxy = await startProxy(upstream.url);
    const client = new Client({ name: 'test', version: '1' }, { capabilities: { sampling: {} } });
    client.setRequestHandler(CreateMessageRequestSchema, async () => ({
      role: 'assistant',
      model: 'm',
      content: { type: 'text', text: 'sampled' },
    }));
    const transport = new StreamableHTTPClientTransport(new URL(proxy.url));
    try {
      await client.connect(transport);
      await client.listTools();
      expect((await client.callTool({ name: 'ask', arguments: {} })).content).toEqual([
        { type: 'text', text: 'sampled' },
      ]);
      const slow = client.callTool({ name: 'slow', arguments: { ms: 1200 } });
      await new Promise((resolve) => setTimeout(resolve, 300));
      let samples = await proxy.samples();
      expect(valueOf(samples, 'mcp_server_operations_in_flight', { mcp_method_name: 'tools/call' })).toBe(1);
      expect(valueOf(samples, 'mcp_server_sessions_active', { network_transport: 'tcp' })).toBe(1);
      await slow;
      samples = await proxy.samples();
      expect(
        valueOf(samples, 'mcp_client_operation_duration_seconds_count', {
          mcp_method_name: 'sampling/createMessage',
          error_type: '',
          network_transport: 'tcp',
        }),
      ).toBe(1);
      // The slow call took its 1.2 s, seen from outside the server.
      expect(
        valueOf(samples, 'mcp_server_operation_duration_seconds_bucket', { gen_ai_tool_name: 'slow', le: '1' }),
      ).toBe(0);
      expect(
        valueOf(samples, 'mcp_server_operation_duration_seconds_bucket', { gen_ai_tool_name: 'slow', le: '2' }),
      ).toBe(1);
      await transport.terminateSession();
      samples = await proxy.samples();
      expect(valueOf(samples, 'mcp_server_sessions_active')).toBe(0);
      expect(valueOf(samples, 'mcp_server_session_duration_seconds_count')).toBe(1);
    } finally {
      await client.close();
      await proxy.close();
    }
  });

  it('follows a session opened before the proxy started, from its next request to its DELETE', async () => {
    const init = await raw(upstream.url, 'POST', POST_HEADERS, message(1, 'initialize', initializeParams()));
    const session = init.headers['mcp-session-id'] as string;
    const headers = { ...POST_HEADERS, 'mcp-session-id': session, 'mcp-protocol-version': '2025-06-18' };
    await raw(upstream.url, 'POST', headers, message(undefined, 'notifications/initialized'));
    const proxy = await startProxy(upstream.url);
    try {
      await raw(proxy.url, 'POST', headers, message(2, 'tools/list'));
      await raw(proxy.url, 'POST', headers, message(3, 'tools/call', { name: 'echo', arguments: { text: 'x' } }));
      let samples = await proxy.samples();
      expect(valueOf(samples, 'mcp_server_sessions_active')).toBe(1);
      expect(valueOf(samples, DURATION, { gen_ai_tool_name: 'echo', error_type: '' })).toBe(1);
      await raw(proxy.url, 'DELETE', { 'mcp-session-id': session });
      samples = await proxy.samples();
      expect(valueOf(samples, 'mcp_server_sessions_active')).toBe(0);
      expect(valueOf(samples, 'mcp_server_session_duration_seconds_count')).toBe(1);
    } finally {
      await proxy.close();
    }
  });

  it('keeps 10,000 invented tool names and tenants within the label bounds', async () => {
    const proxy = await startProxy(upstream.url, { trustedTenantHeader: 'x-tenant-id', maxTenants: 25 });
    try {
      const init = await raw(proxy.url, 'POST', POST_HEADERS, message(1, 'initialize', initializeParams()));
      const session = init.headers['mcp-session-id'] as string;
      const headers = { ...POST_HEADERS, 'mcp-session-id': session, 'mcp-protocol-version': '2025-06-18' };
      await raw(proxy.url, 'POST', headers, message(2, 'tools/list'));
      let next = 0;
      const worker = async () => {
        while (next < 10_000) {
          const index = next++;
          const answer = await raw(
            proxy.url,
            'POST',
            { ...headers, 'x-tenant-id': `tenant-${index}` },
            message(100 + index, 'tools/call', { name: `invented-${index}`, arguments: {} }),
          );
          expect(answer.status).toBe(200);
        }
      };
      await Promise.all(Array.from({ length: 16 }, worker));
      const samples = await proxy.samples();
      const tools = new Set(samples.filter((s) => s.name === DURATION).map((s) => s.labels['gen_ai_tool_name']));
      expect([...tools].sort()).toEqual(['', '_OTHER']);
      const tenants = new Set(
        samples.filter((s) => s.name === 'mcp_server_tenant_operations_total').map((s) => s.labels['tenant_id']),
      );
      expect(tenants.size).toBeLessThanOrEqual(27);
      expect(tenants.has('__overflow__')).toBe(true);
      expect(valueOf(samples, DURATION, { gen_ai_tool_name: '_OTHER' })).toBe(10_000);
    } finally {
      await proxy.close();
    }
  });
});

/** A JWT signed with `key` (ES256), as an identity provider would issue it. */
function jwt(claims: Record<string, unknown>, privateKey: KeyObject, kid = 'k1'): string {
  const part = (value: unknown) => Buffer.from(JSON.stringify(value)).toString('base64url');
  const input = `${part({ alg: 'ES256', kid, typ: 'JWT' })}.${part(claims)}`;
  const signature = sign('sha256', Buffer.from(input), { key: privateKey, dsaEncoding: 'ieee-p1363' });
  return `${input}.${signature.toString('base64url')}`;
}

describe('error types read from results on the wire', () => {
  const result = (text: string) => ({ content: [{ type: 'text', text }], isError: true });
  it('take the code the TypeScript SDK folded into the text, within the JSON-RPC range only', () => {
    expect(wire.errorTypeOfResult(result('MCP error -32602: Tool nope not found'), undefined, true)).toBe('-32602');
    expect(wire.errorTypeOfResult(result('MCP error -32001: Request timed out'), undefined, true)).toBe('-32001');
    // A tool that echoes client text beginning the same way mints no label value.
    for (const text of ['MCP error 1234567: chosen by a client', 'MCP error -999999: no', 'MCP error -1: x']) {
      expect(wire.errorTypeOfResult(result(text), undefined, true)).toBe('tool_error');
    }
    expect(wire.errorTypeOfResult({ content: [] }, undefined, true)).toBe('');
  });
});

describe('proxy and the legacy HTTP+SSE transport', () => {
  it('answers over the SSE stream what the client posts to its endpoint, and records it as one session', async () => {
    const port = await freePort();
    const upstream = spawn('node', ['test/fixtures/plain-server.mjs'], {
      env: { ...process.env, PORT: String(port), LEGACY_SSE: '1' },
      stdio: ['ignore', 'ignore', 'pipe'],
    });
    servers.add(upstream);
    await once(upstream.stderr!, 'data');
    const proxy = await startProxy(`http://127.0.0.1:${port}/sse`);
    const session = async (url: string) => {
      const client = new Client({ name: 'legacy', version: '1' }, { capabilities: { sampling: {} } });
      client.setRequestHandler(CreateMessageRequestSchema, async () => ({
        role: 'assistant',
        model: 'm',
        content: { type: 'text', text: 'sampled' },
      }));
      await client.connect(new SSEClientTransport(new URL(url)));
      const tools = (await client.listTools()).tools.map((tool) => tool.name);
      const echo = await client.callTool({ name: 'echo', arguments: { text: 'legacy' } });
      const ask = await client.callTool({ name: 'ask', arguments: {} });
      const during = await proxy.samples();
      await client.close();
      return { answers: { tools, echo, ask }, during };
    };
    try {
      const direct = await session(`http://127.0.0.1:${port}/sse`);
      const proxied = await session(proxy.url);
      expect(proxied.answers).toEqual(direct.answers);
      const during = proxied.during;
      expect(valueOf(during, 'mcp_server_sessions_active')).toBe(1);
      expect(valueOf(during, DURATION, { gen_ai_tool_name: 'echo', error_type: '' })).toBe(1);
      expect(valueOf(during, DURATION, { mcp_method_name: 'initialize' })).toBe(1);
      expect(
        valueOf(during, 'mcp_client_operation_duration_seconds_count', { mcp_method_name: 'sampling/createMessage' }),
      ).toBe(1);
      const after = await waitFor(proxy.samples, (now) => valueOf(now, 'mcp_server_sessions_active') === 0, {
        what: 'the legacy session to end with its stream',
        timeoutMs: 5000,
      });
      expect(valueOf(after, 'mcp_server_session_duration_seconds_count')).toBe(1);
      expect(valueOf(after, 'mcp_server_operations_in_flight')).toBe(0);
    } finally {
      await proxy.close();
      upstream.kill('SIGKILL');
    }
  });
});

describe('proxy tenants and auth failures', () => {
  let upstream: { url: string; stop(): void };
  beforeAll(async () => {
    upstream = await startPlain(true);
  });
  afterAll(() => upstream.stop());

  /** Initialize and call echo with `headers`; the tenant labels the proxy recorded. */
  async function tenantsOf(proxy: Awaited<ReturnType<typeof startProxy>>, headers: Record<string, string>) {
    const init = await raw(
      proxy.url,
      'POST',
      { ...POST_HEADERS, ...headers },
      message(1, 'initialize', initializeParams()),
    );
    const session = init.headers['mcp-session-id'] as string;
    await raw(proxy.url, 'POST', { ...POST_HEADERS, ...headers, 'mcp-session-id': session }, message(2, 'ping'));
    const samples = await proxy.samples();
    return samples
      .filter((s) => s.name === 'mcp_server_tenant_operations_total' && s.labels['mcp_method_name'] === 'ping')
      .map((s) => s.labels['tenant_id']);
  }

  it('names the tenant from a trusted header, and from a JWT claim by the name given', async () => {
    const byHeader = await startProxy(upstream.url, { trustedTenantHeader: 'x-org' });
    expect(await tenantsOf(byHeader, { 'x-org': 'globex' })).toEqual(['globex']);
    await byHeader.close();

    const { privateKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' });
    const token = jwt({ sub: 'ada', org_id: 'initech', client_id: 'cli-7' }, privateKey);
    const byClaim = await startProxy(upstream.url, {
      resolveTenant: ({ authInfo }) => authInfo?.extra?.['org_id'] as string | undefined,
    });
    expect(await tenantsOf(byClaim, { authorization: `Bearer ${token}` })).toEqual(['initech']);
    await byClaim.close();
    // Without a claim name, the client id names the tenant, as in-process.
    const byDefault = await startProxy(upstream.url);
    expect(await tenantsOf(byDefault, { authorization: `Bearer ${token}` })).toEqual(['cli-7']);
    await byDefault.close();
  });

  it('verifies tokens against a JWKS: a bad signature or an expired token names no one and is counted', async () => {
    const { privateKey, publicKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' });
    const { privateKey: forger } = generateKeyPairSync('ec', { namedCurve: 'P-256' });
    const dir = mkdtempSync(join(tmpdir(), 'jwks-'));
    writeFileSync(
      join(dir, 'jwks.json'),
      JSON.stringify({ keys: [{ ...publicKey.export({ format: 'jwk' }), kid: 'k1' }] }),
    );
    const proxy = await startProxy(upstream.url, {}, Jwks.fromFile(join(dir, 'jwks.json')));
    try {
      const now = Math.floor(Date.now() / 1000);
      const good = jwt({ tenant_id: 'acme', exp: now + 600 }, privateKey);
      const forged = jwt({ tenant_id: 'evil', exp: now + 600 }, forger);
      const expired = jwt({ tenant_id: 'acme', exp: now - 10 }, privateKey);
      expect(await tenantsOf(proxy, { authorization: `Bearer ${good}` })).toEqual(['acme']);
      expect(await tenantsOf(proxy, { authorization: `Bearer ${forged}` })).toEqual(['acme', 'none']);
      await tenantsOf(proxy, { authorization: `Bearer ${expired}` });
      const samples = await proxy.samples();
      // Two requests each (initialize and ping).
      expect(valueOf(samples, 'mcp_server_auth_failures_total', { reason: 'invalid_token' })).toBe(2);
      expect(valueOf(samples, 'mcp_server_auth_failures_total', { reason: 'expired_token' })).toBe(2);
    } finally {
      await proxy.close();
    }
  });

  it("counts the server's own 401 and 403 answers by reason, and they are no operations", async () => {
    const guarded = createServer((req, res) => {
      req.resume();
      const authorization = req.headers.authorization;
      if (!authorization) res.writeHead(401, { 'www-authenticate': 'Bearer realm="mcp"' });
      else if (authorization === 'Bearer expired') {
        res.writeHead(401, {
          'www-authenticate': 'Bearer error="invalid_token", error_description="The token expired"',
        });
      } else res.writeHead(403, { 'www-authenticate': 'Bearer error="insufficient_scope", scope="tools"' });
      res.end();
    });
    guarded.listen(0, '127.0.0.1');
    await once(guarded, 'listening');
    const proxy = await startProxy(`http://127.0.0.1:${(guarded.address() as AddressInfo).port}/mcp`);
    try {
      const ping = message(1, 'ping');
      expect((await raw(proxy.url, 'POST', POST_HEADERS, ping)).status).toBe(401);
      await raw(proxy.url, 'POST', { ...POST_HEADERS, authorization: 'Bearer expired' }, ping);
      await raw(proxy.url, 'POST', { ...POST_HEADERS, authorization: 'Bearer reader' }, ping);
      const samples = await proxy.samples();
      expect(valueOf(samples, 'mcp_server_auth_failures_total', { reason: 'missing_token' })).toBe(1);
      expect(valueOf(samples, 'mcp_server_auth_failures_total', { reason: 'expired_token' })).toBe(1);
      expect(valueOf(samples, 'mcp_server_auth_failures_total', { reason: 'insufficient_scope' })).toBe(1);
      expect(valueOf(samples, DURATION)).toBe(0);
      expect(valueOf(samples, 'mcp_server_operations_in_flight')).toBe(0);
    } finally {
      await proxy.close();
      guarded.close();
    }
  });
});

describe('proxy faults', () => {
  it('the server down: 502 with a JSON-RPC error for the request, counted, and not ready', async () => {
    const port = await freePort();
    const proxy = await startProxy(`http://127.0.0.1:${port}/mcp`);
    try {
      const answer = await raw(proxy.url, 'POST', POST_HEADERS, message(41, 'tools/list'));
      expect(answer.status).toBe(502);
      expect(answer.headers['content-type']).toBe('application/json');
      const body = JSON.parse(answer.body) as { id: number; error: { code: number; message: string } };
      expect(body.id).toBe(41);
      expect(body.error.code).toBe(-32603);
      expect(body.error.message).toContain('ECONNREFUSED');
      const samples = await proxy.samples();
      expect(valueOf(samples, DURATION, { mcp_method_name: 'tools/list', error_type: 'upstream_unavailable' })).toBe(1);
      const readiness = await proxy.health.ready();
      expect(readiness.status).toBe('failing');
      expect(readiness.failing).toEqual(['upstream']);
      expect(readiness.checks['upstream']?.error).toContain(`127.0.0.1:${port}`);
    } finally {
      await proxy.close();
    }
  });

  it('the server down while a slow client is still sending its body: the whole body is read, then 502', async () => {
    const proxy = await startProxy(`http://127.0.0.1:${await freePort()}/mcp`);
    try {
      const body = message(42, 'tools/call', { name: 'echo', arguments: { text: 'x'.repeat(100_000) } });
      const answer = await new Promise<RawAnswer>((resolve, reject) => {
        const outgoing = request(proxy.url, { method: 'POST', headers: POST_HEADERS }, (response) => {
          let text = '';
          response.on('data', (chunk: Buffer) => (text += chunk.toString()));
          response.once('end', () => resolve({ status: response.statusCode!, headers: response.headers, body: text }));
        });
        outgoing.once('error', reject);
        outgoing.write(body.slice(0, 1000));
        // The rest arrives after the connection to the server has already failed.
        setTimeout(() => outgoing.end(body.slice(1000)), 300);
      });
      expect(answer.status).toBe(502);
      expect((JSON.parse(answer.body) as { id: number }).id).toBe(42);
      const samples = await proxy.samples();
      expect(valueOf(samples, DURATION, { error_type: 'upstream_unavailable' })).toBe(1);
    } finally {
      await proxy.close();
    }
  });

  for (const [tool, cut] of [
    ['crash', 'before answering: 502 with a JSON-RPC error'],
    ['crash-mid-stream', 'mid-stream: the client sees the stream cut'],
  ] as const) {
    it(`the server dying ${cut}; the request is failed as connection closed`, async () => {
      const upstream = await startPlain();
      const proxy = await startProxy(upstream.url);
      const client = new Client({ name: 'test', version: '1' });
      try {
        await client.connect(new StreamableHTTPClientTransport(new URL(proxy.url)));
        await client.listTools();
        expect((await proxy.health.ready()).status).toBe('ok');
        const error: unknown = await client.callTool({ name: tool, arguments: {} }, undefined, { timeout: 2000 }).then(
          () => undefined,
          (thrown: unknown) => thrown,
        );
        expect(String(error)).toMatch(
          tool === 'crash' ? /MCP server unavailable/ : /terminated|closed|aborted|fetch failed|Error/i,
        );
        await new Promise((resolve) => setTimeout(resolve, 200));
        const samples = await proxy.samples();
        expect(valueOf(samples, DURATION, { gen_ai_tool_name: tool, error_type: '-32000' })).toBe(1);
        expect(valueOf(samples, 'mcp_server_operations_in_flight')).toBe(0);
        expect((await proxy.health.ready()).status).toBe('failing');
      } finally {
        await client.close().catch(() => {});
        await proxy.close();
        upstream.stop();
      }
    });
  }
});

describe('mcp-observatory proxy on the command line', () => {
  const cli = async (args: string[]) => {
    const child = spawn('node', [BIN, 'proxy', ...args]);
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    const [code] = (await once(child, 'close')) as [number];
    return { code, stdout, stderr };
  };

  it('explains itself, and a bad flag names the flag, the value and the fix', async () => {
    const help = await cli(['--help']);
    expect(help.code).toBe(0);
    expect(help.stdout).toContain('--upstream URL');
    expect(help.stdout).toContain('--tenant-claim');
    for (const [args, expected] of [
      [[], '--upstream is required'],
      [['--upstream', 'ftp://x/mcp'], '--upstream "ftp://x/mcp": use an http:// or https:// URL'],
      [['--upstream', 'http://127.0.0.1:1/mcp', '--listen', 'nowhere'], '--listen "nowhere": give HOST:PORT'],
      [
        ['--upstream', 'http://127.0.0.1:1/mcp', '--metrics-port', '99999'],
        '--metrics-port "99999": set it to a port number from 1 to 65535',
      ],
      [['--upstream', 'http://127.0.0.1:1/mcp', '--log-level', 'loud'], '--log-level "loud": set it to one of'],
      [['--upstream', 'http://127.0.0.1:1/mcp', '--jwks', '/no/such/jwks.json'], 'cannot read the JWKS file'],
      [['--upstream', 'http://127.0.0.1:1/mcp', '--upstream-timeout', '3'], "Unknown option '--upstream-timeout'"],
    ] as const) {
      const run = await cli([...args]);
      expect(run.code, args.join(' ')).toBe(2);
      expect(run.stderr).toContain(expected);
      expect(run.stderr).toContain("Run 'mcp-observatory proxy --help'");
    }
  });

  it('serves /metrics on its port, with OTEL_* variables, and stops cleanly on SIGTERM', async () => {
    const upstream = await startPlain(true);
    const [listen, metricsPort] = [await freePort(), await freePort()];
    const child = spawn('node', [BIN, 'proxy', '--upstream', upstream.url, '--listen', `127.0.0.1:${listen}`], {
      env: {
        ...process.env,
        OTEL_SERVICE_NAME: 'fraud-investigation',
        OTEL_EXPORTER_PROMETHEUS_HOST: '127.0.0.1',
        OTEL_EXPORTER_PROMETHEUS_PORT: String(metricsPort),
        MCP_OBSERVATORY_LOG_LEVEL: 'silent',
      },
    });
    try {
      await once(child.stderr, 'data');
      const client = new Client({ name: 'test', version: '1' });
      await client.connect(new StreamableHTTPClientTransport(new URL(`http://127.0.0.1:${listen}/mcp`)));
      await client.callTool({ name: 'echo', arguments: { text: 'x' } });
      await client.close();
      const text = await (await fetch(`http://127.0.0.1:${metricsPort}/metrics`)).text();
      expect(text).toContain('service_name="fraud-investigation"');
      expect(text).toMatch(/mcp_server_operation_duration_seconds_count\{mcp_method_name="tools\/call"[^}]*\} 1/);
      expect((await fetch(`http://127.0.0.1:${metricsPort}/health/ready`)).status).toBe(200);
      child.kill('SIGTERM');
      const [code] = (await once(child, 'close')) as [number];
      expect(code).toBe(0);
    } finally {
      child.kill('SIGKILL');
      upstream.stop();
    }
  });
});
