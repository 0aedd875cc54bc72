import { afterAll, describe, expect, it } from 'vitest';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { metricsFor, metricsHandler, newRegistry } from '../lib/index.js';
import { needs } from './fixtures/binaries.js';
import { startPrometheus } from './fixtures/prometheus.js';
import type { VectorSample } from './fixtures/prometheus.js';

const ROOT = fileURLToPath(new URL('..', import.meta.url));

function script(name: string, args: string[]) {
  const result = spawnSync('bash', [join(ROOT, 'scripts', name), ...args], { encoding: 'utf8', timeout: 60_000 });
  return { status: result.status, output: `${result.stdout}${result.stderr}` };
}

async function queryAt(url: string, expr: string, time: number): Promise<VectorSample[]> {
  const response = await fetch(`${url}/api/v1/query?query=${encodeURIComponent(expr)}&time=${time}`);
  const body = (await response.json()) as { data: { result: VectorSample[] } };
  return body.data.result;
}

describe.skipIf(needs('prometheus').skip)('backup and restore of the stack state', () => {
  const dir = mkdtempSync(join(tmpdir(), 'mcp-observatory-backup-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('data written before the snapshot is queryable after a restore into a fresh data directory', async () => {
    const registry = newRegistry();
    metricsFor(registry, false).notifications.inc({ mcp_method_name: 'notifications/initialized' }, 42);
    const metrics = createServer(metricsHandler({ registry }));
    await new Promise<void>((resolve) => metrics.listen(0, '127.0.0.1', resolve));
    const data = join(dir, 'data');
    const original = await startPrometheus({
      scrapeTargets: [`127.0.0.1:${(metrics.address() as AddressInfo).port}`],
      storagePath: data,
      extraFlags: ['--web.enable-admin-api'],
    });
    const expr = 'mcp_server_notifications_total{mcp_method_name="notifications/initialized"}';
    let written: number;
    try {
      await original.waitFor(expr, (v) => v.length > 0, { what: 'the notification counter to be scraped' });
      written = Date.now() / 1000;
      const archive = join(dir, 'backup.tar.gz');
      const backup = script('backup.sh', ['--prometheus', original.url, '--data-dir', data, '--out', archive]);
      expect(backup.output).toMatch(/^backup: .*backup\.tar\.gz \(snapshot /m);
      expect(backup.status).toBe(0);
      expect(existsSync(archive)).toBe(true);
    } finally {
      await original.stop();
      metrics.closeAllConnections();
      await new Promise((resolve) => metrics.close(resolve));
    }

    const restored = join(dir, 'restored');
    const configs = join(dir, 'configs');
    const restore = script('restore.sh', [
      '--archive',
      join(dir, 'backup.tar.gz'),
      '--data-dir',
      restored,
      '--configs-to',
      configs,
    ]);
    expect(restore.status).toBe(0);
    expect(readdirSync(configs)).toEqual(expect.arrayContaining(['alerts', 'dashboards', 'mcp-observatory.yaml']));
    // A restore never overwrites data.
    expect(script('restore.sh', ['--archive', join(dir, 'backup.tar.gz'), '--data-dir', restored]).status).toBe(1);

    const fresh = await startPrometheus({ scrapeTargets: [], storagePath: restored });
    try {
      const [sample] = await queryAt(fresh.url, expr, written);
      expect(sample?.value[1]).toBe('42');
    } finally {
      await fresh.stop();
    }
  }, 120_000);

  it('refuses a Prometheus without the admin API, and says why', async () => {
    const prometheus = await startPrometheus({ scrapeTargets: [], storagePath: join(dir, 'no-admin') });
    try {
      const backup = script('backup.sh', [
        '--prometheus',
        prometheus.url,
        '--data-dir',
        join(dir, 'no-admin'),
        '--out',
        join(dir, 'x.tar.gz'),
      ]);
      expect(backup.status).toBe(1);
      expect(backup.output).toContain('--web.enable-admin-api');
    } finally {
      await prometheus.stop();
    }
  });
});
