/**
 * The report as one self-contained HTML page (`report --format html`): charts of the window drawn from the Overview
 * dashboard's own panels — the page renderer of `snapshot` — above the tables every other format prints.
 */
import { seconds } from '../generate/conventions.js';
import { dashboardSpecs } from '../generate/dashboards/index.js';
import type { PanelSpec } from '../generate/dashboards/panels.js';
import type { Model } from '../generate/model.js';
import { dashboardData } from '../snapshot/data.js';
import type { PanelData } from '../snapshot/data.js';
import { renderPage } from '../snapshot/page.js';
import type { HealthReport } from './collect.js';
import { sections } from './format.js';
import type { PrometheusApi } from './prometheus.js';

/** The Overview panels charted over the window. */
const CHARTS = ['Requests by method', 'Error ratio by error type', 'Latency percentiles', 'Error budget remaining'];

/** A report section as a table panel: its rows, or its lines one per row. */
function tablePanel(title: string, columns: string[], rows: string[][]): PanelData {
  return {
    title,
    description: title,
    kind: 'table',
    unit: 'none',
    width: 24,
    height: Math.min(20, 2 + rows.length),
    thresholds: [],
    lowIsBad: false,
    stacked: false,
    table: { columns, rows },
    errors: [],
  };
}

export async function reportHtml(report: HealthReport, api: PrometheusApi, model: Model): Promise<string> {
  const overview = dashboardSpecs(model).find((spec) => spec.key === 'overview')!;
  const charts = overview.items.filter((item): item is PanelSpec => 'title' in item && CHARTS.includes(item.title));
  const rangeSeconds = seconds(report.window);
  const title = `MCP health report: last ${report.window}`;
  const data = await dashboardData(
    api,
    { ...overview, items: charts.map((chart) => ({ ...chart, width: 12 })) },
    { uid: 'report', title },
    // A 15 s scrape at most: finer steps only add points.
    { rangeSeconds, stepSeconds: Math.max(15, Math.round(rangeSeconds / 240)), job: report.job ?? '.*' },
  );
  const tables = sections(report).flatMap((section): PanelData[] => {
    const lines = section.lines ?? [];
    if (section.rows && section.rows.length > 0) return [tablePanel(section.title, section.header!, section.rows)];
    if (lines.length > 0)
      return [
        tablePanel(
          section.title,
          [''],
          lines.map((line) => [line]),
        ),
      ];
    return [tablePanel(section.title, [''], [[section.empty ?? '']])];
  });
  return renderPage(
    { ...data, description: `verdict: ${report.verdict.status.toUpperCase()}`, items: [...data.items, ...tables] },
    {
      source: `${report.generatedAt.replace('T', ' ').replace(/\.\d+Z$/, ' UTC')} from ${report.prometheus}`,
      links: [],
    },
  );
}
