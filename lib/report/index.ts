/**
 * The daily health report behind `mcp-observatory report`: the operations guides' morning health check, queried from
 * Prometheus with the contract's metric names and the bundle's recording rules.
 */
export { alertName, collectReport, verdict } from './collect.js';
export type {
  AlertRow,
  CollectOptions,
  HealthReport,
  Offender,
  SaturationRow,
  SignalRow,
  SloRow,
  SloStatus,
} from './collect.js';
export { REPORT_EXIT, makeReport, reportCommand } from './command.js';
export { ReportUnavailableError, ReportUsageError } from './errors.js';
export { REPORT_FORMATS, formatMarkdown, formatReport, formatTable } from './format.js';
export type { ReportFormat } from './format.js';
export { DEFAULT_PROMETHEUS, parseReportArgs } from './options.js';
export type { ReportOptions } from './options.js';
export { PrometheusApi } from './prometheus.js';
export type { ActiveAlert, RangeSeries, Sample } from './prometheus.js';
