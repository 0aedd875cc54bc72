/**
 * The six dashboards of the bundle. Panels read the recording rules where they exist (golden signals per job, method,
 * tool and tenant; SLO series) and raw series with `$__rate_interval` elsewhere; thresholds come from the same
 * configuration values as the alerts.
 */
import { LABEL, METRICS, OTEL_PROCESS_METRICS, PROCESS_METRICS } from '../../contract.js';
import { BURN_RATE_TIERS, LEVELS, QUANTILES, RECORD, SLI_WINDOWS, burnFactor } from '../conventions.js';
import type { Model } from '../model.js';
import { SERVER_FAULT } from '../model.js';
import type { DashboardSpec, PanelSpec, Query } from './panels.js';

const J = 'job=~"$job"';
const JI = 'job=~"$job", instance=~"$instance"';
/** The instances of the Node.js job a repeated row shows. */
const NODE = 'job=~"$nodejs_job", instance=~"$instance"';
const RATE = '[$__rate_interval]';
const level = (labels: readonly string[]) => labels.join('_');
const JOB = level(LEVELS.job);
const TOOL = level(LEVELS.tool);
const METHOD = level(LEVELS.method);

const quantiles = (expr: (q: number) => string, legend: string, exemplar = false): Query[] =>
  QUANTILES.map((q) => ({ expr: expr(q), legend: legend.replace('Q', `p${q * 100}`), exemplar }));

