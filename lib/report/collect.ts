/**
 * Collects the daily health report from Prometheus: golden signals per service, tool and tenant, saturation, SLO
 * budgets and burn rates, alerts, top offenders, dependencies and security; then the verdict that sets the exit code.
 */
import { LABEL, isServerFault } from '../contract.js';
import type { Config } from '../config/config.js';
import { ALERT_LABEL, BURN_RATE_TIERS, SLOTH_LABEL, burnFactor, seconds } from '../generate/conventions.js';
import { REQUESTS, buildModel } from '../generate/model.js';
import { sliErrorExpr } from '../generate/rules.js';
import { ReportUnavailableError } from './errors.js';
import type { PrometheusApi, Sample } from './prometheus.js';
import {
  JOBS_QUERY,
  REPORT_LEVELS,
  SLO_RULES,
  dependencyQueries,
  firedQuery,
  levelQueries,
  presenceQuery,
  saturationQueries,
  tenantToolQueries,
} from './queries.js';
import type { Level } from './queries.js';

/** Golden signals of one service, tool or tenant. Latencies in seconds; ratios from 0 to 1. */
export interface SignalRow {
  job: string;
  /** The tool or tenant; the job itself for a service. */
  name: string;
  /** Requests in the window. */
  requests: number;
  /** Server-owned errors in the window (client faults excluded, as the SLOs count them). */
  errors: number;
  errorRatio: number;
  /** All error types in the window, client faults included, most frequent first. */
  errorTypes: Record<string, number>;
  p50?: number | undefined;
  p95?: number | undefined;
  p99?: number | undefined;
  /** The last 5 minutes. */
  now: { rate?: number | undefined; errorRatio?: number | undefined; p95?: number | undefined };
}

/** Saturation of one service over the window: targets up, restarts, and peaks of work, CPU, memory and lag. */
export interface SaturationRow {
  job: string;
  up: number;
  targets: number;
  restarts: number;
  peakInFlight?: number | undefined;
  peakSessions?: number | undefined;
  cpuCores?: number | undefined;
  peakMemoryBytes?: number | undefined;
  maxEventLoopLagSeconds?: number | undefined;
}

/** `exhausted`: no budget left; `fast burn`: a page tier's long window burns above its factor; `burning`: a ticket tier's. */
export type SloStatus = 'ok' | 'burning' | 'fast burn' | 'exhausted' | 'no data';

/** One SLO: its objective, the error budget left over its period, and burn rates. */
export interface SloRow {
  service: string;
  slo: string;
  objective: number;
  period: string;
  /**
   * Share of the period's error budget left; negative once overspent. Over a period Prometheus holds only part of,
   * what the covered part spent: a young Prometheus does not extrapolate minutes of data to the whole period.
   */
  budgetRemaining?: number | undefined;
  /** Share of the period the data covers (1 once Prometheus holds the whole period). */
  coverage?: number | undefined;
  /** Burn rate (error ratio / error budget) per window: 5m, 1h, 6h, 1d, 3d. */
  burn: Record<string, number | undefined>;
  status: SloStatus;
}

/** An alert, firing, pending or resolved in the window. */
export interface AlertRow {
  alertname: string;
  severity: string;
  state: string;
  /** Labels other than alertname, severity and the SLO bookkeeping ones. */
  labels: Record<string, string>;
  summary?: string | undefined;
  description?: string | undefined;
  activeAt?: string | undefined;
}

/** A tool, tenant or tenant × tool with server-owned errors in the window. */
export interface Offender {
  job: string;
  name: string;
  errors: number;
  requests: number;
  errorRatio: number;
  errorTypes: Record<string, number>;
}

