/** The daily health report as a terminal table, as Markdown (for a ticket or a chat), or as JSON (for tools). */
import type { AlertRow, HealthReport, Offender, SignalRow, SloRow } from './collect.js';
import { alertName } from './collect.js';
import { renderMarkdown, renderText } from './sections.js';
import type { Section } from './sections.js';

/** Output formats of `report`. */
export type ReportFormat = 'table' | 'markdown' | 'json' | 'html';
export const REPORT_FORMATS: readonly ReportFormat[] = ['table', 'markdown', 'json', 'html'];

const dash = '–';
/** Quotas are listed once less than this share is left. */
const LOW_QUOTA = 0.5;

/** `172,800`: a count with thousands separators. */
export function count(value: number): string {
  return Math.round(value).toLocaleString('en-US');
}

/** `3.00%`, `10.4%`, `<0.01%`: a ratio as a percentage, with a dash when unknown. */
export function ratio(value: number | undefined): string {
  if (value === undefined) return dash;
  if (value === 0) return '0%';
  const percent = value * 100;
  if (Math.abs(percent) < 0.01) return '<0.01%';
  if (Math.abs(percent) < 10) return `${percent.toFixed(2)}%`;
  return `${percent.toFixed(1)}%`;
}

/** `8.1ms`, `310ms`, `1.40s`: seconds for people, with a dash when unknown. */
export function duration(secondsValue: number | undefined): string {
  if (secondsValue === undefined) return dash;
  const ms = secondsValue * 1000;
  if (ms < 10) return `${ms.toFixed(1)}ms`;
  if (ms < 1000) return `${Math.round(ms)}ms`;
  return `${secondsValue.toFixed(2)}s`;
}

function burn(value: number | undefined): string {
  return value === undefined ? dash : `${value < 10 ? value.toFixed(2) : value.toFixed(1)}x`;
}

function since(activeAt: string | undefined, generatedAt: string): string {
  if (!activeAt) return dash;
  const s = Math.max(0, (Date.parse(generatedAt) - Date.parse(activeAt)) / 1000);
  if (s < 120) return `${Math.round(s)}s`;
  if (s < 7200) return `${Math.round(s / 60)}m`;
  if (s < 172_800) return `${Math.round(s / 3600)}h`;
  return `${Math.round(s / 86_400)}d`;
}

function types(errorTypes: Record<string, number>): string {
  return Object.entries(errorTypes)
    .map(([type, n]) => `${type} ${count(n)}`)
    .join(', ');
}

function signalSection(title: string, what: string, rows: SignalRow[]): Section {
  return {
    title,
    header: [
      'service',
      what,
      'requests',
      'errors',
      'p50',
      'p95',
      'p99',
      'now/s',
      'now errors',
      'now p95',
      'error types',
    ],
    textColumns: [0, 1, 10],
    rows: rows.map((row) => [
      row.job,
      row.name,
      count(row.requests),
      ratio(row.errorRatio),
      duration(row.p50),
      duration(row.p95),
      duration(row.p99),
      row.now.rate === undefined ? dash : row.now.rate.toFixed(2),
      ratio(row.now.errorRatio),
      duration(row.now.p95),
      types(row.errorTypes),
    ]),
    empty: 'none in the window',
  };
}

/** Services have no second name column: the job is the service. */
function serviceSection(report: HealthReport): Section {
  const section = signalSection(`Services (last ${report.window}; "now" is the last 5m)`, '', report.services);
  return {
    ...section,
    header: section.header!.filter((_, i) => i !== 1),
    textColumns: [0, 9],
    rows: section.rows!.map((row) => row.filter((_, i) => i !== 1)),
  };
}

function offenderLines(title: string, offenders: Offender[]): string[] {
  if (offenders.length === 0) return [];
  return [
    `${title}:`,
    ...offenders.map(
      (o) =>
        `  ${o.name} (${o.job}): ${count(o.errors)} of ${count(o.requests)} (${ratio(o.errorRatio)}) ${types(o.errorTypes)}`,
    ),
  ];
}

function alertRows(alerts: AlertRow[], generatedAt: string): string[][] {
  return alerts.map((alert) => [
    alert.severity,
    alert.state,
    alert.alertname,
    since(alert.activeAt, generatedAt),
    Object.entries(alert.labels)
      .map(([key, value]) => `${key}=${value}`)
      .join(' '),
    alert.description ?? alert.summary ?? '',
  ]);
}

function sloRow(slo: SloRow): string[] {
  return [
    slo.service,
    slo.slo,
    ratio(slo.objective),
    slo.budgetRemaining === undefined ? dash : ratio(slo.budgetRemaining),
    slo.coverage === undefined ? dash : ratio(slo.coverage),
    ...['5m', '1h', '6h', '1d', '3d'].map((window) => burn(slo.burn[window])),
    slo.status,
  ];
}

