/** The capacity report as a terminal table, as Markdown, or as JSON. */
import { duration } from '../report/format.js';
import { renderMarkdown, renderText } from '../report/sections.js';
import type { Section } from '../report/sections.js';
import type { CapacityReport, ResourceRow, TenantRow } from './collect.js';
import type { Unit } from './resources.js';

export type CapacityFormat = 'table' | 'markdown' | 'json';
export const CAPACITY_FORMATS: readonly CapacityFormat[] = ['table', 'markdown', 'json'];

const dash = '–';
const DAY = 86_400;

/** A value in its unit, for people. */
export function inUnit(value: number | undefined, unit: Unit): string {
  if (value === undefined || !Number.isFinite(value)) return dash;
  switch (unit) {
    case 'reqps':
      return `${value.toFixed(value < 10 ? 2 : 1)}/s`;
    case 'seconds':
      return duration(Math.max(0, value));
    case 'cores':
      return `${value.toFixed(2)} cores`;
    case 'bytes':
      return value >= 2 ** 30 ? `${(value / 2 ** 30).toFixed(2)} GiB` : `${(value / 2 ** 20).toFixed(0)} MiB`;
    case 'count':
      return value.toFixed(1);
  }
}

function signed(value: number, unit: Unit): string {
  return `${value < 0 ? '-' : '+'}${inUnit(Math.abs(value), unit)}`;
}

function reaches(row: ResourceRow, generatedAt: string): string {
  if (row.limit === undefined) return dash;
  if (row.trend === undefined) return 'not forecast';
  if (row.reachesInSeconds === undefined) return 'not on this trend';
  if (row.reachesInSeconds === 0) return 'now';
  // A nearly flat line reaches its limit in thousands of years: past a decade, a date means nothing.
  if (row.reachesInSeconds > 10 * 365 * DAY) return 'not within 10 years';
  const date = new Date(Date.parse(generatedAt) + row.reachesInSeconds * 1000).toISOString().slice(0, 10);
  return `in ${Math.round(row.reachesInSeconds / DAY)}d (${date})`;
}

const percent = (share: number) => `${Math.round(share * 100)}%`;

function forecastCell(trend: ResourceRow['trend'], unit: Unit): string {
  if (trend === undefined) return dash;
  return `${inUnit(trend.forecast, unit)} (${inUnit(trend.low, unit)}..${inUnit(trend.high, unit)})`;
}

function sections(report: CapacityReport): Section[] {
  return [
    {
      title: `Services: now, trend, forecast in ${report.horizon} (95% interval), and when each reaches its limit`,
      header: ['service', 'resource', 'now', 'per day', `in ${report.horizon}`, 'limit', 'reaches limit', 'covered'],
      textColumns: [0, 1, 6],
      rows: report.services.map((row) => [
        row.job,
        row.what,
        inUnit(row.trend?.now ?? row.last, row.unit),
        row.trend ? signed(row.trend.perDay, row.unit) : dash,
        forecastCell(row.trend, row.unit),
        inUnit(row.limit, row.unit),
        reaches(row, report.generatedAt),
        percent(row.coverage),
      ]),
    },
    {
      title: `Tenants: requests per second, the largest in ${report.horizon} first`,
      header: ['service', 'tenant', 'now', 'per day', `in ${report.horizon}`, 'covered'],
      textColumns: [0, 1],
      rows: report.tenants.map((row: TenantRow) => [
        row.job,
        row.tenant,
        inUnit(row.trend?.now ?? row.last, 'reqps'),
        row.trend ? signed(row.trend.perDay, 'reqps') : dash,
        forecastCell(row.trend, 'reqps'),
        percent(row.coverage),
      ]),
      empty: 'no tenant series (the library labels tenants; a sidecar in wrap mode does not)',
    },
    {
      title: 'Verdict',
      lines:
        report.verdict.status === 'ok'
          ? [`OK: nothing reaches its limit within ${report.horizon}`]
          : [
              `FAIL: ${report.verdict.reasons.length} limit(s) reached within ${report.horizon}`,
              ...report.verdict.reasons.map((r) => `  ${r}`),
            ],
    },
  ];
}

function title(report: CapacityReport): string {
  const at = report.generatedAt.replace('T', ' ').replace(/\.\d+Z$/, ' UTC');
  return `MCP capacity: ${report.period} of history, forecast ${report.horizon} ahead, ${at}, from ${report.prometheus}`;
}

function methodLine(report: CapacityReport): string {
  return `method: ${report.method}; one sample every ${Math.round(report.step / 60)} min`;
}

export function formatCapacity(report: CapacityReport, format: CapacityFormat): string {
  if (format === 'json') return JSON.stringify(report, null, 2);
  if (format === 'markdown') return renderMarkdown(title(report), methodLine(report), sections(report));
  return renderText([title(report), methodLine(report)], sections(report));
}
