/**
 * The PromQL of the daily health report. Metric names come from the telemetry contract and recording rule names from
 * the bundle's conventions; nothing here spells a name either of them owns.
 *
 * Totals over the report window are computed from the raw counters and histograms (exact for any window). Current
 * values (the last 5 minutes) read the generated recording rules, and fall back series by series to the equivalent
 * raw expression where no rule recorded them (`rule or raw`), so the report also works without the rules loaded.
 */
import { LABEL, METRICS, PROCESS_METRICS } from '../contract.js';
import { LEVELS, QUANTILES, RECORD } from '../generate/conventions.js';
import { REQUESTS, SERVER_FAULT } from '../generate/model.js';
import { errorRatio } from '../generate/rules.js';

/** A level of the golden signals: the labels kept, and the raw series it reads. */
export interface Level {
  /** `service`, `tool` or `tenant`. */
  kind: 'service' | 'tool' | 'tenant';
  /** Labels of the result, `job` first. */
  by: readonly string[];
  /** Name of the label that identifies a row besides `job` (none for services). */
  key?: string;
  requests: string;
  buckets: string;
  /** Extra matchers of the raw series. */
  scope: string;
  rate: string;
  errorRatio: string;
  quantile: string;
}

const TOOL_CALLS = `${LABEL.METHOD}="tools/call"`;
// Totals over a window read the classic series (`increase` of `_count` and `_bucket`).
const BUCKETS = `${METRICS.serverOperationDuration.name}_bucket`;

/** The three levels of the report, with the recording rules of each. */
export const REPORT_LEVELS: readonly Level[] = [
  {
    kind: 'service',
    by: LEVELS.job,
    requests: REQUESTS,
    buckets: BUCKETS,
    scope: '',
    rate: RECORD.rate(LEVELS.job.join('_')),
    errorRatio: RECORD.errorRatio(LEVELS.job.join('_')),
    quantile: RECORD.quantile(LEVELS.job.join('_')),
  },
  {
    kind: 'tool',
    by: LEVELS.tool,
    key: LABEL.TOOL,
    requests: REQUESTS,
    buckets: BUCKETS,
    scope: TOOL_CALLS,
    rate: RECORD.rate(LEVELS.tool.join('_')),
    errorRatio: RECORD.errorRatio(LEVELS.tool.join('_')),
    quantile: RECORD.quantile(LEVELS.tool.join('_')),
  },
  {
    kind: 'tenant',
    by: ['job', LABEL.TENANT],
    key: LABEL.TENANT,
    requests: METRICS.tenantOperations.name,
    buckets: `${METRICS.tenantOperationDuration.name}_bucket`,
    scope: '',
    rate: RECORD.tenantRate,
    errorRatio: RECORD.tenantErrorRatio,
    quantile: RECORD.tenantQuantile,
  },
];

/** `{a, b}` of the non-empty matchers, or nothing when there are none. */
export function matchers(...parts: string[]): string {
  const kept = parts.filter((part) => part !== '');
  return kept.length === 0 ? '' : `{${kept.join(', ')}}`;
}

/** Queries of one level over `window`; `job` is a matcher such as `job="docs"`, or empty for every job. */
export function levelQueries(level: Level, window: string, job: string) {
  const by = `sum by (${level.by.join(', ')})`;
  const all = matchers(job, level.scope);
  const failed = matchers(job, level.scope, SERVER_FAULT);
  const rate5m = `${by} (rate(${level.requests}${all}[5m]))`;
  return {
    requests: `${by} (increase(${level.requests}${all}[${window}]))`,
    errors: `${by} (increase(${level.requests}${failed}[${window}]))`,
    quantiles: QUANTILES.map(
      (q) =>
        [
          q,
          `histogram_quantile(${q}, sum by (${[...level.by, 'le'].join(', ')}) (increase(${level.buckets}${all}[${window}])))`,
        ] as const,
    ),
    errorTypes: `sum by (${[...level.by, LABEL.ERROR_TYPE].join(', ')}) (increase(${level.requests}${matchers(job, level.scope, `${LABEL.ERROR_TYPE}!=""`)}[${window}])) > 0`,
    nowRate: `${level.rate}${matchers(job)} or ${rate5m}`,
    nowErrorRatio: `${level.errorRatio}${matchers(job)} or ${errorRatio(`${by} (rate(${level.requests}${failed}[5m]))`, rate5m)}`,
    nowP95:
      `max without (quantile) (${level.quantile}${matchers(job, 'quantile="0.95"')}) or ` +
      `histogram_quantile(0.95, sum by (${[...level.by, 'le'].join(', ')}) (rate(${level.buckets}${all}[5m])))`,
  };
}

