/**
 * Detection profiles: how fast the generated alerts fire, and what Prometheus does to make it possible.
 *
 * `fast` (the default) meets the operations guides' alerting SLAs — availability and tool success within a minute,
 * response time within 30 s — by scraping and evaluating every 5 s and judging the golden signals over one-minute
 * windows with short `for:` durations, guarded by a minimum number of requests. `standard` keeps the classic 15 s
 * intervals and five- to ten-minute windows: a third of the samples, alerts minutes later. The SLO burn-rate alerts
 * are the same in both.
 */

export const DETECTION_PROFILES = ['fast', 'standard'] as const;
export type DetectionProfile = (typeof DETECTION_PROFILES)[number];
export const DEFAULT_DETECTION: DetectionProfile = 'fast';

/** A threshold's window and `for:`. */
export interface Timing {
  window: string;
  for: string;
}

/** The thresholds whose window and `for:` a profile sets (unless the configuration sets them). */
export const PROFILE_TIMINGS = {
  errorRatio: { fast: { window: '1m', for: '15s' }, standard: { window: '5m', for: '5m' } },
  latencyP95: { fast: { window: '1m', for: '10s' }, standard: { window: '5m', for: '5m' } },
  averageLatency: { fast: { window: '1m', for: '30s' }, standard: { window: '5m', for: '5m' } },
  toolSuccess: { fast: { window: '1m', for: '15s' }, standard: { window: '10m', for: '10m' } },
  toolLatencyP95: { fast: { window: '1m', for: '30s' }, standard: { window: '5m', for: '5m' } },
  tenantErrorRatio: { fast: { window: '1m', for: '30s' }, standard: { window: '10m', for: '10m' } },
  memory: { fast: { window: '1m', for: '1m' }, standard: { window: '5m', for: '10m' } },
  authFailures: { fast: { window: '1m', for: '30s' }, standard: { window: '5m', for: '5m' } },
  authSuccess: { fast: { window: '1m', for: '30s' }, standard: { window: '5m', for: '5m' } },
  rateLimited: { fast: { window: '1m', for: '1m' }, standard: { window: '10m', for: '10m' } },
} as const satisfies Record<string, Record<DetectionProfile, Timing>>;
export type TimedThreshold = keyof typeof PROFILE_TIMINGS;

/**
 * What a profile sets beyond the thresholds: Prometheus's intervals and the guard (which the configuration may set
 * too), and the `for:` of the alerts that have no threshold.
 */
export interface ProfileSettings {
  scrapeInterval: string;
  evaluationInterval: string;
  /** Requests in an alert's window below which the ratio and latency alerts stay quiet: a few calls are no trend. */
  minRequests: number;
  /** `for:` of McpServerDown: how many failed scrapes in a row make an instance down. */
  serverDownFor: string;
  /** `for:` of McpServerAbsent. */
  serverAbsentFor: string;
  /** `for:` of McpCircuitBreakerOpen. */
  breakerOpenFor: string;
  /** Window and `for:` of McpTelemetryDropped. */
  telemetryDropped: Timing;
}

export const PROFILE_SETTINGS: Record<DetectionProfile, ProfileSettings> = {
  fast: {
    scrapeInterval: '5s',
    evaluationInterval: '5s',
    minRequests: 20,
    serverDownFor: '15s',
    serverAbsentFor: '30s',
    breakerOpenFor: '15s',
    telemetryDropped: { window: '1m', for: '1m' },
  },
  standard: {
    scrapeInterval: '15s',
    evaluationInterval: '15s',
    minRequests: 20,
    serverDownFor: '1m',
    serverAbsentFor: '5m',
    breakerOpenFor: '1m',
    telemetryDropped: { window: '10m', for: '10m' },
  },
};

/**
 * Fill the window and `for:` of the profile's thresholds where the raw configuration leaves them out, before the
 * schema fills the rest. A malformed section is left as it is, for the schema to name.
 */
