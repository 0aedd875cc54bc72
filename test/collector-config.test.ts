import { describe, expect, it } from 'vitest';
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parse } from 'yaml';
import { ConfigError, loadConfig, resolveConfig } from '../lib/config/config.js';
import { manifestHash } from '../lib/validate/tools.js';
import {
  COLLECTOR_PATHS,
  COLLECTOR_PORTS,
  COMPONENT_MODULES,
  OTELCOL_DIST,
  OTELCOL_STABLE_VERSION,
  OTELCOL_VERSION,
  collectorConfig,
  collectorFiles,
} from '../lib/generate/collector.js';
import { allCollectorVariants, collectorManifest, componentsOf } from '../lib/generate/collector-manifest.js';
import { agentCollectorConfig, gatewayCollectorConfig } from '../lib/generate/scale-out/collectors.js';
import type { ComponentKind, CollectorConfig } from '../lib/generate/collector.js';

// The generated collector configs and manifest, checked without a collector; test/collector.test.ts runs them.

const ROOT = fileURLToPath(new URL('..', import.meta.url));

interface Pipeline {
  receivers: string[];
  processors?: string[];
  exporters: string[];
}
interface Policy {
  name: string;
  type: string;
  latency?: { threshold_ms: number };
  probabilistic?: { sampling_percentage: number };
  and?: { and_sub_policy: Policy[] };
  string_attribute?: { key: string; values: string[] };
}

const section = (config: CollectorConfig, name: string) => config[name] as Record<string, Record<string, unknown>>;
const pipelines = (config: CollectorConfig) => section(config, 'service')['pipelines'] as Record<string, Pipeline>;
const policies = (config: CollectorConfig) => section(config, 'processors')['tail_sampling']!['policies'] as Policy[];
const statements = (config: CollectorConfig) => section(config, 'processors')['transform/tool_content']!;

const routedConfig = resolveConfig({
  collector: { routing: { tenants: ['acme', 'globex'], defaultTenant: 'shared' } },
});
/** Every feature on: tenant routing, and operations computed from the spans of a service that sends no metrics. */
const everythingConfig = resolveConfig({
  collector: {
    routing: { tenants: ['acme', 'globex'], defaultTenant: 'shared' },
    operationsFromSpans: { services: ['py-finance'], tools: ['echo'] },
  },
});

