import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { SpanStatusCode, context, trace } from '@opentelemetry/api';
import { logs } from '@opentelemetry/api-logs';
import { OTLPLogExporter } from '@opentelemetry/exporter-logs-otlp-http';
import { OTLPTraceExporter } from '@opentelemetry/exporter-trace-otlp-http';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { InMemoryTransport } from '@modelcontextprotocol/sdk/inMemory.js';
import { parse } from 'yaml';
import { resolveConfig } from '../lib/config/config.js';
import { COLLECTOR_PATHS, OTELCOL_VERSION, collectorConfigYaml, yaml } from '../lib/generate/collector.js';
import { collectorManifest } from '../lib/generate/collector-manifest.js';
import { SCALE_OUT_PATHS } from '../lib/generate/scale-out/index.js';
import { agentCollectorConfig, gatewayCollectorConfig } from '../lib/generate/scale-out/collectors.js';
import type { CollectorOptions } from '../lib/generate/collector.js';
import { instrument, newRegistry } from '../lib/index.js';
import { startTelemetry } from '../lib/telemetry.js';
import type { TelemetryHandle } from '../lib/telemetry.js';
import {
  collectorBinary,
  needsCollector,
  readDataPoints,
  readLogs,
  readSpans,
  startCollector,
  validateCollectorConfig,
} from './fixtures/collector.js';
import type { Collector, OtlpLog, OtlpSpan } from './fixtures/collector.js';
import { scrape, valueOf } from './fixtures/metrics.js';
import { waitFor } from './fixtures/prometheus.js';
import { SECRET_SHAPES } from './fixtures/secrets.js';
import { createTestServer } from './fixtures/server.js';

const ROOT = fileURLToPath(new URL('..', import.meta.url));
const { skip } = needsCollector();

/**
 * Every feature on: per-tenant routing, allowed tool content, a stricter tool SLO, a user pattern with a `$`, operations
 * from the spans of a service that sends none, the scale-out profile.
 */
const everything = resolveConfig({
  profile: 'scale-out',
  slos: { tools: { search: { latency: { objective: 95, thresholdSeconds: 0.5 } } } },
  collector: {
    routing: { tenants: ['acme', 'globex'], defaultTenant: 'shared' },
    operationsFromSpans: { services: ['py-ledger'], tools: ['search'] },
    redaction: { allowArguments: ['search'], allowResults: ['search'], blockedValues: ['internal-[0-9]{4}$'] },
  },
});

