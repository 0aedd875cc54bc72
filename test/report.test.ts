import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createServer } from 'node:http';
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { RECORD } from '../lib/generate/conventions.js';
import { verdict } from '../lib/report/collect.js';
import type { HealthReport } from '../lib/report/collect.js';
import { ReportUsageError } from '../lib/report/errors.js';
import { formatMarkdown, formatReport, formatTable } from '../lib/report/format.js';
import { parseReportArgs } from '../lib/report/options.js';
import { REPORT_LEVELS, levelQueries } from '../lib/report/queries.js';
import { cli } from './fixtures/reference.js';

// `mcp-observatory report` without Prometheus: how a report reads, when it fails a deploy, how it names a bad command
// line or a Prometheus it cannot use. The end-to-end run against a real Prometheus is report-e2e.test.ts.

/** A morning after a bad night: globex's fetch calls failed, the error-ratio page is firing, the budget is gone. */
function badMorning(): HealthReport {
  const report: HealthReport = {
    generatedAt: '2026-01-15T07:30:00.000Z',
    prometheus: 'http://127.0.0.1:9090/',
    window: '24h',
    sources: { goldenSignals: 'recording rules', slos: 'recording rules' },
    verdict: { status: 'ok', failures: [], warnings: [] },
    services: [
      {
        job: 'governance-docs',
        name: 'governance-docs',
        requests: 172_800,
        errors: 5_184,
        errorRatio: 0.03,
        errorTypes: { tool_error: 5_184, '-32602': 12 },
        p50: 0.0081,
        p95: 0.31,
        p99: 0.84,
        now: { rate: 2.5, errorRatio: 0.104, p95: 0.29 },
      },
    ],
    tools: [
      {
        job: 'governance-docs',
        name: 'fetch',
        requests: 51_840,
        errors: 5_184,
        errorRatio: 0.1,
        errorTypes: { tool_error: 5_184 },
        p50: 0.006,
        p95: 0.012,
        p99: 0.018,
        now: { rate: 0.75, errorRatio: 0.35, p95: 0.012 },
      },
      {
        job: 'governance-docs',
        name: 'summarize',
        requests: 17_280,
        errors: 0,
        errorRatio: 0,
        errorTypes: {},
        p50: 0.36,
        p95: 0.9,
        p99: 1.4,
        now: { rate: 0.25, errorRatio: 0, p95: 0.88 },
      },
    ],
    tenants: [
      {
        job: 'governance-docs',
        name: 'globex',
        requests: 37_500,
        errors: 5_184,
        errorRatio: 0.138,
        errorTypes: { tool_error: 5_184 },
        p50: 0.007,
        p95: 0.3,
        p99: 0.8,
        now: { rate: 0.54, errorRatio: 0.48, p95: 0.3 },
      },
    ],
    saturation: [
      {
        job: 'governance-docs',
        up: 1,
        targets: 1,
        restarts: 0,
        peakInFlight: 7,
        peakSessions: 10,
        cpuCores: 0.042,
        peakMemoryBytes: 150 * 2 ** 20,
        maxEventLoopLagSeconds: 0.031,
      },
    ],
    slos: [
      {
        service: 'governance-docs',
        slo: 'availability',
        objective: 0.999,
        period: '30d',
        budgetRemaining: -0.37,
        coverage: 0.25,
        burn: { '5m': 104, '1h': 96.5, '6h': 41.2, '1d': 30, '3d': 10 },
        status: 'exhausted',
      },
    ],
    alerts: {
      firing: [
        {
          alertname: 'McpHighErrorRatio',
          severity: 'critical',
          state: 'firing',
          labels: { job: 'governance-docs' },
          summary: 'The MCP server answers too many requests with server errors.',
          description:
            '10.4% of the requests of governance-docs failed with a server-owned error over the last 5m (threshold 5%).',
          activeAt: '2026-01-15T07:12:00.000Z',
        },
        {
          alertname: 'McpToolFailing',
          severity: 'warning',
          state: 'firing',
          labels: { gen_ai_tool_name: 'fetch', job: 'governance-docs' },
          summary: 'One tool fails too often.',
          activeAt: '2026-01-15T07:20:00.000Z',
        },
      ],
      pending: [],
      resolved: [
        {
          alertname: 'McpCircuitBreakerOpen',
          severity: 'warning',
          state: 'resolved',
          labels: { dependency: 'compliance-registry', job: 'governance-docs' },
        },
      ],
    },
    offenders: {
      tools: [
        {
          job: 'governance-docs',
          name: 'fetch',
          errors: 5_184,
          requests: 51_840,
          errorRatio: 0.1,
          errorTypes: { tool_error: 5_184 },
        },
      ],
      tenants: [
        {
          job: 'governance-docs',
          name: 'globex',
          errors: 5_184,
          requests: 37_500,
          errorRatio: 0.138,
          errorTypes: { tool_error: 5_184 },
        },
      ],
      tenantTools: [
        {
          job: 'governance-docs',
          name: 'globex × fetch',
          errors: 5_184,
          requests: 11_250,
          errorRatio: 0.461,
          errorTypes: { tool_error: 5_184 },
        },
      ],
      slowestTools: [],
    },
    dependencies: {
      breakers: [{ job: 'governance-docs', dependency: 'compliance-registry', state: 'closed', openedInWindow: true }],
      authFailures: [{ job: 'governance-docs', reason: 'invalid_token', count: 42 }],
      rateLimited: [{ job: 'governance-docs', tenant: 'hooli', count: 310 }],
      caches: [{ job: 'governance-docs', cache: 'search', lookups: 69_000, hitRatio: 0.91 }],
      quotas: [{ job: 'governance-docs', tenant: 'hooli', quota: 'daily_tool_calls', remaining: 0.12 }],
    },
  };
  report.offenders.slowestTools = [report.tools[1]!, report.tools[0]!];
  report.verdict = verdict(report);
  return report;
}

