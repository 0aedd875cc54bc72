import { describe, expect, it } from 'vitest';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parse, stringify } from 'yaml';
import { COLLECTOR_PATHS } from '../lib/generate/collector.js';
import { DASHBOARDS } from '../lib/generate/conventions.js';
import { needs, requireBinary } from './fixtures/binaries.js';

// No Docker engine here: the compose stack is checked statically, and its configs by the real tools.
const ROOT = fileURLToPath(new URL('..', import.meta.url));
const COMPOSE_DIR = join(ROOT, 'compose');
const compose = parse(readFileSync(join(COMPOSE_DIR, 'docker-compose.yaml'), 'utf8')) as {
  services: Record<
    string,
    {
      image?: string;
      build?: { context: string; dockerfile: string };
      volumes?: string[];
      ports?: string[];
      healthcheck?: { test: string[] };
      restart?: string;
      profiles?: string[];
      deploy?: { resources?: { limits?: { cpus?: string; memory?: string } } };
    }
  >;
  volumes: Record<string, unknown>;
  secrets?: Record<string, { file: string }>;
};
const services = Object.entries(compose.services);

function run(binary: 'promtool' | 'amtool', args: string[]) {
  const result = spawnSync(requireBinary(binary), args, { encoding: 'utf8', timeout: 60_000 });
  return { status: result.status, output: `${result.stdout}${result.stderr}` };
}

describe('the compose stack', () => {
  it('runs the whole topology', () => {
    expect(Object.keys(compose.services).sort()).toEqual(
      [
        'alertmanager',
        'collector',
        'grafana',
        'load',
        'loki',
        'mcp-server',
        'prometheus',
        'python-mcp',
        'python-sidecar',
        'tempo',
      ].sort(),
    );
    expect(compose.services['load']?.profiles).toEqual(['load']);
  });

  it('pins every image: a tag, never latest', () => {
    for (const [name, service] of services) {
      expect(service.image, name).toMatch(/^[^:]+:[^:]+$/);
      expect(service.image, name).not.toMatch(/:latest$/);
    }
  });

  it('mounts only files and folders that exist in the repository, and named volumes it declares', () => {
    for (const [name, service] of services) {
      for (const volume of service.volumes ?? []) {
        const source = volume.split(':')[0]!;
        if (source.startsWith('.')) expect(existsSync(resolve(COMPOSE_DIR, source)), `${name}: ${source}`).toBe(true);
        else expect(compose.volumes, `${name}: volume ${source}`).toHaveProperty(source);
      }
      if (service.build) {
        expect(
          existsSync(resolve(COMPOSE_DIR, service.build.context, service.build.dockerfile)),
          `${name}: Dockerfile`,
        ).toBe(true);
      }
    }
    for (const secret of Object.values(compose.secrets ?? {}))
      expect(existsSync(resolve(COMPOSE_DIR, secret.file))).toBe(true);
  });

  it('publishes distinct host ports, on the loopback interface only, and no fixed admin token', () => {
    const published = services.flatMap(([, service]) => service.ports ?? []);
    for (const port of published) expect(port).toMatch(/^127\.0\.0\.1:\d+:\d+$/);
    const hostPorts = published.map((port) => port.split(':')[1]);
    expect(new Set(hostPorts).size).toBe(hostPorts.length);
    const text = readFileSync(join(COMPOSE_DIR, 'docker-compose.yaml'), 'utf8');
    expect(text).toContain('ADMIN_TOKEN: ${MCP_ADMIN_TOKEN:-}');
    expect(text).not.toMatch(/ADMIN_TOKEN: [a-z]/i);
  });

  it('gives every long-running service a health check, a restart policy and resource limits', () => {
    for (const [name, service] of services) {
      expect(service.deploy?.resources?.limits?.memory, `${name}: memory limit`).toBeTruthy();
      if (service.profiles?.includes('load')) continue;
      expect(service.healthcheck?.test.length, `${name}: healthcheck`).toBeGreaterThan(0);
      expect(service.restart, `${name}: restart`).toBe('unless-stopped');
    }
  });

  it('provisions Grafana with the generated dashboards and fixed datasource uids', () => {
    const grafana = compose.services['grafana']!;
    const dashboards = grafana.volumes!.find((v) => v.includes('/var/lib/grafana/dashboards'))!;
    const source = resolve(COMPOSE_DIR, dashboards.split(':')[0]!);
    const provider = parse(
      readFileSync(join(COMPOSE_DIR, 'grafana/provisioning/dashboards/dashboards.yaml'), 'utf8'),
    ) as {
      providers: { options: { path: string } }[];
    };
    expect(provider.providers[0]!.options.path).toBe(dashboards.split(':')[1]);
    expect(readdirSync(source).sort()).toEqual(
      Object.values(DASHBOARDS)
        .map((d) => `${d.uid}.json`)
        .sort(),
    );
    const datasources = parse(
      readFileSync(join(COMPOSE_DIR, 'grafana/provisioning/datasources/datasources.yaml'), 'utf8'),
    ) as {
      datasources: { uid: string; type: string; jsonData?: Record<string, unknown> }[];
    };
    expect(datasources.datasources.map((d) => [d.type, d.uid])).toEqual([
      ['prometheus', 'prometheus'],
      ['tempo', 'tempo'],
      ['loki', 'loki'],
    ]);
    // exemplars link to traces, traces link to logs
    expect(JSON.stringify(datasources.datasources[0]!.jsonData)).toContain('"datasourceUid":"tempo"');
    expect(JSON.stringify(datasources.datasources[1]!.jsonData)).toContain('tracesToLogsV2');
  });

  it.skipIf(needs('promtool').skip)('has a Prometheus config that passes promtool check config', () => {
    // The config names the in-container rule path: check a copy that points at the repository's rules file.
    const dir = mkdtempSync(join(tmpdir(), 'mcp-observatory-compose-'));
    try {
      const config = parse(readFileSync(join(COMPOSE_DIR, 'prometheus/prometheus.yml'), 'utf8')) as {
        rule_files: string[];
      };
      const mounted = compose.services['prometheus']!.volumes!.find((v) => v.includes('rules'))!;
      expect(config.rule_files).toEqual([mounted.split(':')[1]]);
      config.rule_files = [resolve(COMPOSE_DIR, mounted.split(':')[0]!)];
      writeFileSync(join(dir, 'prometheus.yml'), stringify(config));
      const { status, output } = run('promtool', ['check', 'config', join(dir, 'prometheus.yml')]);
      expect(output).toContain('SUCCESS');
      expect(status).toBe(0);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it.skipIf(needs('amtool').skip)('has an Alertmanager config that passes amtool check-config', () => {
    const mounted = compose.services['alertmanager']!.volumes!.find((v) => v.includes('alertmanager.yaml'))!;
    const { status, output } = run('amtool', ['check-config', resolve(COMPOSE_DIR, mounted.split(':')[0]!)]);
    expect(output).toContain('SUCCESS');
    expect(status).toBe(0);
  });

  it('runs the collector image of the version the builder manifest pins', () => {
    const image = compose.services['collector']!.image!;
    const manifest = readFileSync(join(ROOT, COLLECTOR_PATHS.manifest), 'utf8');
    const version = image.split(':')[1]!;
    expect(manifest).toContain(version);
    expect(existsSync(resolve(COMPOSE_DIR, compose.services['collector']!.volumes![0]!.split(':')[0]!))).toBe(true);
    expect(dirname(image)).toBe('otel');
  });
});