describe.skipIf(skip)('otelcol-mcp validates every config the generator writes', () => {
  let dir: string;
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'mcp-observatory-otelcol-validate-'));
  });
  afterAll(() => rm(dir, { recursive: true, force: true }));

  it('is the build of the committed manifest: the pinned version, exactly the manifest components', () => {
    const bin = collectorBinary()!;
    expect(spawnSync(bin, ['--version'], { encoding: 'utf8' }).stdout.trim()).toBe(
      `otelcol-mcp version ${OTELCOL_VERSION}`,
    );
    const built = parse(spawnSync(bin, ['components'], { encoding: 'utf8' }).stdout) as Record<
      string,
      { name: string; module: string }[] | undefined
    >;
    const manifest = collectorManifest() as Record<string, { gomod: string }[] | undefined>;
    for (const kind of ['receivers', 'processors', 'exporters', 'connectors', 'extensions']) {
      expect((built[kind] ?? []).map((c) => c.module).sort(), kind).toEqual(
        (manifest[kind] ?? []).map((m) => m.gomod).sort(),
      );
    }
  });

  const committed = [
    COLLECTOR_PATHS.config,
    COLLECTOR_PATHS.fileConfig,
    SCALE_OUT_PATHS.agent,
    SCALE_OUT_PATHS.gateway,
    SCALE_OUT_PATHS.gatewayFile,
  ];
  it.each(committed)('accepts the committed %s', (path) => {
    const result = validateCollectorConfig(join(ROOT, path));
    expect(result.output).toBe('');
    expect(result.ok).toBe(true);
  });

  const variants: [string, CollectorOptions][] = [
    ['routed, to Tempo, Loki and Prometheus', {}],
    ['routed, into files', { exporters: 'file', fileDirectory: '/tmp/otelcol-out' }],
  ];
  it.each(variants)('accepts every feature on, %s', async (name, options) => {
    const file = join(dir, `${name.replace(/\W+/g, '-')}.yaml`);
    await writeFile(file, collectorConfigYaml(everything, options));
    const result = validateCollectorConfig(file);
    expect(result.output).toBe('');
    expect(result.ok).toBe(true);
  });

  const tiers: [string, (options: CollectorOptions) => string][] = [
    ['the scale-out agent', (options) => yaml(agentCollectorConfig(everything, options))],
    ['a scale-out gateway, to Tempo and Loki', (options) => yaml(gatewayCollectorConfig(everything, options))],
    [
      'a scale-out gateway, into files',
      (options) => yaml(gatewayCollectorConfig(everything, { ...options, exporters: 'file' })),
    ],
  ];
  it.each(tiers)('accepts every feature on, %s', async (name, render) => {
    const file = join(dir, `${name.replace(/\W+/g, '-')}.yaml`);
    await writeFile(file, render({}));
    const result = validateCollectorConfig(file);
    expect(result.output).toBe('');
    expect(result.ok).toBe(true);
  });

  it('rejects what the collector could not run, so a passing validate means something', async () => {
    const file = join(dir, 'bad-pattern.yaml');
    // The configuration check refuses such a pattern first (config-variants.test.ts); past it, the collector must too.
    const config = resolveConfig({});
    config.collector.redaction.blockedValues = ['key-('];
    await writeFile(file, collectorConfigYaml(config));
    const result = validateCollectorConfig(file);
    expect(result.ok).toBe(false);
    expect(result.output).toContain('missing closing )');
  });
});

