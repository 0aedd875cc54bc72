import { afterEach, describe, expect, it } from 'vitest';
import { mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ConfigError, parseConfig, resolveConfig } from '../lib/config/config.js';
import { main } from '../lib/cli.js';

function problems(input: unknown) {
  try {
    resolveConfig(input, 'test.yaml');
  } catch (error) {
    expect(error).toBeInstanceOf(ConfigError);
    return (error as ConfigError).problems;
  }
  throw new Error('the configuration was accepted');
}

describe('configuration', () => {
  it('fills every default from an empty configuration', () => {
    const config = parseConfig('', 'empty.yaml');
    expect(config.service.name).toBe('mcp-server');
    expect(config.slos).toMatchObject({ period: '30d', availability: { objective: 99.9 }, minRequests: 100 });
    expect(config.slos.latency).toEqual({ objective: 99, thresholdSeconds: 1 });
    expect(config.thresholds.errorRatio).toEqual({ value: 0.05, window: '1m', for: '15s' });
    expect(config.thresholds.latencyP95.value).toBe(2);
    expect(config.detection).toEqual({
      profile: 'fast',
      scrapeInterval: '5s',
      evaluationInterval: '5s',
      minRequests: 20,
    });
    expect(config.alertmanager.page.url).toMatch(/^http:\/\/127\.0\.0\.1/);
  });

  it('takes the windows and intervals of the standard detection profile, and what the file sets over either', () => {
    const standard = parseConfig('detection:\n  profile: standard\n');
    expect(standard.detection).toMatchObject({ scrapeInterval: '15s', evaluationInterval: '15s' });
    expect(standard.thresholds.errorRatio).toMatchObject({ window: '5m', for: '5m' });
    expect(standard.thresholds.toolSuccess).toMatchObject({ window: '10m', for: '10m' });
    // Thresholds no profile times keep their one default.
    expect(standard.thresholds.cpu).toMatchObject({ window: '5m', for: '15m' });
    const mixed = parseConfig(
      'detection:\n  profile: standard\n  scrapeInterval: 10s\n  minRequests: 7\nthresholds:\n  errorRatio:\n    for: 2m\n',
    );
    expect(mixed.detection).toMatchObject({ scrapeInterval: '10s', evaluationInterval: '15s', minRequests: 7 });
    expect(mixed.thresholds.errorRatio).toMatchObject({ window: '5m', for: '2m' });
    expect(parseConfig('thresholds:\n  latencyP95:\n    window: 3m\n').thresholds.latencyP95).toMatchObject({
      window: '3m',
      for: '10s',
    });
  });

  it('names a profile it does not know, and a window too short for the scrape interval', () => {
    expect(problems({ detection: { profile: 'quick' } })[0]).toMatchObject({
      pointer: '/detection/profile',
      value: 'quick',
    });
    const [short] = problems({ detection: { scrapeInterval: '30s' } });
    expect(short).toMatchObject({ pointer: '/thresholds/errorRatio/window', value: '1m' });
    expect(short!.message).toMatch(/shorter than three scrapes \(detection.scrapeInterval is 30s\)/);
    expect(short!.fix).toMatch(/at least 90s/);
  });

  it('accepts JSON as well as YAML', () => {
    expect(parseConfig('{"service": {"name": "docs"}}').service.name).toBe('docs');
  });

  it('rejects unknown keys, naming the pointer and the known keys', () => {
    const [problem] = problems({ slos: { availabilty: { objective: 99 } } });
    expect(problem).toMatchObject({ pointer: '/slos/availabilty', message: 'unknown key "availabilty"' });
    expect(problem!.fix).toContain('availability');
  });

  it('names the field, the value and the fix of a bad value', () => {
    const [problem] = problems({ slos: { availability: { objective: 120 } } });
    expect(problem).toMatchObject({ pointer: '/slos/availability/objective', value: 120 });
    expect(problem!.fix).toMatch(/percent/);
    const error = (() => {
      try {
        resolveConfig({ thresholds: { errorRatio: { window: 'five minutes' } } }, 'x.yaml');
      } catch (e) {
        return e as Error;
      }
    })();
    expect(error?.message).toContain('/thresholds/errorRatio/window');
    expect(error?.message).toContain('"five minutes"');
    expect(error?.message).toContain('a Prometheus duration');
  });

  it('requires a latency threshold that is a bucket boundary', () => {
    const [problem] = problems({ slos: { latency: { thresholdSeconds: 0.75 } } });
    expect(problem).toMatchObject({ pointer: '/slos/latency/thresholdSeconds', value: 0.75 });
    expect(problem!.fix).toContain('0.5, 1, 2');
  });

  it('rejects an objective the fastest burn-rate alert could never fire on', () => {
    // 14.4 x 10% budget = 144% errors: impossible.
    const [problem] = problems({ slos: { availability: { objective: 90 } } });
    expect(problem).toMatchObject({ pointer: '/slos/availability/objective', value: 90 });
    expect(problem!.message).toMatch(/impossible objective/);
    expect(problem!.fix).toMatch(/raise it above 93\.0/);
    // the factor follows the period: for 7 days it is 14.4 x 7/30 = 3.36, so 90% is possible there
    expect(() => resolveConfig({ slos: { period: '7d', availability: { objective: 90 } } })).not.toThrow();
    const [perTool] = problems({ slos: { tools: { search: { availability: 50 } } } });
    expect(perTool!.pointer).toBe('/slos/tools/search/availability');
  });

  it('reports every problem at once', () => {
    expect(
      problems({ service: { name: '1bad' }, bogus: true, slos: { latency: { thresholdSeconds: 3 } } }),
    ).toHaveLength(2);
  });
});

describe('mcp-observatory generate with a bad configuration', () => {
  let dir: string | undefined;
  afterEach(() => {
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it('prints the problem, exits non-zero and writes nothing', async () => {
    dir = mkdtempSync(join(tmpdir(), 'mcp-observatory-config-'));
    const config = join(dir, 'bad.yaml');
    writeFileSync(config, 'slos:\n  latency:\n    thresholdSeconds: 0.3\n');
    const out = join(dir, 'out');
    const errors: string[] = [];
    const write = process.stderr.write.bind(process.stderr);
    process.stderr.write = ((chunk: string) => (errors.push(chunk), true)) as typeof process.stderr.write;
    let code: number;
    try {
      code = await main(['generate', '--config', config, '--out', out]);
    } finally {
      process.stderr.write = write;
    }
    expect(code).toBe(1);
    expect(errors.join('')).toMatch(
      /\/slos\/latency\/thresholdSeconds: not a bucket boundary.*found 0\.3.*fix: use one of/,
    );
    expect(errors.join('')).toContain('nothing was written');
    expect(readdirSync(dir)).toEqual(['bad.yaml']);
  });
});
