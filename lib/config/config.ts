import { readFileSync } from 'node:fs';
import { Ajv } from 'ajv';
import type { ErrorObject } from 'ajv';
import { parse as parseYaml } from 'yaml';
import { DURATION_BUCKETS_SECONDS } from '../contract.js';
import { fastestBurnFactor, seconds, toolSlug } from '../generate/conventions.js';
import { applyDetectionProfile } from './detection.js';
import type { DetectionProfile } from './detection.js';
import { CONFIG_SCHEMA } from './schema.js';

export interface ThresholdConfig {
  value: number;
  window: string;
  for: string;
}

export interface LatencyObjective {
  objective: number;
  thresholdSeconds: number;
}

/** The configuration with every default filled in. */
export interface Config {
  profile: 'single' | 'scale-out';
  detection: { profile: DetectionProfile; scrapeInterval: string; evaluationInterval: string; minRequests: number };
  scaleOut: ScaleOutSettings;
  service: { name: string; job?: string; source: 'scrape' | 'collector' };
  prometheus: { nativeHistograms: boolean };
  slos: {
    period: '7d' | '14d' | '28d' | '30d' | '90d';
    availability: { objective: number };
    latency: LatencyObjective;
    minRequests: number;
    tools: Record<string, { availability?: number; latency?: LatencyObjective }>;
  };
  thresholds: {
    errorRatio: ThresholdConfig;
    latencyP95: ThresholdConfig;
    averageLatency: ThresholdConfig;
    toolSuccess: ThresholdConfig;
    toolLatencyP95: ThresholdConfig;
    tenantErrorRatio: ThresholdConfig;
    saturation: ThresholdConfig;
    maxInFlight: number;
    maxSessions: number;
    cpu: ThresholdConfig;
    cpuCores: number;
    memory: ThresholdConfig;
    memoryLimitBytes: number;
    memoryForecastHours: number;
    backupMaxAgeHours: number;
    eventLoopLagSeconds: ThresholdConfig;
    restarts: ThresholdConfig;
    authFailures: ThresholdConfig;
    authSuccess: ThresholdConfig;
    cacheHitRatio: ThresholdConfig;
    rateLimited: ThresholdConfig;
    quotaRemaining: ThresholdConfig;
    poolUsage: ThresholdConfig;
    queueDepth: ThresholdConfig;
    trafficDrop: ThresholdConfig;
    latencyBaseline: ThresholdConfig;
  };
  runbooks: { baseUrl: string };
  dashboards: { baseUrl: string };
  alertmanager: {
    page: { url: string };
    notify: { url: string };
    ticket: { url: string };
    groupWait: string;
    groupInterval: string;
    repeatInterval: string;
    maintenanceWindows: MaintenanceWindow[];
    muteInMaintenance: ('critical' | 'warning' | 'info')[];
  };
  collector: CollectorSettings;
}

/** A recurring maintenance window: Alertmanager's time interval. */
export interface MaintenanceWindow {
  name: string;
  weekdays: string[];
  daysOfMonth: string[];
  start: string;
  end: string;
  location: string;
}

/** The `collector` section: what the generated OpenTelemetry Collector config exports where, and what it keeps. */
export interface CollectorSettings {
  tempo: { endpoint: string; insecure: boolean };
  loki: { endpoint: string };
  resource: { serviceNamespace: string; deploymentEnvironment: string };
  memoryLimitMiB: number;
  sampling: { percentage: number; decisionWait: string };
  redaction: { allowArguments: string[]; allowResults: string[]; blockedValues: string[] };
  routing: { tenants: string[]; defaultTenant?: string };
  operationsFromSpans: { services: string[]; tools: string[] };
}

/** The `scaleOut` section: the tiers of the scale-out profile. */
export interface ScaleOutSettings {
  gateways: string[];
  store: 'prometheus' | 'mimir' | 'thanos' | 'victoriametrics';
  remoteWriteUrl?: string;
  alertmanagers: string[];
}

/** One problem of a configuration: where (a JSON pointer), what was found, and how to fix it. */
export interface ConfigProblem {
  pointer: string;
  value: unknown;
  message: string;
  fix: string;
}