describe.skipIf(skip)('otelcol-mcp end to end: an instrumented MCP server exporting through the collector', () => {
  const registry = newRegistry('openmetrics');
  /** The library's own JSON log lines: they tell each request's trace id. */
  const lines: Record<string, unknown>[] = [];
  const config = resolveConfig({
    slos: { latency: { objective: 99, thresholdSeconds: 0.2 } },
    collector: {
      sampling: { percentage: 5, decisionWait: '1s' },
      routing: { tenants: ['acme'], defaultTenant: 'shared' },
      redaction: { allowArguments: ['echo'], blockedValues: ['internal-[0-9]{4}$'] },
    },
  });
  let out: string;
  let collector: Collector;
  let telemetry: TelemetryHandle;
  const clients: Client[] = [];

  beforeAll(async () => {
    out = await mkdtemp(join(tmpdir(), 'mcp-observatory-otelcol-out-'));
    collector = await startCollector(config, { exporters: 'file', fileDirectory: out, flushInterval: '200ms' });
    telemetry = startTelemetry({
      registry,
      env: { OTEL_SERVICE_NAME: 'collector-e2e' },
      queue: { scheduledDelayMs: 50, exportTimeoutMs: 5_000 },
      spanExporter: new OTLPTraceExporter({ url: `${collector.otlpHttp}/v1/traces`, timeoutMillis: 2_000 }),
      logExporter: new OTLPLogExporter({ url: `${collector.otlpHttp}/v1/logs`, timeoutMillis: 2_000 }),
    });
    expect(telemetry.started).toBe(true);
  }, 30_000);

  afterAll(async () => {
    for (const client of clients) await client.close();
    await telemetry?.shutdown();
    await collector?.stop();
    await rm(out, { recursive: true, force: true });
  }, 30_000);

  async function connect(tenant: string): Promise<Client> {
    const server = createTestServer();
    instrument(server, {
      registry,
      processMetrics: false,
      resolveTenant: () => tenant,
      capture: { login: { arguments: true }, echo: { arguments: true } },
      logs: { destination: (line) => lines.push(JSON.parse(line) as Record<string, unknown>) },
    });
    const [clientSide, serverSide] = InMemoryTransport.createLinkedPair();
    const client = new Client({ name: 'collector-test', version: '1' });
    await server.connect(serverSide);
    await client.connect(clientSide);
    clients.push(client);
    return client;
  }

  /** Trace ids of the library's request lines for `tool` called by `tenant`. */
  const traceIds = (tenant: string, tool: string) =>
    lines
      .filter((l) => l['channel'] === 'request' && l['tenant.id'] === tenant && l['gen_ai.tool.name'] === tool)
      .map((l) => String(l['trace_id']));

  const file = (name: string) => join(out, `${name}.jsonl`);

  it('routes tenant-tagged spans and their logs, keeps errors and slow traces, samples the rest, redacts', async () => {
    const acme = await connect('acme');
    const globex = await connect('globex');
    for (let i = 0; i < 40; i++) await acme.callTool({ name: 'echo', arguments: { text: `n${i}` } });
    await acme.callTool({ name: 'explode', arguments: {} });
    await acme.callTool({ name: 'sleep', arguments: { ms: 300 } });
    await globex.callTool({ name: 'echo', arguments: { text: 'hello' } });
    await globex.callTool({ name: 'explode', arguments: {} });

    // A client's failed trace around a login: credentials in its attributes, captured arguments in the tool span.
    const tracer = trace.getTracer('collector-test');
    const probe = tracer.startSpan('client probe', {
      attributes: {
        'tenant.id': 'acme',
        'http.request.header.authorization': 'Bearer abcdefghijklmnopqrstuvwxyz',
        'user.api_key': 'hunter2',
        note: 'key sk-abcdefghijklmnopqrstuvwxyz0123 ref internal-1234',
      },
    });
    probe.setStatus({ code: SpanStatusCode.ERROR, message: 'login failed' });
    const { traceId, spanId } = probe.spanContext();
    await acme.callTool({
      name: 'login',
      arguments: { user: 'ada', apiKey: 'k-1234567890' },
      _meta: { traceparent: `00-${traceId}-${spanId}-01` },
    });
    logs.getLogger('collector-test').emit({
      body: 'client probe',
      attributes: { 'tenant.id': 'acme', note: 'retry with Bearer abcdefghijklmnopqrstuvwxyz ref internal-1234' },
      context: trace.setSpan(context.active(), probe),
    });
    probe.end();
    await telemetry.flush();

    const [explode] = traceIds('acme', 'explode');
    const [slow] = traceIds('acme', 'sleep');
    const [otherExplode] = traceIds('globex', 'explode');
    const echoes = new Set(traceIds('acme', 'echo'));
    expect(echoes.size).toBe(40);
    // Tail sampling decides after decision_wait; the last traces sent are the last decided.
    const acmeSpans = await waitFor(
      () => readSpans(file('traces.acme')),
      (spans) =>
        [explode, slow, traceId].every((id) => spans.some((s) => s.traceId === id)) &&
        spans.some((s) => s.name === 'tools/call login') &&
        spans.some((s) => s.name === 'client probe'),
      { what: 'the error, slow and client traces of tenant acme in traces.acme.jsonl', timeoutMs: 20_000 },
    ).catch((error: Error) => Promise.reject(new Error(`${error.message}\ncollector log:\n${collector.log()}`)));
    const otherSpans = await waitFor(
      () => readSpans(file('traces')),
      (spans) => spans.some((s) => s.traceId === otherExplode),
      { what: 'the error trace of tenant globex in traces.jsonl (other tenants)', timeoutMs: 10_000 },
    );

    // Routing: each tenant's spans in its own pipeline, with the semconv attributes and the resource filled in.
    expect(new Set(acmeSpans.map((s) => s.attributes['tenant.id']))).toEqual(new Set(['acme']));
    expect(otherSpans.some((s) => s.attributes['tenant.id'] === 'acme')).toBe(false);
    const failed = acmeSpans.find((s) => s.traceId === explode && s.name === 'tools/call explode') as OtlpSpan;
    expect(failed.attributes).toMatchObject({
      'tenant.id': 'acme',
      'mcp.method.name': 'tools/call',
      'gen_ai.tool.name': 'explode',
      'error.type': 'tool_error',
    });
    expect(failed.status?.code).toBe(2);
    expect(failed.resource).toMatchObject({
      'service.name': 'collector-e2e',
      'service.namespace': 'mcp',
      'deployment.environment.name': 'production',
    });

    // Tail sampling: at 5 %, most of the 40 fast ok traces are gone (about 2 stay); the error and slow ones stay.
    const keptEchoes = new Set(acmeSpans.filter((s) => echoes.has(s.traceId)).map((s) => s.traceId));
    expect(keptEchoes.size).toBeLessThan(15);
    expect(acmeSpans.some((s) => s.traceId === slow && s.attributes['gen_ai.tool.name'] === 'sleep')).toBe(true);

    // Logs are not sampled: every request's log record arrives, carrying its span's trace id.
    const acmeLogs = await waitFor(
      () => readLogs(file('logs.acme')),
      // Batches may be written out of order: wait for every record, not only the last one sent.
      (records) =>
        records.some((r) => r.body === 'client probe') &&
        records.filter((r) => r.attributes['log.channel'] === 'audit').length === 43 &&
        records.filter((r) => r.attributes['log.channel'] === 'request').length >= 44,
      { what: 'the log records of tenant acme in logs.acme.jsonl', timeoutMs: 10_000 },
    );
    const requestLogs = (tool: string) =>
      acmeLogs.filter((r) => r.attributes['log.channel'] === 'request' && r.attributes['gen_ai.tool.name'] === tool);
    expect(new Set(requestLogs('echo').map((r) => r.traceId))).toEqual(echoes);
    const explodeLog = requestLogs('explode')[0] as OtlpLog;
    expect(explodeLog.traceId).toBe(explode);
    expect(explodeLog.attributes).toMatchObject({ trace_id: explode, 'tenant.id': 'acme', 'error.type': 'tool_error' });
    expect(new Set(acmeLogs.map((r) => r.attributes['tenant.id']))).toEqual(new Set(['acme']));
    await waitFor(
      () => readLogs(file('logs')),
      (records) => records.some((r) => r.attributes['tenant.id'] === 'globex'),
      { what: 'the log records of tenant globex in logs.jsonl (other tenants)', timeoutMs: 10_000 },
    );

    // Redaction: the library sent login's (already redacted) arguments; the collector dropped them from the span
    // and the audit record, kept echo's (allowed by the config), and masked credentials in any attribute.
    const sentAudit = lines.find((l) => l['channel'] === 'audit' && l['gen_ai.tool.name'] === 'login');
    expect(sentAudit?.['gen_ai.tool.call.arguments']).toContain('ada');
    const login = acmeSpans.find((s) => s.traceId === traceId && s.name === 'tools/call login') as OtlpSpan;
    expect(login.attributes['gen_ai.tool.name']).toBe('login');
    expect(login.attributes).not.toHaveProperty('gen_ai.tool.call.arguments');
    const audits = (tool: string) =>
      acmeLogs.filter((r) => r.attributes['log.channel'] === 'audit' && r.attributes['gen_ai.tool.name'] === tool);
    expect(audits('login')).toHaveLength(1);
    expect(audits('login')[0]!.attributes).not.toHaveProperty('gen_ai.tool.call.arguments');
    expect(audits('echo')).toHaveLength(40);
    expect(audits('echo').every((r) => String(r.attributes['gen_ai.tool.call.arguments']).includes('"text"'))).toBe(
      true,
    );
    const client = acmeSpans.find((s) => s.name === 'client probe') as OtlpSpan;
    const leaked = JSON.stringify([client.attributes, acmeLogs.find((r) => r.body === 'client probe')!.attributes]);
    for (const secret of ['abcdefghijklmnopqrstuvwxyz', 'hunter2', 'sk-abcdefghijklmnop', 'internal-1234']) {
      expect(leaked).not.toContain(secret);
    }
    expect(client.attributes['note']).toBe('key **** ref ****');
    expect(client.attributes['http.request.header.authorization']).toBe('****');

    // Span metrics count every span before sampling: all 41 echo calls, though only a few echo traces were kept.
    const calls = await waitFor(
      () =>
        readDataPoints(file('metrics')).filter(
          (p) => p.metric === 'traces.span.metrics.calls' && p.attributes['span.name'] === 'tools/call echo',
        ),
      (points) => points.some((p) => p.value === 41),
      { what: 'span metrics counting all 41 echo calls in metrics.jsonl', timeoutMs: 10_000 },
    );
    expect(Math.max(...calls.map((p) => p.value))).toBe(41);

    // The collector's own metrics.
    const self = await (await fetch(collector.selfMetrics)).text();
    expect(self).toMatch(/^otelcol_receiver_accepted_spans(_total)?\{/m);
  }, 45_000);

  it('masks the credential corpus in span status messages, events, attributes and log bodies of any app', async () => {
    const corpus = SECRET_SHAPES.map((s) => s.text).join('\n');
    const tracer = trace.getTracer('leaky-app');
    const span = tracer.startSpan('leaky work', { attributes: { 'tenant.id': 'acme', note: corpus } });
    span.recordException(new Error(corpus));
    span.setStatus({ code: SpanStatusCode.ERROR, message: corpus });
    logs.getLogger('leaky-app').emit({
      body: corpus,
      attributes: { 'tenant.id': 'acme' },
      context: trace.setSpan(context.active(), span),
    });
    const { traceId } = span.spanContext();
    span.end();
    await telemetry.flush();
    const leaky = await waitFor(
      () => readSpans(file('traces.acme')).filter((s) => s.traceId === traceId),
      (found) => found.length === 1,
      { what: 'the leaky span in traces.acme.jsonl', timeoutMs: 20_000 },
    );
    expect(leaky[0]!.status?.code).toBe(2);
    await waitFor(
      () => readLogs(file('logs.acme')).filter((r) => r.traceId === traceId),
      (found) => found.length === 1,
      { what: 'the leaky log record in logs.acme.jsonl', timeoutMs: 10_000 },
    );
    const written = ['traces.acme', 'logs.acme'].map((name) => readFileSync(file(name), 'utf8')).join('\n');
    expect(written).toContain('leaky work');
    expect(written).toContain('****');
    for (const { shape, secret } of SECRET_SHAPES) {
      // The file exporter writes JSON: newlines inside a secret are escaped there.
      expect(written, shape).not.toContain(JSON.stringify(secret).slice(1, -1));
    }
  }, 45_000);

  it('with the collector stopped, the MCP server answers every request and the loss is counted', async () => {
    await collector.stop();
    const client = await connect('acme');
    for (let i = 0; i < 10; i++) {
      const result = await client.callTool({ name: 'echo', arguments: { text: `after ${i}` } });
      expect(result.content).toEqual([{ type: 'text', text: `after ${i}` }]);
    }
    await telemetry.flush();
    const samples = await scrape(registry);
    const dropped = (signal: string) =>
      valueOf(samples, 'mcp_observatory_telemetry_dropped_total', { signal, reason: 'export_failed' });
    expect(dropped('span')).toBeGreaterThanOrEqual(11);
    expect(dropped('log')).toBeGreaterThanOrEqual(11);
  }, 30_000);
});
