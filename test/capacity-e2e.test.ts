// `capacity` against a real Prometheus holding 30 days of history: the history is written as OpenMetrics and turned
// into TSDB blocks by `promtool tsdb create-blocks-from openmetrics` (Prometheus's own backfill), with trends whose
// answers are known — CPU reaching its limit in 40 days, memory in about 48, a flat service never.
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { CapacityReport } from '../lib/capacity/collect.js';
import { DURATION_BUCKETS_SECONDS, LABEL, METRICS, PROCESS_METRICS } from '../lib/contract.js';
import { needs, requireBinary } from './fixtures/binaries.js';
import { runInProcess } from './fixtures/cli.js';
import { startPrometheus } from './fixtures/prometheus.js';
import type { Prometheus } from './fixtures/prometheus.js';

const DAY = 86_400;
const MIB = 2 ** 20;
const STEP = 300;
const GROWING = 'ledger-prod';
const FLAT = 'static-docs';

/** 30 days of samples every 5 minutes, ending 2 minutes ago. */
function history(now: number): string {
  const start = now - 30 * DAY;
  const times: number[] = [];
  for (let t = start; t <= now - 120; t += STEP) times.push(t);
  const frac = (t: number) => (t - start) / (30 * DAY);
  const lines: string[] = [];
  const family = (name: string, type: string, series: [string, (t: number) => number][]) => {
    lines.push(`# TYPE ${name} ${type}`);
    for (const [labels, value] of series) for (const t of times) lines.push(`${labels} ${value(t)} ${t}`);
  };
  const growing = `job="${GROWING}",instance="a:9464"`;
  const flat = `job="${FLAT}",instance="b:9464"`;
  // CPU from 0.20 to 0.50 cores over the month: the counter is the integral of that rate.
  const cpu = (t: number) => 0.2 * (t - start) + (0.3 * (t - start) ** 2) / (2 * 30 * DAY);
  family(PROCESS_METRICS.cpuSeconds.replace(/_total$/, ''), 'counter', [
    [`${PROCESS_METRICS.cpuSeconds}{${growing}}`, cpu],
    [`${PROCESS_METRICS.cpuSeconds}{${flat}}`, (t) => 0.1 * (t - start)],
  ]);
  // Memory from 200 to 300 MiB, with a daily wobble; the flat service wobbles around 100 MiB.
  const wobble = (t: number) => 5 * MIB * Math.sin((2 * Math.PI * t) / DAY);
  family(PROCESS_METRICS.residentMemory, 'gauge', [
    [`${PROCESS_METRICS.residentMemory}{${growing}}`, (t) => Math.round(200 * MIB + 100 * MIB * frac(t) + wobble(t))],
    [`${PROCESS_METRICS.residentMemory}{${flat}}`, (t) => Math.round(100 * MIB + wobble(t))],
  ]);
  // Requests from 5 to 10 per second (all between 50 and 100 ms); the flat service serves 2 per second.
  const requests = (t: number) => 5 * (t - start) + (5 * (t - start) ** 2) / (2 * 30 * DAY);
  const duration = METRICS.serverOperationDuration.name;
  const op = (base: string) => `${base},${LABEL.METHOD}="tools/call",${LABEL.TOOL}="search"`;
  const histogramSeries = (base: string, count: (t: number) => number): [string, (t: number) => number][] => [
    ...[...DURATION_BUCKETS_SECONDS, '+Inf' as const].map((le): [string, (t: number) => number] => [
      `${duration}_bucket{${op(base)},le="${le}"}`,
      (t) => (le === '+Inf' || le >= 0.1 ? Math.round(count(t)) : 0),
    ]),
    [`${duration}_count{${op(base)}}`, (t) => Math.round(count(t))],
    [`${duration}_sum{${op(base)}}`, (t) => Math.round(count(t)) * 0.075],
  ];
  family(duration, 'histogram', [
    ...histogramSeries(growing, requests),
    ...histogramSeries(flat, (t) => 2 * (t - start)),
  ]);
  // Tenants: acme grows from 1 to 4 requests per second, globex stays at 2.
  const tenants = METRICS.tenantOperations.name;
  family(tenants.replace(/_total$/, ''), 'counter', [
    [
      `${tenants}{${growing},${LABEL.TENANT}="acme"}`,
      (t) => Math.round(1 * (t - start) + (3 * (t - start) ** 2) / (2 * 30 * DAY)),
    ],
    [`${tenants}{${growing},${LABEL.TENANT}="globex"}`, (t) => Math.round(2 * (t - start))],
  ]);
  lines.push('# EOF');
  return `${lines.join('\n')}\n`;
}