export function applyDetectionProfile(config: Record<string, unknown>): void {
  const detection = config['detection'];
  if (detection !== undefined && !isObject(detection)) return;
  const named = detection?.['profile'];
  const profile = named === undefined ? DEFAULT_DETECTION : DETECTION_PROFILES.find((known) => known === named);
  if (profile === undefined) return;
  if (detection === undefined) config['detection'] = {};
  const settings = config['detection'] as Record<string, unknown>;
  settings['profile'] = profile;
  settings['scrapeInterval'] ??= PROFILE_SETTINGS[profile].scrapeInterval;
  settings['evaluationInterval'] ??= PROFILE_SETTINGS[profile].evaluationInterval;
  settings['minRequests'] ??= PROFILE_SETTINGS[profile].minRequests;
  const thresholds = (config['thresholds'] ??= {});
  if (!isObject(thresholds)) return;
  for (const [name, timings] of Object.entries(PROFILE_TIMINGS)) {
    const threshold = (thresholds[name] ??= {});
    if (!isObject(threshold)) continue;
    threshold['window'] ??= timings[profile].window;
    threshold['for'] ??= timings[profile].for;
  }
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** A fault class of the operations guides, the alert that detects it, and how soon. */
export interface FaultDetection {
  fault: string;
  alert: string;
  /** At most this many seconds from the fault to the alert firing, with the fast profile: tested end to end. */
  firesWithinSeconds: number;
  /** The operations guides' alerting SLA for the class, where they give one. */
  guideSeconds?: number;
  /** Where the alert itself goes: a page, the team's channel, or the ticket queue. */
  route: 'page' | 'notify' | 'ticket';
  /** Whether the fault must page nobody at all: it costs no server-owned errors, or it is a policy rejection. */
  pagesNobody: boolean;
}

/**
 * Fault-to-firing time per fault class with the fast profile, measured by test/detection-e2e.test.ts on a real
 * Prometheus and Alertmanager with the default bundle; each bound holds the worst case of the scrape, the evaluation,
 * the window filling and the `for:`.
 */
export const FAULT_DETECTION: readonly FaultDetection[] = [
  {
    fault: 'server killed',
    alert: 'McpServerDown',
    firesWithinSeconds: 30,
    guideSeconds: 60,
    route: 'page',
    pagesNobody: false,
  },
  {
    fault: 'error spike (20% of calls)',
    alert: 'McpHighErrorRatio',
    firesWithinSeconds: 60,
    guideSeconds: 60,
    route: 'page',
    pagesNobody: false,
  },
  {
    fault: 'one tool failing',
    alert: 'McpToolFailing',
    firesWithinSeconds: 60,
    guideSeconds: 60,
    route: 'notify',
    pagesNobody: false,
  },
  {
    fault: 'latency spike (+3 s)',
    alert: 'McpHighLatencyP95',
    firesWithinSeconds: 30,
    guideSeconds: 30,
    route: 'notify',
    pagesNobody: true,
  },
  {
    fault: 'one tenant failing',
    alert: 'McpTenantErrorRatioHigh',
    firesWithinSeconds: 90,
    route: 'notify',
    pagesNobody: false,
  },
  { fault: 'one slow tool (+6 s)', alert: 'McpToolSlow', firesWithinSeconds: 90, route: 'notify', pagesNobody: true },
  {
    fault: 'dependency outage',
    alert: 'McpCircuitBreakerOpen',
    firesWithinSeconds: 45,
    route: 'notify',
    pagesNobody: false,
  },
  {
    fault: 'authentication attack',
    alert: 'McpAuthFailureSpike',
    firesWithinSeconds: 90,
    route: 'notify',
    pagesNobody: true,
  },
  { fault: 'memory growth', alert: 'McpHighMemory', firesWithinSeconds: 180, route: 'notify', pagesNobody: true },
  {
    fault: 'telemetry pipeline down',
    alert: 'McpTelemetryDropped',
    firesWithinSeconds: 150,
    route: 'notify',
    pagesNobody: true,
  },
  {
    fault: 'tenant over its rate limit',
    alert: 'McpTenantRateLimited',
    firesWithinSeconds: 120,
    route: 'ticket',
    pagesNobody: true,
  },
];