/** The daily health report; `--format json` prints it as is. */
export interface HealthReport {
  generatedAt: string;
  prometheus: string;
  window: string;
  job?: string | undefined;
  /** Where the current values and SLOs came from. */
  sources: { goldenSignals: 'recording rules' | 'raw series'; slos: string };
  verdict: { status: 'ok' | 'warn' | 'fail'; failures: string[]; warnings: string[] };
  services: SignalRow[];
  tools: SignalRow[];
  tenants: SignalRow[];
  saturation: SaturationRow[];
  slos: SloRow[];
  alerts: { firing: AlertRow[]; pending: AlertRow[]; resolved: AlertRow[] };
  offenders: { tools: Offender[]; tenants: Offender[]; tenantTools: Offender[]; slowestTools: SignalRow[] };
  dependencies: {
    breakers: { job: string; dependency: string; state: string; openedInWindow: boolean }[];
    authFailures: { job: string; reason: string; count: number }[];
    rateLimited: { job: string; tenant: string; count: number }[];
    caches: { job: string; cache: string; lookups: number; hitRatio: number }[];
    quotas: { job: string; tenant: string; quota: string; remaining: number }[];
  };
}

/** What `collectReport` covers. */
export interface CollectOptions {
  window: string;
  /** Only this job. */
  job?: string | undefined;
  /** How many offenders to list per kind. */
  top: number;
  /** The configuration whose SLOs are computed from raw series when the recording rules are not loaded. */
  config: Config;
  /** Where `config` came from, for the report's sources line. */
  configSource: string;
}

const BURN_WINDOWS = ['5m', ...new Set(BURN_RATE_TIERS.map((tier) => tier.long))];
/** Labels of an alert that the report shows elsewhere or that only identify SLO series. */
const HIDDEN_LABELS = new Set<string>([
  'alertname',
  'alertstate',
  ALERT_LABEL.SEVERITY,
  ALERT_LABEL.PRIORITY,
  ALERT_LABEL.SERVICE,
  SLOTH_LABEL.ID,
  SLOTH_LABEL.SERVICE,
  SLOTH_LABEL.SLO,
  SLOTH_LABEL.WINDOW,
]);

const finite = (value: number | undefined) => (value !== undefined && Number.isFinite(value) ? value : undefined);
const keyOf = (labels: Record<string, string>, key?: string) =>
  `${labels['job'] ?? ''}\u0000${key ? (labels[key] ?? '') : ''}`;

function indexBy(samples: Sample[], key?: string): Map<string, number> {
  return new Map(samples.map((s) => [keyOf(s.labels, key), s.value]));
}

function sortedCounts(entries: Iterable<[string, number]>): Record<string, number> {
  return Object.fromEntries(
    [...entries]
      .map(([k, v]) => [k, Math.round(v)] as const)
      .filter(([, v]) => v > 0)
      .sort((a, b) => b[1] - a[1] || a[0].localeCompare(b[0])),
  );
}

/** Runs `tasks` with at most `limit` queries in flight. */
async function all<T>(tasks: (() => Promise<T>)[], limit = 8): Promise<T[]> {
  const results: T[] = new Array(tasks.length);
  let next = 0;
  await Promise.all(
    Array.from({ length: Math.min(limit, tasks.length) }, async () => {
      while (next < tasks.length) {
        const index = next++;
        results[index] = await tasks[index]!();
      }
    }),
  );
  return results;
}

