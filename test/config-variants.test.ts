import { parse } from 'yaml';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, readdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { resolveConfig } from '../lib/config/config.js';
import { PATHS, USER_OWNED_FILES, generateBundle } from '../lib/generate/bundle.js';
import { collectorConfigYaml } from '../lib/generate/collector.js';
import { recoverInterruptedWrite, writeBundle, writerSteps } from '../lib/generate/writer.js';
import { toolChecks } from '../lib/validate/tools.js';
import { needs } from './fixtures/binaries.js';
import { runInProcess } from './fixtures/cli.js';
import { needsCollector, validateCollectorConfig } from './fixtures/collector.js';

const ROOT = fileURLToPath(new URL('..', import.meta.url));

const cli = runInProcess;

/** Every file under `dir` with its content, as a map of relative paths. */
function tree(dir: string): Map<string, string> {
  const files = new Map<string, string>();
  const walk = (at: string) => {
    for (const entry of readdirSync(at)) {
      const path = join(at, entry);
      if (statSync(path).isDirectory()) walk(path);
      else files.set(relative(dir, path), readFileSync(path, 'utf8'));
    }
  };
  walk(dir);
  return files;
}

const temp = (name: string) => mkdtempSync(join(tmpdir(), `mcp-observatory-${name}-`));

// Configurations that parse but cannot make a bundle the real tools accept: each must be refused, naming the field.
const INVALID: [string, string, RegExp][] = [
  [
    'a zero window',
    'thresholds:\n  errorRatio:\n    window: 0s\n',
    /\/thresholds\/errorRatio\/window: a zero duration/,
  ],
  ['a zero window in minutes', 'thresholds:\n  cpu:\n    window: 0m\n', /\/thresholds\/cpu\/window/],
  ['units out of order', 'thresholds:\n  latencyP95:\n    window: 5m1h\n', /\/thresholds\/latencyP95\/window/],
  ['a repeated unit', 'thresholds:\n  memory:\n    for: 1m1m\n', /\/thresholds\/memory\/for/],
  ['an absurd duration', 'thresholds:\n  memory:\n    window: 99999999999999999999d\n', /longer than 10 years/],
  ['an unknown profile', 'profile: multi-region\n', /\/profile: must be equal to one of the allowed values/],
  [
    'a gateway without its port',
    'profile: scale-out\nscaleOut:\n  gateways: [otelcol-gateway]\n',
    /\/scaleOut\/gateways\/0/,
  ],
  ['an unknown metrics store', 'scaleOut:\n  store: influxdb\n', /\/scaleOut\/store/],
  ['a job with a quote', "service:\n  job: 'a\"b'\n", /\/service\/job/],
  ['a job with a line break', 'service:\n  job: "a\\nb"\n', /\/service\/job/],
  ['a tool name with a line break', 'slos:\n  tools:\n    "a\\nb":\n      availability: 99\n', /\/slos\/tools/],
  ['an empty tool name', 'slos:\n  tools:\n    "":\n      availability: 99\n', /\/slos\/tools/],
  [
    'tool names whose SLO names collide',
    'slos:\n  tools:\n    a-b:\n      availability: 99\n    a_b:\n      availability: 99\n',
    /\/slos\/tools\/a_b: its SLO names would collide with those of tool "a-b"/,
  ],
  [
    'tool names that differ only in case and punctuation',
    'slos:\n  tools:\n    A.B:\n      availability: 99\n    a-b:\n      availability: 99\n',
    /would collide/,
  ],
  ['a repeat interval out of order', 'alertmanager:\n  repeatInterval: 5m1h\n', /\/alertmanager\/repeatInterval/],
  ['a javascript: webhook', 'alertmanager:\n  page:\n    url: "javascript:alert(1)"\n', /\/alertmanager\/page\/url/],
  ['a file: webhook', 'alertmanager:\n  ticket:\n    url: "file:///etc/passwd"\n', /\/alertmanager\/ticket\/url/],
  ['lookaround in a blocked value', 'collector:\n  redaction:\n    blockedValues: ["(?<=key=)\\\\w+"]\n', /RE2/],
  ['a backreference in a blocked value', 'collector:\n  redaction:\n    blockedValues: ["(a)\\\\1"]\n', /RE2/],
  [
    'a blocked value that does not compile',
    'collector:\n  redaction:\n    blockedValues: ["key-("]\n',
    /not a regular expression/,
  ],
  ['an endpoint with a space', 'collector:\n  tempo:\n    endpoint: "tempo :4317"\n', /\/collector\/tempo\/endpoint/],
  ['a NaN ratio', 'thresholds:\n  errorRatio:\n    value: .nan\n', /\/thresholds\/errorRatio\/value: .*found NaN/],
  ['an infinite ratio', 'thresholds:\n  errorRatio:\n    value: .inf\n', /found Infinity/],
  ['a number past float range', 'thresholds:\n  latencyP95:\n    value: 1e400\n', /found Infinity/],
  ['a p95 at the largest bucket', 'thresholds:\n  latencyP95:\n    value: 300\n', /largest bucket boundary/],
  [
    'a maintenance window across midnight',
    'alertmanager:\n  maintenanceWindows:\n    - { name: night, start: "23:00", end: "01:00" }\n',
    /\/alertmanager\/maintenanceWindows\/0\/end: not after the start \(23:00\).*found "01:00".*split the window/,
  ],
  [
    'a maintenance window in an unknown time zone',
    'alertmanager:\n  maintenanceWindows:\n    - { name: w, start: "02:00", end: "04:00", location: Mars/Olympus }\n',
    /\/alertmanager\/maintenanceWindows\/0\/location: not an IANA time zone/,
  ],
  [
    'a maintenance window on a misspelt day',
    'alertmanager:\n  maintenanceWindows:\n    - { name: w, weekdays: [sundy], start: "02:00", end: "04:00" }\n',
    /\/alertmanager\/maintenanceWindows\/0\/weekdays\/0.*sundy/,
  ],
  [
    'two maintenance windows of one name',
    'alertmanager:\n  maintenanceWindows:\n    - { name: w, start: "02:00", end: "04:00" }\n    - { name: w, start: "05:00", end: "06:00" }\n',
    /\/alertmanager\/maintenanceWindows\/1\/name: another maintenance window has this name/,
  ],
  [
    'muting an unknown severity',
    'alertmanager:\n  muteInMaintenance: [page]\n',
    /\/alertmanager\/muteInMaintenance\/0/,
  ],
];

