/** `mcp-observatory report`: collect from Prometheus, print, and exit with the verdict. */
import { mkdirSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { loadConfig } from '../config/config.js';
import { collectReport } from './collect.js';
import type { HealthReport } from './collect.js';
import { buildModel } from '../generate/model.js';
import type { Model } from '../generate/model.js';
import { screenshotCharts } from '../snapshot/browser.js';
import { formatReport } from './format.js';
import { reportHtml } from './html.js';
import { parseReportArgs } from './options.js';
import type { ReportOptions } from './options.js';
import { PrometheusApi } from './prometheus.js';

/** Exit codes of `report`: scripts and cron tell a failing check from a report that could not be made. */
export const REPORT_EXIT = { ok: 0, fail: 1, usage: 2, unavailable: 3 } as const;

/** Make the report that `options` describe. */
export function makeReport(
  options: ReportOptions,
  api = new PrometheusApi(options.prometheus, options.timeoutMs),
): Promise<HealthReport> {
  const config = loadConfig(options.config);
  return collectReport(api, {
    window: options.window,
    job: options.job,
    top: options.top,
    config,
    configSource: options.config ?? 'the built-in defaults',
  });
}

/**
 * The HTML page's charts as PNGs in `dir` (drawn in a headless Chromium), and the Markdown that shows them: paths
 * relative to where the Markdown is, as `dir` was given.
 */
async function chartImages(report: HealthReport, api: PrometheusApi, model: Model, dir: string): Promise<string> {
  mkdirSync(dir, { recursive: true });
  const page = join(dir, 'report.html');
  writeFileSync(page, await reportHtml(report, api, model));
  const charts = await screenshotCharts(pathToFileURL(resolve(page)).href, dir);
  return charts.map(([title, file]) => `![${title}](${join(dir, file)})`).join('\n');
}

/** `images` after the Markdown's title and sources line, before its sections. */
function withCharts(markdown: string, images: string): string {
  const [title, sources, ...rest] = markdown.split('\n\n');
  return [title, sources, `## Charts of the window\n\n${images}`, ...rest].join('\n\n');
}

/**
 * Run `mcp-observatory report` with `args`; resolves to the exit code: 0 when healthy or with warnings only, 1 when a
 * page-level alert is firing or an SLO's error budget is exhausted.
 */
export async function reportCommand(args: string[]): Promise<number> {
  const options = parseReportArgs(args);
  const api = new PrometheusApi(options.prometheus, options.timeoutMs);
  const report = await makeReport(options, api);
  const model = () => buildModel(loadConfig(options.config));
  let text = options.format === 'html' ? await reportHtml(report, api, model()) : formatReport(report, options.format);
  if (options.images !== undefined) text = withCharts(text, await chartImages(report, api, model(), options.images));
  process.stdout.write(`${text}\n`);
  return report.verdict.status === 'fail' ? REPORT_EXIT.fail : REPORT_EXIT.ok;
}