/** A subquery resolution that keeps about 300 points per series whatever the window. */
export function subqueryStep(windowSeconds: number): string {
  return `${Math.max(1, Math.round(windowSeconds / 300))}s`;
}

/** Saturation per job over the window: targets, restarts, peaks of work in flight, sessions, CPU, memory, lag. */
export function saturationQueries(window: string, windowSeconds: number, job: string) {
  const sel = matchers(job);
  const step = subqueryStep(windowSeconds);
  return {
    up: `sum by (job) (up${sel})`,
    targets: `count by (job) (up${sel})`,
    restarts: `sum by (job) (changes(${PROCESS_METRICS.startTime}${sel}[${window}]))`,
    peakInFlight: `max by (job) (max_over_time(sum by (job, instance) (${METRICS.operationsInFlight.name}${sel})[${window}:${step}]))`,
    peakSessions: `max by (job) (max_over_time(sum by (job, instance) (${METRICS.sessionsActive.name}${sel})[${window}:${step}]))`,
    cpuCores: `sum by (job) (rate(${PROCESS_METRICS.cpuSeconds}${sel}[${window}]))`,
    peakMemoryBytes: `max by (job) (max_over_time(${PROCESS_METRICS.residentMemory}${sel}[${window}]))`,
    maxEventLoopLagSeconds: `max by (job) (max_over_time(${PROCESS_METRICS.eventLoopLagP99}${sel}[${window}]))`,
  };
}

/** What the app reported about its dependencies and security edge over the window. */
export function dependencyQueries(window: string, job: string) {
  const sel = matchers(job);
  const breaker = METRICS.circuitBreakerState.name;
  return {
    breakersNow: `max by (job, ${LABEL.DEPENDENCY}, ${LABEL.STATE}) (${breaker}${sel}) == 1`,
    breakersOpened: `max by (job, ${LABEL.DEPENDENCY}) (max_over_time(${breaker}${matchers(job, `${LABEL.STATE}="open"`)}[${window}])) == 1`,
    authFailures: `sum by (job, ${LABEL.REASON}) (increase(${METRICS.authFailures.name}${sel}[${window}])) > 0`,
    rateLimited: `sum by (job, ${LABEL.TENANT}) (increase(${METRICS.rateLimited.name}${sel}[${window}])) > 0`,
    cache: `sum by (job, ${LABEL.CACHE}, ${LABEL.RESULT}) (increase(${METRICS.cacheRequests.name}${sel}[${window}]))`,
    quotas: `min by (job, ${LABEL.TENANT}, ${LABEL.QUOTA}) (${METRICS.tenantQuotaRemaining.name}${sel})`,
  };
}

/** Tool calls per tenant and tool (opt-in metric): server-owned errors by type, and all calls. */
export function tenantToolQueries(window: string, job: string) {
  const by = `sum by (job, ${LABEL.TENANT}, ${LABEL.TOOL})`;
  const name = METRICS.tenantToolCalls.name;
  return {
    calls: `${by} (increase(${name}${matchers(job)}[${window}]))`,
    errors: `sum by (job, ${LABEL.TENANT}, ${LABEL.TOOL}, ${LABEL.ERROR_TYPE}) (increase(${name}${matchers(job, SERVER_FAULT)}[${window}])) > 0`,
  };
}

/** SLO series recorded by the generated rules, by `sloth_id`. */
export const SLO_RULES = {
  objective: RECORD.objective,
  errorBudget: RECORD.errorBudget,
  periodDays: RECORD.periodDays,
  budgetRemaining: RECORD.budgetRemaining,
  periodCoverage: RECORD.periodCoverage,
  currentBurn: RECORD.currentBurnRate,
  sliError: (window: string) => RECORD.sliError(window),
} as const;

/** Alerts that were firing at some point of the window (Prometheus's own `ALERTS` series). */
export function firedQuery(window: string): string {
  return `max_over_time(ALERTS{alertstate="firing"}[${window}])`;
}

/** Jobs with MCP request series in the window, requests or not: a service idle all window is still reported. */
export function presenceQuery(window: string, job: string): string {
  return `count by (job) (last_over_time(${REQUESTS}${matchers(job)}[${window}]))`;
}

/** Jobs Prometheus scrapes, to tell a user whose job has no MCP metrics what it does have. */
export const JOBS_QUERY = 'count by (job) (up)';