function overview(model: Model): DashboardSpec {
  const t = model.config.thresholds;
  return {
    key: 'overview',
    description: 'The four golden signals of the MCP servers, their SLOs, top tools and tenants, and firing alerts.',
    variables: [],
    items: [
      { row: 'Golden signals' },
      {
        title: 'Request rate',
        description: 'MCP requests per second (recording rule over 5m).',
        kind: 'stat',
        unit: 'reqps',
        width: 6,
        height: 5,
        queries: [{ expr: `sum(${RECORD.rate(JOB)}{${J}})` }],
      },
      {
        title: 'Error ratio',
        description: 'Share of requests that failed with a server-owned error (client faults excluded).',
        kind: 'stat',
        unit: 'percentunit',
        width: 6,
        height: 5,
        thresholds: [{ value: t.errorRatio.value, color: 'red' }],
        queries: [{ expr: `max(${RECORD.errorRatio(JOB)}{${J}})` }],
      },
      {
        title: 'p95 latency',
        description: '95th percentile of request duration.',
        kind: 'stat',
        unit: 's',
        width: 6,
        height: 5,
        thresholds: [{ value: t.latencyP95.value, color: 'red' }],
        queries: [{ expr: `max(${RECORD.quantile(JOB)}{${J}, quantile="0.95"})` }],
      },
      {
        title: 'Availability budget remaining',
        description: 'Error budget of the availability SLO left in the SLO period.',
        kind: 'stat',
        unit: 'percentunit',
        width: 6,
        height: 5,
        lowIsBad: true,
        thresholds: [
          { value: 0.25, color: 'yellow' },
          { value: 0.5, color: 'green' },
        ],
        queries: [{ expr: `min(${RECORD.budgetRemaining}{${J}, slo="availability"})` }],
      },
      {
        title: 'Requests by method',
        description: 'Request rate per MCP method.',
        kind: 'timeseries',
        unit: 'reqps',
        stacked: true,
        queries: [{ expr: `sum by (${LABEL.METHOD}) (${RECORD.rate(METHOD)}{${J}})`, legend: `{{${LABEL.METHOD}}}` }],
      },
      {
        title: 'Error ratio by error type',
        description: 'Share of requests per error type: tool_error and JSON-RPC codes; client faults included here.',
        kind: 'timeseries',
        unit: 'percentunit',
        stacked: true,
        thresholds: [{ value: t.errorRatio.value, color: 'red' }],
        queries: [
          {
            expr: `sum by (${LABEL.ERROR_TYPE}) (${model.requests.rate(`${J}, ${LABEL.ERROR_TYPE}!=""`, RATE)}) / ignoring (${LABEL.ERROR_TYPE}) group_left sum(${model.requests.rate(J, RATE)})`,
            legend: `{{${LABEL.ERROR_TYPE}}}`,
          },
        ],
      },
      {
        title: 'Latency percentiles',
        description: 'p50, p95 and p99 of request duration; exemplars link to the traces.',
        kind: 'timeseries',
        unit: 's',
        thresholds: [{ value: t.latencyP95.value, color: 'red' }],
        queries: quantiles((q) => model.requests.quantile(q, [], J, RATE), 'Q', true),
      },
      {
        title: 'Requests in flight',
        description: 'Requests being handled per instance, against the configured capacity.',
        kind: 'timeseries',
        unit: 'short',
        width: 6,
        thresholds: [{ value: t.maxInFlight * t.saturation.value, color: 'red' }],
        queries: [{ expr: `sum by (instance) (${METRICS.operationsInFlight.name}{${JI}})`, legend: '{{instance}}' }],
      },
      {
        title: 'Active sessions',
        description: 'Open MCP sessions per instance, against the configured capacity.',
        kind: 'timeseries',
        unit: 'short',
        width: 6,
        thresholds: [{ value: t.maxSessions * t.saturation.value, color: 'red' }],
        queries: [{ expr: `sum by (instance) (${METRICS.sessionsActive.name}{${JI}})`, legend: '{{instance}}' }],
      },
      {
        title: 'CPU',
        description: 'Share of the configured CPU cores in use per instance.',
        kind: 'timeseries',
        unit: 'percentunit',
        width: 6,
        thresholds: [{ value: t.cpu.value, color: 'red' }],
        queries: [
          { expr: `rate(${PROCESS_METRICS.cpuSeconds}{${JI}}${RATE}) / ${t.cpuCores}`, legend: '{{instance}}' },
        ],
      },
      {
        title: 'Memory',
        description: 'Resident memory per instance as a share of the configured limit.',
        kind: 'timeseries',
        unit: 'percentunit',
        width: 6,
        thresholds: [{ value: t.memory.value, color: 'red' }],
        queries: [{ expr: `${PROCESS_METRICS.residentMemory}{${JI}} / ${t.memoryLimitBytes}`, legend: '{{instance}}' }],
      },
      { row: 'SLOs, top offenders and alerts' },
      {
        title: 'Error budget remaining',
        description: 'Share of each SLO error budget left in the period.',
        kind: 'bargauge',
        unit: 'percentunit',
        width: 8,
        min: 0,
        max: 1,
        lowIsBad: true,
        thresholds: [
          { value: 0.25, color: 'yellow' },
          { value: 0.5, color: 'green' },
        ],
        queries: [{ expr: `${RECORD.budgetRemaining}{${J}}`, legend: '{{slo}}' }],
      },
      {
        title: 'Top tools',
        description: 'The ten busiest tools.',
        kind: 'bargauge',
        unit: 'reqps',
        width: 8,
        queries: [
          { expr: `topk(10, sum by (${LABEL.TOOL}) (${RECORD.rate(TOOL)}{${J}}))`, legend: `{{${LABEL.TOOL}}}` },
        ],
      },
      {
        title: 'Top tenants',
        description: 'The ten busiest tenants.',
        kind: 'bargauge',
        unit: 'reqps',
        width: 8,
        queries: [
          { expr: `topk(10, sum by (${LABEL.TENANT}) (${RECORD.tenantRate}{${J}}))`, legend: `{{${LABEL.TENANT}}}` },
        ],
      },
      {
        title: 'Firing alerts',
        description: 'Alerts firing now for the selected jobs.',
        kind: 'table',
        unit: 'none',
        width: 24,
        queries: [
          {
            expr: `sum by (alertname, severity, priority, instance, slo) (ALERTS{alertstate="firing", ${J}})`,
            instant: true,
          },
        ],
      },
    ],
  };
}

