import { LABEL, METRICS } from '../contract.js';
import type { AlertCase, AlertSpec, InputSeries } from './alert-spec.js';
import { counter } from './alert-spec.js';
import {
  ALERT_LABEL,
  BURN_RATE_TIERS,
  RECORD,
  SLOTH_LABEL,
  burnFactor,
  humanDuration,
  leFloat,
  seconds,
} from './conventions.js';
import type { BurnRateTier } from './conventions.js';
import type { Model, Slo } from './model.js';
import { REQUESTS } from './model.js';
import { sloLabels } from './rules.js';
import { formatG } from './alerts.js';

/** Alert names of the two SLO kinds; tiers and SLOs are told apart by labels. */
export const BURN_ALERTS = { availability: 'McpAvailabilityBudgetBurn', latency: 'McpLatencyBudgetBurn' } as const;

const REQUESTS_PER_MINUTE = 600;

function round(value: number): number {
  return Math.round(value * 1e9) / 1e9;
}

/** A tool name no per-tool SLO watches, for the service-level cases. */
function untrackedTool(model: Model): string {
  let name = 'search';
  for (let i = 1; name in model.config.slos.tools; i++) name = `untracked-tool-${i}`;
  return name;
}

/** Requests of one tool with SLI error ratio `ratio`, `perMinute` a minute, for `steps` one-minute steps. */
function toolRequests(
  model: Model,
  slo: Slo,
  tool: string,
  ratio: number,
  perMinute: number,
  steps: number,
  spelling: LeSpelling,
) {
  const labels = {
    job: model.job,
    instance: 'mcp-1:9464',
    [LABEL.METHOD]: 'tools/call',
    [LABEL.TOOL]: tool,
    [LABEL.TRANSPORT]: 'tcp',
  };
  const bad = round(perMinute * ratio);
  if (slo.kind === 'availability') {
    return [
      counter(REQUESTS, { ...labels, [LABEL.ERROR_TYPE]: '' }, round(perMinute - bad), steps),
      counter(REQUESTS, { ...labels, [LABEL.ERROR_TYPE]: 'tool_error' }, bad, steps),
    ];
  }
  // Fast requests counted in the buckets of every latency threshold in use, so other latency SLOs see them as fast.
  const thresholds = new Set(model.slos.filter((s) => s.kind === 'latency').map((s) => s.thresholdSeconds));
  return [
    counter(REQUESTS, { ...labels, [LABEL.ERROR_TYPE]: '' }, perMinute, steps),
    ...[...thresholds].map((le) =>
      counter(
        `${METRICS.serverOperationDuration.name}_bucket`,
        { ...labels, [LABEL.ERROR_TYPE]: '', le: spelling === 'float' ? leFloat(le!) : String(le) },
        le === slo.thresholdSeconds ? round(perMinute - bad) : perMinute,
        steps,
      ),
    ),
  ];
}

/** How a bucket boundary is written: `1` (Prometheus text format) or `1.0` (OpenMetrics, Prometheus 3). */
type LeSpelling = 'text' | 'float';

/**
 * Raw series whose SLI error ratio for `slo` is `ratio`. A per-tool SLO's case adds healthy traffic of another tool,
 * ten thousand times larger, so the service-level SLOs (which share the alert name) stay quiet.
 */
function sliInputs(
  model: Model,
  slo: Slo,
  ratio: number,
  steps: number,
  perMinute = REQUESTS_PER_MINUTE,
  spelling: LeSpelling = 'text',
): InputSeries[] {
  if (slo.tool === undefined) return toolRequests(model, slo, untrackedTool(model), ratio, perMinute, steps, spelling);
  return [
    ...toolRequests(model, slo, slo.tool, ratio, perMinute, steps, spelling),
    ...toolRequests(model, slo, untrackedTool(model), 0, perMinute * 10000, steps, spelling),
  ];
}

/**
 * Error ratios that make exactly one tier fire: between its threshold and the next faster tier's (each slower tier
 * has a longer `for:` and is still pending when this one is checked).
 */
function firingRatio(thresholds: number[], index: number): number {
  const upper = index === 0 ? Math.min(thresholds[0]! * 2, 1) : thresholds[index - 1]!;
  return round((thresholds[index]! + upper) / 2);
}

