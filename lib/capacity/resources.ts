/**
 * What `capacity` forecasts per service: each resource's PromQL over one step of the history, and the configured limit
 * it must stay under — the same numbers the saturation and latency alerts fire at. Names come from the contract.
 */
import { LABEL, METRICS, PROCESS_METRICS } from '../contract.js';
import type { Model } from '../generate/model.js';

export type Unit = 'reqps' | 'seconds' | 'cores' | 'bytes' | 'count';

export interface Resource {
  key: 'traffic' | 'latencyP95' | 'cpu' | 'memory' | 'inFlight' | 'sessions';
  /** As a person names it. */
  what: string;
  unit: Unit;
  /** One value per `job` over the range `range` (`[1h]`) of the series `sel` selects. */
  expr(model: Model, sel: string, range: string): string;
  /** The value it must stay under, from the configuration; none for traffic, which has no limit of its own. */
  limit?(model: Model): number;
  /** Where the limit comes from, for the reader. */
  limitSource?: string;
}

/** The peak of a per-instance gauge over each step, on the busiest instance of each job (sampled every minute). */
const busiestInstance = (gauge: string) => (_model: Model, sel: string, range: string) =>
  `max by (job) (max_over_time(sum by (job, instance) (${gauge}{${sel}})${range.replace(']', ':1m]')}))`;

export const RESOURCES: readonly Resource[] = [
  {
    key: 'traffic',
    what: 'requests per second',
    unit: 'reqps',
    expr: (model, sel, range) => `sum by (job) (${model.requests.rate(sel, range)})`,
  },
  {
    key: 'latencyP95',
    what: 'p95 latency',
    unit: 'seconds',
    expr: (model, sel, range) => model.requests.quantile(0.95, ['job'], sel, range),
    limit: (model) => model.config.thresholds.latencyP95.value,
    limitSource: 'thresholds.latencyP95',
  },
  {
    // The busiest instance: a limit is per process.
    key: 'cpu',
    what: 'CPU of the busiest instance',
    unit: 'cores',
    expr: (_model, sel, range) => `max by (job) (rate(${PROCESS_METRICS.cpuSeconds}{${sel}}${range}))`,
    limit: (model) => model.config.thresholds.cpuCores * model.config.thresholds.cpu.value,
    limitSource: 'thresholds.cpuCores x thresholds.cpu',
  },
  {
    key: 'memory',
    what: 'memory of the largest instance',
    unit: 'bytes',
    expr: (_model, sel, range) => `max by (job) (max_over_time(${PROCESS_METRICS.residentMemory}{${sel}}${range}))`,
    limit: (model) => model.config.thresholds.memoryLimitBytes * model.config.thresholds.memory.value,
    limitSource: 'thresholds.memoryLimitBytes x thresholds.memory',
  },
  {
    key: 'inFlight',
    what: 'requests in flight, busiest instance',
    unit: 'count',
    expr: busiestInstance(METRICS.operationsInFlight.name),
    limit: (model) => model.config.thresholds.maxInFlight * model.config.thresholds.saturation.value,
    limitSource: 'thresholds.maxInFlight x thresholds.saturation',
  },
  {
    key: 'sessions',
    what: 'sessions, busiest instance',
    unit: 'count',
    expr: busiestInstance(METRICS.sessionsActive.name),
    limit: (model) => model.config.thresholds.maxSessions * model.config.thresholds.saturation.value,
    limitSource: 'thresholds.maxSessions x thresholds.saturation',
  },
];

/** Requests per second of each tenant (the library's bounded tenant label). */
export function tenantTrafficExpr(sel: string, range: string): string {
  return `sum by (job, ${LABEL.TENANT}) (rate(${METRICS.tenantOperations.name}{${sel}}${range}))`;
}