async function collectLevel(api: PrometheusApi, level: Level, window: string, job: string): Promise<SignalRow[]> {
  const q = levelQueries(level, window, job);
  const [requests, errors, types, nowRate, nowErrors, nowP95, ...quantiles] = await all([
    () => api.query(q.requests),
    () => api.query(q.errors),
    () => api.query(q.errorTypes),
    () => api.query(q.nowRate),
    () => api.query(q.nowErrorRatio),
    () => api.query(q.nowP95),
    ...q.quantiles.map(
      ([, expr]) =>
        () =>
          api.query(expr),
    ),
  ]);
  const errorsBy = indexBy(errors!, level.key);
  const rateBy = indexBy(nowRate!, level.key);
  const errorRatioBy = indexBy(nowErrors!, level.key);
  const p95By = indexBy(nowP95!, level.key);
  const quantileBy = quantiles.map((samples) => indexBy(samples, level.key));
  const typesBy = new Map<string, [string, number][]>();
  for (const sample of types!) {
    const key = keyOf(sample.labels, level.key);
    typesBy.set(key, [...(typesBy.get(key) ?? []), [sample.labels[LABEL.ERROR_TYPE] ?? '', sample.value]]);
  }
  return requests!
    .filter((sample) => sample.value > 0 || errorsBy.get(keyOf(sample.labels, level.key)))
    .map((sample) => {
      const key = keyOf(sample.labels, level.key);
      const failed = Math.round(errorsBy.get(key) ?? 0);
      const count = Math.round(sample.value);
      return {
        job: sample.labels['job'] ?? '',
        name: level.key ? (sample.labels[level.key] ?? '') : (sample.labels['job'] ?? ''),
        requests: count,
        errors: failed,
        errorRatio: count > 0 ? failed / count : 0,
        errorTypes: sortedCounts(typesBy.get(key) ?? []),
        p50: finite(quantileBy[0]?.get(key)),
        p95: finite(quantileBy[1]?.get(key)),
        p99: finite(quantileBy[2]?.get(key)),
        now: { rate: finite(rateBy.get(key)), errorRatio: finite(errorRatioBy.get(key)), p95: finite(p95By.get(key)) },
      };
    })
    .sort((a, b) => a.job.localeCompare(b.job) || b.requests - a.requests || a.name.localeCompare(b.name));
}

function sloStatus(remaining: number | undefined, burn: Record<string, number | undefined>, period: string): SloStatus {
  if (remaining === undefined && Object.values(burn).every((value) => value === undefined)) return 'no data';
  if (remaining !== undefined && remaining <= 0) return 'exhausted';
  const over = (severity: string) =>
    BURN_RATE_TIERS.some((tier) => tier.severity === severity && (burn[tier.long] ?? 0) > burnFactor(tier, period));
  if (over('critical')) return 'fast burn';
  if (over('warning')) return 'burning';
  return 'ok';
}

/**
 * Seconds since the oldest sample of `series` within `period`, per `sloth_id` (or all folded into one with `min`): how
 * much of the period the data covers. Hour steps over the period, then 10-second steps over the last hour for data
 * younger than an hour; data younger than that has no age (it covers nothing yet).
 */
async function dataAges(
  api: PrometheusApi,
  series: string,
  period: string,
  fold: 'min' | 'none' = 'none',
): Promise<Map<string, number>> {
  const present = fold === 'min' ? `count(${series})` : `count by (${SLOTH_LABEL.ID}) (${series})`;
  const ages = new Map<string, number>();
  for (const range of [`${period}:1h`, '1h:10s']) {
    for (const sample of await api.query(`time() - min_over_time(timestamp(${present})[${range}])`)) {
      const key = sample.labels[SLOTH_LABEL.ID] ?? '';
      if (!ages.has(key)) ages.set(key, sample.value);
    }
  }
  return ages;
}

/** The covered share of a period of `periodDays`, from the age of its oldest sample (none: it covers nothing yet). */
function coverageOf(ageSeconds: number | undefined, periodDays: number): number {
  if (ageSeconds === undefined || !Number.isFinite(ageSeconds)) return 0;
  return Math.min(1, Math.max(0, ageSeconds / (periodDays * 86400)));
}

/**
 * The budget left over the whole period when only `coverage` of it has data: what the covered part spent, the rest
 * unspent. A burst in the first minutes of a young Prometheus is a burst, not an exhausted month.
 */
function partOfPeriod(remaining: number | undefined, coverage: number | undefined): number | undefined {
  if (remaining === undefined || coverage === undefined || coverage >= 1) return remaining;
  return 1 - (1 - remaining) * coverage;
}