function tools(model: Model): DashboardSpec {
  const t = model.config.thresholds;
  const T = `${J}, ${LABEL.TOOL}=~"$tool"`;
  const raw = `${J}, ${LABEL.METHOD}="tools/call", ${LABEL.TOOL}=~"$tool"`;
  const by = `{{${LABEL.TOOL}}}`;
  return {
    key: 'tools',
    description: 'Per-tool calls, errors and latency; pick tools with the tool variable.',
    variables: ['tool'],
    items: [
      {
        title: 'Calls per tool',
        description: 'Tool calls per second.',
        kind: 'timeseries',
        unit: 'reqps',
        queries: [{ expr: `sum by (${LABEL.TOOL}) (${RECORD.rate(TOOL)}{${T}})`, legend: by }],
      },
      {
        title: 'Error ratio per tool',
        description: 'Share of calls failing with a server-owned error.',
        kind: 'timeseries',
        unit: 'percentunit',
        thresholds: [{ value: Math.round((1 - t.toolSuccess.value) * 1e9) / 1e9, color: 'red' }],
        queries: [{ expr: `max by (${LABEL.TOOL}) (${RECORD.errorRatio(TOOL)}{${T}})`, legend: by }],
      },
      {
        title: 'p95 latency per tool',
        description: '95th percentile of tool-call duration.',
        kind: 'timeseries',
        unit: 's',
        thresholds: [{ value: t.latencyP95.value, color: 'red' }],
        queries: [{ expr: `max by (${LABEL.TOOL}) (${RECORD.quantile(TOOL)}{${T}, quantile="0.95"})`, legend: by }],
      },
      {
        title: 'Latency percentiles of the selected tools',
        description: 'p50, p95 and p99 of the selected tools together; exemplars link to the traces.',
        kind: 'timeseries',
        unit: 's',
        queries: quantiles((q) => model.requests.quantile(q, [], raw, RATE), 'Q', true),
      },
      {
        title: 'Errors per tool and type',
        description: 'Failed calls per second, by tool and error type.',
        kind: 'timeseries',
        unit: 'reqps',
        stacked: true,
        width: 24,
        queries: [
          {
            expr: `sum by (${LABEL.TOOL}, ${LABEL.ERROR_TYPE}) (${model.requests.rate(`${raw}, ${LABEL.ERROR_TYPE}!=""`, RATE)})`,
            legend: `{{${LABEL.TOOL}}} {{${LABEL.ERROR_TYPE}}}`,
          },
        ],
      },
      {
        title: 'All tools',
        description: 'Every tool with its rate, error ratio and latency percentiles; click a column to sort.',
        kind: 'table',
        unit: 'none',
        width: 24,
        height: 10,
        queries: [
          { expr: `sum by (${LABEL.TOOL}) (${RECORD.rate(TOOL)}{${T}})`, instant: true },
          { expr: `max by (${LABEL.TOOL}) (${RECORD.errorRatio(TOOL)}{${T}})`, instant: true },
          ...QUANTILES.map((q) => ({
            expr: `max by (${LABEL.TOOL}) (${RECORD.quantile(TOOL)}{${T}, quantile="${q}"})`,
            instant: true,
          })),
        ],
      },
    ],
  };
}