describe('report verdict', () => {
  it('fails on a firing page-level alert or an exhausted budget, and only warns on the rest', () => {
    const report = badMorning();
    expect(report.verdict).toEqual({
      status: 'fail',
      failures: [
        'page-level alert firing: McpHighErrorRatio (job=governance-docs) — The MCP server answers too many requests with server errors.',
        'SLO availability of governance-docs (99.9% over 30d): error budget exhausted (-37% left, data covers 25% of the period)',
      ],
      warnings: ['warning alert firing: McpToolFailing (gen_ai_tool_name=fetch, job=governance-docs)'],
    });
    report.alerts.firing = report.alerts.firing.filter((alert) => alert.severity !== 'critical');
    report.slos[0]!.budgetRemaining = 0.4;
    report.slos[0]!.status = 'fast burn';
    expect(verdict(report)).toMatchObject({ status: 'warn', failures: [] });
    report.alerts.firing = [];
    report.slos[0]!.status = 'ok';
    report.dependencies.breakers[0]!.state = 'open';
    expect(verdict(report)).toEqual({
      status: 'warn',
      failures: [],
      warnings: ['circuit breaker compliance-registry of governance-docs is open'],
    });
    report.dependencies.breakers[0]!.state = 'closed';
    expect(verdict(report)).toEqual({ status: 'ok', failures: [], warnings: [] });
  });
});