/** SLOs from the generated recording rules: objectives, budgets left and burn rates, by `sloth_id`. */
async function slosFromRules(api: PrometheusApi): Promise<SloRow[]> {
  const [objectives, budgets, days, remaining, coverages, current, ...windows] = await all([
    () => api.query(SLO_RULES.objective),
    () => api.query(SLO_RULES.errorBudget),
    () => api.query(SLO_RULES.periodDays),
    () => api.query(SLO_RULES.budgetRemaining),
    () => api.query(SLO_RULES.periodCoverage),
    () => api.query(SLO_RULES.currentBurn),
    ...BURN_WINDOWS.slice(1).map((window) => () => api.query(SLO_RULES.sliError(window))),
  ]);
  const by = (samples: Sample[]) => new Map(samples.map((s) => [s.labels[SLOTH_LABEL.ID] ?? '', s.value]));
  const budgetOf = by(budgets!);
  const daysOf = by(days!);
  const remainingOf = by(remaining!);
  const coverageOf = by(coverages!);
  const currentOf = by(current!);
  const windowOf = windows.map(by);
  return objectives!
    .map((sample) => {
      const id = sample.labels[SLOTH_LABEL.ID] ?? '';
      const budget = budgetOf.get(id);
      const period = daysOf.has(id) ? `${daysOf.get(id)}d` : '30d';
      const burn: Record<string, number | undefined> = { '5m': finite(currentOf.get(id)) };
      BURN_WINDOWS.slice(1).forEach((window, i) => {
        const ratio = windowOf[i]!.get(id);
        burn[window] = budget && ratio !== undefined ? finite(ratio / budget) : undefined;
      });
      // The rules weight the period's budget by the share of it Prometheus covers, and record that share.
      const coverage = finite(coverageOf.get(id)) ?? 0;
      const left = finite(remainingOf.get(id));
      return {
        service: sample.labels[ALERT_LABEL.SERVICE] ?? sample.labels[SLOTH_LABEL.SERVICE] ?? '',
        slo: sample.labels[ALERT_LABEL.SLO] ?? sample.labels[SLOTH_LABEL.SLO] ?? id,
        objective: sample.value,
        period,
        budgetRemaining: left,
        coverage,
        burn,
        status: sloStatus(left, burn, period),
      };
    })
    .sort((a, b) => a.service.localeCompare(b.service) || a.slo.localeCompare(b.slo));
}

/** SLOs of `config` computed from raw series, for a Prometheus without the recording rules. */
async function slosFromConfig(api: PrometheusApi, config: Config): Promise<SloRow[]> {
  const model = buildModel(config);
  const period = config.slos.period;
  return all(
    model.slos.map((slo) => async () => {
      const budget = slo.errorBudget;
      const ratios = await all(
        [...BURN_WINDOWS, period].map((window) => () => api.query(sliErrorExpr(model, slo, window))),
      );
      const ratio = (index: number) => finite(ratios[index]?.[0]?.value);
      const burn: Record<string, number | undefined> = {};
      BURN_WINDOWS.forEach((window, i) => {
        const value = ratio(i);
        burn[window] = value === undefined ? undefined : value / budget;
      });
      const periodRatio = ratio(BURN_WINDOWS.length);
      const ages = await dataAges(api, `${REQUESTS}{${model.selector}}`, period, 'min');
      const coverage = coverageOf(ages.get(''), seconds(period) / 86400);
      const remaining = partOfPeriod(periodRatio === undefined ? undefined : 1 - periodRatio / budget, coverage);
      return {
        service: model.service,
        slo: slo.name,
        objective: slo.objective,
        period,
        budgetRemaining: remaining,
        coverage,
        burn,
        status: sloStatus(remaining, burn, period),
      };
    }),
  );
}

function alertRow(alert: {
  labels: Record<string, string>;
  annotations?: Record<string, string>;
  state?: string;
  activeAt?: string;
}): AlertRow {
  return {
    alertname: alert.labels['alertname'] ?? '',
    severity: alert.labels[ALERT_LABEL.SEVERITY] ?? 'none',
    state: alert.state ?? 'firing',
    labels: Object.fromEntries(
      Object.entries(alert.labels)
        .filter(([key]) => !HIDDEN_LABELS.has(key))
        .sort(),
    ),
    summary: alert.annotations?.['summary'],
    description: alert.annotations?.['description'],
    activeAt: alert.activeAt,
  };
}

const SEVERITY_ORDER: Record<string, number> = { critical: 0, warning: 1, info: 2 };
const bySeverity = (a: AlertRow, b: AlertRow) =>
  (SEVERITY_ORDER[a.severity] ?? 3) - (SEVERITY_ORDER[b.severity] ?? 3) || a.alertname.localeCompare(b.alertname);