function tenants(model: Model): DashboardSpec {
  const t = model.config.thresholds;
  const T = `${J}, ${LABEL.TENANT}=~"$tenant"`;
  const by = `{{${LABEL.TENANT}}}`;
  return {
    key: 'tenants',
    description: 'Per-tenant traffic, errors, latency, rate limiting and quotas; the cardinality guard at work.',
    variables: ['tenant'],
    items: [
      {
        title: 'Requests per tenant',
        description: 'Requests per second of each tenant.',
        kind: 'timeseries',
        unit: 'reqps',
        queries: [{ expr: `sum by (${LABEL.TENANT}) (${RECORD.tenantRate}{${T}})`, legend: by }],
      },
      {
        title: 'Error ratio per tenant',
        description: 'Share of requests of each tenant failing with a server-owned error.',
        kind: 'timeseries',
        unit: 'percentunit',
        thresholds: [{ value: t.errorRatio.value, color: 'red' }],
        queries: [{ expr: `max by (${LABEL.TENANT}) (${RECORD.tenantErrorRatio}{${T}})`, legend: by }],
      },
      {
        title: 'p95 latency per tenant',
        description: '95th percentile of request duration per tenant.',
        kind: 'timeseries',
        unit: 's',
        thresholds: [{ value: t.latencyP95.value, color: 'red' }],
        queries: [{ expr: `max by (${LABEL.TENANT}) (${RECORD.tenantQuantile}{${T}, quantile="0.95"})`, legend: by }],
      },
      {
        title: 'Rate-limited requests',
        description: 'Requests rejected by a tenant rate limit, per second.',
        kind: 'timeseries',
        unit: 'reqps',
        thresholds: [{ value: t.rateLimited.value, color: 'orange' }],
        queries: [
          {
            expr: `sum by (${LABEL.TENANT}) (rate(${METRICS.rateLimited.name}{${T}}${RATE}))`,
            legend: by,
          },
        ],
      },
      {
        title: 'Quota remaining',
        description: 'Share of each tenant quota still available.',
        kind: 'bargauge',
        unit: 'percentunit',
        min: 0,
        max: 1,
        lowIsBad: true,
        thresholds: [
          { value: 0.1, color: 'yellow' },
          { value: 0.25, color: 'green' },
        ],
        queries: [
          {
            expr: `min by (${LABEL.TENANT}, ${LABEL.QUOTA}) (${METRICS.tenantQuotaRemaining.name}{${T}})`,
            legend: `{{${LABEL.TENANT}}} {{${LABEL.QUOTA}}}`,
          },
        ],
      },
      {
        title: 'Top tenants by errors',
        description: 'The ten tenants with the most server-owned errors per second.',
        kind: 'bargauge',
        unit: 'reqps',
        queries: [
          {
            expr: `topk(10, sum by (${LABEL.TENANT}) (rate(${METRICS.tenantOperations.name}{${J}, ${SERVER_FAULT}}${RATE})))`,
            legend: by,
          },
        ],
      },
      {
        title: 'Top tenants by requests',
        description: 'The ten busiest tenants.',
        kind: 'bargauge',
        unit: 'reqps',
        queries: [{ expr: `topk(10, sum by (${LABEL.TENANT}) (${RECORD.tenantRate}{${J}}))`, legend: by }],
      },
      {
        title: 'Folded into the overflow tenant',
        description: 'Requests whose tenant the cardinality guard folded into __overflow__, per second.',
        kind: 'stat',
        unit: 'reqps',
        width: 6,
        thresholds: [{ value: 0.001, color: 'orange' }],
        queries: [{ expr: `sum(rate(${METRICS.tenantOverflow.name}{${J}}${RATE}))` }],
      },
      {
        title: 'Tenants tracked',
        description: 'Distinct tenant label values admitted by the cardinality guard.',
        kind: 'stat',
        unit: 'short',
        width: 6,
        queries: [{ expr: `max(${METRICS.tenantsTracked.name}{${J}})` }],
      },
    ],
  };
}