describe.skipIf(needs('prometheus', 'promtool').skip)('capacity over 30 days of backfilled history', () => {
  let dir: string;
  let prometheus: Prometheus;
  let config: string;

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'mcp-observatory-capacity-'));
    const input = join(dir, 'history.om');
    writeFileSync(input, history(Math.floor(Date.now() / 1000)));
    const data = join(dir, 'data');
    const backfill = spawnSync(
      requireBinary('promtool'),
      ['tsdb', 'create-blocks-from', 'openmetrics', '--max-block-duration=24h', input, data],
      { encoding: 'utf8' },
    );
    expect(backfill.status, backfill.stderr).toBe(0);
    // Limits unlike the defaults: 0.9 cores, 90% of 512 MiB.
    config = join(dir, 'mcp-observatory.yaml');
    writeFileSync(
      config,
      'thresholds:\n  cpuCores: 1\n  cpu: { value: 0.9 }\n  memoryLimitBytes: 536870912\n  memory: { value: 0.9 }\n',
    );
    prometheus = await startPrometheus({
      scrapeTargets: [],
      storagePath: data,
      extraFlags: ['--storage.tsdb.retention.time=400d'],
    });
  }, 120_000);
  afterAll(async () => {
    await prometheus?.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  const capacity = async (...args: string[]) => {
    const { code, output } = await runInProcess([
      'capacity',
      '--prometheus',
      prometheus.url,
      '--config',
      config,
      ...args,
    ]);
    return { code, output, report: args.includes('json') ? (JSON.parse(output) as CapacityReport) : undefined };
  };

  it('forecasts each resource and says when it reaches its limit; exits 1 when that is within the horizon', async () => {
    const { code, report } = await capacity('--format', 'json');
    const row = (job: string, resource: string) =>
      report!.services.find((r) => r.job === job && r.resource === resource)!;
    const days = (job: string, resource: string) => row(job, resource).reachesInSeconds! / DAY;
    // CPU: 0.50 cores now, +0.01 a day, limit 0.9: 40 days. Memory: 300 MiB now, +3.33 MiB a day, limit 460.8 MiB.
    expect(row(GROWING, 'cpu').trend!.now).toBeCloseTo(0.5, 1);
    expect(days(GROWING, 'cpu')).toBeGreaterThan(38);
    expect(days(GROWING, 'cpu')).toBeLessThan(42);
    expect(days(GROWING, 'memory')).toBeGreaterThan(46);
    expect(days(GROWING, 'memory')).toBeLessThan(51);
    // Traffic: 10 per second now, +1/6 a day: 25 in 90 days, inside the stated interval.
    const traffic = row(GROWING, 'traffic').trend!;
    expect(traffic.forecast).toBeGreaterThan(23);
    expect(traffic.forecast).toBeLessThan(27);
    expect(traffic.low).toBeLessThan(traffic.forecast);
    expect(traffic.high).toBeGreaterThan(traffic.forecast);
    // p95 between 50 and 100 ms and flat: far from the 1 s threshold.
    expect(row(GROWING, 'latencyP95').trend!.now).toBeLessThan(0.1);
    expect(row(GROWING, 'latencyP95').reachesInSeconds ?? Infinity).toBeGreaterThan(90 * DAY);
    // The flat service reaches nothing within the horizon.
    for (const resource of ['cpu', 'memory', 'traffic'])
      expect(row(FLAT, resource).reachesInSeconds ?? Infinity).toBeGreaterThan(90 * DAY);
    for (const r of report!.services) expect(r.coverage).toBeGreaterThan(0.95);
    expect(report!.tenants.map((t) => t.tenant)).toEqual(['acme', 'globex']);
    expect(report!.verdict.reasons).toHaveLength(2);
    expect(code).toBe(1);
  }, 60_000);

  it('a shorter horizon passes; the table names the method and the dates', async () => {
    const { code, output } = await capacity('--horizon', '30d', '--job', GROWING);
    expect(code, output).toBe(0);
    expect(output).toMatch(/least-squares line/);
    expect(output).toMatch(/CPU of the busiest instance .* in 4\dd \(\d{4}-\d\d-\d\d\)/);
    expect(output).toMatch(/OK: nothing reaches its limit within 30d/);
    expect(output).not.toMatch(new RegExp(FLAT));
  }, 60_000);

  it('does not forecast from a history that covers too little of the period', async () => {
    const { code, report } = await capacity('--period', '365d', '--format', 'json');
    for (const r of report!.services) {
      expect(r.coverage).toBeLessThan(0.25);
      expect(r.trend).toBeUndefined();
    }
    expect(code).toBe(0);
  }, 60_000);

  it('names a bad flag, its value and the fix', async () => {
    const { code, output } = await capacity('--horizon', 'soon');
    expect(code).toBe(2);
    expect(output).toMatch(/--horizon soon: not a Prometheus duration; e\.g\. --horizon 90d/);
  });
});