function burnSpec(model: Model, slo: Slo, tier: BurnRateTier, index: number): AlertSpec {
  const period = model.config.slos.period;
  const budget = slo.errorBudget;
  const factors = BURN_RATE_TIERS.map((each) => burnFactor(each, period));
  const thresholds = factors.map((factor) => round(factor * budget));
  const factor = factors[index]!;
  const threshold = thresholds[index]!;
  const match = `{${SLOTH_LABEL.ID}="${slo.id}"}`;
  const minRequests = model.config.slos.minRequests;
  const exhaustion = humanDuration(seconds(period) / factor);
  const labels = {
    [ALERT_LABEL.TIER]: tier.tier,
    [ALERT_LABEL.LONG]: tier.long,
    [ALERT_LABEL.SHORT]: tier.short,
    [ALERT_LABEL.EXHAUSTION]: exhaustion,
  };
  const expected = { ...sloLabels(model, slo), ...labels };
  const evalMinutes = Math.ceil(seconds(tier.for) / 60) + 10;
  const steps = evalMinutes + 5;
  const ratio = firingRatio(thresholds, index);
  // The firing case writes bucket boundaries as OpenMetrics and Prometheus 3 do (`1.0`), the quiet one as the text
  // format does (`1`): the SLI must read both.
  const firing: AlertCase = {
    name: `${slo.name}: error ratio ${ratio} burns the budget faster than ${factor}x`,
    interval: '1m',
    inputs: sliInputs(model, slo, ratio, steps, REQUESTS_PER_MINUTE, 'float'),
    evalTime: `${evalMinutes}m`,
    expect: [{ labels: expected, value: `${formatG(round(ratio) * 100)}%` }],
  };
  const early = Math.max(1, Math.floor(seconds(tier.for) / 120));
  const cases: AlertCase[] = [
    firing,
    { ...firing, name: `${firing.name}, but not before its for: ${tier.for}`, evalTime: `${early}m`, expect: [] },
    {
      name: `${slo.name}: error ratio just below ${factor}x the budget`,
      interval: '1m',
      inputs: sliInputs(model, slo, round(threshold * 0.9), steps),
      evalTime: `${evalMinutes}m`,
      expect: [],
    },
  ];
  if (index === 0 && minRequests > 1) {
    // A handful of failing requests: above every threshold, but too few to page anyone.
    const perMinute = round(Math.max(1, minRequests - 1) / (seconds(tier.long) / 60) / 2);
    cases.push({
      name: `${slo.name}: every request fails, but fewer than ${minRequests} in ${tier.long}`,
      interval: '1m',
      inputs: sliInputs(model, slo, 1, steps, perMinute),
      evalTime: `${evalMinutes}m`,
      expect: [],
    });
  }
  const kind = slo.kind === 'availability' ? 'server-owned errors' : `requests slower than ${slo.thresholdSeconds} s`;
  return {
    alert: BURN_ALERTS[slo.kind],
    expr:
      `max without (${SLOTH_LABEL.WINDOW}) (\n` +
      `  (${RECORD.sliError(tier.long)}${match} > ${threshold})\n` +
      `  and ignoring (${SLOTH_LABEL.WINDOW}) (${RECORD.sliError(tier.short)}${match} > ${threshold})\n` +
      `  and ignoring (${SLOTH_LABEL.WINDOW}) (${RECORD.sliRequests(tier.long)}${match} * ${seconds(tier.long)} >= ${minRequests})\n)`,
    for: tier.for,
    severity: tier.severity,
    priority: tier.priority,
    labels,
    summary:
      slo.kind === 'availability'
        ? 'An availability SLO burns its error budget too fast.'
        : 'A latency SLO burns its error budget too fast.',
    description:
      `SLO {{ $labels.slo }} of {{ $labels.service }} (${slo.description}): {{ $value | humanizePercentage }} of requests were ${kind} over the last ${tier.long}, ` +
      `${factor}x the error budget of ${formatG(budget * 100)}%; at this rate the ${period} budget is gone in ${exhaustion}.`,
    dashboard: 'slos',
    runbook: {
      meaning:
        `The ${slo.kind} SLO consumes its error budget at more than its ${tier.tier} burn rate: ${factor}x over both the ${tier.long} and ${tier.short} windows. ` +
        `The page tiers (1h/5m at 14.4x, 6h/30m at 6x for a 30-day period) fire when 2% or 5% of the period's budget is gone within the long window; the ticket tiers (1d/2h, 3d/6h) catch slower burns. ` +
        `Alerts need at least ${minRequests} requests in the long window, so a handful of requests cannot page.`,
      impact:
        slo.kind === 'availability'
          ? 'Users see failing requests at a rate that will exhaust the error budget of the period: reliability work takes priority over features.'
          : 'Users see slow requests at a rate that will exhaust the latency budget of the period.',
      investigate: [
        'On the SLOs dashboard, check the burn rate per window and the budget remaining: a sudden spike or a slow leak?',
        slo.kind === 'availability'
          ? 'On the Overview and Tools dashboards, find which methods, tools and error types make up the errors.'
          : 'On the Tools dashboard, find which tools are slower than the threshold; open slow traces from the exemplars.',
        'Check recent deployments and dependency incidents around the start of the burn.',
      ],
      mitigate: [
        'Stop the bleeding first: roll back, fail over, or shed the load that causes it.',
        'For ticket tiers: plan the fix within the budget that remains; freeze risky changes until the burn stops.',
      ],
    },
    cases,
  };
}

/** Multi-window, multi-burn-rate alerts: one rule per SLO and window pair. */
export function burnRateAlerts(model: Model): AlertSpec[] {
  return model.slos.flatMap((slo) => BURN_RATE_TIERS.map((tier, index) => burnSpec(model, slo, tier, index)));
}
