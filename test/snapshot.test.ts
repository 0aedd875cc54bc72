// `mcp-observatory snapshot` without a Prometheus: every bad flag names the flag, the value and the fix, and an
// unreachable Prometheus writes nothing. The pages themselves are drawn and checked in Chromium by the dashboards e2e.
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { legendOf, substitute } from '../lib/snapshot/data.js';
import { runInProcess } from './fixtures/cli.js';

describe('snapshot', () => {
  const dir = mkdtempSync(join(tmpdir(), 'mcp-observatory-snapshot-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it.each([
    [['--range', 'soon'], /--range soon: not a Prometheus duration; e\.g\. --range 1h/],
    [['--serve', 'localhost'], /--serve localhost: give HOST:PORT, e\.g\. --serve 127\.0\.0\.1:3002/],
    [['--serve', '127.0.0.1:3002', '--png'], /--png and --serve exclude each other/],
    [['--job', 'a"b'], /--job a"b: letters, digits/],
    [['--prometheus', 'ftp://x'], /--prometheus ftp:\/\/x: not an http\(s\) URL/],
  ])('refuses %j, naming it and the fix', async (args, message) => {
    const out = join(dir, 'bad');
    const { code, output } = await runInProcess(['snapshot', '--out', out, ...args]);
    expect(output).toMatch(message);
    expect(code).toBe(2);
    expect(existsSync(out)).toBe(false);
  });

  it('writes nothing when Prometheus cannot be reached, and exits 3', async () => {
    const out = join(dir, 'unreachable');
    const { code, output } = await runInProcess(['snapshot', '--prometheus', 'http://127.0.0.1:9', '--out', out]);
    expect(output).toMatch(/cannot reach Prometheus at http:\/\/127\.0\.0\.1:9\//);
    expect(code).toBe(3);
    expect(existsSync(out)).toBe(false);
  });

  it('runs queries as Grafana would: variables at All or the job asked for, rate interval from the step', () => {
    const window = { rangeSeconds: 3600, stepSeconds: 30, job: 'docs' };
    expect(substitute('rate(x{job=~"$job", tool=~"$tool", instance=~"${instance}"}[$__rate_interval])', window)).toBe(
      'rate(x{job=~"docs", tool=~".*", instance=~".*"}[120s])',
    );
    expect(legendOf('{{gen_ai_tool_name}} p95', { gen_ai_tool_name: 'search' })).toBe('search p95');
    expect(legendOf(undefined, { job: 'docs' })).toBe('{job="docs"}');
  });
});