/** The report's sections, in order: what every format prints. */
export function sections(report: HealthReport): Section[] {
  const { verdict } = report;
  const headline = {
    ok: 'OK, nothing needs attention',
    warn: 'WARN, needs attention but nothing pages',
    fail: 'FAIL, a page-level alert fires or an error budget is exhausted',
  }[verdict.status];
  const dependencies: string[] = [];
  const d = report.dependencies;
  if (d.breakers.length > 0) {
    dependencies.push(
      `circuit breakers: ${d.breakers.map((b) => `${b.dependency} (${b.job}) ${b.state}${b.openedInWindow && b.state !== 'open' ? ', opened in the window' : ''}`).join('; ')}`,
    );
  }
  if (d.authFailures.length > 0)
    dependencies.push(`auth failures: ${d.authFailures.map((a) => `${a.reason} ${count(a.count)}`).join(', ')}`);
  if (d.rateLimited.length > 0) {
    dependencies.push(`rate-limited requests: ${d.rateLimited.map((r) => `${r.tenant} ${count(r.count)}`).join(', ')}`);
  }
  if (d.caches.length > 0) {
    dependencies.push(
      `cache hit ratio: ${d.caches.map((c) => `${c.cache} ${ratio(c.hitRatio)} of ${count(c.lookups)} lookups`).join(', ')}`,
    );
  }
  const low = d.quotas.filter((q) => q.remaining < LOW_QUOTA);
  if (low.length > 0) {
    dependencies.push(
      `quotas below ${LOW_QUOTA * 100}%: ${low.map((q) => `${q.tenant} ${q.quota} ${ratio(q.remaining)} left`).join(', ')}`,
    );
  }
  const offenders = [
    ...offenderLines('tools by server errors', report.offenders.tools),
    ...offenderLines('tenants by server errors', report.offenders.tenants),
    ...offenderLines('tenant × tool', report.offenders.tenantTools),
  ];
  if (report.offenders.slowestTools.length > 0) {
    offenders.push(
      'slowest tools (p99):',
      ...report.offenders.slowestTools.map(
        (t) => `  ${t.name} (${t.job}): p99 ${duration(t.p99)}, p95 ${duration(t.p95)}`,
      ),
    );
  }
  return [
    {
      title: `Verdict: ${headline}`,
      lines: [...verdict.failures.map((line) => `✗ ${line}`), ...verdict.warnings.map((line) => `! ${line}`)],
    },
    {
      title: 'Alerts firing and pending',
      header: ['severity', 'state', 'alert', 'for', 'labels', 'description'],
      textColumns: [0, 1, 2, 4, 5],
      rows: alertRows([...report.alerts.firing, ...report.alerts.pending], report.generatedAt),
      empty: 'none',
    },
    { title: `Top offenders (last ${report.window})`, lines: offenders, empty: 'no server-owned errors in the window' },
    {
      title:
        'SLOs: error budget left over the period, the share of the period the data covers, burn rate per window ' +
        '(1x spends the budget exactly)',
      header: ['service', 'slo', 'objective', 'budget left', 'covered', 'burn 5m', '1h', '6h', '1d', '3d', 'status'],
      textColumns: [0, 1, 10],
      rows: report.slos.map(sloRow),
      empty: 'no SLO data',
    },
    serviceSection(report),
    signalSection('Tools', 'tool', report.tools),
    signalSection('Tenants', 'tenant', report.tenants),
    {
      title: 'Saturation',
      header: [
        'service',
        'up',
        'restarts',
        'peak in flight',
        'peak sessions',
        'CPU cores',
        'peak memory',
        'max loop lag p99',
      ],
      textColumns: [0],
      rows: report.saturation.map((row) => [
        row.job,
        `${row.up}/${row.targets}`,
        count(row.restarts),
        row.peakInFlight === undefined ? dash : count(row.peakInFlight),
        row.peakSessions === undefined ? dash : count(row.peakSessions),
        row.cpuCores === undefined ? dash : row.cpuCores < 1 ? row.cpuCores.toPrecision(2) : row.cpuCores.toFixed(2),
        row.peakMemoryBytes === undefined ? dash : `${Math.round(row.peakMemoryBytes / 2 ** 20)} MiB`,
        duration(row.maxEventLoopLagSeconds),
      ]),
    },
    { title: 'Dependencies and security', lines: dependencies, empty: 'nothing reported' },
    {
      title: `Alerts that fired in the last ${report.window} and are resolved`,
      header: ['severity', 'alert'],
      textColumns: [0, 1],
      rows: report.alerts.resolved.map((alert) => [alert.severity, alertName(alert)]),
      empty: 'none',
    },
  ];
}

function title(report: HealthReport): string {
  const at = report.generatedAt.replace('T', ' ').replace(/\.\d+Z$/, ' UTC');
  return `MCP health report: last ${report.window}${report.job ? ` of job ${report.job}` : ''}, ${at}, from ${report.prometheus}`;
}

function sourcesLine(report: HealthReport): string {
  return `current values from ${report.sources.goldenSignals}; SLOs from ${report.sources.slos}`;
}

/** The report for a terminal: aligned columns. */
export function formatTable(report: HealthReport): string {
  return renderText([title(report), sourcesLine(report)], sections(report));
}

/** The report as Markdown: headings and GitHub tables. */
export function formatMarkdown(report: HealthReport): string {
  return renderMarkdown(title(report), sourcesLine(report), sections(report));
}

/** The report in a text `format` (html, which queries charts, is `reportHtml`). */
export function formatReport(report: HealthReport, format: Exclude<ReportFormat, 'html'>): string {
  if (format === 'json') return JSON.stringify(report, null, 2);
  return format === 'markdown' ? formatMarkdown(report) : formatTable(report);
}