describe('the collector config', () => {
  it('receives OTLP over gRPC and HTTP on the exported ports, with a health check and self-metrics', () => {
    const config = collectorConfig(resolveConfig({}));
    expect(section(config, 'receivers')['otlp']).toEqual({
      protocols: {
        grpc: { endpoint: `0.0.0.0:${COLLECTOR_PORTS.otlpGrpc}` },
        http: { endpoint: `0.0.0.0:${COLLECTOR_PORTS.otlpHttp}` },
      },
    });
    expect(section(config, 'extensions')['health_check']).toEqual({
      endpoint: `0.0.0.0:${COLLECTOR_PORTS.healthCheck}`,
    });
    expect(JSON.stringify(section(config, 'service')['telemetry'])).toContain(`"port":${COLLECTOR_PORTS.selfMetrics}`);
    expect(section(config, 'exporters')['prometheus']).toMatchObject({
      endpoint: `0.0.0.0:${COLLECTOR_PORTS.prometheus}`,
    });
  });

  it('puts memory_limiter first in every pipeline that processes', () => {
    for (const config of [collectorConfig(resolveConfig({})), collectorConfig(routedConfig)]) {
      for (const [name, pipeline] of Object.entries(pipelines(config))) {
        if (pipeline.receivers.includes('otlp')) expect(pipeline.processors?.[0], name).toBe('memory_limiter');
      }
    }
  });

  it('samples after redaction, and computes span metrics from every span, before sampling', () => {
    const all = pipelines(collectorConfig(resolveConfig({})));
    expect(all['traces']!.processors).toEqual([
      'memory_limiter',
      'resource',
      'transform/tool_content',
      'transform/credentials',
      'redaction',
      'tail_sampling',
    ]);
    expect(all['traces/spanmetrics']).toEqual({
      receivers: ['otlp'],
      processors: ['memory_limiter', 'resource'],
      exporters: ['span_metrics'],
    });
    expect(all['metrics']!.receivers).toEqual(['otlp', 'span_metrics']);
  });

  it('keeps every error trace and every trace slower than the latency SLO, and samples the rest', () => {
    const config = resolveConfig({
      slos: {
        latency: { objective: 99, thresholdSeconds: 2 },
        tools: {
          search: { latency: { objective: 95, thresholdSeconds: 0.5 } },
          slowpoke: { latency: { objective: 95, thresholdSeconds: 5 } },
        },
      },
      collector: { sampling: { percentage: 2.5 } },
    });
    const list = policies(collectorConfig(config));
    expect(list.map((p) => p.name)).toEqual(['errors', 'slower-than-slo', 'slower-than-slo-search', 'baseline']);
    expect(list[0]).toEqual({ name: 'errors', type: 'status_code', status_code: { status_codes: ['ERROR'] } });
    expect(list[1]!.latency).toEqual({ threshold_ms: 2000 });
    // A stricter tool SLO keeps that tool's traces from its own threshold; a laxer one is covered by the service's.
    expect(list[2]!.and!.and_sub_policy.map((p) => p.string_attribute ?? p.latency)).toEqual([
      { key: 'gen_ai.tool.name', values: ['search'] },
      { threshold_ms: 500 },
    ]);
    expect(list[3]!.probabilistic).toEqual({ sampling_percentage: 2.5 });
    expect(section(collectorConfig(config), 'processors')['tail_sampling']!['decision_wait']).toBe('10s');
  });

  it('drops tool arguments and results, except for the tools the configuration allows', () => {
    expect(statements(collectorConfig(resolveConfig({})))).toMatchObject({
      trace_statements: [
        'delete_key(span.attributes, "gen_ai.tool.call.arguments")',
        'delete_key(span.attributes, "gen_ai.tool.call.result")',
      ],
      log_statements: [
        'delete_key(log.attributes, "gen_ai.tool.call.arguments")',
        'delete_key(log.attributes, "gen_ai.tool.call.result")',
      ],
    });
    const allowed = resolveConfig({ collector: { redaction: { allowArguments: ['search', 'fetch'] } } });
    expect((statements(collectorConfig(allowed))['log_statements'] as string[])[0]).toBe(
      'delete_key(log.attributes, "gen_ai.tool.call.arguments") where log.attributes["gen_ai.tool.name"] != "search"' +
        ' and log.attributes["gen_ai.tool.name"] != "fetch"',
    );
  });

  it('masks credentials in every attribute, with the extra patterns of the configuration written literally', () => {
    const config = resolveConfig({ collector: { redaction: { blockedValues: ['ref-[0-9]+$'] } } });
    const redaction = section(collectorConfig(config), 'processors')['redaction']!;
    expect(redaction).toMatchObject({ allow_all_keys: true, summary: 'silent' });
    const values = redaction['blocked_values'] as string[];
    expect(values.some((pattern) => pattern.includes('Bearer'))).toBe(true);
    // `$` would start a ${...} reference in a collector config: it is escaped as `$$`.
    expect(values.at(-1)).toBe('ref-[0-9]+$$');
    const keys = new RegExp(
      (redaction['blocked_key_patterns'] as string[])[0]!.replace('(?i)', '').replace('\\z', '$'),
      'i',
    );
    for (const key of ['authorization', 'http.request.header.authorization', 'user.api_key', 'session.token']) {
      expect(key).toMatch(keys);
    }
    for (const key of ['gen_ai.usage.input_tokens', 'mcp.session.id', 'tenant.id', 'gen_ai.tool.name']) {
      expect(key).not.toMatch(keys);
    }
  });

  it('fills in service.namespace and the environment without overriding what the app set', () => {
    const config = resolveConfig({
      collector: { resource: { serviceNamespace: 'docs', deploymentEnvironment: 'staging' } },
    });
    expect(section(collectorConfig(config), 'processors')['resource']).toEqual({
      attributes: [
        { key: 'service.namespace', value: 'docs', action: 'insert' },
        { key: 'deployment.environment.name', value: 'staging', action: 'insert' },
      ],
    });
  });

  it('routes by tenant.id only when tenants are configured, with X-Scope-OrgID per tenant', () => {
    const plain = collectorConfig(resolveConfig({}));
    expect(section(plain, 'connectors')['routing/traces']).toBeUndefined();
    expect(JSON.stringify(plain)).not.toContain('X-Scope-OrgID');
    expect(section(plain, 'exporters')['otlp_grpc/tempo']).toMatchObject({
      endpoint: 'tempo:4317',
      tls: { insecure: true },
    });
    expect(section(plain, 'exporters')['otlp_http/loki']).toMatchObject({ endpoint: 'http://loki:3100/otlp' });

    const routed = collectorConfig(routedConfig);
    expect(section(routed, 'connectors')['routing/logs']).toEqual({
      default_pipelines: ['logs/other_tenants'],
      table: [
        { condition: 'log.attributes["tenant.id"] == "acme"', pipelines: ['logs/tenant.acme'] },
        { condition: 'log.attributes["tenant.id"] == "globex"', pipelines: ['logs/tenant.globex'] },
      ],
    });
    const exporters = section(routed, 'exporters');
    expect(exporters['otlp_grpc/tempo.acme']!['headers']).toEqual({ 'X-Scope-OrgID': 'acme' });
    expect(exporters['otlp_http/loki.globex']!['headers']).toEqual({ 'X-Scope-OrgID': 'globex' });
    expect(exporters['otlp_grpc/tempo']!['headers']).toEqual({ 'X-Scope-OrgID': 'shared' });
    expect(pipelines(routed)['traces/tenant.acme']).toEqual({
      receivers: ['routing/traces'],
      exporters: ['otlp_grpc/tempo.acme'],
    });

    // A default tenant alone sets the header on everything, for a multi-tenant backend without routing.
    const single = collectorConfig(resolveConfig({ collector: { routing: { defaultTenant: 'mcp' } } }));
    expect(section(single, 'exporters')['otlp_http/loki']!['headers']).toEqual({ 'X-Scope-OrgID': 'mcp' });
  });

  it('refuses tenants without a default tenant, naming the field', () => {
    let error: unknown;
    try {
      resolveConfig({ collector: { routing: { tenants: ['acme'] } } });
    } catch (caught) {
      error = caught;
    }
    expect(error).toBeInstanceOf(ConfigError);
    expect((error as ConfigError).problems).toEqual([
      expect.objectContaining({ pointer: '/collector/routing/defaultTenant' }),
    ]);
    expect(() => resolveConfig({ collector: { routing: { tenants: ['a b'], defaultTenant: 'x' } } })).toThrow(
      /\/collector\/routing\/tenants\/0/,
    );
    expect(() => resolveConfig({ collector: { sampling: { decisionWait: '1d' } } })).toThrow(/decisionWait/);
    expect(() => resolveConfig({ collector: { redaction: { allowArguments: ['a"b'] } } })).toThrow(/allowArguments/);
  });

  it('the file variant writes every signal into files and opens no connection to a backend', () => {
    const config = collectorConfig(routedConfig, { exporters: 'file', fileDirectory: '/data/out/' });
    expect(Object.keys(section(config, 'exporters')).sort()).toEqual([
      'file/logs',
      'file/logs.acme',
      'file/logs.globex',
      'file/metrics',
      'file/traces',
      'file/traces.acme',
      'file/traces.globex',
    ]);
    expect(section(config, 'exporters')['file/traces.acme']).toEqual({ path: '/data/out/traces.acme.jsonl' });
    expect(section(config, 'receivers')['otlp']).toMatchObject({ protocols: { http: { endpoint: '127.0.0.1:4318' } } });
  });

  it('is deterministic, and the committed files are what mcp-observatory.yaml generates', () => {
    const config = loadConfig(join(ROOT, 'mcp-observatory.yaml'));
    const files = collectorFiles(config, 'stamp');
    expect([...files.keys()].sort()).toEqual([COLLECTOR_PATHS.config, COLLECTOR_PATHS.fileConfig].sort());
    expect([...collectorFiles(structuredClone(config), 'stamp')]).toEqual([...files]);
    for (const path of Object.values(COLLECTOR_PATHS)) {
      expect(readFileSync(join(ROOT, path), 'utf8')).toMatch(/^# Code generated by mcp-observatory .* DO NOT EDIT\./);
    }
  });
});

describe('the builder manifest', () => {
  const manifest = collectorManifest() as Record<string, { gomod: string }[]> & {
    dist: { name: string; version: string };
  };
  const kinds = Object.keys(COMPONENT_MODULES) as ComponentKind[];

  it('builds otelcol-mcp with exactly the components the configs use, all from the pinned release', () => {
    expect(manifest.dist).toMatchObject({ name: OTELCOL_DIST, version: OTELCOL_VERSION });
    // The single collector's and the scale-out tiers', each into backends and into files.
    const variants = allCollectorVariants();
    expect(variants).toHaveLength(6);
    for (const kind of kinds) {
      const types = [...new Set(variants.flatMap((variant) => componentsOf(variant)[kind]))];
      const modules = COMPONENT_MODULES[kind] as Record<string, string>;
      expect(manifest[kind]!.map((m) => m.gomod).sort(), kind).toEqual(
        types.map((type) => `${modules[type]} v${OTELCOL_VERSION}`).sort(),
      );
    }
    expect(manifest['providers']!.every((p) => p.gomod.endsWith(` v${OTELCOL_STABLE_VERSION}`))).toBe(true);
  });

  it('is the committed collector/manifest.yaml, whose hash the tests and the build script agree on', () => {
    const text = readFileSync(join(ROOT, COLLECTOR_PATHS.manifest), 'utf8');
    expect(parse(text)).toEqual(manifest);
    const script = spawnSync('bash', ['-c', `grep -v '^#' ${COLLECTOR_PATHS.manifest} | sha256sum | cut -c1-16`], {
      cwd: ROOT,
      encoding: 'utf8',
    });
    expect(manifestHash(text)).toBe(script.stdout.trim());
  });
});

describe('the scale-out collectors', () => {
  const config = resolveConfig({
    ...everythingConfig,
    profile: 'scale-out',
    scaleOut: { gateways: ['gw-a.observability:4317', 'gw-b.observability:4317', 'gw-c.observability:4317'] },
  });
  const pipelines = (collector: CollectorConfig) =>
    (collector['service'] as { pipelines: Record<string, Pipeline> }).pipelines;

  it('agent: span metrics from every span, then traces by trace id and logs by service to the configured gateways', () => {
    const agent = agentCollectorConfig(config);
    const exporters = section(agent, 'exporters');
    expect(exporters['load_balancing/traces']).toMatchObject({
      routing_key: 'traceID',
      resolver: {
        static: { hostnames: ['gw-a.observability:4317', 'gw-b.observability:4317', 'gw-c.observability:4317'] },
      },
    });
    expect(exporters['load_balancing/logs']).toMatchObject({ routing_key: 'service' });
    expect(pipelines(agent)['traces']).toEqual({
      receivers: ['otlp'],
      processors: ['memory_limiter', 'resource', 'batch'],
      exporters: ['load_balancing/traces'],
    });
    expect(pipelines(agent)['logs']!.exporters).toEqual(['load_balancing/logs']);
    // Before any sampling: the span-metrics pipelines see what the app sent, nothing is sampled on the agent.
    expect(pipelines(agent)['traces/spanmetrics']!.exporters).toEqual(['span_metrics']);
    expect(pipelines(agent)['traces/mcp_operations']!.exporters).toEqual(['span_metrics/mcp_operations']);
    expect(Object.keys(section(agent, 'processors'))).not.toContain('tail_sampling');
    expect(Object.keys(exporters)).not.toContain('otlp_grpc/tempo');
    // The tenant header an app sent reaches the gateway.
    expect(section(agent, 'receivers')['otlp']).toMatchObject({
      protocols: { grpc: { include_metadata: true }, http: { include_metadata: true } },
    });
    expect(section(agent, 'processors')['batch']).toMatchObject({ metadata_keys: ['X-Scope-OrgID'] });
  });

  it('gateway: tail sampling, content removal and per-tenant export, no span metrics', () => {
    const gateway = gatewayCollectorConfig(config);
    // The single collector's traces pipeline, tail sampling after redaction (its order is asserted above).
    expect(pipelines(gateway)['traces']).toEqual(pipelines(collectorConfig(config))['traces']);
    expect(pipelines(gateway)['traces']!.processors!.at(-1)).toBe('tail_sampling');
    expect(Object.keys(pipelines(gateway)).sort()).toEqual(
      [
        'logs',
        'logs/other_tenants',
        'logs/tenant.acme',
        'logs/tenant.globex',
        'traces',
        'traces/other_tenants',
        'traces/tenant.acme',
        'traces/tenant.globex',
      ].sort(),
    );
    expect(Object.keys(section(gateway, 'connectors')).sort()).toEqual(['routing/logs', 'routing/traces']);
    const exporters = section(gateway, 'exporters');
    // A routed tenant's export names it; everything else carries the header the app sent, else the default tenant.
    expect(exporters['otlp_grpc/tempo.acme']).toMatchObject({ headers: { 'X-Scope-OrgID': 'acme' } });
    expect(exporters['otlp_grpc/tempo']).toMatchObject({
      auth: { authenticator: 'headers_setter' },
      // A merged batch keeps the header only when batches are cut by it.
      sending_queue: { batch: { flush_timeout: '1s', partition: { metadata_keys: ['X-Scope-OrgID'] } } },
    });
    expect(exporters['otlp_grpc/tempo']).not.toHaveProperty('headers');
    expect(section(gateway, 'extensions')['headers_setter']).toEqual({
      headers: [{ action: 'upsert', key: 'X-Scope-OrgID', from_context: 'X-Scope-OrgID', default_value: 'shared' }],
    });
    const files = gatewayCollectorConfig(config, { exporters: 'file', fileDirectory: '/data/gw' });
    expect(Object.keys(section(files, 'exporters'))).toContain('file/traces.acme');
    expect(Object.keys(section(files, 'extensions'))).toEqual(['health_check']);
  });
});