describe('report formats', () => {
  it('prints a table a person reads top-down: verdict, alerts, offenders, SLOs, then the details', () => {
    expect(formatTable(badMorning()))
      .toBe(`MCP health report: last 24h, 2026-01-15 07:30:00 UTC, from http://127.0.0.1:9090/
current values from recording rules; SLOs from recording rules

Verdict: FAIL, a page-level alert fires or an error budget is exhausted
  ✗ page-level alert firing: McpHighErrorRatio (job=governance-docs) — The MCP server answers too many requests with server errors.
  ✗ SLO availability of governance-docs (99.9% over 30d): error budget exhausted (-37% left, data covers 25% of the period)
  ! warning alert firing: McpToolFailing (gen_ai_tool_name=fetch, job=governance-docs)

Alerts firing and pending
  severity  state   alert              for  labels                                      description
  critical  firing  McpHighErrorRatio  18m  job=governance-docs                         10.4% of the requests of governance-docs failed with a server-owned error over the last 5m (threshold 5%).
  warning   firing  McpToolFailing     10m  gen_ai_tool_name=fetch job=governance-docs  One tool fails too often.

Top offenders (last 24h)
  tools by server errors:
    fetch (governance-docs): 5,184 of 51,840 (10.0%) tool_error 5,184
  tenants by server errors:
    globex (governance-docs): 5,184 of 37,500 (13.8%) tool_error 5,184
  tenant × tool:
    globex × fetch (governance-docs): 5,184 of 11,250 (46.1%) tool_error 5,184
  slowest tools (p99):
    summarize (governance-docs): p99 1.40s, p95 900ms
    fetch (governance-docs): p99 18ms, p95 12ms

SLOs: error budget left over the period, the share of the period the data covers, burn rate per window (1x spends the budget exactly)
  service          slo           objective  budget left  covered  burn 5m     1h     6h     1d     3d  status
  governance-docs  availability      99.9%       -37.0%    25.0%   104.0x  96.5x  41.2x  30.0x  10.0x  exhausted

Services (last 24h; "now" is the last 5m)
  service          requests  errors    p50    p95    p99  now/s  now errors  now p95  error types
  governance-docs   172,800   3.00%  8.1ms  310ms  840ms   2.50       10.4%    290ms  tool_error 5,184, -32602 12

Tools
  service          tool       requests  errors    p50    p95    p99  now/s  now errors  now p95  error types
  governance-docs  fetch        51,840   10.0%  6.0ms   12ms   18ms   0.75       35.0%     12ms  tool_error 5,184
  governance-docs  summarize    17,280      0%  360ms  900ms  1.40s   0.25          0%    880ms

Tenants
  service          tenant  requests  errors    p50    p95    p99  now/s  now errors  now p95  error types
  governance-docs  globex    37,500   13.8%  7.0ms  300ms  800ms   0.54       48.0%    300ms  tool_error 5,184

Saturation
  service           up  restarts  peak in flight  peak sessions  CPU cores  peak memory  max loop lag p99
  governance-docs  1/1         0               7             10      0.042      150 MiB              31ms

Dependencies and security
  circuit breakers: compliance-registry (governance-docs) closed, opened in the window
  auth failures: invalid_token 42
  rate-limited requests: hooli 310
  cache hit ratio: search 91.0% of 69,000 lookups
  quotas below 50%: hooli daily_tool_calls 12.0% left

Alerts that fired in the last 24h and are resolved
  severity  alert
  warning   McpCircuitBreakerOpen (dependency=compliance-registry, job=governance-docs)`);
  });

  it('prints Markdown tables for a ticket or a chat', () => {
    const markdown = formatMarkdown(badMorning());
    expect(markdown).toMatch(
      /^# MCP health report: last 24h, 2026-01-15 07:30:00 UTC, from http:\/\/127\.0\.0\.1:9090\/\n/,
    );
    expect(markdown).toContain(
      '## Verdict: FAIL, a page-level alert fires or an error budget is exhausted\n\n' +
        '- ✗ page-level alert firing: McpHighErrorRatio (job=governance-docs) — The MCP server answers too many requests with server errors.\n',
    );
    expect(markdown).toContain(
      '| service | tool | requests | errors | p50 | p95 | p99 | now/s | now errors | now p95 | error types |\n' +
        '| --- | --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | --- |\n' +
        '| governance-docs | fetch | 51,840 | 10.0% | 6.0ms | 12ms | 18ms | 0.75 | 35.0% | 12ms | tool_error 5,184 |\n',
    );
    expect(markdown).toContain(
      '- tenant × tool:\n  - globex × fetch (governance-docs): 5,184 of 11,250 (46.1%) tool_error 5,184\n',
    );
  });

  it('prints the whole report as JSON for tools', () => {
    const report = badMorning();
    expect(JSON.parse(formatReport(report, 'json'))).toEqual(JSON.parse(JSON.stringify(report)));
  });
});

