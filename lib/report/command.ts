/** `mcp-observatory report`: collect from Prometheus, print, and exit with the verdict. */
import { loadConfig } from '../config/config.js';
import { collectReport } from './collect.js';
import type { HealthReport } from './collect.js';
import { buildModel } from '../generate/model.js';
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
 * Run `mcp-observatory report` with `args`; resolves to the exit code: 0 when healthy or with warnings only, 1 when a
 * page-level alert is firing or an SLO's error budget is exhausted.
 */
export async function reportCommand(args: string[]): Promise<number> {
  const options = parseReportArgs(args);
  const api = new PrometheusApi(options.prometheus, options.timeoutMs);
  const report = await makeReport(options, api);
  const text =
    options.format === 'html'
      ? await reportHtml(report, api, buildModel(loadConfig(options.config)))
      : formatReport(report, options.format);
  process.stdout.write(`${text}\n`);
  return report.verdict.status === 'fail' ? REPORT_EXIT.fail : REPORT_EXIT.ok;
}
