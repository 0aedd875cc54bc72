import { spawnSync } from 'node:child_process';
import { existsSync, readdirSync, statSync } from 'node:fs';
import { once } from 'node:events';
import { createServer as createHttpServer } from 'node:http';
import type { Server as HttpServer } from 'node:http';
import { createServer } from 'node:net';
import type { AddressInfo, Server as NetServer } from 'node:net';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StdioClientTransport, getDefaultEnvironment } from '@modelcontextprotocol/sdk/client/stdio.js';
import { InMemoryTransport } from '@modelcontextprotocol/sdk/inMemory.js';
import { McpServer } from '@modelcontextprotocol/sdk/server/mcp.js';
import { DiagLogLevel, diag } from '@opentelemetry/api';
import { Registry } from 'prom-client';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { DEFAULT_PROMETHEUS_HOST, DEFAULT_PROMETHEUS_PORT, optionsFromEnv } from '../lib/env.js';
import { McpInstrumentation, inRange } from '../lib/instrumentation.js';
import { freePort } from './fixtures/ports.js';
import { parseMetrics, scrape, valueOf } from './fixtures/metrics.js';

const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..');
const REGISTER = join(ROOT, 'dist', 'lib', 'register.js');
const FIXTURES = join(ROOT, 'test', 'fixtures');
const DURATION_COUNT = 'mcp_server_operation_duration_seconds_count';

describe('optionsFromEnv', () => {
  it('defaults to the OpenTelemetry Prometheus exporter address and nothing else', () => {
    const { options, problems } = optionsFromEnv({});
    expect(problems).toEqual([]);
    expect(options).toEqual({
      disabled: false,
      instrument: {},
      metrics: { host: DEFAULT_PROMETHEUS_HOST, port: DEFAULT_PROMETHEUS_PORT },
      telemetry: false,
      diagLogLevel: DiagLogLevel.WARN,
    });
    expect(options.metrics).toEqual({ host: '0.0.0.0', port: 9464 });
  });

  it('reads every supported variable', () => {
    const { options, problems } = optionsFromEnv({
      OTEL_SERVICE_NAME: 'billing-mcp',
      OTEL_EXPORTER_PROMETHEUS_HOST: '127.0.0.1',
      OTEL_EXPORTER_PROMETHEUS_PORT: '9999',
      OTEL_EXPORTER_OTLP_ENDPOINT: 'http://collector:4318',
      OTEL_LOG_LEVEL: 'debug',
      MCP_OBSERVATORY_METRICS_TOKEN: 's3cret',
      MCP_OBSERVATORY_MAX_TENANTS: '25',
      MCP_OBSERVATORY_TRUSTED_TENANT_HEADER: 'X-Tenant-Id',
      MCP_OBSERVATORY_LOG_LEVEL: 'WARN',
    });
    expect(problems).toEqual([]);
    expect(options).toEqual({
      disabled: false,
      instrument: {
        serviceName: 'billing-mcp',
        maxTenants: 25,
        trustedTenantHeader: 'X-Tenant-Id',
        logs: { level: 'warn' },
      },
      metrics: { host: '127.0.0.1', port: 9999, bearerToken: 's3cret' },
      telemetry: true,
      diagLogLevel: DiagLogLevel.DEBUG,
    });
  });

  it('treats empty values as unset, as the OpenTelemetry specification asks', () => {
    const { options, problems } = optionsFromEnv({
      OTEL_EXPORTER_PROMETHEUS_PORT: '',
      MCP_OBSERVATORY_METRICS_TOKEN: '',
      OTEL_SDK_DISABLED: '',
    });
    expect(problems).toEqual([]);
    expect(options.metrics).toEqual({ host: '0.0.0.0', port: 9464 });
    expect(options.disabled).toBe(false);
  });

  it('takes service.name from OTEL_RESOURCE_ATTRIBUTES when OTEL_SERVICE_NAME is unset', () => {
    const env = { OTEL_RESOURCE_ATTRIBUTES: 'deployment.environment=prod,service.name=docs%20mcp' };
    expect(optionsFromEnv(env).options.instrument.serviceName).toBe('docs mcp');
    expect(optionsFromEnv({ ...env, OTEL_SERVICE_NAME: 'wins' }).options.instrument.serviceName).toBe('wins');
  });

  it('turns everything off with OTEL_SDK_DISABLED=true and the endpoint off with OTEL_METRICS_EXPORTER=none', () => {
    expect(optionsFromEnv({ OTEL_SDK_DISABLED: 'TRUE' }).options.disabled).toBe(true);
    expect(optionsFromEnv({ OTEL_SDK_DISABLED: 'false' }).options.disabled).toBe(false);
    expect(optionsFromEnv({ OTEL_METRICS_EXPORTER: 'none' }).options.metrics).toBeUndefined();
  });

  it('exports traces and logs only when an OTLP endpoint is set and an exporter is not none', () => {
    const telemetry = (env: NodeJS.ProcessEnv) => optionsFromEnv(env).options.telemetry;
    expect(telemetry({})).toBe(false);
    expect(telemetry({ OTEL_TRACES_EXPORTER: 'otlp' })).toBe(false);
    expect(telemetry({ OTEL_EXPORTER_OTLP_TRACES_ENDPOINT: 'http://c:4318/v1/traces' })).toBe(true);
    expect(telemetry({ OTEL_EXPORTER_OTLP_ENDPOINT: 'http://c:4318', OTEL_TRACES_EXPORTER: 'none' })).toBe(true);
    expect(
      telemetry({
        OTEL_EXPORTER_OTLP_ENDPOINT: 'http://c:4318',
        OTEL_TRACES_EXPORTER: 'none',
        OTEL_LOGS_EXPORTER: 'none',
      }),
    ).toBe(false);
  });

  it.each([
    ['OTEL_EXPORTER_PROMETHEUS_PORT', 'abc', '9464'],
    ['OTEL_EXPORTER_PROMETHEUS_PORT', '9464abc', '9464'],
    ['OTEL_EXPORTER_PROMETHEUS_PORT', '0', '9464'],
    ['OTEL_EXPORTER_PROMETHEUS_PORT', '70000', '9464'],
    ['OTEL_EXPORTER_PROMETHEUS_HOST', 'my host', '0.0.0.0'],
    ['OTEL_SDK_DISABLED', 'yes', 'false'],
    ['OTEL_LOG_LEVEL', 'chatty', 'warn'],
    ['MCP_OBSERVATORY_MAX_TENANTS', '0', '100'],
    ['MCP_OBSERVATORY_MAX_TENANTS', '2.5', '100'],
    ['MCP_OBSERVATORY_MAX_TENANTS', 'many', '100'],
    ['MCP_OBSERVATORY_TRUSTED_TENANT_HEADER', 'x tenant', 'no trusted header'],
    ['MCP_OBSERVATORY_LOG_LEVEL', 'loud', 'info'],
  ])('%s=%s is reported with the variable, the value, the fix and the default', (variable, value, fallback) => {
    const { options, problems } = optionsFromEnv({ [variable]: value });
    expect(problems).toHaveLength(1);
    const [problem] = problems;
    expect(problem).toMatchObject({ variable, value });
    expect(problem!.message).toContain(`${variable}=${JSON.stringify(value)}`);
    expect(problem!.message).toMatch(/set it to/);
    expect(problem!.message).toContain(`(using ${fallback})`);
    // The default applies instead of the bad value.
    const { options: defaults } = optionsFromEnv({});
    expect(options).toEqual(defaults);
  });
});