/** One line naming an alert and its distinguishing labels: `McpToolFailing (gen_ai_tool_name=fetch, job=docs)`. */
export function alertName(alert: AlertRow): string {
  const labels = Object.entries(alert.labels).map(([key, value]) => `${key}=${value}`);
  return labels.length > 0 ? `${alert.alertname} (${labels.join(', ')})` : alert.alertname;
}

function offenders(rows: SignalRow[], top: number): Offender[] {
  return rows
    .filter((row) => row.errors > 0)
    .sort((a, b) => b.errors - a.errors || b.errorRatio - a.errorRatio || a.name.localeCompare(b.name))
    .slice(0, top)
    .map(({ job, name, errors, requests, errorRatio, errorTypes }) => ({
      job,
      name,
      errors,
      requests,
      errorRatio,
      // The offender lists count server-owned errors: keep their types only.
      errorTypes: Object.fromEntries(Object.entries(errorTypes).filter(([type]) => isServerFault(type))),
    }));
}

/** Collect the whole report; throws ReportUnavailableError when Prometheus holds no MCP metrics for the window. */
export async function collectReport(api: PrometheusApi, options: CollectOptions): Promise<HealthReport> {
  const { window, top } = options;
  const job = options.job === undefined ? '' : `job="${options.job.replace(/["\\]/g, '\\$&')}"`;
  const windowSeconds = seconds(window);
  const rules = await api.recordingRules();
  const [present, [services, tools, tenants]] = await Promise.all([
    api.query(presenceQuery(window, job)),
    Promise.all(REPORT_LEVELS.map((level) => collectLevel(api, level, window, job))),
  ]);
  if (present.length === 0) {
    const jobs = (await api.query(JOBS_QUERY)).map((s) => s.labels['job']).filter(Boolean);
    throw new ReportUnavailableError(
      `Prometheus at ${api.url.href} has no MCP request metrics${options.job ? ` of job ${options.job}` : ''} in the last ${window} ` +
        `(${REPORT_LEVELS[0]!.requests}): is the MCP server instrumented and scraped? ` +
        `Prometheus scrapes ${jobs.length > 0 ? `the jobs ${jobs.join(', ')}` : 'no job at all'}` +
        (options.job ? '; check --job' : ''),
    );
  }

  // A job whose series exist but did not move in the window is idle, not absent.
  for (const sample of present) {
    const name = sample.labels['job'] ?? '';
    if (!services!.some((row) => row.job === name)) {
      services!.push({ job: name, name, requests: 0, errors: 0, errorRatio: 0, errorTypes: {}, now: {} });
    }
  }
  services!.sort((a, b) => a.job.localeCompare(b.job));

  const s = saturationQueries(window, windowSeconds, job);
  const d = dependencyQueries(window, job);
  const tt = tenantToolQueries(window, job);
  const [
    up,
    targets,
    restarts,
    inFlight,
    sessions,
    cpu,
    memory,
    lag,
    breakersNow,
    breakersOpened,
    auth,
    limited,
    cache,
    quotas,
    ttCalls,
    ttErrors,
    fired,
  ] = await all([
    () => api.query(s.up),
    () => api.query(s.targets),
    () => api.query(s.restarts),
    () => api.query(s.peakInFlight),
    () => api.query(s.peakSessions),
    () => api.query(s.cpuCores),
    () => api.query(s.peakMemoryBytes),
    () => api.query(s.maxEventLoopLagSeconds),
    () => api.query(d.breakersNow),
    () => api.query(d.breakersOpened),
    () => api.query(d.authFailures),
    () => api.query(d.rateLimited),
    () => api.query(d.cache),
    () => api.query(d.quotas),
    () => api.query(tt.calls),
    () => api.query(tt.errors),
    () => api.query(firedQuery(window)),
  ]);
  const rulesLoaded = rules.has(SLO_RULES.budgetRemaining);
  const [slos, active] = await Promise.all([
    rulesLoaded ? slosFromRules(api) : slosFromConfig(api, options.config),
    api.alerts(),
  ]);

  const mcpJobs = new Set(services!.map((row) => row.job));
  const get = (samples: Sample[], jobName: string) => finite(samples.find((x) => x.labels['job'] === jobName)?.value);
  const saturation: SaturationRow[] = [...mcpJobs].sort().map((name) => ({
    job: name,
    up: get(up!, name) ?? 0,
    targets: get(targets!, name) ?? 0,
    restarts: Math.round(get(restarts!, name) ?? 0),
    peakInFlight: get(inFlight!, name),
    peakSessions: get(sessions!, name),
    cpuCores: get(cpu!, name),
    peakMemoryBytes: get(memory!, name),
    maxEventLoopLagSeconds: get(lag!, name),
  }));

  // Tenant x tool offenders need the opt-in metric; without it the list stays empty.
  const ttCallsBy = new Map(
    ttCalls!.map((x) => [`${keyOf(x.labels, LABEL.TENANT)}\u0000${x.labels[LABEL.TOOL]}`, x.value]),
  );
  const ttRows = new Map<string, Offender>();
  for (const sample of ttErrors!) {
    const key = `${keyOf(sample.labels, LABEL.TENANT)}\u0000${sample.labels[LABEL.TOOL]}`;
    const row = ttRows.get(key) ?? {
      job: sample.labels['job'] ?? '',
      name: `${sample.labels[LABEL.TENANT]} × ${sample.labels[LABEL.TOOL]}`,
      errors: 0,
      requests: Math.round(ttCallsBy.get(key) ?? 0),
      errorRatio: 0,
      errorTypes: {},
    };
    const count = Math.round(sample.value);
    row.errors += count;
    row.errorTypes[sample.labels[LABEL.ERROR_TYPE] ?? ''] = count;
    row.errorRatio = row.requests > 0 ? row.errors / row.requests : 0;
    ttRows.set(key, row);
  }

  const firing = active
    .filter((a) => a.state === 'firing')
    .map(alertRow)
    .sort(bySeverity);
  const pending = active
    .filter((a) => a.state === 'pending')
    .map(alertRow)
    .sort(bySeverity);
  const firingNow = new Set(
    active.filter((a) => a.state === 'firing').map((a) => JSON.stringify(withoutState(a.labels))),
  );
  const resolved = fired!
    .filter((sample) => !firingNow.has(JSON.stringify(withoutState(sample.labels))))
    .map((sample) => alertRow({ labels: sample.labels, state: 'resolved' }))
    .sort(bySeverity);

  const opened = new Set(breakersOpened!.map((x) => `${x.labels['job']}\u0000${x.labels[LABEL.DEPENDENCY]}`));
  const breakers = breakersNow!
    .map((x) => ({
      job: x.labels['job'] ?? '',
      dependency: x.labels[LABEL.DEPENDENCY] ?? '',
      state: x.labels[LABEL.STATE] ?? '',
      openedInWindow: opened.has(`${x.labels['job']}\u0000${x.labels[LABEL.DEPENDENCY]}`),
    }))
    .sort((a, b) => a.job.localeCompare(b.job) || a.dependency.localeCompare(b.dependency));
  const cacheRows = new Map<string, { job: string; cache: string; hits: number; misses: number }>();
  for (const x of cache!) {
    const key = `${x.labels['job']}\u0000${x.labels[LABEL.CACHE]}`;
    const row = cacheRows.get(key) ?? {
      job: x.labels['job'] ?? '',
      cache: x.labels[LABEL.CACHE] ?? '',
      hits: 0,
      misses: 0,
    };
    if (x.labels[LABEL.RESULT] === 'hit') row.hits += x.value;
    else row.misses += x.value;
    cacheRows.set(key, row);
  }

  const report: HealthReport = {
    generatedAt: new Date(api.time * 1000).toISOString(),
    prometheus: api.url.href,
    window,
    job: options.job,
    sources: {
      goldenSignals: rules.has(REPORT_LEVELS[0]!.rate) ? 'recording rules' : 'raw series',
      slos: rulesLoaded ? 'recording rules' : `raw series, objectives from ${options.configSource}`,
    },
    verdict: { status: 'ok', failures: [], warnings: [] },
    services: services!,
    tools: tools!,
    tenants: tenants!,
    saturation,
    slos,
    alerts: { firing, pending, resolved },
    offenders: {
      tools: offenders(tools!, top),
      tenants: offenders(tenants!, top),
      tenantTools: [...ttRows.values()]
        .sort((a, b) => b.errors - a.errors || b.errorRatio - a.errorRatio || a.name.localeCompare(b.name))
        .slice(0, top),
      slowestTools: tools!
        .filter((row) => row.p99 !== undefined)
        .sort((a, b) => b.p99! - a.p99! || a.name.localeCompare(b.name))
        .slice(0, top),
    },
    dependencies: {
      breakers,
      authFailures: auth!
        .map((x) => ({ job: x.labels['job'] ?? '', reason: x.labels[LABEL.REASON] ?? '', count: Math.round(x.value) }))
        .sort((a, b) => b.count - a.count),
      rateLimited: limited!
        .map((x) => ({ job: x.labels['job'] ?? '', tenant: x.labels[LABEL.TENANT] ?? '', count: Math.round(x.value) }))
        .sort((a, b) => b.count - a.count)
        .slice(0, top),
      caches: [...cacheRows.values()]
        .filter((row) => row.hits + row.misses > 0)
        .map((row) => ({
          job: row.job,
          cache: row.cache,
          lookups: Math.round(row.hits + row.misses),
          hitRatio: row.hits / (row.hits + row.misses),
        })),
      quotas: quotas!
        .map((x) => ({
          job: x.labels['job'] ?? '',
          tenant: x.labels[LABEL.TENANT] ?? '',
          quota: x.labels[LABEL.QUOTA] ?? '',
          remaining: x.value,
        }))
        .sort((a, b) => a.remaining - b.remaining)
        .slice(0, top),
    },
  };
  report.verdict = verdict(report);
  return report;
}