describe('report queries', () => {
  it('read the recording rules of the bundle and fall back to raw series where none were recorded', () => {
    const [service, tool, tenant] = REPORT_LEVELS.map((level) => levelQueries(level, '24h', 'job="docs"'));
    expect(service!.nowRate).toBe(
      `${RECORD.rate('job')}{job="docs"} or sum by (job) (rate(mcp_server_operation_duration_seconds_count{job="docs"}[5m]))`,
    );
    expect(tool!.nowErrorRatio.startsWith(`${RECORD.errorRatio('job_gen_ai_tool_name')}{job="docs"} or (`)).toBe(true);
    expect(
      tenant!.nowP95.startsWith(`max without (quantile) (${RECORD.tenantQuantile}{job="docs", quantile="0.95"}) or `),
    ).toBe(true);
    expect(tool!.errors).toBe(
      'sum by (job, gen_ai_tool_name) (increase(mcp_server_operation_duration_seconds_count{job="docs", mcp_method_name="tools/call", ' +
        'error_type!="", error_type!~"-32700|-32600|-32601|-32602|-32002|-32020|-32021|-32022|-32042|rate_limited|quota_exceeded|forbidden"}[24h]))',
    );
  });
});

describe('report command line', () => {
  it('names a bad option and the fix', () => {
    const usage = (...args: string[]) => {
      try {
        parseReportArgs(args, {});
      } catch (error) {
        expect(error).toBeInstanceOf(ReportUsageError);
        return (error as Error).message;
      }
      throw new Error('expected a ReportUsageError');
    };
    expect(usage('--window', '1 day')).toBe('--window 1 day: not a Prometheus duration; e.g. --window 24h, 7d or 90m');
    expect(usage('--format', 'pdf')).toBe('--format pdf: use one of table, markdown, json, html');
    expect(usage('--prometheus', 'localhost:9090')).toBe(
      '--prometheus localhost:9090: not an http(s) URL; e.g. --prometheus http://127.0.0.1:9090',
    );
    expect(usage('--top', '0')).toBe('--top 0: a whole number from 1 to 100');
    expect(parseReportArgs([], { PROMETHEUS_URL: 'http://prometheus:9090' }).prometheus.href).toBe(
      'http://prometheus:9090/',
    );
  });

  describe('against what is not a usable Prometheus', () => {
    let notPrometheus: Server;
    let closedPort: number;
    beforeAll(async () => {
      notPrometheus = createServer(
        (_req, res) => void res.writeHead(404, { 'content-type': 'text/html' }).end('<h1>Grafana</h1>'),
      );
      await new Promise<void>((resolve) => notPrometheus.listen(0, '127.0.0.1', resolve));
      const probe = createServer();
      await new Promise<void>((resolve) => probe.listen(0, '127.0.0.1', resolve));
      closedPort = (probe.address() as AddressInfo).port;
      await new Promise((resolve) => probe.close(resolve));
    });
    afterAll(() => new Promise((resolve) => notPrometheus?.close(resolve)));

    it('exits 3 and says what to check when Prometheus is unreachable or is something else', async () => {
      const down = await cli(['report', '--prometheus', `http://127.0.0.1:${closedPort}`]);
      expect(down.code).toBe(3);
      expect(down.stderr).toBe(
        `mcp-observatory report: cannot reach Prometheus at http://127.0.0.1:${closedPort}/ (ECONNREFUSED); ` +
          'is it running? pass its URL with --prometheus\n',
      );
      const port = (notPrometheus.address() as AddressInfo).port;
      const other = await cli(['report', '--prometheus', `http://127.0.0.1:${port}`]);
      expect(other.code).toBe(3);
      expect(other.stderr).toMatch(
        /does not answer like the Prometheus HTTP API \(GET api\/v1\/rules: HTTP 404, not JSON\); pass the base URL of Prometheus/,
      );
      const usage = await cli(['report', '--format', 'pdf']);
      expect(usage.code).toBe(2);
    });
  });
});
