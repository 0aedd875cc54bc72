/**
 * Naming conventions of the generated bundle: recording rule names, SLO burn-rate windows, alert labels and the
 * dashboards alerts link to. One module, so rules, tests, runbooks and dashboards cannot disagree.
 */

/** Alert labels. */
export const ALERT_LABEL = {
  SERVICE: 'service',
  SEVERITY: 'severity',
  PRIORITY: 'priority',
  SLO: 'slo',
  TIER: 'burnrate_tier',
  LONG: 'long',
  SHORT: 'short',
  EXHAUSTION: 'exhaustion',
} as const;

export type Severity = 'critical' | 'warning' | 'info';
export type Priority = 'P1' | 'P2' | 'P3' | 'P4';

/** Sloth's labels on SLO recording rules, so existing Sloth dashboards read ours. */
export const SLOTH_LABEL = {
  ID: 'sloth_id',
  SERVICE: 'sloth_service',
  SLO: 'sloth_slo',
  WINDOW: 'sloth_window',
} as const;

/** Windows whose SLI error ratio is recorded (Sloth's set, from 5m to 3d). */
export const SLI_WINDOWS = ['5m', '30m', '1h', '2h', '6h', '1d', '3d'] as const;
export type SliWindow = (typeof SLI_WINDOWS)[number];

export interface BurnRateTier {
  /** `burnrate_tier` label. */
  tier: 'page-fast' | 'page-slow' | 'ticket-fast' | 'ticket-slow';
  long: SliWindow;
  short: SliWindow;
  for: string;
  /** Share of the period's error budget this window consumes at the alert's threshold (Google SRE workbook). */
  budgetConsumed: number;
  severity: Severity;
  priority: Priority;
}

/**
 * Multi-window, multi-burn-rate alerting (the SRE workbook's table): for a 30-day period the burn factors are
 * 14.4, 6, 3 and 1. For other periods the factor keeps the budget consumed: factor = consumed × period / long window.
 */
export const BURN_RATE_TIERS: readonly BurnRateTier[] = [
  { tier: 'page-fast', long: '1h', short: '5m', for: '2m', budgetConsumed: 0.02, severity: 'critical', priority: 'P1' },
  {
    tier: 'page-slow',
    long: '6h',
    short: '30m',
    for: '15m',
    budgetConsumed: 0.05,
    severity: 'critical',
    priority: 'P2',
  },
  { tier: 'ticket-fast', long: '1d', short: '2h', for: '1h', budgetConsumed: 0.1, severity: 'warning', priority: 'P3' },
  { tier: 'ticket-slow', long: '3d', short: '6h', for: '3h', budgetConsumed: 0.1, severity: 'warning', priority: 'P4' },
];

const UNIT_SECONDS: Record<string, number> = { ms: 0.001, s: 1, m: 60, h: 3600, d: 86400, w: 604800, y: 31536000 };

/** Seconds of a Prometheus duration (`1h30m`, `5m`, `30d`). */
/**
 * The `le` label of a bucket boundary in either spelling: Prometheus's text format writes `1`, OpenMetrics exporters
 * (the collector's) and Prometheus 3, which normalises every `le`, write `1.0`. A rule that selects `le="1"` finds
 * nothing there.
 */
export function leMatcher(seconds: number): string {
  // A regex inside a PromQL string: the dot is escaped for the regex, the backslash for the string.
  const text = String(seconds).replaceAll('.', '\\\\.');
  return Number.isInteger(seconds) ? `le=~"${text}(\\\\.0)?"` : `le=~"${text}"`;
}

/** `le` as OpenMetrics and Prometheus 3 write it (`1.0`, `0.5`). */
export function leFloat(seconds: number): string {
  return Number.isInteger(seconds) ? `${seconds}.0` : String(seconds);
}

/** A tool name as it appears in SLO, record and file names: lower case, runs of other characters as one dash. */
export function toolSlug(tool: string): string {
  return tool.toLowerCase().replace(/[^a-z0-9]+/g, '-');
}

export function seconds(duration: string): number {
  let total = 0;
  for (const [, amount, unit] of duration.matchAll(/(\d+)(ms|s|m|h|d|w|y)/g))
    total += Number(amount) * UNIT_SECONDS[unit!]!;
  return total;
}

/** A duration in whole hours below three days, whole days above: how long until the budget is gone. */
export function humanDuration(totalSeconds: number): string {
  const hours = totalSeconds / 3600;
  return hours < 72 ? `${Math.round(hours)}h` : `${Math.round(hours / 24)}d`;
}

/** The burn factor of a tier for an SLO period, rounded to 2 decimals so rules stay readable. */
export function burnFactor(tier: BurnRateTier, period: string): number {
  return Math.round(((tier.budgetConsumed * seconds(period)) / seconds(tier.long)) * 100) / 100;
}

/** The largest burn factor of a period: an objective whose budget times it reaches 1 can never page. */
export function fastestBurnFactor(period: string): number {
  return Math.max(...BURN_RATE_TIERS.map((tier) => burnFactor(tier, period)));
}

/** Dashboards the alerts link to (uids are stable: links survive regeneration). */
export const DASHBOARDS = {
  overview: { uid: 'mcp-overview', title: 'MCP / Overview' },
  tools: { uid: 'mcp-tools', title: 'MCP / Tools' },
  tenants: { uid: 'mcp-tenants', title: 'MCP / Tenants' },
  slos: { uid: 'mcp-slos', title: 'MCP / SLOs' },
  runtime: { uid: 'mcp-runtime', title: 'MCP / Runtime' },
  dependencies: { uid: 'mcp-dependencies', title: 'MCP / Dependencies & security' },
} as const;
export type DashboardKey = keyof typeof DASHBOARDS;

/** Recording rule names, `level:metric:operations`. */
export const RECORD = {
  rate: (level: string) => `${level}:mcp_server_operations:rate5m`,
  errorRatio: (level: string) => `${level}:mcp_server_operation_errors:ratio_rate5m`,
  quantile: (level: string) => `${level}_quantile:mcp_server_operation_duration_seconds:histogram_quantile_rate5m`,
  tenantRate: 'job_tenant_id:mcp_server_tenant_operations:rate5m',
  tenantErrorRatio: 'job_tenant_id:mcp_server_tenant_operation_errors:ratio_rate5m',
  tenantQuantile: 'job_tenant_id_quantile:mcp_server_tenant_operation_duration_seconds:histogram_quantile_rate5m',
  sliError: (window: string) => `slo:sli_error:ratio_rate${window}`,
  sliRequests: (window: string) => `slo:sli_requests:rate${window}`,
  objective: 'slo:objective:ratio',
  errorBudget: 'slo:error_budget:ratio',
  periodDays: 'slo:time_period:days',
  periodCoverage: 'slo:period_coverage:ratio',
  currentBurnRate: 'slo:current_burn_rate:ratio',
  periodBurnRate: 'slo:period_burn_rate:ratio',
  budgetRemaining: 'slo:period_error_budget_remaining:ratio',
} as const;

/** Aggregation levels of the golden-signal recording rules: the labels kept, joined with `_` for the level. */
export const LEVELS = {
  job: ['job'],
  method: ['job', 'mcp_method_name'],
  tool: ['job', 'gen_ai_tool_name'],
} as const;

export const QUANTILES = [0.5, 0.95, 0.99] as const;