function slos(model: Model): DashboardSpec {
  const S = `${J}, slo=~"$slo"`;
  const period = model.config.slos.period;
  const perSlo = '{{slo}}';
  return {
    key: 'slos',
    description: `Service-level objectives: objective, error budget over the ${period} period, burn rates, time to exhaustion.`,
    variables: ['slo'],
    items: [
      {
        title: 'Objectives',
        description: 'The objective of each SLO.',
        kind: 'table',
        unit: 'percentunit',
        width: 8,
        queries: [{ expr: `${RECORD.objective}{${S}}`, instant: true }],
      },
      {
        title: 'Error budget remaining',
        description: `Share of each error budget left over the ${period} period.`,
        kind: 'bargauge',
        unit: 'percentunit',
        width: 8,
        min: 0,
        max: 1,
        lowIsBad: true,
        thresholds: [
          { value: 0.25, color: 'yellow' },
          { value: 0.5, color: 'green' },
        ],
        queries: [{ expr: `${RECORD.budgetRemaining}{${S}}`, legend: perSlo }],
      },
      {
        title: 'Time to exhaustion',
        description: 'How long the remaining budget lasts at the current (5m) burn rate.',
        kind: 'stat',
        unit: 's',
        width: 8,
        lowIsBad: true,
        thresholds: [
          { value: 86400, color: 'yellow' },
          { value: 7 * 86400, color: 'green' },
        ],
        queries: [
          {
            expr: `clamp_min(${RECORD.budgetRemaining}{${S}}, 0) * on (sloth_id) group_left ${RECORD.periodDays}{${S}} * 86400 / on (sloth_id) group_left ${RECORD.currentBurnRate}{${S}}`,
            legend: perSlo,
          },
        ],
      },
      {
        title: 'Burn rate per window',
        description: `Error budget consumption speed per window (1 = exactly the budget over ${period}); lines at the alert factors.`,
        kind: 'timeseries',
        unit: 'none',
        width: 24,
        thresholds: [...BURN_RATE_TIERS]
          .reverse()
          .map((tier) => ({ value: burnFactor(tier, period), color: tier.severity === 'critical' ? 'red' : 'orange' })),
        queries: SLI_WINDOWS.map((window) => ({
          expr: `${RECORD.sliError(window)}{${S}} / on (sloth_id) group_left ${RECORD.errorBudget}{${S}}`,
          legend: `{{slo}} ${window}`,
        })),
      },
      {
        title: 'SLI error ratio',
        description: 'Share of requests outside the objective, over 5m and 1h.',
        kind: 'timeseries',
        unit: 'percentunit',
        queries: ['5m', '1h'].map((window) => ({
          expr: `${RECORD.sliError(window)}{${S}}`,
          legend: `{{slo}} ${window}`,
        })),
      },
      {
        title: `SLI error ratio over ${period}`,
        description: `Share of requests outside the objective over the whole ${period} period, against the budget.`,
        kind: 'timeseries',
        unit: 'percentunit',
        queries: [
          { expr: `${RECORD.sliError(period)}{${S}}`, legend: `{{slo}} ${period}` },
          { expr: `${RECORD.errorBudget}{${S}}`, legend: '{{slo}} budget' },
        ],
      },
      {
        title: `Share of the ${period} period with data`,
        description: `How much of the ${period} period Prometheus holds: the budget figures count the rest as unspent, so a young Prometheus does not read a burst as an exhausted budget.`,
        kind: 'stat',
        unit: 'percentunit',
        queries: [{ expr: `min(${RECORD.periodCoverage}{${S}})` }],
      },
    ],
  };
}

