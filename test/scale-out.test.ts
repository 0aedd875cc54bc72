// The scale-out profile's files, checked without Docker: the Prometheus side of every metrics store with promtool,
// the Mimir ruler namespace with promtool, and the compose stack statically. The collectors' configs are validated
// by the real collector in collector.test.ts, and the whole topology runs in scale-out-e2e.test.ts.
import { describe, expect, it } from 'vitest';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, normalize, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parse, parseAllDocuments } from 'yaml';
import { loadConfig, resolveConfig } from '../lib/config/config.js';
import { PATHS, generateBundle } from '../lib/generate/bundle.js';
import { SCALE_OUT_PATHS } from '../lib/generate/scale-out/index.js';
import { writeBundle } from '../lib/generate/writer.js';
import { needs, requireBinary } from './fixtures/binaries.js';
import { collectorBinary, validateCollectorConfig } from './fixtures/collector.js';

const ROOT = fileURLToPath(new URL('..', import.meta.url));
const { skip: noPromtool } = needs('promtool');
// The real collector is needed in CI by collector.test.ts already; here it only adds a check when built.
const noCollector = collectorBinary() === undefined;

interface K8sObject {
  kind: string;
  metadata: { name: string };
  spec?: Record<string, unknown>;
  data?: Record<string, string>;
}
interface K8sPod {
  volumes: { configMap: { name: string } }[];
}

interface RemoteWrite {
  name: string;
  url: string;
  headers?: Record<string, string>;
}

/** The scale-out bundle for `settings` (merged into a scale-out configuration with two routed tenants). */
function bundle(settings: Record<string, unknown>, defaultTenant: string | null = 'platform') {
  return generateBundle(
    resolveConfig({
      profile: 'scale-out',
      service: { name: 'ledger' },
      collector: { routing: defaultTenant ? { tenants: ['acme'], defaultTenant } : {} },
      ...settings,
    }),
  );
}
const remoteWriteOf = (files: Map<string, string>) =>
  (parse(files.get(SCALE_OUT_PATHS.prometheusAgent)!) as { remote_write: RemoteWrite[] }).remote_write;

function promtool(...args: string[]) {
  const result = spawnSync(requireBinary('promtool'), args, { encoding: 'utf8', timeout: 60_000 });
  return { ok: result.status === 0, output: `${result.stdout}${result.stderr}` };
}