describe('generate refuses every configuration the real tools would reject, and writes nothing', () => {
  let dir: string;
  beforeAll(() => {
    dir = temp('invalid');
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it.each(INVALID)('%s', async (_, yaml, message) => {
    const config = join(dir, 'config.yaml');
    writeFileSync(config, yaml);
    const out = join(dir, 'out');
    const { code, output } = await cli(['generate', '--config', config, '--out', out]);
    expect(output).toMatch(message);
    expect(output).toMatch(/fix: /);
    expect(code).not.toBe(0);
    expect(() => readdirSync(out)).toThrow(/ENOENT/);
  });
});

// Valid configurations far from the defaults: the bundle's own promtool tests must pass with them, so no case may be
// tuned to a default threshold.
// Rules that read native histograms first: the rule tests' classic series must still count, once, burn rates too.
const NATIVE = 'native histograms, with spans of a service turned into its operation histogram';

const STANDARD = 'the standard detection profile, other intervals, a lower guard, odd for: durations';

const VARIANTS: Record<string, unknown> = {
  'looser thresholds': {
    thresholds: { errorRatio: { value: 0.1 }, latencyP95: { value: 5 }, toolSuccess: { value: 0.95 } },
  },
  'stricter thresholds, other windows and capacities, a job unlike the service': {
    service: { name: 'billing', job: 'mcp/billing-prod' },
    thresholds: {
      errorRatio: { value: 0.01, for: '2m', window: '10m' },
      latencyP95: { value: 0.5 },
      toolSuccess: { value: 0.999 },
      tenantErrorRatio: { value: 10 },
      saturation: { value: 0.5, window: '2m' },
      maxInFlight: 20,
      maxSessions: 50,
      cpu: { value: 0.9 },
      cpuCores: 4,
      memory: { value: 0.95, window: '15m' },
      memoryLimitBytes: 2147483648,
      eventLoopLagSeconds: { value: 1, window: '10m' },
      latencyBaseline: { value: 2, window: '15m' },
      authFailures: { value: 5 },
      cacheHitRatio: { value: 0.5 },
      rateLimited: { value: 1 },
      restarts: { value: 5 },
      poolUsage: { value: 0.6, window: '10m', for: '3m' },
      queueDepth: { value: 250, window: '2m' },
    },
  },
  // No `up` of its own: liveness from the collector exporter's target_info, the job service.namespace/service.name.
  'a collector-fed service in another language': {
    service: { name: 'py-finance', source: 'collector' },
    collector: { resource: { serviceNamespace: 'finance' } },
  },
  [NATIVE]: {
    prometheus: { nativeHistograms: true },
    collector: { operationsFromSpans: { services: ['py-finance'] } },
  },
  // Cases on 10, 15, 20 and 30 s grids, a guard of 7 requests, the standard profile's long windows elsewhere.
  [STANDARD]: {
    detection: { profile: 'standard', scrapeInterval: '10s', minRequests: 7 },
    thresholds: {
      latencyP95: { for: '45s' },
      toolSuccess: { window: '90s', for: '20s' },
      authFailures: { for: '1m30s' },
      averageLatency: { value: 0.2, window: '2m', for: '40s' },
      backupMaxAgeHours: 50,
    },
  },
  'thresholds off a bucket boundary, near the ends of the scale': {
    thresholds: {
      errorRatio: { value: 0.9 },
      latencyP95: { value: 2.5 },
      toolSuccess: { value: 0.5 },
      tenantErrorRatio: { value: 1.1 },
      saturation: { value: 0.99 },
      cpu: { value: 0.3 },
      memory: { value: 0.5 },
    },
  },
};

/** The slow suites (weeks of series, or SLO windows): they read no threshold these variants change. */
const SLOW_SUITES = ['McpLatencyAboveBaseline', 'McpTrafficDrop', 'McpAvailabilityBudgetBurn', 'McpLatencyBudgetBurn'];

describe.skipIf(needs('promtool', 'amtool').skip)(
  'non-default configurations give bundles the real tools accept',
  () => {
    const dirs: string[] = [];
    afterAll(() => dirs.forEach((dir) => rmSync(dir, { recursive: true, force: true })));

    it.each(Object.keys(VARIANTS))(
      '%s: promtool check and test, amtool',
      async (name) => {
        const dir = temp('variant');
        dirs.push(dir);
        writeBundle(generateBundle(resolveConfig(VARIANTS[name]), name), dir);
        const slow = name === NATIVE ? SLOW_SUITES.filter((alert) => !alert.endsWith('BudgetBurn')) : SLOW_SUITES;
        for (const alert of slow) rmSync(join(dir, PATHS.tests(alert)));
        const problems = await toolChecks(dir, { pint: false });
        expect(problems.map((p) => `${p.file}: ${p.message.slice(0, 600)}`)).toEqual([]);
      },
      // The native variant runs the burn-rate suites: about a minute alone, more on a machine running other suites.
      240_000,
    );

    it('other SLOs (7-day period, other objectives, a lower traffic guard): the burn-rate suites pass', async () => {
      const dir = temp('variant-slo');
      dirs.push(dir);
      const config = resolveConfig({
        slos: {
          period: '7d',
          availability: { objective: 99.5 },
          latency: { objective: 95, thresholdSeconds: 2 },
          minRequests: 20,
        },
      });
      writeBundle(generateBundle(config, 'slo variant'), dir);
      const keep = new Set(['McpAvailabilityBudgetBurn', 'McpLatencyBudgetBurn'].map((alert) => PATHS.tests(alert)));
      for (const path of generateBundle(config).keys()) {
        if (path.startsWith('alerts/tests/') && !keep.has(path)) rmSync(join(dir, path));
      }
      const problems = await toolChecks(dir, { pint: false });
      expect(problems.map((p) => `${p.file}: ${p.message.slice(0, 600)}`)).toEqual([]);
    }, 180_000);

    it.skipIf(needsCollector().skip)('the collector validates the config of every variant', () => {
      const dir = temp('variant-collector');
      dirs.push(dir);
      for (const [name, raw] of Object.entries(VARIANTS)) {
        const path = join(dir, `${name.replace(/\W+/g, '-')}.yaml`);
        writeFileSync(path, collectorConfigYaml(resolveConfig(raw)));
        const result = validateCollectorConfig(path);
        expect(result.output, name).toBe('');
        expect(result.ok, name).toBe(true);
      }
    });
  },
);

describe('every window setting reaches its alert', () => {
  it('saturation, memory, event-loop lag and the latency baseline average over their configured windows', () => {
    const bundle = generateBundle(
      resolveConfig(VARIANTS['stricter thresholds, other windows and capacities, a job unlike the service']),
      'windows',
    );
    const rules = (
      parse(bundle.get(PATHS.rules)!) as { groups: { rules: { alert?: string; expr: string }[] }[] }
    ).groups
      .flatMap((group) => group.rules)
      .filter((rule) => rule.alert);
    const expr = (alert: string) => rules.find((rule) => rule.alert === alert)!.expr;
    expect(expr('McpInFlightSaturation')).toContain(
      'avg_over_time(mcp_server_operations_in_flight{job="mcp/billing-prod"}[2m])',
    );
    expect(expr('McpSessionsSaturation')).toContain('[2m])');
    expect(expr('McpHighMemory')).toContain(
      'avg_over_time(process_resident_memory_bytes{job="mcp/billing-prod"}[15m])',
    );
    expect(expr('McpEventLoopLag')).toContain('[10m])');
    expect(expr('McpLatencyAboveBaseline')).toContain('quantile="0.95"}[15m])');
  });
});

describe('the detection profile', () => {
  const bundleOf = (raw: unknown) => {
    const bundle = generateBundle(resolveConfig(raw), 'detection');
    const rules = (
      parse(bundle.get(PATHS.rules)!) as { groups: { rules: { alert?: string; for?: string; expr: string }[] }[] }
    ).groups
      .flatMap((group) => group.rules)
      .filter((rule) => rule.alert);
    const prometheus = parse(bundle.get('compose/prometheus/prometheus.yml')!) as { global: Record<string, string> };
    return { rule: (alert: string) => rules.find((rule) => rule.alert === alert)!, global: prometheus.global };
  };

  it("reaches Prometheus's intervals, the windows, the for: durations and the request guard", () => {
    const fast = bundleOf({});
    expect(fast.global).toMatchObject({ scrape_interval: '5s', evaluation_interval: '5s' });
    expect(fast.rule('McpServerDown').for).toBe('15s');
    expect(fast.rule('McpHighErrorRatio')).toMatchObject({ for: '15s' });
    expect(fast.rule('McpHighErrorRatio').expr).toMatch(/\[1m\]\)\) \* 60 >= 20$/);

    const standard = bundleOf(VARIANTS[STANDARD]);
    expect(standard.global).toMatchObject({ scrape_interval: '10s', evaluation_interval: '15s' });
    expect(standard.rule('McpServerDown').for).toBe('1m');
    expect(standard.rule('McpServerAbsent').for).toBe('5m');
    expect(standard.rule('McpHighErrorRatio')).toMatchObject({ for: '5m' });
    expect(standard.rule('McpHighErrorRatio').expr).toMatch(/\[5m\]\)\) \* 300 >= 7$/);
    expect(standard.rule('McpToolFailing')).toMatchObject({ for: '20s' });
    expect(standard.rule('McpToolFailing').expr).toContain('[90s]');
    expect(standard.rule('McpTelemetryDropped')).toMatchObject({ for: '10m' });
    expect(standard.rule('McpBackupStale').expr).toMatch(/> 180000$/);
  });
});

