/**
 * `capacity`: per service, each resource's history over the period from Prometheus, its trend, the forecast at the
 * horizon and when it reaches its configured limit; per tenant, the traffic trend. The verdict fails when a resource
 * reaches its limit within the horizon, so a weekly job can open a ticket before it does.
 */
import { LABEL } from '../contract.js';
import { seconds } from '../generate/conventions.js';
import type { Model } from '../generate/model.js';
import { ReportUnavailableError } from '../report/errors.js';
import type { PrometheusApi, RangeSeries } from '../report/prometheus.js';
import { fitTrend, secondsToLimit } from './forecast.js';
import type { Trend } from './forecast.js';
import { RESOURCES, tenantTrafficExpr } from './resources.js';
import type { Resource, Unit } from './resources.js';

/** Below this share of the period covered by samples, a series is shown but not forecast. */
export const MIN_COVERAGE = 0.25;
/** About this many samples per series, whatever the period. */
const POINTS = 720;

export const METHOD =
  'a least-squares line through each series (the model of PromQL predict_linear), one sample per step; ' +
  '± is its 95% prediction interval at the horizon, from the residuals, assuming they are independent; ' +
  `series covering less than ${MIN_COVERAGE * 100}% of the period are not forecast`;

export interface ResourceRow {
  job: string;
  resource: Resource['key'];
  what: string;
  unit: Unit;
  /** Share of the period the samples cover. */
  coverage: number;
  /** The last sample. */
  last: number;
  /** Absent below MIN_COVERAGE. */
  trend?: Trend | undefined;
  limit?: number | undefined;
  limitSource?: string | undefined;
  /** Seconds until the line reaches the limit (0: already there); absent when it does not, or nothing is forecast. */
  reachesInSeconds?: number | undefined;
}

export interface TenantRow {
  job: string;
  tenant: string;
  coverage: number;
  last: number;
  trend?: Trend | undefined;
}

export interface CapacityReport {
  generatedAt: string;
  prometheus: string;
  period: string;
  horizon: string;
  /** Seconds between samples. */
  step: number;
  method: string;
  services: ResourceRow[];
  tenants: TenantRow[];
  verdict: { status: 'ok' | 'fail'; reasons: string[] };
}

export interface CapacityOptions {
  period: string;
  horizon: string;
  job?: string | undefined;
  top: number;
}

/** A step of whole minutes giving about POINTS samples over the period. */
export function stepFor(periodSeconds: number): number {
  return Math.max(60, Math.round(periodSeconds / POINTS / 60) * 60);
}

export async function collectCapacity(
  api: PrometheusApi,
  model: Model,
  options: CapacityOptions,
): Promise<CapacityReport> {
  const periodSeconds = seconds(options.period);
  const horizonSeconds = seconds(options.horizon);
  const step = stepFor(periodSeconds);
  const start = api.time - periodSeconds;
  const sel = options.job === undefined ? '' : `job="${options.job.replace(/["\\]/g, '\\$&')}"`;
  const range = `[${step}s]`;
  const trendOf = (series: RangeSeries) => {
    const coverage = Math.min(1, (series.points.length * step) / periodSeconds);
    const trend = coverage >= MIN_COVERAGE ? fitTrend(series.points, horizonSeconds) : undefined;
    return { coverage, last: series.points.at(-1)?.[1] ?? NaN, trend };
  };

  const perResource = await Promise.all(
    RESOURCES.map(async (resource) => ({
      resource,
      series: await api.queryRange(resource.expr(model, sel, range), start, step),
    })),
  );
  const services: ResourceRow[] = [];
  for (const { resource, series } of perResource) {
    for (const one of series.filter((s) => s.points.length > 0)) {
      const { coverage, last, trend } = trendOf(one);
      const limit = resource.limit?.(model);
      const reaches = trend && limit !== undefined ? secondsToLimit(trend, limit) : undefined;
      services.push({
        job: one.labels['job'] ?? '',
        resource: resource.key,
        what: resource.what,
        unit: resource.unit,
        coverage,
        last,
        trend,
        limit,
        limitSource: resource.limitSource,
        reachesInSeconds: reaches,
      });
    }
  }
  if (services.length === 0) {
    throw new ReportUnavailableError(
      `Prometheus at ${api.url.href} has no MCP request or process series${options.job ? ` of job "${options.job}"` : ''} in the last ${options.period}; check --prometheus and --job`,
    );
  }
  services.sort(
    (a, b) =>
      a.job.localeCompare(b.job) ||
      RESOURCES.findIndex((r) => r.key === a.resource) - RESOURCES.findIndex((r) => r.key === b.resource),
  );

  // The tenants whose traffic will be largest at the horizon, then those without a forecast.
  const tenants = (await api.queryRange(tenantTrafficExpr(sel, range), start, step))
    .filter((s) => s.points.length > 0)
    .map((one) => ({ job: one.labels['job'] ?? '', tenant: one.labels[LABEL.TENANT] ?? '', ...trendOf(one) }))
    .sort((a, b) => (b.trend?.forecast ?? -Infinity) - (a.trend?.forecast ?? -Infinity) || b.last - a.last)
    .slice(0, options.top);

  const reasons = services
    .filter((row) => row.reachesInSeconds !== undefined && row.reachesInSeconds <= horizonSeconds)
    .map((row) =>
      row.reachesInSeconds === 0
        ? `${row.job}: ${row.what} is at its limit already (${row.limitSource})`
        : `${row.job}: ${row.what} reaches its limit in ${Math.round(row.reachesInSeconds! / 86_400)} days (${row.limitSource})`,
    );
  return {
    generatedAt: new Date(api.time * 1000).toISOString(),
    prometheus: api.url.href,
    period: options.period,
    horizon: options.horizon,
    step,
    method: METHOD,
    services,
    tenants,
    verdict: { status: reasons.length > 0 ? 'fail' : 'ok', reasons },
  };
}