describe('the scale-out profile', () => {
  it('is written only for profile: scale-out, beside an unchanged single-machine bundle', () => {
    const single = generateBundle(resolveConfig({ service: { name: 'ledger' } }));
    const scaled = bundle({}, null);
    expect([...single.keys()].filter((path) => path.startsWith('scale-out/'))).toEqual([]);
    for (const [path, content] of single) expect(scaled.get(path), path).toBe(content);
    expect([...scaled.keys()].filter((path) => path.startsWith('scale-out/')).sort()).toEqual(
      [
        SCALE_OUT_PATHS.agent,
        SCALE_OUT_PATHS.gateway,
        SCALE_OUT_PATHS.gatewayFile,
        SCALE_OUT_PATHS.prometheusAgent,
        SCALE_OUT_PATHS.centralPrometheus,
        SCALE_OUT_PATHS.compose,
        SCALE_OUT_PATHS.kubernetes,
      ].sort(),
    );
  });

  it('remote-writes the fleet to each store the way that store takes a tenant', () => {
    expect(remoteWriteOf(bundle({ scaleOut: { store: 'prometheus' } }))).toEqual([
      { name: 'prometheus', url: 'http://prometheus:9090/api/v1/write' },
    ]);
    expect(remoteWriteOf(bundle({ scaleOut: { store: 'mimir' } }))).toEqual([
      { name: 'mimir', url: 'http://mimir:8080/api/v1/push', headers: { 'X-Scope-OrgID': 'platform' } },
    ]);
    // Mimir needs a tenant even without routing: its own default.
    expect(remoteWriteOf(bundle({ scaleOut: { store: 'mimir' } }, null))[0]!.headers).toEqual({
      'X-Scope-OrgID': 'anonymous',
    });
    expect(
      remoteWriteOf(
        bundle({ scaleOut: { store: 'thanos', remoteWriteUrl: 'https://receive.example:19291/api/v1/receive' } }),
      ),
    ).toEqual([
      {
        name: 'thanos',
        url: 'https://receive.example:19291/api/v1/receive',
        headers: { 'THANOS-TENANT': 'platform' },
      },
    ]);
    expect(remoteWriteOf(bundle({ scaleOut: { store: 'victoriametrics' } }))).toEqual([
      { name: 'victoriametrics', url: 'http://vminsert:8480/insert/0/prometheus/api/v1/write' },
    ]);
    const native = bundle({ scaleOut: { store: 'mimir' }, prometheus: { nativeHistograms: true } });
    expect(remoteWriteOf(native)[0]).toMatchObject({ send_native_histograms: true });
  });

  it('packages the rules for Mimir’s ruler in one namespace of the fleet’s tenant, the same groups as Prometheus', () => {
    const files = bundle({ scaleOut: { store: 'mimir' } });
    const namespace = parse(files.get(SCALE_OUT_PATHS.mimirRules('platform'))!) as {
      namespace: string;
      groups: unknown[];
    };
    expect(namespace.namespace).toBe('mcp-observatory');
    expect(namespace.groups).toEqual((parse(files.get(PATHS.rules)!) as { groups: unknown[] }).groups);
    expect(files.get(SCALE_OUT_PATHS.mimirRules('platform'))).toContain('mimirtool rules load --id=platform');
    // No central Prometheus then: the store evaluates.
    expect(files.has(SCALE_OUT_PATHS.centralPrometheus)).toBe(false);
  });

  describe.skipIf(noPromtool)('with promtool', () => {
    const stores = ['prometheus', 'mimir', 'thanos', 'victoriametrics'] as const;
    it.each(stores)('accepts the Prometheus agent config for %s, and the rules of its ruler', (store) => {
      const dir = mkdtempSync(join(tmpdir(), 'mcp-observatory-scale-out-'));
      try {
        const files = bundle({ scaleOut: { store } });
        writeBundle(files, dir);
        const agent = promtool('check', 'config', join(dir, SCALE_OUT_PATHS.prometheusAgent));
        expect(agent.output).toContain('SUCCESS');
        expect(agent.ok).toBe(true);
        if (store === 'prometheus') {
          // The central config names the rules where compose mounts them: here, where the bundle wrote them.
          const central = readFileSync(join(dir, SCALE_OUT_PATHS.centralPrometheus), 'utf8').replace(
            /\/etc\/prometheus\/rules\/mcp-observatory\.rules\.yaml/,
            join(dir, PATHS.rules),
          );
          writeFileSync(join(dir, 'central.yml'), central);
          const checked = promtool('check', 'config', join(dir, 'central.yml'));
          expect(checked.output).toMatch(/SUCCESS: \d+ rules found/);
          expect(checked.ok).toBe(true);
        }
        if (store === 'mimir') {
          // mimirtool's namespace file is Prometheus rule groups under a namespace key.
          const { groups } = parse(readFileSync(join(dir, SCALE_OUT_PATHS.mimirRules('platform')), 'utf8')) as {
            groups: unknown[];
          };
          writeFileSync(join(dir, 'mimir-groups.yaml'), JSON.stringify({ groups }));
          const rules = promtool('check', 'rules', '--lint=none', join(dir, 'mimir-groups.yaml'));
          expect(rules.output).toMatch(/SUCCESS: \d+ rules found/);
          expect(rules.ok).toBe(true);
        }
      } finally {
        rmSync(dir, { recursive: true, force: true });
      }
    });
  });
});