describe('service.source', () => {
  const rules = (raw: unknown) => {
    const bundle = generateBundle(resolveConfig(raw), 'source');
    const groups = (parse(bundle.get(PATHS.rules)!) as { groups: { rules: { alert?: string; expr: string }[] }[] })
      .groups;
    return Object.fromEntries(groups.flatMap((g) => g.rules).map((rule) => [rule.alert ?? '', rule.expr]));
  };

  it('scrape: liveness from up, the job the service name', () => {
    const expr = rules({ service: { name: 'docs' } });
    expect(expr['McpServerDown']).toBe('up{job="docs"} == 0');
    expect(expr['McpServerAbsent']).toBe('absent(up{job="docs"})');
  });

  it("collector: liveness from target_info, the job the collector's service.namespace/service.name", () => {
    const expr = rules({
      service: { name: 'py-finance', source: 'collector' },
      collector: { resource: { serviceNamespace: 'finance' } },
    });
    expect(expr['McpServerAbsent']).toBe('absent(target_info{job="finance/py-finance"})');
    expect(expr['McpServerDown']).toContain('max_over_time(target_info{job="finance/py-finance"}[1h])');
    expect(expr['McpServerDown']).not.toContain('up{');
    // An explicit job wins.
    expect(rules({ service: { name: 'x', job: 'custom', source: 'collector' } })['McpServerAbsent']).toBe(
      'absent(target_info{job="custom"})',
    );
  });

  it('names the field, the value and the choices for an unknown source', () => {
    expect(() => resolveConfig({ service: { source: 'push' } })).toThrow(/service\/source|source/);
  });
});

