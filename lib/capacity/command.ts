/** `mcp-observatory capacity`: trends and forecasts from Prometheus, printed, with the verdict as the exit code. */
import { parseArgs } from 'node:util';
import { loadConfig } from '../config/config.js';
import { buildModel } from '../generate/model.js';
import { ReportUsageError } from '../report/errors.js';
import { PROMETHEUS_FLAGS, configPath, prometheusUrl, promDuration, requestTimeout } from '../report/options.js';
import { PrometheusApi } from '../report/prometheus.js';
import { REPORT_EXIT } from '../report/command.js';
import { seconds } from '../generate/conventions.js';
import { collectCapacity } from './collect.js';
import { CAPACITY_FORMATS, formatCapacity } from './format.js';
import type { CapacityFormat } from './format.js';

export const CAPACITY_HELP = `Usage: mcp-observatory capacity [options]

The capacity report of the operations guides, from Prometheus: per service the trend of traffic, p95 latency, CPU,
memory, requests in flight and sessions over the period, the forecast at the horizon with its 95% interval, and when
each reaches the limit of the configuration (the numbers the alerts fire at); per tenant the traffic trend.
Method: a least-squares line through each series (PromQL's predict_linear model); a series covering less than a
quarter of the period is shown but not forecast.

Options:
  --prometheus URL  the Prometheus HTTP API (default: $PROMETHEUS_URL, else http://127.0.0.1:9090)
  --period D        the history to fit, a Prometheus duration (default 30d)
  --horizon D       how far ahead to forecast (default 90d)
  --format F        table (default), markdown or json
  --job NAME        only this scrape job
  --config FILE     the limits (default: ./mcp-observatory.yaml if it exists, else the built-in defaults)
  --top N           tenants listed (default 10)
  --timeout D       timeout of each Prometheus request (default 30s)
  --help            show this help

Exit codes, for a weekly job:
  0  nothing reaches its limit within the horizon
  1  a resource reaches its limit within the horizon, or is there already
  2  bad command line or configuration
  3  Prometheus is unreachable or not Prometheus, or it has no MCP series in the period`;

export async function capacityCommand(args: string[], env = process.env): Promise<number> {
  const { values, positionals } = parseArgs({
    args,
    options: {
      ...PROMETHEUS_FLAGS,
      period: { type: 'string' },
      horizon: { type: 'string' },
      format: { type: 'string' },
      top: { type: 'string' },
    },
  });
  if (positionals.length > 0) throw new ReportUsageError(`capacity takes no arguments, got ${positionals.join(' ')}`);
  const prometheus = prometheusUrl(values.prometheus, env);
  const period = promDuration('--period', values.period ?? '30d', '30d or 4w');
  const horizon = promDuration('--horizon', values.horizon ?? '90d', '90d or 12w');
  // A line through a day of data says little about a day a year away.
  if (seconds(period) < 3600)
    throw new ReportUsageError(`--period ${period}: at least 1h of history; e.g. --period 30d`);
  const format = (values.format ?? 'table') as CapacityFormat;
  if (!CAPACITY_FORMATS.includes(format)) {
    throw new ReportUsageError(`--format ${values.format}: use one of ${CAPACITY_FORMATS.join(', ')}`);
  }
  const top = values.top === undefined ? 10 : Number(values.top);
  if (!Number.isInteger(top) || top < 1 || top > 100) {
    throw new ReportUsageError(`--top ${values.top}: a whole number from 1 to 100`);
  }
  const timeoutMs = requestTimeout(values.timeout ?? '30s');
  const model = buildModel(loadConfig(configPath(values.config)));
  const report = await collectCapacity(new PrometheusApi(prometheus, timeoutMs), model, {
    period,
    horizon,
    job: values.job,
    top,
  });
  process.stdout.write(`${formatCapacity(report, format)}\n`);
  return report.verdict.status === 'fail' ? REPORT_EXIT.fail : REPORT_EXIT.ok;
}