describe('the scale-out compose stack', () => {
  const file = join(ROOT, SCALE_OUT_PATHS.compose);
  const compose = parse(readFileSync(file, 'utf8')) as {
    services: Record<string, { command?: string[]; volumes?: string[]; depends_on?: Record<string, unknown> }>;
    volumes: Record<string, unknown>;
  };
  const config = loadConfig(join(ROOT, 'mcp-observatory.yaml'));

  it('runs the configured tiers: an agent, the gateways, a Prometheus agent, the central store, the Alertmanager peers', () => {
    const names = Object.keys(compose.services);
    expect(names).toEqual(expect.arrayContaining(['mcp-server', 'otelcol-agent', 'prometheus-agent', 'prometheus']));
    for (const gateway of config.scaleOut.gateways) expect(names).toContain(gateway.split(':')[0]);
    for (const peer of config.scaleOut.alertmanagers) expect(names).toContain(peer.split(':')[0]);
    expect(compose.services['prometheus-agent']!.command).toContain('--agent');
    expect(compose.services['prometheus']!.command).toContain('--web.enable-remote-write-receiver');
  });

  it('mounts only files the bundle has, and names only services and volumes it defines', () => {
    const base = dirname(SCALE_OUT_PATHS.compose);
    for (const [name, service] of Object.entries(compose.services)) {
      for (const volume of service.volumes ?? []) {
        const source = volume.split(':')[0]!;
        if (source.startsWith('.')) {
          expect(existsSync(resolve(ROOT, base, source)), `${name}: ${source}`).toBe(true);
          expect(normalize(join(base, source)).startsWith('..')).toBe(false);
        } else expect(compose.volumes, `${name}: volume ${source}`).toHaveProperty(source);
      }
      for (const dependency of Object.keys(service.depends_on ?? {})) {
        expect(compose.services, `${name} depends on ${dependency}`).toHaveProperty(dependency);
      }
    }
  });

  it('makes the Alertmanager peers one cluster: each knows the others', () => {
    const peers = config.scaleOut.alertmanagers.map((peer) => peer.split(':')[0]!);
    expect(peers.length).toBeGreaterThan(1);
    for (const peer of peers) {
      const command = compose.services[peer]!.command!;
      for (const other of peers.filter((name) => name !== peer)) {
        expect(command).toContain(`--cluster.peer=${other}:9094`);
      }
    }
  });
});

describe('the scale-out collectors for Kubernetes', () => {
  const files = bundle({ scaleOut: { gateways: ['gw-0:4317', 'gw-1:4317', 'gw-2:4317'] } });
  const manifests = parseAllDocuments(files.get(SCALE_OUT_PATHS.kubernetes)!).map(
    (document) => document.toJS() as K8sObject,
  );
  const byKind = (kind: string) => manifests.filter((manifest) => manifest.kind === kind);
  const configOf = (name: string) =>
    manifests.find((m) => m.kind === 'ConfigMap' && m.metadata.name === name)!.data!['config.yaml']!;

  it('runs the agent on every node and as many gateways as configured, behind a headless Service', () => {
    expect(manifests.map((m) => m.kind)).toEqual(['ConfigMap', 'DaemonSet', 'ConfigMap', 'Service', 'StatefulSet']);
    const [gateways] = byKind('StatefulSet');
    expect(gateways!.spec!['replicas']).toBe(3);
    const [service] = byKind('Service');
    expect(service!.spec!['clusterIP']).toBe('None');
    expect(gateways!.spec!['serviceName']).toBe(service!.metadata.name);
    // Every workload mounts the ConfigMap of its own name, and its selector matches its pods.
    for (const workload of [...byKind('DaemonSet'), gateways!]) {
      const template = workload.spec!['template'] as { metadata: { labels: Record<string, string> }; spec: K8sPod };
      expect(template.spec.volumes[0]!.configMap.name).toBe(workload.metadata.name);
      expect(template.metadata.labels).toMatchObject(
        (workload.spec!['selector'] as { matchLabels: Record<string, string> }).matchLabels,
      );
    }
  });

  it('has the agents find the gateways through that Service, and the gateways run the same tier as compose', () => {
    const agent = parse(configOf('otelcol-agent')) as { exporters: Record<string, { resolver: unknown }> };
    expect(agent.exporters['load_balancing/traces']!.resolver).toEqual({
      dns: { hostname: 'otelcol-gateway', port: '4317' },
    });
    expect(configOf('otelcol-gateway')).toBe(files.get(SCALE_OUT_PATHS.gateway)!.replace(/^(#.*\n)+/, ''));
  });

  it.skipIf(noCollector)('embeds configs the real collector accepts', () => {
    const dir = mkdtempSync(join(tmpdir(), 'mcp-observatory-k8s-'));
    try {
      for (const name of ['otelcol-agent', 'otelcol-gateway']) {
        writeFileSync(join(dir, `${name}.yaml`), configOf(name));
        const result = validateCollectorConfig(join(dir, `${name}.yaml`));
        expect(result.output).toBe('');
        expect(result.ok).toBe(true);
      }
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
