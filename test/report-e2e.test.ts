import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { resolveConfig } from '../lib/config/config.js';
import { PATHS, generateBundle } from '../lib/generate/bundle.js';
import { RECORD } from '../lib/generate/conventions.js';
import { writeBundle } from '../lib/generate/writer.js';
import type { LoadSummary } from '../lib/load/runner.js';
import type { HealthReport } from '../lib/report/collect.js';
import { needs } from './fixtures/binaries.js';
import { startPrometheus, vectorSum, waitFor } from './fixtures/prometheus.js';
import type { Prometheus } from './fixtures/prometheus.js';
import { cli, runCli, startReference } from './fixtures/reference.js';
import type { Reference } from './fixtures/reference.js';

// The whole drill, as an operator runs it: the reference server, a real Prometheus scraping it with the generated rules
// (the error-ratio page shortened to a 20 s window so it fires within the test), `mcp-observatory load` sending steady
// traffic and then injecting a fault into one tool of one tenant, and `mcp-observatory report` judging it: healthy
// before the fault, failing with the faulty tool and tenant on top while it lasts. A second Prometheus without the
// rules shows the report's raw fallback.
const JOB = 'governance-docs';

describe.skipIf(needs('prometheus').skip)('report against a real Prometheus during a fault drill', () => {
  let dir: string;
  let server: Reference;
  let prometheus: Prometheus;
  let bare: Prometheus;

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'mcp-observatory-report-'));
    const config = { service: { name: JOB }, thresholds: { errorRatio: { value: 0.05, window: '20s', for: '5s' } } };
    writeBundle(generateBundle(resolveConfig(config), 'the report e2e test'), dir);
    writeFileSync(join(dir, 'mcp-observatory.json'), JSON.stringify(config));
    // Rate limits scaled up: the only errors of the drill are the injected ones.
    server = await startReference({ RATE_LIMIT_SCALE: '10' });
    const target = new URL(server.base).host;
    [prometheus, bare] = await Promise.all([
      startPrometheus({ jobName: JOB, scrapeTargets: [target], ruleFiles: [join(dir, PATHS.rules)] }),
      startPrometheus({ jobName: JOB, scrapeTargets: [target] }),
    ]);
  });
  afterAll(async () => {
    await prometheus?.stop();
    await bare?.stop();
    await server?.stop();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  const report = async (url: string, ...args: string[]) => {
    const run = await cli(['report', '--prometheus', url, '--window', '10m', ...args]);
    return { ...run, json: args.includes('json') && run.stdout ? (JSON.parse(run.stdout) as HealthReport) : undefined };
  };

  it('passes before the fault, then fails with the faulty tool and tenant on top while it lasts', async () => {
    // Steady traffic from the five demo tenants; the drill adds its own load and the fault once the report passed.
    const traffic = runCli(
      ['load', server.url, '--rate', '20', '--duration', '90s', '--tool', 'search=40', '--tool', 'fetch=60'].concat([
        '--seed',
        '11',
        '--json',
        '--quiet',
      ]),
      { timeoutMs: 120_000 },
    );
    let drill: ReturnType<typeof runCli> | undefined;
    try {
      const calls = 'sum(increase(mcp_server_operation_duration_seconds_count{mcp_method_name="tools/call"}[1m]))';
      await prometheus.waitFor(calls, (v) => vectorSum(v) >= 50, { what: 'Prometheus to see 50 tool calls' });

      const before = await report(prometheus.url, '--format', 'json');
      expect(before.code, before.stderr).toBe(0);
      expect(before.json!.verdict.failures).toEqual([]);
      expect(before.json!.sources).toEqual({ goldenSignals: 'recording rules', slos: 'recording rules' });
      expect(before.json!.services.map((row) => [row.name, row.errors])).toEqual([[JOB, 0]]);

      // The drill: 80% of globex's fetch calls fail, its own and those of the steady traffic alike.
      drill = runCli(
        [
          'load',
          server.url,
          '--rate',
          '5',
          '--duration',
          '150s',
          '--tool',
          'fetch=1',
          '--tenant',
          'globex=demo-token-globex',
        ].concat(['--sessions', '1', '--fault', 'at 0s: error=0.8 tool=fetch tenant=globex', '--json', '--quiet']),
        // Longer than the checks below, which wait up to a minute for the SLO meta series: it ends interrupted.
        { timeoutMs: 180_000 },
      );
      await waitFor(
        () => prometheus.alerts(),
        (alerts) => alerts.some((a) => a.labels['alertname'] === 'McpHighErrorRatio' && a.state === 'firing'),
        { what: 'McpHighErrorRatio to fire', timeoutMs: 45_000, intervalMs: 500 },
      );
      // The SLO meta series are recorded once a minute: the report reads them once they are there.
      await prometheus.waitFor(
        `${RECORD.budgetRemaining}{slo="availability"}`,
        (v) => v.length > 0 && Number.isFinite(Number(v[0]!.value[1])),
        { what: 'the budget remaining of the availability SLO', timeoutMs: 90_000 },
      );
      const during = await report(prometheus.url, '--format', 'json');
      expect(during.code, during.stderr).toBe(1);
      const json = during.json!;
      expect(json.verdict.status).toBe('fail');
      expect(json.verdict.failures).toContainEqual(
        expect.stringMatching(/^page-level alert firing: McpHighErrorRatio \(job=governance-docs\)/),
      );
      // The rules weight the period by what Prometheus covers: minutes of a month, so the burst spent little of it,
      // in the report and in the series the dashboards show alike.
      const rulesAvailability = json.slos.find((slo) => slo.slo === 'availability')!;
      expect(rulesAvailability.coverage).toBeGreaterThan(0);
      expect(rulesAvailability.coverage).toBeLessThan(0.001);
      expect(rulesAvailability.budgetRemaining).toBeGreaterThan(0.9);
      const remaining = await prometheus.query(`${RECORD.budgetRemaining}{slo="availability"}`);
      expect(Number(remaining[0]!.value[1])).toBeCloseTo(rulesAvailability.budgetRemaining!, 2);
      expect(json.offenders.tools[0]).toMatchObject({ name: 'fetch', errorTypes: { tool_error: expect.any(Number) } });
      expect(json.offenders.tenants[0]).toMatchObject({
        name: 'globex',
        errorTypes: { tool_error: expect.any(Number) },
      });
      expect(json.offenders.tenantTools.map((o) => o.name)).toEqual(['globex × fetch']);
      expect(json.offenders.tools.map((o) => o.name)).toEqual(['fetch']);
      expect(json.offenders.tenants.map((o) => o.name)).toEqual(['globex']);

      const table = await report(prometheus.url);
      expect(table.code).toBe(1);
      expect(table.stdout).toContain(
        '\nVerdict: FAIL, a page-level alert fires or an error budget is exhausted\n  ✗ page-level alert firing: McpHighErrorRatio',
      );
      const offenders = table.stdout.split('\nTop offenders (last 10m)\n')[1]!.split('\n');
      expect(offenders.slice(0, 4)).toEqual([
        '  tools by server errors:',
        expect.stringMatching(/^ {4}fetch \(governance-docs\): [\d,]+ of [\d,]+ \([\d.]+%\) tool_error [\d,]+$/),
        '  tenants by server errors:',
        expect.stringMatching(/^ {4}globex \(governance-docs\): /),
      ]);

      // The same report as one HTML page: charts of the window from the Overview panels, then the same tables.
      const html = await report(prometheus.url, '--format', 'html', '--config', join(dir, 'mcp-observatory.json'));
      expect(html.code).toBe(1);
      expect(html.stdout).toContain('<title>MCP health report: last 10m</title>');
      const page = JSON.parse(
        /<script type="application\/json" id="snapshot-data">(.*?)<\/script>/s.exec(html.stdout)![1]!,
      ) as { items: { title: string; kind: string; series?: { name: string; values: (number | null)[] }[] }[] };
      const chart = (title: string) => page.items.find((item) => item.title === title)!;
      expect(chart('Error ratio by error type').series!.map((s) => s.name)).toContain('tool_error');
      expect(chart('Requests by method').series!.some((s) => s.values.some((v) => v !== null && v > 0))).toBe(true);
      expect(page.items.map((item) => item.title)).toContain('Top offenders (last 10m)');
      // Markdown with the same charts as PNGs, drawn in a headless Chromium.
      if (!needs('chromium').skip) {
        const images = join(dir, 'charts');
        const markdown = await report(prometheus.url, '--format', 'markdown', '--images', images);
        expect(markdown.code).toBe(1);
        const linked = [...markdown.stdout.matchAll(/!\[([^\]]+)\]\(([^)]+\.png)\)/g)].map(([, title, file]) => ({
          title,
          file,
        }));
        expect(linked.map((l) => l.title)).toEqual(
          expect.arrayContaining(['Requests by method', 'Latency percentiles']),
        );
        for (const { file } of linked) expect(readFileSync(file!).subarray(1, 4).toString()).toBe('PNG');
        expect(markdown.stdout.indexOf('## Charts of the window')).toBeLessThan(markdown.stdout.indexOf('## Verdict'));
      }

      // Without the recording rules: the same offenders from raw series, SLOs computed from the configuration.
      const raw = await report(bare.url, '--format', 'json', '--config', join(dir, 'mcp-observatory.json'));
      expect(raw.json!.sources).toEqual({
        goldenSignals: 'raw series',
        slos: `raw series, objectives from ${join(dir, 'mcp-observatory.json')}`,
      });
      expect(raw.json!.offenders.tenantTools.map((o) => o.name)).toEqual(['globex × fetch']);
      // Minutes of data are a sliver of the 30-day period: the burst burns fast, but the month's budget is not gone.
      const availability = raw.json!.slos.find((slo) => slo.slo === 'availability')!;
      expect(availability.coverage).toBeGreaterThan(0);
      expect(availability.coverage).toBeLessThan(0.001);
      expect(availability.budgetRemaining).toBeGreaterThan(0.9);
      expect(availability.status).toBe('fast burn');
      expect(availability.objective).toBeCloseTo(0.999, 9);
      expect(raw.json!.verdict.warnings).toContainEqual(expect.stringMatching(/^SLO availability .*: fast burn$/));
    } finally {
      drill?.child.kill('SIGINT');
      traffic.child.kill('SIGINT');
    }
    // Interrupted, the load generators still end the fault and print their summaries.
    expect((await drill!.done).code).toBe(0);
    expect((await traffic.done).code).toBe(0);
    const drilled = JSON.parse(drill!.stdout()) as LoadSummary;
    const steady = JSON.parse(traffic.stdout()) as LoadSummary;
    expect(drilled.stoppedBy).toBe('interrupted');
    expect(drilled.faults).toEqual([
      expect.objectContaining({ fault: 'error=0.8 tool=fetch tenant=globex', endedAtSeconds: expect.any(Number) }),
    ]);
    expect(drilled.all.errorTypes).toEqual({ tool_error: drilled.all.errors });
    const failed = steady.tenants['globex']!.errors;
    expect(steady.all.errorTypes).toEqual({ tool_error: failed });
    expect(steady.tools['fetch']!.errors).toBe(failed);
    expect((await server.admin('GET')).json).toEqual({ faults: [] });

    // What Prometheus recorded is what the load generator saw: only globex's fetch calls failed, as tool errors.
    const errors =
      'sum by (tenant_id, gen_ai_tool_name, error_type) (mcp_server_tenant_tool_calls_total{error_type!=""})';
    const total = failed + drilled.all.errors;
    const vector = await prometheus.waitFor(errors, (v) => vectorSum(v) === total, {
      what: `Prometheus to scrape the ${total} failed calls the load generators counted`,
    });
    expect(vector.map((sample) => sample.metric)).toEqual([
      { tenant_id: 'globex', gen_ai_tool_name: 'fetch', error_type: 'tool_error' },
    ]);
  }, 180_000);

  it('exits 3 and names the scraped jobs when the window holds no MCP metrics of the job', async () => {
    const absent = await report(prometheus.url, '--job', 'payments');
    expect(absent.code).toBe(3);
    expect(absent.stderr).toBe(
      `mcp-observatory report: Prometheus at ${prometheus.url}/ has no MCP request metrics of job payments in the last 10m ` +
        `(mcp_server_operation_duration_seconds_count): is the MCP server instrumented and scraped? ` +
        `Prometheus scrapes the jobs ${JOB}; check --job\n`,
    );
  });
});