function runtime(model: Model): DashboardSpec {
  const t = model.config.thresholds;
  const per = '{{instance}}';
  // A Prometheus client's process series, or the OpenTelemetry process metrics of a service that sends OTLP.
  const cpu = `rate(${PROCESS_METRICS.cpuSeconds}{${JI}}${RATE}) or sum by (job, instance) (rate(${OTEL_PROCESS_METRICS.cpuTime}{${JI}}${RATE}))`;
  const memory = `${PROCESS_METRICS.residentMemory}{${JI}} or ${OTEL_PROCESS_METRICS.memoryUsage}{${JI}}`;
  return {
    key: 'runtime',
    description:
      'The runtime of each instance: the process in any language (CPU, memory against its limit, restarts, file descriptors), then per Node.js job its runtime (heap, event loop, GC, handles).',
    variables: ['nodejs_job'],
    items: [
      { row: 'Process (any language)' },
      {
        title: 'CPU',
        description: `Share of the ${t.cpuCores} configured core(s) in use.`,
        kind: 'timeseries',
        unit: 'percentunit',
        thresholds: [{ value: t.cpu.value, color: 'red' }],
        queries: [{ expr: `(${cpu}) / ${t.cpuCores}`, legend: per }],
      },
      {
        title: 'Resident memory',
        description: 'Resident set size against the configured memory limit.',
        kind: 'timeseries',
        unit: 'bytes',
        thresholds: [
          { value: t.memoryLimitBytes * t.memory.value, color: 'orange' },
          { value: t.memoryLimitBytes, color: 'red' },
        ],
        queries: [{ expr: memory, legend: per }],
      },
      {
        title: 'Restarts',
        description: 'Process restarts within the last hour.',
        kind: 'stat',
        unit: 'short',
        width: 6,
        thresholds: [{ value: t.restarts.value, color: 'red' }],
        queries: [{ expr: `sum(changes(${PROCESS_METRICS.startTime}{${JI}}[1h]))` }],
      },
      {
        title: 'Open file descriptors',
        description: 'Open file descriptors against the process limit.',
        kind: 'timeseries',
        unit: 'short',
        width: 18,
        queries: [
          { expr: `${PROCESS_METRICS.openFds}{${JI}}`, legend: `${per} open` },
          { expr: `${PROCESS_METRICS.maxFds}{${JI}}`, legend: `${per} limit` },
        ],
      },
      // One row per job with a Node.js runtime, titled by the job.
      { row: 'Node.js: $nodejs_job', repeat: 'nodejs_job' },
      {
        title: 'Heap',
        description: 'V8 heap used and total.',
        kind: 'timeseries',
        unit: 'bytes',
        queries: [
          { expr: `${PROCESS_METRICS.heapSizeUsed}{${NODE}}`, legend: `${per} used` },
          { expr: `${PROCESS_METRICS.heapSizeTotal}{${NODE}}`, legend: `${per} total` },
        ],
      },
      {
        title: 'Event-loop lag',
        description: 'p99 and mean event-loop lag.',
        kind: 'timeseries',
        unit: 's',
        thresholds: [{ value: t.eventLoopLagSeconds.value, color: 'red' }],
        queries: [
          { expr: `${PROCESS_METRICS.eventLoopLagP99}{${NODE}}`, legend: `${per} p99` },
          { expr: `${PROCESS_METRICS.eventLoopLag}{${NODE}}`, legend: `${per} mean` },
        ],
      },
      {
        title: 'GC time',
        description: 'Seconds spent in garbage collection per second, by kind.',
        kind: 'timeseries',
        unit: 'percentunit',
        stacked: true,
        queries: [
          {
            expr: `sum by (instance, kind) (${model.histogram(PROCESS_METRICS.gcDuration).sumRate(NODE, RATE)})`,
            legend: `${per} {{kind}}`,
          },
        ],
      },
      {
        title: 'Active handles',
        description: 'Active libuv handles (sockets, timers, servers).',
        kind: 'timeseries',
        unit: 'short',
        queries: [{ expr: `${PROCESS_METRICS.activeHandles}{${NODE}}`, legend: per }],
      },
    ],
  };
}