function withoutState(labels: Record<string, string>): Record<string, string> {
  const { alertstate: _state, __name__: _name, ...rest } = labels;
  return Object.fromEntries(Object.entries(rest).sort());
}

const pct = (ratio: number) => `${Math.round(ratio * 1000) / 10}%`;

/**
 * The verdict: it fails when a page-level (critical) alert is firing or an SLO's error budget is exhausted, so the
 * report can gate a deploy or page from cron; warnings (other firing alerts, fast burns, open breakers, targets
 * down, restarts) are listed but do not fail it.
 */
export function verdict(report: HealthReport): HealthReport['verdict'] {
  const failures: string[] = [];
  const warnings: string[] = [];
  for (const alert of report.alerts.firing) {
    if (alert.severity === 'critical')
      failures.push(`page-level alert firing: ${alertName(alert)}${alert.summary ? ` — ${alert.summary}` : ''}`);
    else warnings.push(`${alert.severity} alert firing: ${alertName(alert)}`);
  }
  for (const slo of report.slos) {
    const what = `SLO ${slo.slo} of ${slo.service} (${pct(slo.objective)} over ${slo.period})`;
    if (slo.status === 'exhausted')
      failures.push(
        `${what}: error budget exhausted (${pct(slo.budgetRemaining ?? 0)} left` +
          `${slo.coverage !== undefined && slo.coverage < 1 ? `, data covers ${pct(slo.coverage)} of the period` : ''})`,
      );
    else if (slo.status === 'fast burn' || slo.status === 'burning') warnings.push(`${what}: ${slo.status}`);
  }
  for (const row of report.saturation) {
    if (row.up < row.targets) warnings.push(`${row.targets - row.up} of ${row.targets} targets of ${row.job} down`);
    if (row.restarts > 0) warnings.push(`${row.job} restarted ${row.restarts} time(s) in the last ${report.window}`);
  }
  for (const breaker of report.dependencies.breakers) {
    if (breaker.state !== 'closed')
      warnings.push(`circuit breaker ${breaker.dependency} of ${breaker.job} is ${breaker.state}`);
  }
  return { status: failures.length > 0 ? 'fail' : warnings.length > 0 ? 'warn' : 'ok', failures, warnings };
}