describe('McpInstrumentation', () => {
  it('accepts the SDK versions it knows the internals of', () => {
    const v1 = (version: string | undefined) => inRange(version, '>=1.10.0 <2');
    expect(['1.10.0', '1.32.2', '1.99.1-beta.1'].map(v1)).toEqual([true, true, true]);
    expect(['1.9.9', '0.6.0', '2.0.0', 'abc', undefined].map(v1)).toEqual([false, false, false, false, false]);
    const v2 = (version: string) => inRange(version, '>=2.0.0 <3');
    expect(['2.0.0', '2.4.0', '1.32.2', '3.0.0'].map(v2)).toEqual([true, true, false, false]);
  });

  it('targets both SDK lines: the v1 protocol and McpServer files, the v2 main entry, and says what it cannot', () => {
    const instrumentation = new McpInstrumentation({ enabled: false });
    const definitions = instrumentation.getModuleDefinitions();
    const summary = definitions.map((d) => [d.name, d.supportedVersions, d.files.map((file) => file.name)]);
    expect(summary).toEqual([
      ['@modelcontextprotocol/server', ['>=2.0.0 <3'], []],
      ['@modelcontextprotocol/server', ['<2.0.0 || >=3'], []],
      [
        '@modelcontextprotocol/sdk',
        ['>=1.10.0 <2'],
        [
          '@modelcontextprotocol/sdk/dist/esm/shared/protocol.js',
          '@modelcontextprotocol/sdk/dist/esm/server/mcp.js',
          '@modelcontextprotocol/sdk/dist/cjs/shared/protocol.js',
          '@modelcontextprotocol/sdk/dist/cjs/server/mcp.js',
        ],
      ],
      ['@modelcontextprotocol/sdk', ['<1.10.0 || >=2'], []],
    ]);
  });

  it('instruments servers as they connect, leaves clients alone, and never breaks connect', async () => {
    const protocolModule = await import('@modelcontextprotocol/sdk/shared/protocol.js');
    const prototype = protocolModule.Protocol.prototype;
    const original = prototype.connect;
    const registry = new Registry();
    const instrumentation = new McpInstrumentation({
      enabled: false,
      instrumentOptions: { registry, processMetrics: false, logs: false },
    });
    const [esm, esmMcp] = instrumentation.getModuleDefinitions().find((d) => d.files.length > 0)!.files;
    const mcpModule = await import('@modelcontextprotocol/sdk/server/mcp.js');
    const mcpConnect = mcpModule.McpServer.prototype.connect;
    const errors: unknown[][] = [];
    diag.setLogger(
      { error: (...args) => errors.push(args), warn: () => {}, info: () => {}, debug: () => {}, verbose: () => {} },
      DiagLogLevel.ERROR,
    );
    try {
      instrumentation.enable();
      // What the module hook does once the SDK is imported (the SDK is loaded already in this process).
      esm!.moduleExports = protocolModule;
      esm!.patch(protocolModule);
      esm!.patch(protocolModule);
      esmMcp!.moduleExports = mcpModule;
      esmMcp!.patch(mcpModule);
      // Patching twice leaves one wrapper around the SDK's own connect.
      expect(prototype.connect).not.toBe(original);
      expect((prototype.connect as unknown as Record<symbol, unknown>)[Symbol.for('mcp-observatory.original')]).toBe(
        original,
      );

      const server = new McpServer({ name: 'in-process', version: '1.0.0' });
      server.registerTool('echo', { description: 'Echo' }, async () => ({ content: [{ type: 'text', text: 'ok' }] }));
      const client = new Client({ name: 'in-process-client', version: '1.0.0' });
      const [clientSide, serverSide] = InMemoryTransport.createLinkedPair();
      await server.connect(serverSide);
      await client.connect(clientSide);
      await client.callTool({ name: 'echo', arguments: {} });

      const samples = await scrape(registry);
      const labels = { mcp_method_name: 'tools/call', gen_ai_tool_name: 'echo', network_transport: 'inproc' };
      expect(valueOf(samples, DURATION_COUNT, labels)).toBe(1);
      const handle = Symbol.for('mcp-observatory.handle');
      expect(Object.getOwnPropertySymbols(server.server)).toContain(handle);
      expect(Object.getOwnPropertySymbols(client)).not.toContain(handle);
      await client.close();

      // instrument() throws on an impossible option: connect must still work, and the error is reported once.
      instrumentation.setConfig({ instrumentOptions: { registry: new Registry(), maxTenants: 0 } });
      for (const name of ['broken-1', 'broken-2']) {
        const broken = new McpServer({ name, version: '1.0.0' });
        const brokenClient = new Client({ name: 'c', version: '1.0.0' });
        const [c, s] = InMemoryTransport.createLinkedPair();
        await broken.connect(s);
        await brokenClient.connect(c);
        expect(await brokenClient.ping()).toEqual({});
        await brokenClient.close();
      }
      expect(errors).toHaveLength(1);
      expect(String(errors[0])).toMatch(/could not instrument MCP servers/);

      instrumentation.disable();
      expect(prototype.connect).toBe(original);
      expect(mcpModule.McpServer.prototype.connect).toBe(mcpConnect);
    } finally {
      instrumentation.disable();
      if (prototype.connect !== original) prototype.connect = original;
      if (mcpModule.McpServer.prototype.connect !== mcpConnect) mcpModule.McpServer.prototype.connect = mcpConnect;
      diag.disable();
    }
  });
});

