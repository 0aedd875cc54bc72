import { LABEL, METRICS } from '../contract.js';
import { LEVELS, QUANTILES, RECORD, SLI_WINDOWS, SLOTH_LABEL, ALERT_LABEL, seconds } from './conventions.js';
import type { Model, Slo } from './model.js';
import { SERVER_FAULT } from './model.js';

export interface RecordingRule {
  record: string;
  expr: string;
  labels?: Record<string, string>;
}

export interface AlertingRule {
  alert: string;
  expr: string;
  for?: string;
  labels: Record<string, string>;
  annotations: Record<string, string>;
}

export interface RuleGroup {
  name: string;
  interval?: string;
  rules: (RecordingRule | AlertingRule)[];
}

/** `{a, b}` from matcher fragments, skipping empty ones. */
export function selector(...matchers: string[]): string {
  return `{${matchers.filter((m) => m !== '').join(', ')}}`;
}

/** `ratio of errors to requests` that reads 0, not absent, when no request failed. */
export function errorRatio(errors: string, requests: string): string {
  return `(${errors} or ${requests} * 0) / ${requests}`;
}

/**
 * A quantile that is absent rather than NaN when there were no requests: idle minutes must not poison the averages
 * and standard deviations that baselines are built from (`NaN >= 0` is false, so the filter drops exactly those).
 */
function nonNaN(quantile: string): string {
  return `${quantile} >= 0`;
}

/** Golden signals per service, method and tool, and per tenant: what dashboards and reports read. */
function goldenSignals(model: Model): RuleGroup {
  const rules: RecordingRule[] = [];
  const sel = model.selector;
  const { requests: histogram } = model;
  for (const labels of Object.values(LEVELS)) {
    const level = labels.join('_');
    const by = `sum by (${labels.join(', ')})`;
    const scope = (labels as readonly string[]).includes(LABEL.TOOL) ? `${sel}, ${LABEL.METHOD}="tools/call"` : sel;
    const requests = `${by} (${histogram.rate(scope, '[5m]')})`;
    rules.push({ record: RECORD.rate(level), expr: requests });
    rules.push({
      record: RECORD.errorRatio(level),
      expr: errorRatio(`${by} (${histogram.rate(`${scope}, ${SERVER_FAULT}`, '[5m]')})`, requests),
    });
    for (const quantile of QUANTILES) {
      rules.push({
        record: RECORD.quantile(level),
        expr: nonNaN(histogram.quantile(quantile, labels, scope, '[5m]')),
        labels: { quantile: String(quantile) },
      });
    }
  }
  const tenantCounter = METRICS.tenantOperations.name;
  const tenantRequests = `sum by (job, ${LABEL.TENANT}) (rate(${tenantCounter}{${sel}}[5m]))`;
  rules.push({ record: RECORD.tenantRate, expr: tenantRequests });
  rules.push({
    record: RECORD.tenantErrorRatio,
    expr: errorRatio(
      `sum by (job, ${LABEL.TENANT}) (rate(${tenantCounter}{${sel}, ${SERVER_FAULT}}[5m]))`,
      tenantRequests,
    ),
  });
  for (const quantile of QUANTILES) {
    rules.push({
      record: RECORD.tenantQuantile,
      expr: nonNaN(model.tenantRequests.quantile(quantile, ['job', LABEL.TENANT], sel, '[5m]')),
      labels: { quantile: String(quantile) },
    });
  }
  return { name: 'mcp-observatory-golden-signals', rules };
}

/** Labels every SLO series carries: ours and Sloth's. */
export function sloLabels(model: Model, slo: Slo): Record<string, string> {
  return {
    // job too, so dashboards and reports filter SLO series by the same $job as everything else
    job: model.job,
    [ALERT_LABEL.SERVICE]: model.service,
    [ALERT_LABEL.SLO]: slo.name,
    [SLOTH_LABEL.ID]: slo.id,
    [SLOTH_LABEL.SERVICE]: model.service,
    [SLOTH_LABEL.SLO]: slo.name,
  };
}

