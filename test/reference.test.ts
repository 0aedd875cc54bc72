import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StdioClientTransport } from '@modelcontextprotocol/sdk/client/stdio.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import type { CallToolResult } from '@modelcontextprotocol/sdk/types.js';
import { isServerFault } from '../lib/contract.js';
import { valueOf } from './fixtures/metrics.js';
import { waitFor } from './fixtures/prometheus.js';
import { SERVER, startReference } from './fixtures/reference.js';
import type { Reference } from './fixtures/reference.js';

// The reference server as a user runs it (`npm start`, PORT=0), talked to with the SDK's own client over real
// transports: what its tenants, operators and drills see, and what its /metrics says about it.

const text = (result: unknown) => ((result as CallToolResult).content[0] as { text: string }).text;
const call = (client: Client, name: string, args: Record<string, unknown>) =>
  client.callTool({ name, arguments: args }) as Promise<CallToolResult>;

describe('reference server, stateful Streamable HTTP', () => {
  let server: Reference;
  beforeAll(async () => {
    server = await startReference({ BREAKER_OPEN_MS: '2000', BREAKER_FAILURES: '3' });
  });
  afterAll(() => server?.stop());

  it('serves the governance tools, documents and prompts to a tenant', async () => {
    const client = await server.connect('acme');
    const { tools } = await client.listTools();
    expect(tools.map((tool) => tool.name).sort()).toEqual(['compliance_check', 'fetch', 'search', 'summarize']);

    const first = await call(client, 'search', { query: 'model risk' });
    expect((first.structuredContent as { results: { id: string }[] }).results[0]!.id).toBe('model-risk-management');
    const again = await call(client, 'search', { query: 'model risk' });
    expect(again.structuredContent).toEqual(first.structuredContent);
    expect(text(await call(client, 'fetch', { id: 'human-oversight' }))).toMatch(/^# Human Oversight/);
    expect(text(await call(client, 'summarize', { id: 'bias-testing', maxWords: 10 }))).toMatch(/^Models that affect/);
    const check = await call(client, 'compliance_check', { id: 'eu-ai-act-readiness', framework: 'eu-ai-act' });
    expect(check.structuredContent).toEqual({
      framework: 'eu-ai-act',
      covered: ['risk-management-system', 'data-governance', 'transparency', 'human-oversight', 'record-keeping'],
      gaps: [],
    });

    const { resources } = await client.listResources();
    expect(resources).toHaveLength(8);
    const doc = await client.readResource({ uri: 'governance://documents/ai-incident-response' });
    expect((doc.contents[0] as { text: string }).text).toMatch(/AI Incident Response Procedure/);
    // Resource not found is -32602 with data { uri }: SDK v2 never sends -32002 (v1 did), on any protocol revision.
    await expect(client.readResource({ uri: 'governance://documents/nope' })).rejects.toMatchObject({
      code: -32602,
      data: { uri: 'governance://documents/nope' },
    });
    const prompt = await client.getPrompt({
      name: 'review-document',
      arguments: { id: 'bias-testing', framework: 'iso-42001' },
    });
    expect(prompt.messages[0]!.content).toMatchObject({
      type: 'text',
      text: expect.stringMatching(/compliance_check/),
    });
    const completion = await client.complete({
      ref: { type: 'ref/prompt', name: 'review-document' },
      argument: { name: 'id', value: 'ai-' },
    });
    expect(completion.completion.values).toEqual(['ai-acceptable-use', 'ai-incident-response']);

    const samples = await server.metrics();
    const acme = (tool: string) =>
      valueOf(samples, 'mcp_server_tenant_tool_calls_total', {
        tenant_id: 'acme',
        gen_ai_tool_name: tool,
        error_type: '',
      });
    expect([acme('search'), acme('fetch'), acme('summarize'), acme('compliance_check')]).toEqual([2, 1, 1, 1]);
    // The second identical search of the tenant was served from the cache.
    expect(valueOf(samples, 'mcp_server_cache_requests_total', { cache: 'search', result: 'hit' })).toBe(1);
    expect(valueOf(samples, 'mcp_server_cache_requests_total', { cache: 'search', result: 'miss' })).toBe(1);
    expect(valueOf(samples, 'mcp_server_sessions_active')).toBe(1);
  });

  it('refuses requests without a known token with 401 and counts them as auth failures', async () => {
    const before = await server.metrics();
    const initialize = { jsonrpc: '2.0', id: 1, method: 'ping' };
    const post = (headers: Record<string, string>) =>
      fetch(server.url, {
        method: 'POST',
        headers: { 'content-type': 'application/json', accept: 'application/json, text/event-stream', ...headers },
        body: JSON.stringify(initialize),
      });
    const missing = await post({});
    expect(missing.status).toBe(401);
    const unknown = await post({ authorization: 'Bearer not-a-tenant' });
    expect(unknown.status).toBe(401);
    expect(unknown.headers.get('www-authenticate')).toMatch(/error="invalid_token"/);
    const client = new Client({ name: 'intruder', version: '1.0.0' });
    await expect(
      client.connect(
        new StreamableHTTPClientTransport(new URL(server.url), {
          requestInit: { headers: { authorization: 'Bearer stolen' } },
        }),
      ),
    ).rejects.toMatchObject({ code: 401 });

    const after = await server.metrics();
    const delta = (reason: string) =>
      valueOf(after, 'mcp_server_auth_failures_total', { reason }) -
      valueOf(before, 'mcp_server_auth_failures_total', { reason });
    expect(delta('missing_token')).toBe(1);
    expect(delta('invalid_token')).toBe(2);
  });

  it("keeps a session to the tenant that opened it: another tenant's token cannot use it", async () => {
    const client = new Client({ name: 'acme-agent', version: '1.0.0' });
    const transport = new StreamableHTTPClientTransport(new URL(server.url), {
      requestInit: { headers: { authorization: 'Bearer demo-token-acme' } },
    });
    await client.connect(transport);
    const hijack = await fetch(server.url, {
      method: 'POST',
      headers: {
        'content-type': 'application/json',
        accept: 'application/json, text/event-stream',
        authorization: 'Bearer demo-token-globex',
        'mcp-session-id': transport.sessionId!,
        'mcp-protocol-version': '2025-06-18',
      },
      body: JSON.stringify({ jsonrpc: '2.0', id: 7, method: 'tools/list' }),
    });
    expect(hijack.status).toBe(404);
    await transport.terminateSession();
    await client.close();
  });

  it('rate-limits a tenant by its plan with an MCP tool error, recorded as a policy rejection, not a server fault', async () => {
    const client = await server.connect('hooli');
    // The free plan allows a burst of 10 calls, then 5 a second: 30 calls at once cannot all pass.
    const results = await Promise.all(Array.from({ length: 30 }, () => call(client, 'fetch', { id: 'bias-testing' })));
    const limited = results.filter((result) => result.isError);
    expect(limited.length).toBeGreaterThan(0);
    expect(text(limited[0])).toMatch(/^Rate limit exceeded for tenant hooli \(free plan: 5 tool calls\/s, burst 10\)/);
    const samples = await server.metrics();
    expect(valueOf(samples, 'mcp_server_rate_limited_requests_total', { tenant_id: 'hooli' })).toBe(limited.length);
    expect(
      valueOf(samples, 'mcp_server_tenant_tool_calls_total', {
        tenant_id: 'hooli',
        gen_ai_tool_name: 'fetch',
        error_type: 'rate_limited',
      }),
    ).toBe(limited.length);
    // A client fault: the availability SLO and the error-ratio alerts leave it out.
    expect(isServerFault('rate_limited')).toBe(false);
    expect(
      valueOf(samples, 'mcp_server_operation_duration_seconds_count', {
        gen_ai_tool_name: 'fetch',
        error_type: 'tool_error',
      }),
    ).toBe(0);
    const quota = valueOf(samples, 'mcp_server_tenant_quota_remaining_ratio', {
      tenant_id: 'hooli',
      quota: 'daily_tool_calls',
    });
    expect(quota).toBe(1 - (30 - limited.length) / 10_000);
  });

  it('injects faults for one tool and tenant through the admin endpoint, until they are removed', async () => {
    expect((await fetch(`${server.base}/admin/faults`)).status).toBe(401);
    expect(await server.admin('POST', '', { eror: 0.5 })).toEqual({
      status: 400,
      json: { error: expect.stringMatching(/^"eror" is not a fault field; fields: tool, tenant, error,/) },
    });
    expect(await server.admin('POST', '', { error: 1.5 })).toMatchObject({
      status: 400,
      json: { error: '"error": 1.5 is not a probability from 0 to 1, e.g. 0.2' },
    });
    expect(await server.admin('POST', '', { error: 1, tool: 'serach' })).toMatchObject({
      status: 400,
      json: { error: expect.stringMatching(/"serach" is not a tool of this server; tools: search, fetch/) },
    });
    const added = await server.admin('POST', '', { error: 1, tool: 'fetch', tenant: 'globex' });
    expect(added).toMatchObject({
      status: 201,
      json: { id: expect.any(String), error: 1, tool: 'fetch', tenant: 'globex' },
    });
    const id = (added.json as { id: string }).id;

    const globex = await server.connect('globex');
    const acme = await server.connect('acme');
    const failed = await call(globex, 'fetch', { id: 'bias-testing' });
    expect(failed.isError).toBe(true);
    expect(text(failed)).toBe('injected fault: fetch failed for globex');
    expect((await call(acme, 'fetch', { id: 'bias-testing' })).isError).toBeFalsy();
    expect((await call(globex, 'search', { query: 'fairness' })).isError).toBeFalsy();
    const samples = await server.metrics();
    expect(
      valueOf(samples, 'mcp_server_tenant_tool_calls_total', {
        tenant_id: 'globex',
        gen_ai_tool_name: 'fetch',
        error_type: 'tool_error',
      }),
    ).toBe(1);

    expect((await server.admin('GET')).json).toEqual({ faults: [expect.objectContaining({ id })] });
    expect((await server.admin('DELETE', `/${id}`)).status).toBe(204);
    expect((await call(globex, 'fetch', { id: 'bias-testing' })).isError).toBeFalsy();
    expect((await server.admin('GET')).json).toEqual({ faults: [] });
  });

  it('opens the circuit breaker during a dependency outage, turns readiness 503, and recovers after it', async () => {
    const ready = () => fetch(`${server.base}/health/ready`);
    expect((await ready()).status).toBe(200);
    const client = await server.connect('initech');
    const check = () => call(client, 'compliance_check', { id: 'human-oversight', framework: 'nist-ai-rmf' });
    const outage = await server.admin('POST', '', { outage: true });
    const id = (outage.json as { id: string }).id;

    // Three failures open the breaker (BREAKER_FAILURES=3); then calls fail fast without reaching the registry.
    for (let i = 0; i < 3; i++) expect(text(await check())).toMatch(/compliance registry unreachable/);
    const fast = await check();
    expect(fast.isError).toBe(true);
    expect(text(fast)).toMatch(/^compliance-registry unavailable: circuit breaker open/);
    const open = await server.metrics();
    expect(
      valueOf(open, 'mcp_server_circuit_breaker_state', { dependency: 'compliance-registry', state: 'open' }),
    ).toBe(1);
    expect(
      valueOf(open, 'mcp_server_circuit_breaker_state', { dependency: 'compliance-registry', state: 'closed' }),
    ).toBe(0);
    const notReady = await waitFor(ready, (response) => response.status === 503, { what: 'readiness to turn 503' });
    expect(await notReady.json()).toMatchObject({ status: 'failing', failing: ['compliance-registry'] });

    await server.admin('DELETE', `/${id}`);
    // Readiness probes through the breaker, so it half-opens and closes again without waiting for traffic.
    await waitFor(ready, (response) => response.status === 200, { what: 'readiness to recover' });
    expect((await check()).isError).toBeFalsy();
    const closed = await server.metrics();
    expect(
      valueOf(closed, 'mcp_server_circuit_breaker_state', { dependency: 'compliance-registry', state: 'closed' }),
    ).toBe(1);
    expect(
      valueOf(closed, 'mcp_server_tenant_tool_calls_total', {
        tenant_id: 'initech',
        gen_ai_tool_name: 'compliance_check',
        error_type: 'tool_error',
      }),
    ).toBe(4);
  });
});

describe('reference server, stateless Streamable HTTP', () => {
  let server: Reference;
  beforeAll(async () => {
    server = await startReference({ MCP_MODE: 'stateless' });
  });
  afterAll(() => server?.stop());

  it('serves each request with a fresh server, per tenant, without sessions', async () => {
    for (const tenant of ['acme', 'umbrella']) {
      const client = await server.connect(tenant);
      expect((await call(client, 'fetch', { id: 'vendor-model-assessment' })).isError).toBeFalsy();
    }
    expect((await fetch(server.url, { headers: { authorization: 'Bearer demo-token-acme' } })).status).toBe(405);
    const samples = await server.metrics();
    for (const tenant of ['acme', 'umbrella']) {
      expect(
        valueOf(samples, 'mcp_server_tenant_tool_calls_total', {
          tenant_id: tenant,
          gen_ai_tool_name: 'fetch',
          error_type: '',
        }),
      ).toBe(1);
    }
    expect(valueOf(samples, 'mcp_server_sessions_active')).toBe(0);
  });
});

describe('reference server over stdio', () => {
  it('serves a local client as the tenant named by MCP_TENANT', async () => {
    const transport = new StdioClientTransport({
      command: process.execPath,
      args: [SERVER, '--stdio'],
      env: { MCP_TENANT: 'local-team', OTEL_SDK_DISABLED: 'true', LOG_LEVEL: 'silent' },
      stderr: 'pipe',
    });
    let stderr = '';
    transport.stderr?.on('data', (chunk: Buffer) => void (stderr += chunk.toString()));
    const client = new Client({ name: 'desktop', version: '1.0.0' });
    await client.connect(transport);
    try {
      const result = await call(client, 'search', { query: 'retention' });
      expect((result.structuredContent as { results: { id: string }[] }).results[0]!.id).toBe(
        'training-data-retention',
      );
      expect(stderr).toMatch(/reference MCP server on stdio, tenant local-team/);
    } finally {
      await client.close();
    }
  });
});

describe('reference server lifecycle', () => {
  it('drains on SIGTERM: readiness turns 503 and the request in flight finishes before the exit', async () => {
    const server = await startReference({ SHUTDOWN_DELAY_MS: '2000' });
    try {
      await server.admin('POST', '', { latencyMs: 4000, tool: 'summarize' });
      const client = await server.connect('acme');
      const slow = call(client, 'summarize', { id: 'ai-acceptable-use', maxWords: 12 });
      await waitFor(
        () => server.metrics(),
        (samples) => valueOf(samples, 'mcp_server_operations_in_flight', { mcp_method_name: 'tools/call' }) === 1,
        { what: 'the summarize call to be in flight', intervalMs: 50 },
      );
      server.child.kill('SIGTERM');
      await waitFor(
        () => fetch(`${server.base}/health/ready`),
        (response) => response.status === 503,
        { what: 'readiness to turn 503 while draining', intervalMs: 50 },
      );
      const result = await slow;
      expect(result.isError).toBeFalsy();
      expect(text(result)).toMatch(
        /^Employees may use approved generative AI tools for drafting, research and code …$/,
      );
      expect(await server.exited).toEqual({ code: 0, signal: null });
      expect(server.stdout()).toMatch(/SIGTERM: draining; readiness answers 503, 1 request\(s\) in flight/);
      expect(server.stdout()).toMatch(/drained: 1 in-flight request\(s\) finished; exiting/);
    } finally {
      await server.stop();
    }
  });

  it('crashes on an injected crash fault, during the call it targets', async () => {
    const server = await startReference();
    try {
      await server.admin('POST', '', { crash: true, tool: 'fetch', tenant: 'umbrella' });
      const client = await server.connect('umbrella');
      expect((await call(client, 'search', { query: 'audit' })).isError).toBeFalsy();
      const doomed = client.callTool({ name: 'fetch', arguments: { id: 'bias-testing' } });
      expect((await server.exited).code).toBe(1);
      expect(server.stderr()).toMatch(/injected fault: crashing the process during a call of fetch by umbrella/);
      // The answer never comes; closing the client settles the call the way an agent would see it.
      await client.close();
      await expect(doomed).rejects.toMatchObject({ code: -32000 });
    } finally {
      await server.stop();
    }
  });

  it('starts with the faults of FAULT_* variables, and refuses a bad one by name', async () => {
    const server = await startReference({ FAULT_ERROR_RATE: '1', FAULT_TOOL: 'summarize' });
    try {
      expect(server.stdout()).toMatch(/fault f1 on: error=1 tool=summarize/);
      const client = await server.connect('acme');
      expect(text(await call(client, 'summarize', { id: 'bias-testing' }))).toBe(
        'injected fault: summarize failed for acme',
      );
    } finally {
      await server.stop();
    }
    await expect(startReference({ FAULT_ERROR_RATE: '2' })).rejects.toThrow(
      /exited with 2:[\s\S]*FAULT_ERROR_RATE=2 is not a probability from 0 to 1, e\.g\. 0\.2/,
    );
  });

  it('safe defaults: no fault endpoint without a token, no token in the banner, no anonymous /metrics off loopback', async () => {
    const closed = await startReference({ ADMIN_TOKEN: '' });
    try {
      expect(closed.stdout()).toMatch(/admin {4}off: set ADMIN_TOKEN to inject faults/);
      const response = await fetch(`${closed.base}/admin/faults`, {
        headers: { authorization: 'Bearer demo-admin-token' },
      });
      expect(response.status).toBe(404);
    } finally {
      await closed.stop();
    }
    const open = await startReference({ ADMIN_TOKEN: 'operator-chosen-token' });
    try {
      expect(open.stdout()).toMatch(/Authorization: Bearer \$ADMIN_TOKEN/);
      expect(open.stdout()).not.toContain('operator-chosen-token');
    } finally {
      await open.stop();
    }
    await expect(startReference({ HOST: '0.0.0.0', ADMIN_TOKEN: '' })).rejects.toThrow(
      /exited with 2:[\s\S]*anonymous \/metrics: set METRICS_TOKEN/,
    );
  });

  it('counts a body its JSON parser refuses before the SDK sees it, as the SDK counts its own', async () => {
    const server = await startReference();
    try {
      const response = await fetch(server.url, {
        method: 'POST',
        headers: {
          'content-type': 'application/json',
          accept: 'application/json, text/event-stream',
          authorization: 'Bearer demo-token-acme',
        },
        body: '{"jsonrpc":',
      });
      expect(response.status).toBe(400);
      expect(valueOf(await server.metrics(), 'mcp_server_transport_errors_total', { error_type: '-32700' })).toBe(1);
    } finally {
      await server.stop();
    }
  });
});