function dependencies(model: Model): DashboardSpec {
  const t = model.config.thresholds;
  return {
    key: 'dependencies',
    description:
      'Caches, resource pools and queues, circuit breakers, authentication failures, rate limiting and the telemetry pipeline itself.',
    variables: [],
    items: [
      {
        title: 'Cache hit ratio',
        description: 'Share of cache lookups that hit, per cache.',
        kind: 'timeseries',
        unit: 'percentunit',
        min: 0,
        max: 1,
        lowIsBad: true,
        thresholds: [{ value: t.cacheHitRatio.value, color: 'green' }],
        queries: [
          {
            expr: `sum by (${LABEL.CACHE}) (rate(${METRICS.cacheRequests.name}{${J}, ${LABEL.RESULT}="hit"}${RATE})) / sum by (${LABEL.CACHE}) (rate(${METRICS.cacheRequests.name}{${J}}${RATE}))`,
            legend: `{{${LABEL.CACHE}}}`,
          },
        ],
      },
      {
        title: 'Pool usage',
        description: 'Share of each resource pool in use (database connections, client sockets, workers).',
        kind: 'timeseries',
        unit: 'percentunit',
        min: 0,
        max: 1,
        thresholds: [{ value: t.poolUsage.value, color: 'red' }],
        queries: [
          {
            expr: `max by (${LABEL.POOL}) (${METRICS.poolUsage.name}{${J}})`,
            legend: `{{${LABEL.POOL}}}`,
          },
        ],
      },
      {
        title: 'Queue depth',
        description: 'Items waiting in each application queue.',
        kind: 'timeseries',
        unit: 'none',
        min: 0,
        thresholds: [{ value: t.queueDepth.value, color: 'red' }],
        queries: [
          {
            expr: `sum by (${LABEL.QUEUE}) (${METRICS.queueDepth.name}{${J}})`,
            legend: `{{${LABEL.QUEUE}}}`,
          },
        ],
      },
      {
        title: 'Time since the last good backup',
        description: 'Per backup the application reports: how long ago it last succeeded. Failed runs alert on their own.',
        kind: 'timeseries',
        unit: 's',
        min: 0,
        thresholds: [{ value: t.backupMaxAgeHours * 3600, color: 'red' }],
        queries: [
          {
            expr: `time() - max by (${LABEL.BACKUP}) (${METRICS.backupLastSuccess.name}{${J}})`,
            legend: `{{${LABEL.BACKUP}}}`,
          },
        ],
      },
      {
        title: 'Circuit breakers',
        description: 'Current state of each circuit breaker: 1 marks the state it is in.',
        kind: 'timeseries',
        unit: 'none',
        min: 0,
        max: 1,
        queries: [
          {
            expr: `max by (${LABEL.DEPENDENCY}, ${LABEL.STATE}) (${METRICS.circuitBreakerState.name}{${J}})`,
            legend: `{{${LABEL.DEPENDENCY}}} {{${LABEL.STATE}}}`,
          },
        ],
      },
      {
        title: 'Authentication failures by reason',
        description: 'Requests rejected by authentication or authorization, per second.',
        kind: 'timeseries',
        unit: 'reqps',
        stacked: true,
        thresholds: [{ value: t.authFailures.value, color: 'red' }],
        queries: [
          {
            expr: `sum by (${LABEL.REASON}) (rate(${METRICS.authFailures.name}{${J}}${RATE}))`,
            legend: `{{${LABEL.REASON}}}`,
          },
        ],
      },
      {
        title: 'Security breach indicators',
        description: 'Signs of a breach the application reported, per indicator, in each interval: any one pages.',
        kind: 'timeseries',
        unit: 'none',
        stacked: true,
        thresholds: [{ value: 1, color: 'red' }],
        queries: [
          {
            expr: `sum by (${LABEL.INDICATOR}) (increase(${METRICS.securityIndicators.name}{${J}}${RATE}))`,
            legend: `{{${LABEL.INDICATOR}}}`,
          },
        ],
      },
      {
        title: 'Rate-limited requests',
        description: 'Requests rejected by tenant rate limits, per second.',
        kind: 'timeseries',
        unit: 'reqps',
        stacked: true,
        queries: [
          {
            expr: `sum by (${LABEL.TENANT}) (rate(${METRICS.rateLimited.name}{${J}}${RATE}))`,
            legend: `{{${LABEL.TENANT}}}`,
          },
        ],
      },
      {
        title: 'Telemetry dropped',
        description: 'Spans, log records and metric updates mcp-observatory could not deliver, per second.',
        kind: 'timeseries',
        unit: 'ops',
        queries: [
          {
            expr: `sum by (${LABEL.SIGNAL}, ${LABEL.REASON}) (rate(${METRICS.telemetryDropped.name}{${J}}${RATE}))`,
            legend: `{{${LABEL.SIGNAL}}} {{${LABEL.REASON}}}`,
          },
        ],
      },
      {
        title: 'Transport errors',
        description: 'Messages rejected before any handler (unparseable or invalid), per second.',
        kind: 'timeseries',
        unit: 'ops',
        queries: [
          {
            expr: `sum by (${LABEL.ERROR_TYPE}) (rate(${METRICS.transportErrors.name}{${J}}${RATE}))`,
            legend: `{{${LABEL.ERROR_TYPE}}}`,
          },
        ],
      },
    ],
  };
}

/** Every dashboard of the bundle, in link order. */
export function dashboardSpecs(model: Model): DashboardSpec[] {
  return [overview(model), tools(model), tenants(model), slos(model), runtime(model), dependencies(model)];
}

export type { PanelSpec };