/** A configuration that cannot be used. Its message lists every problem, one per line. */
export class ConfigError extends Error {
  constructor(
    readonly source: string,
    readonly problems: ConfigProblem[],
  ) {
    super(
      `${source}: invalid configuration\n` +
        problems.map((p) => `  ${p.pointer || '/'}: ${p.message} (found ${shown(p.value)}); fix: ${p.fix}`).join('\n'),
    );
    this.name = 'ConfigError';
  }
}

/** A found value as the user wrote it: YAML's `.nan`, `.inf` and `1e400` are numbers JSON cannot show. */
function shown(value: unknown): string {
  return typeof value === 'number' && !Number.isFinite(value) ? String(value) : JSON.stringify(value);
}

const ajv = new Ajv({ allErrors: true, useDefaults: true, strict: true, strictRequired: false });
ajv.addFormat('uri', (value: string) => URL.canParse(value));
const validate = ajv.compile(CONFIG_SCHEMA);

function valueAt(root: unknown, pointer: string): unknown {
  let node = root;
  for (const part of pointer.split('/').slice(1)) {
    node = (node as Record<string, unknown> | undefined)?.[part.replace(/~1/g, '/').replace(/~0/g, '~')];
  }
  return node;
}

function schemaAt(schemaPath: string): { description?: string } {
  let node: unknown = CONFIG_SCHEMA;
  for (const part of schemaPath.replace(/^#\//, '').split('/').slice(0, -1)) {
    node = (node as Record<string, unknown> | undefined)?.[part];
  }
  return (node ?? {}) as { description?: string };
}

function problemOf(error: ErrorObject, config: unknown): ConfigProblem {
  const params = error.params as Record<string, unknown>;
  const described = schemaAt(error.schemaPath).description;
  if (error.keyword === 'additionalProperties') {
    const key = String(params['additionalProperty']);
    const parentSchema = schemaAt(error.schemaPath) as { properties?: Record<string, unknown> };
    const known = Object.keys(parentSchema.properties ?? {});
    return {
      pointer: `${error.instancePath}/${key}`,
      value: valueAt(config, `${error.instancePath}/${key}`),
      message: `unknown key "${key}"`,
      fix: known.length > 0 ? `remove it or use one of: ${known.join(', ')}` : 'remove it',
    };
  }
  const value = valueAt(config, error.instancePath);
  return {
    pointer: error.instancePath,
    value,
    message: error.message ?? error.keyword,
    fix: described ? `expected ${described}` : `expected a value that ${error.message ?? 'matches the schema'}`,
  };
}

/** Checks the schema cannot express: they tie the configuration to the telemetry contract and to SLO arithmetic. */
function semanticProblems(config: Config): ConfigProblem[] {
  const problems: ConfigProblem[] = [];
  const buckets: readonly number[] = DURATION_BUCKETS_SECONDS;
  const factor = fastestBurnFactor(config.slos.period);
  const checkObjective = (pointer: string, objective: number) => {
    // The fastest page fires at factor x budget: a budget so large that the threshold reaches 100% can never fire.
    const budget = 1 - objective / 100;
    if (factor * budget >= 1) {
      const minimum = Math.ceil((1 - 1 / factor) * 100000) / 1000;
      problems.push({
        pointer,
        value: objective,
        message: `impossible objective: the fastest burn-rate alert would need an error ratio of ${(factor * budget * 100).toFixed(1)}%`,
        fix: `raise it above ${minimum} (the fastest burn factor for ${config.slos.period} is ${factor})`,
      });
    }
  };
  const checkThreshold = (pointer: string, seconds: number) => {
    if (!buckets.includes(seconds)) {
      problems.push({
        pointer,
        value: seconds,
        message: 'not a bucket boundary of mcp_server_operation_duration_seconds',
        fix: `use one of ${buckets.join(', ')}`,
      });
    }
  };
  const routing = config.collector.routing;
  if (routing.tenants.length > 0 && routing.defaultTenant === undefined) {
    // Multi-tenant Tempo and Loki refuse data without X-Scope-OrgID: the other tenants' telemetry needs one too.
    problems.push({
      pointer: '/collector/routing/defaultTenant',
      value: undefined,
      message: 'missing: routing tenants to their own pipelines needs a tenant for everything else',
      fix: 'set collector.routing.defaultTenant, e.g. "default"',
    });
  }
  checkDurations(config, problems);
  checkToolSlugs(config, problems);
  checkBlockedValues(config, problems);
  checkMaintenanceWindows(config, problems);
  const largest = buckets[buckets.length - 1]!;
  if (config.thresholds.latencyP95.value >= largest) {
    // Past the largest finite bucket boundary, histogram_quantile cannot tell a p95 from the boundary itself.
    problems.push({
      pointer: '/thresholds/latencyP95/value',
      value: config.thresholds.latencyP95.value,
      message: `at or above the largest bucket boundary of mcp_server_operation_duration_seconds (${largest} s): the p95 can never exceed it`,
      fix: `use a value below ${largest}`,
    });
  }
  checkObjective('/slos/availability/objective', config.slos.availability.objective);
  checkObjective('/slos/latency/objective', config.slos.latency.objective);
  checkThreshold('/slos/latency/thresholdSeconds', config.slos.latency.thresholdSeconds);
  for (const [tool, slo] of Object.entries(config.slos.tools)) {
    const base = `/slos/tools/${tool.replace(/~/g, '~0').replace(/\//g, '~1')}`;
    if (slo.availability !== undefined) checkObjective(`${base}/availability`, slo.availability);
    if (slo.latency) {
      checkObjective(`${base}/latency/objective`, slo.latency.objective);
      checkThreshold(`${base}/latency/thresholdSeconds`, slo.latency.thresholdSeconds);
    }
  }
  return problems;
}

/** Longest duration accepted anywhere: past it, a window or an interval is a typo (and may overflow the tools). */
const MAX_DURATION_SECONDS = 10 * 365 * 86400;

/** Every duration in range; windows and intervals above zero (a `for` of 0s fires at once, which is allowed). */
function checkDurations(config: Config, problems: ConfigProblem[]): void {
  const check = (pointer: string, value: string, zeroAllowed: boolean) => {
    const length = seconds(value);
    if ((length > 0 || zeroAllowed) && length <= MAX_DURATION_SECONDS) return;
    problems.push({
      pointer,
      value,
      message: length > MAX_DURATION_SECONDS ? 'longer than 10 years' : 'a zero duration',
      fix: zeroAllowed ? 'use a duration of at most 10y' : 'use a duration above zero and of at most 10y, e.g. 5m',
    });
  };
  for (const [name, threshold] of Object.entries(config.thresholds)) {
    if (typeof threshold !== 'object') continue;
    check(`/thresholds/${name}/window`, threshold.window, false);
    check(`/thresholds/${name}/for`, threshold.for, true);
  }
  for (const key of ['groupWait', 'groupInterval', 'repeatInterval'] as const) {
    check(`/alertmanager/${key}`, config.alertmanager[key], false);
  }
  check('/collector/sampling/decisionWait', config.collector.sampling.decisionWait, false);
  check('/detection/scrapeInterval', config.detection.scrapeInterval, false);
  check('/detection/evaluationInterval', config.detection.evaluationInterval, false);
  // A rate needs two samples in its window, wherever the window falls between scrapes.
  const scrape = seconds(config.detection.scrapeInterval);
  for (const [name, threshold] of Object.entries(config.thresholds)) {
    if (typeof threshold !== 'object' || seconds(threshold.window) >= 3 * scrape) continue;
    problems.push({
      pointer: `/thresholds/${name}/window`,
      value: threshold.window,
      message: `shorter than three scrapes (detection.scrapeInterval is ${config.detection.scrapeInterval}): the rates over it are often empty`,
      fix: `use a window of at least ${3 * scrape}s, or scrape more often`,
    });
  }
}

/** Tool names become parts of SLO names, record names and file names: two that write the same would collide. */
function checkToolSlugs(config: Config, problems: ConfigProblem[]): void {
  const bySlug = new Map<string, string>();
  for (const tool of Object.keys(config.slos.tools)) {
    const slug = toolSlug(tool);
    const other = bySlug.get(slug);
    if (other === undefined) bySlug.set(slug, tool);
    else {
      problems.push({
        pointer: `/slos/tools/${tool.replace(/~/g, '~0').replace(/\//g, '~1')}`,
        value: tool,
        message: `its SLO names would collide with those of tool "${other}" (both become "${slug}")`,
        fix: 'give the tools names that differ in letters or digits, not only in case or punctuation',
      });
    }
  }
}

function isTimeZone(name: string): boolean {
  try {
    new Intl.DateTimeFormat('en', { timeZone: name });
    return true;
  } catch {
    return false;
  }
}

/** Alertmanager refuses a window that ends before it starts, and two time intervals of one name. */
function checkMaintenanceWindows(config: Config, problems: ConfigProblem[]): void {
  const names = new Set<string>();
  config.alertmanager.maintenanceWindows.forEach((window, index) => {
    const pointer = `/alertmanager/maintenanceWindows/${index}`;
    if (window.end <= window.start) {
      problems.push({
        pointer: `${pointer}/end`,
        value: window.end,
        message: `not after the start (${window.start}): a window cannot cross midnight`,
        fix: 'use an end after the start, or split the window in two: one up to 24:00, one from 00:00 the next day',
      });
    }
    if (!isTimeZone(window.location)) {
      problems.push({
        pointer: `${pointer}/location`,
        value: window.location,
        message: 'not an IANA time zone',
        fix: 'use a name of the tz database, such as UTC, Europe/Berlin or America/New_York',
      });
    }
    if (names.has(window.name)) {
      problems.push({
        pointer: `${pointer}/name`,
        value: window.name,
        message: 'another maintenance window has this name',
        fix: 'give each window its own name',
      });
    }
    names.add(window.name);
  });
}

/**
 * The collector matches `blockedValues` with Go's RE2: lookaround and backreferences are not RE2, and a pattern that
 * does not even compile would stop the collector from starting.
 */
function checkBlockedValues(config: Config, problems: ConfigProblem[]): void {
  config.collector.redaction.blockedValues.forEach((pattern, i) => {
    let message: string | undefined;
    if (/\(\?<?[=!]/.test(pattern)) message = "lookaround is not supported by RE2, the collector's regex engine";
    else if (/\\[1-9]|\\k</.test(pattern)) message = 'backreferences are not supported by RE2';
    else {
      try {
        new RegExp(pattern);
      } catch (error) {
        message = `not a regular expression: ${(error as Error).message}`;
      }
    }
    if (message) {
      problems.push({
        pointer: `/collector/redaction/blockedValues/${i}`,
        value: pattern,
        message,
        fix: 'write an RE2 pattern (https://github.com/google/re2/wiki/Syntax)',
      });
    }
  });
}

/**
 * Validate a parsed configuration and fill in its defaults. Throws a {@link ConfigError} naming every problem.
 * The input is not modified.
 */
export function resolveConfig(input: unknown, source = 'configuration'): Config {
  const config = structuredClone(input ?? {});
  if (typeof config !== 'object' || Array.isArray(config)) {
    throw new ConfigError(source, [
      { pointer: '', value: input, message: 'not an object', fix: 'write the configuration as a YAML or JSON mapping' },
    ]);
  }
  applyDetectionProfile(config as Record<string, unknown>);
  if (!validate(config))
    throw new ConfigError(
      source,
      (validate.errors ?? []).map((e) => problemOf(e, config)),
    );
  const resolved = config as Config;
  const problems = semanticProblems(resolved);
  if (problems.length > 0) throw new ConfigError(source, problems);
  return resolved;
}

/** Parse YAML or JSON text (JSON is YAML) and resolve it. */
export function parseConfig(text: string, source = 'configuration'): Config {
  let parsed: unknown;
  try {
    parsed = parseYaml(text, { prettyErrors: true });
  } catch (error) {
    throw new ConfigError(source, [
      {
        pointer: '',
        value: undefined,
        message: `not valid YAML or JSON: ${(error as Error).message}`,
        fix: 'correct the syntax',
      },
    ]);
  }
  return resolveConfig(parsed ?? {}, source);
}

/** Read and resolve a configuration file; without a path, the defaults. */
export function loadConfig(path?: string): Config {
  if (path === undefined) return resolveConfig({}, 'defaults');
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (error) {
    throw new ConfigError(path, [
      {
        pointer: '',
        value: path,
        message: `cannot read the file: ${(error as Error).message}`,
        fix: 'pass an existing file with --config',
      },
    ]);
  }
  return parseConfig(text, path);
}