/**
 * The SLI error ratio of `slo` over `window`: server-owned errors, or requests slower than the threshold; absent over a
 * window without requests.
 */
export function sliErrorExpr(model: Model, slo: Slo, window: string): string {
  const scope = [model.selector, slo.matchers].filter((m) => m !== '').join(', ');
  const range = `[${window}]`;
  // Absent, not NaN, while there are no requests: one NaN would make the period's mean NaN for the whole period.
  const requests = `(sum(${model.requests.rate(scope, range)}) > 0)`;
  if (slo.kind === 'availability') {
    return errorRatio(`sum(${model.requests.rate(`${scope}, ${SERVER_FAULT}`, range)})`, requests);
  }
  const fast = `sum(${model.requests.rateWithin(scope, slo.thresholdSeconds!, range)})`;
  return `1 - (${fast} / ${requests})`;
}

/** How often the SLO meta series are recorded: the unit the period coverage counts in. */
const META_INTERVAL = '1m';

/** SLI recording rules of one SLO (Sloth-compatible names) and its period-level meta series. */
function sloRecordings(model: Model, slo: Slo): RuleGroup[] {
  const labels = sloLabels(model, slo);
  const scope = [model.selector, slo.matchers].filter((m) => m !== '').join(', ');
  const slis: RecordingRule[] = SLI_WINDOWS.flatMap((window) => [
    {
      record: RECORD.sliError(window),
      expr: sliErrorExpr(model, slo, window),
      labels: { ...labels, [SLOTH_LABEL.WINDOW]: window },
    },
    {
      record: RECORD.sliRequests(window),
      expr: `sum(${model.requests.rate(scope, `[${window}]`)})`,
      labels: { ...labels, [SLOTH_LABEL.WINDOW]: window },
    },
  ]);
  const period = model.config.slos.period;
  const match = `{${SLOTH_LABEL.ID}="${slo.id}"}`;
  const budget = slo.errorBudget;
  const meta: RecordingRule[] = [
    { record: RECORD.objective, expr: `vector(${slo.objective})`, labels },
    {
      // The share of the period this Prometheus has data for: minutes the objective was recorded (once a minute).
      record: RECORD.periodCoverage,
      expr: `clamp_max(count_over_time(${RECORD.objective}${match}[${period}]) / ${seconds(period) / seconds(META_INTERVAL)}, 1)`,
      labels,
    },
    {
      // The mean of the 5m ratios (as Sloth does), so it needs no raw data older than the 5m series; weighted by the
      // coverage: what the covered part spent, the rest unspent. A burst in the first minutes of a young Prometheus
      // is a burst, not an exhausted month.
      record: RECORD.sliError(period),
      expr: `avg_over_time(${RECORD.sliError('5m')}${match}[${period}]) * on (${SLOTH_LABEL.ID}) group_left () ${RECORD.periodCoverage}${match}`,
      labels: { ...labels, [SLOTH_LABEL.WINDOW]: period },
    },
    { record: RECORD.errorBudget, expr: `vector(${budget})`, labels },
    { record: RECORD.periodDays, expr: `vector(${seconds(period) / 86400})`, labels },
    {
      record: RECORD.currentBurnRate,
      expr: `sum without (${SLOTH_LABEL.WINDOW}) (${RECORD.sliError('5m')}${match}) / ${budget}`,
      labels,
    },
    {
      record: RECORD.periodBurnRate,
      expr: `sum without (${SLOTH_LABEL.WINDOW}) (${RECORD.sliError(period)}${match}) / ${budget}`,
      labels,
    },
    { record: RECORD.budgetRemaining, expr: `1 - ${RECORD.periodBurnRate}${match}`, labels },
  ];
  return [
    { name: `mcp-observatory-slo-${slo.name}-sli`, rules: slis },
    { name: `mcp-observatory-slo-${slo.name}-meta`, interval: META_INTERVAL, rules: meta },
  ];
}

/** Every recording rule group of the bundle. */
export function recordingGroups(model: Model): RuleGroup[] {
  return [goldenSignals(model), ...model.slos.flatMap((slo) => sloRecordings(model, slo))];
}
