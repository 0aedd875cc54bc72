import { CLIENT_FAULT_ERROR_TYPES, LABEL, METRICS } from '../contract.js';
import type { Config, LatencyObjective } from '../config/config.js';
import { PROFILE_SETTINGS } from '../config/detection.js';
import type { ProfileSettings } from '../config/detection.js';
import { toolSlug } from './conventions.js';
import { histogramQueries } from './histograms.js';
import type { HistogramQueries } from './histograms.js';

/** One service-level objective, ready for rule generation. */
export interface Slo {
  /** Unique id (`sloth_id`): `<service>-<name>`. */
  id: string;
  /** The `slo` label: `availability`, `latency`, `tool-search-availability` … */
  name: string;
  kind: 'availability' | 'latency';
  /** Objective as a ratio (0.999), without floating-point noise. */
  objective: number;
  /** The error budget, `1 - objective`: derived here once, for every rule and alert that divides by it. */
  errorBudget: number;
  /** Extra matchers of the requests this SLO covers (empty for the whole service). */
  matchers: string;
  /** The tool of a per-tool SLO. */
  tool?: string;
  /** Latency SLOs: the bucket boundary requests must stay under. */
  thresholdSeconds?: number;
  /** Human description for runbooks and summaries. */
  description: string;
}

/** The resolved model every generator reads. */
export interface Model {
  config: Config;
  service: string;
  job: string;
  /** Matcher selecting the service's series: `job="…"`. */
  selector: string;
  slos: Slo[];
  /** Rates and quantiles of the operation-duration histogram, classic or native as configured. */
  requests: HistogramQueries;
  /** The same of the per-tenant duration histogram. */
  tenantRequests: HistogramQueries;
  /** The same of any other histogram (the runtime's). */
  histogram(metric: string): HistogramQueries;
  /** How fast alerts fire: the detection profile's settings, with the configuration's intervals and guard. */
  detection: ProfileSettings & Config['detection'];
}

/** Matchers of server-owned errors: an error type that is not a client fault. */
export const SERVER_FAULT = `${LABEL.ERROR_TYPE}!="", ${LABEL.ERROR_TYPE}!~"${CLIENT_FAULT_ERROR_TYPES.join('|')}"`;

/** The classic request counter: the input series of the generated rule tests. */
export const REQUESTS = `${METRICS.serverOperationDuration.name}_count`;

/** A percentage objective as the ratio and error budget of an SLO, rounded so that 99.9 gives 0.999 and 0.001. */
function objectiveOf(percent: number): Pick<Slo, 'objective' | 'errorBudget'> {
  const objective = Math.round(percent * 1e7) / 1e9;
  return { objective, errorBudget: Math.round((1 - objective) * 1e9) / 1e9 };
}

function latencySlo(
  service: string,
  name: string,
  matchers: string,
  latency: LatencyObjective,
  what: string,
  tool?: string,
): Slo {
  return {
    id: `${service}-${name}`,
    name,
    kind: 'latency',
    ...objectiveOf(latency.objective),
    matchers,
    ...(tool !== undefined && { tool }),
    thresholdSeconds: latency.thresholdSeconds,
    description: `${latency.objective}% of ${what} complete within ${latency.thresholdSeconds} s`,
  };
}

/** Resolve the configuration into the model: selectors, SLOs with their matchers. */
export function buildModel(config: Config): Model {
  const service = config.service.name;
  // The collector's Prometheus exporter names a service's job service.namespace/service.name.
  const job =
    config.service.job ??
    (config.service.source === 'collector' ? `${config.collector.resource.serviceNamespace}/${service}` : service);
  const slos: Slo[] = [
    {
      id: `${service}-availability`,
      name: 'availability',
      kind: 'availability',
      ...objectiveOf(config.slos.availability.objective),
      matchers: '',
      description: `${config.slos.availability.objective}% of requests succeed without a server-owned error`,
    },
    latencySlo(service, 'latency', '', config.slos.latency, 'requests'),
  ];
  for (const tool of Object.keys(config.slos.tools).sort()) {
    const slo = config.slos.tools[tool]!;
    const matchers = `${LABEL.METHOD}="tools/call", ${LABEL.TOOL}="${tool.replace(/["\\]/g, '\\$&')}"`;
    const slug = toolSlug(tool);
    if (slo.availability !== undefined) {
      slos.push({
        id: `${service}-tool-${slug}-availability`,
        name: `tool-${slug}-availability`,
        kind: 'availability',
        ...objectiveOf(slo.availability),
        matchers,
        tool,
        description: `${slo.availability}% of calls of tool ${tool} succeed without a server-owned error`,
      });
    }
    if (slo.latency) {
      slos.push(latencySlo(service, `tool-${slug}-latency`, matchers, slo.latency, `calls of tool ${tool}`, tool));
    }
  }
  const native = config.prometheus.nativeHistograms;
  return {
    config,
    service,
    job,
    selector: `job="${job}"`,
    slos,
    requests: histogramQueries(METRICS.serverOperationDuration.name, native),
    tenantRequests: histogramQueries(METRICS.tenantOperationDuration.name, native),
    histogram: (metric) => histogramQueries(metric, native),
    detection: { ...PROFILE_SETTINGS[config.detection.profile], ...config.detection },
  };
}