describe('the write is atomic: an interrupted write leaves the old bundle whole', () => {
  const old = generateBundle(resolveConfig({}), 'old');
  const fresh = generateBundle(resolveConfig({ thresholds: { errorRatio: { value: 0.2 } } }), 'new');
  const steps = [...new Set([...fresh.keys()].map((path) => path.split('/')[0]!))].flatMap((top) => [
    `move out ${top}`,
    `move in ${top}`,
  ]);
  const dirs: string[] = [];
  afterAll(() => dirs.forEach((dir) => rmSync(dir, { recursive: true, force: true })));

  const withOldBundle = () => {
    const dir = temp('atomic');
    dirs.push(dir);
    writeBundle(old, dir);
    return { dir, before: tree(dir) };
  };

  it.each(steps)('a failure before "%s" puts every old directory back', (step) => {
    const { dir, before } = withOldBundle();
    writerSteps.before = (at) => {
      if (at === step) throw new Error(`disk full at ${at}`);
    };
    try {
      expect(() => writeBundle(fresh, dir)).toThrow(/disk full/);
    } finally {
      writerSteps.before = undefined;
    }
    expect(tree(dir)).toEqual(before);
    expect(readdirSync(dir).filter((entry) => entry.startsWith('.'))).toEqual([]);
  });

  it.each(steps)('a writer killed before "%s": the next write puts the old bundle back first', (step) => {
    const { dir, before } = withOldBundle();
    // A real kill: a child process writes the new bundle and SIGKILLs itself at the step.
    const script = `
      import { generateBundle } from './dist/lib/generate/bundle.js';
      import { resolveConfig } from './dist/lib/config/config.js';
      import { writeBundle, writerSteps } from './dist/lib/generate/writer.js';
      writerSteps.before = (at) => { if (at === ${JSON.stringify(step)}) process.kill(process.pid, 'SIGKILL'); };
      writeBundle(generateBundle(resolveConfig({ thresholds: { errorRatio: { value: 0.2 } } }), 'new'), ${JSON.stringify(dir)});
    `;
    const child = spawnSync(process.execPath, ['--input-type=module', '-e', script], { cwd: ROOT, encoding: 'utf8' });
    expect(child.signal).toBe('SIGKILL');
    recoverInterruptedWrite(dir);
    expect(tree(dir)).toEqual(before);
    expect(readdirSync(dir).filter((entry) => entry.startsWith('.'))).toEqual([]);
  });

  it('keeps the files the user owns: the Grafana password changed after the first generate survives the next', () => {
    const { dir } = withOldBundle();
    const [password] = [...USER_OWNED_FILES];
    writeFileSync(join(dir, password!), 'my-own-secret\n');
    writeBundle(fresh, dir, USER_OWNED_FILES);
    expect(readFileSync(join(dir, password!), 'utf8')).toBe('my-own-secret\n');
    expect(readFileSync(join(dir, PATHS.rules), 'utf8')).toBe(fresh.get(PATHS.rules));
  });
});