interface App {
  client: Client;
  stderr(): string;
  /** Errors the client saw on the transport, such as stdout lines that are not JSON-RPC. */
  errors: Error[];
}

describe('node --import mcp-observatory/register (built package)', () => {
  const clients: Client[] = [];
  const blockers: NetServer[] = [];
  const collectors: HttpServer[] = [];

  beforeAll(() => {
    if (!existsSync(REGISTER)) throw new Error(`${REGISTER} is missing: run \`npm run build\` before these tests`);
    // A stale build would test yesterday's code and pass.
    const built = statSync(REGISTER).mtimeMs;
    const stale = readdirSync(join(ROOT, 'lib')).filter((file) => statSync(join(ROOT, 'lib', file)).mtimeMs > built);
    if (stale.length > 0) throw new Error(`dist/ is older than lib/${stale[0]}: run \`npm run build\` first`);
  });

  afterAll(async () => {
    // Closing the client ends the stdio transport, which kills the child process.
    await Promise.allSettled(clients.map((client) => client.close()));
    for (const server of [...blockers, ...collectors]) server.close();
  });

  async function startApp(fixture: string, register: boolean, env: Record<string, string>): Promise<App> {
    const transport = new StdioClientTransport({
      command: process.execPath,
      args: [...(register ? ['--import', REGISTER] : []), join(FIXTURES, fixture)],
      // The default environment keeps a developer's own OTEL_* variables out of the child.
      env: { ...getDefaultEnvironment(), OTEL_EXPORTER_PROMETHEUS_HOST: '127.0.0.1', ...env },
      cwd: ROOT,
      stderr: 'pipe',
    });
    let stderr = '';
    transport.stderr?.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    const client = new Client({ name: 'register-test', version: '1.0.0' });
    const errors: Error[] = [];
    client.onerror = (error) => errors.push(error);
    clients.push(client);
    await client.connect(transport);
    return { client, stderr: () => stderr, errors };
  }

  async function callTools(client: Client): Promise<void> {
    expect(await client.callTool({ name: 'echo', arguments: { text: 'one' } })).toMatchObject({
      content: [{ type: 'text', text: 'one' }],
    });
    await client.callTool({ name: 'echo', arguments: { text: 'two' } });
    expect(await client.callTool({ name: 'fail', arguments: {} })).toMatchObject({ isError: true });
  }

  for (const fixture of ['zero-code-esm.mjs', 'zero-code-cjs.cjs']) {
    it(`instruments ${fixture} without code changes`, async () => {
      const port = await freePort();
      const { client } = await startApp(fixture, true, { OTEL_EXPORTER_PROMETHEUS_PORT: String(port) });
      await callTools(client);

      const response = await fetch(`http://127.0.0.1:${port}/metrics`);
      expect(response.status).toBe(200);
      const samples = parseMetrics(await response.text());
      const call = { mcp_method_name: 'tools/call', network_transport: 'pipe' };
      expect(valueOf(samples, DURATION_COUNT, { ...call, gen_ai_tool_name: 'echo', error_type: '' })).toBe(2);
      expect(valueOf(samples, DURATION_COUNT, { ...call, gen_ai_tool_name: 'fail', error_type: 'tool_error' })).toBe(1);

      const live = await fetch(`http://127.0.0.1:${port}/health/live`);
      expect(live.status).toBe(200);
      expect(await live.json()).toEqual({ status: 'ok' });
      await client.close();
    });

    it(`exposes nothing for ${fixture} without --import`, async () => {
      const port = await freePort();
      const { client } = await startApp(fixture, false, { OTEL_EXPORTER_PROMETHEUS_PORT: String(port) });
      await callTools(client);
      await expect(fetch(`http://127.0.0.1:${port}/metrics`)).rejects.toMatchObject({
        cause: { code: 'ECONNREFUSED' },
      });
      await client.close();
    });
  }

  it('keeps the app running with one clear line when the metrics port is taken', async () => {
    const blocker = createServer().listen(0, '127.0.0.1');
    blockers.push(blocker);
    await once(blocker, 'listening');
    const { port } = blocker.address() as AddressInfo;
    const app = await startApp('zero-code-esm.mjs', true, {
      OTEL_EXPORTER_PROMETHEUS_PORT: String(port),
      MCP_OBSERVATORY_LOG_LEVEL: 'silent',
    });
    await callTools(app.client);
    await vi.waitFor(() => expect(app.stderr()).toMatch(/already in use/));
    const lines = app.stderr().trim().split('\n');
    expect(lines).toHaveLength(1);
    expect(lines[0]).toContain(`127.0.0.1:${port} is already in use`);
    expect(lines[0]).toContain('OTEL_EXPORTER_PROMETHEUS_PORT');
    await app.client.close();
  });

  it('names a bad variable, falls back, and protects /metrics with the bearer token', async () => {
    const port = await freePort();
    const app = await startApp('zero-code-cjs.cjs', true, {
      OTEL_EXPORTER_PROMETHEUS_PORT: String(port),
      MCP_OBSERVATORY_METRICS_TOKEN: 'scrape-me',
      MCP_OBSERVATORY_MAX_TENANTS: 'lots',
      MCP_OBSERVATORY_LOG_LEVEL: 'silent',
    });
    await callTools(app.client);
    expect(app.stderr()).toContain('MCP_OBSERVATORY_MAX_TENANTS="lots"');
    expect((await fetch(`http://127.0.0.1:${port}/metrics`)).status).toBe(401);
    const scraped = await fetch(`http://127.0.0.1:${port}/metrics`, { headers: { authorization: 'Bearer scrape-me' } });
    expect(scraped.status).toBe(200);
    const samples = parseMetrics(await scraped.text());
    expect(valueOf(samples, DURATION_COUNT, { mcp_method_name: 'tools/call', gen_ai_tool_name: 'echo' })).toBe(2);
    await app.client.close();
  });

  it('exports traces over OTLP when an endpoint is set, keeping diagnostics off stdout', async () => {
    const received: { path: string; body: string }[] = [];
    const collector = createHttpServer((req, res) => {
      let body = '';
      req.on('data', (chunk: Buffer) => (body += chunk.toString()));
      req.on('end', () => {
        received.push({ path: req.url ?? '', body });
        res.writeHead(200, { 'content-type': 'application/json' }).end('{}');
      });
    }).listen(0, '127.0.0.1');
    collectors.push(collector);
    await once(collector, 'listening');
    const { port: collectorPort } = collector.address() as AddressInfo;

    const { client, errors, stderr } = await startApp('zero-code-esm.mjs', true, {
      OTEL_EXPORTER_PROMETHEUS_PORT: String(await freePort()),
      OTEL_EXPORTER_OTLP_ENDPOINT: `http://127.0.0.1:${collectorPort}`,
      OTEL_SERVICE_NAME: 'zero-code-traces',
      OTEL_BSP_SCHEDULE_DELAY: '50',
      // At debug level the OpenTelemetry SDK logs while it starts; stdout is the MCP channel, so all of it goes to stderr.
      OTEL_LOG_LEVEL: 'debug',
      MCP_OBSERVATORY_LOG_LEVEL: 'silent',
    });
    await callTools(client);
    expect(errors).toEqual([]);
    expect(stderr()).toContain('[otel debug]');
    await vi.waitFor(
      () => {
        const traces = received.filter((each) => each.path === '/v1/traces').map((each) => each.body);
        expect(traces.join('\n')).toContain('tools/call echo');
        expect(traces.join('\n')).toContain('zero-code-traces');
      },
      { timeout: 10_000, interval: 50 },
    );
    // Batches wait for the resource's asynchronous attributes: host.id is exported, and OpenTelemetry has nothing to
    // complain about.
    expect(received.find((each) => each.path === '/v1/traces')!.body).toContain('host.id');
    expect(stderr()).not.toContain('Accessing resource attributes before async attributes settled');
    await client.close();
  });

  it('an app that ends by itself exits with its own code within the flush bound while the collector is gone', async () => {
    const started = performance.now();
    const child = spawnSync(process.execPath, ['--import', REGISTER, join(FIXTURES, 'exits-by-itself.mjs')], {
      env: {
        PATH: process.env['PATH'] ?? '',
        OTEL_EXPORTER_OTLP_ENDPOINT: `http://127.0.0.1:${await freePort()}`,
        OTEL_METRICS_EXPORTER: 'none',
        MCP_OBSERVATORY_LOG_LEVEL: 'silent',
      },
      encoding: 'utf8',
      timeout: 30_000,
    });
    const seconds = (performance.now() - started) / 1000;
    expect(child.stdout).toBe('done\n');
    expect(child.status).toBe(3);
    // The flush is bounded at 2 s; unbounded, the exporter's retries held the exit for 9 to 14 s. Generous slack for
    // a loaded machine: this is a bound of behaviour, not a performance figure.
    expect(seconds).toBeLessThan(8);
  });

  it('does nothing with OTEL_SDK_DISABLED=true', async () => {
    const port = await freePort();
    const { client } = await startApp('zero-code-esm.mjs', true, {
      OTEL_EXPORTER_PROMETHEUS_PORT: String(port),
      OTEL_SDK_DISABLED: 'true',
    });
    await callTools(client);
    await expect(fetch(`http://127.0.0.1:${port}/metrics`)).rejects.toMatchObject({ cause: { code: 'ECONNREFUSED' } });
    await client.close();
  });
});
