import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';
import type { RegistryContentType } from 'prom-client';
import { METRICS } from './contract.js';
import type { MetricDefinition } from './contract.js';

type CatalogKey = keyof typeof METRICS;

/** The prom-client instrument behind each catalog entry. */
export type McpMetrics = {
  [K in CatalogKey]: (typeof METRICS)[K]['type'] extends 'histogram'
    ? Histogram<string>
    : (typeof METRICS)[K]['type'] extends 'counter'
      ? Counter<string>
      : Gauge<string>;
};

/**
 * The registry instruments record into unless told otherwise. It speaks OpenMetrics, the only format prom-client
 * writes exemplars in; `metricsHandler()` serves it as Prometheus text too.
 */
export const defaultRegistry = newRegistry('openmetrics');

/** A prom-client registry of either content type. */
export type AnyRegistry = Registry<RegistryContentType>;

/** A new registry; prom-client's typings omit the constructor's content-type argument. */
export function newRegistry(format: 'openmetrics' | 'prometheus' = 'openmetrics'): AnyRegistry {
  const RegistryOf = Registry as unknown as new (contentType: RegistryContentType) => AnyRegistry;
  return new RegistryOf(
    format === 'openmetrics' ? Registry.OPENMETRICS_CONTENT_TYPE : Registry.PROMETHEUS_CONTENT_TYPE,
  );
}

/** Trace ids attached to one observation, rendered as an OpenMetrics exemplar. */
export type Exemplar = { trace_id: string; span_id: string } | undefined;

/** Observe a duration; the exemplar is dropped when the histogram's registry cannot render it. */
export type Observe = (labels: Record<string, string>, value: number, exemplar?: Exemplar) => void;

const NO_EXEMPLAR = {};

/** Bind the observe variant once per histogram, so the hot path never checks whether exemplars are on. */
export function observer(histogram: Histogram<string>): Observe {
  if (!(histogram as unknown as { enableExemplars: boolean }).enableExemplars) {
    return (labels, value) => histogram.observe(labels, value);
  }
  return (labels, value, exemplar) =>
    histogram.observe({ labels, value, exemplarLabels: exemplar ?? NO_EXEMPLAR } as never);
}

function create(definition: MetricDefinition, registry: AnyRegistry, exemplars: boolean) {
  const common = {
    name: definition.name,
    help: definition.help,
    labelNames: [...definition.labels],
    registers: [registry as Registry],
  };
  switch (definition.type) {
    case 'counter':
      return new Counter(common);
    case 'gauge':
      return new Gauge(common);
    case 'histogram':
      return new Histogram({ ...common, buckets: [...(definition.buckets ?? [])], enableExemplars: exemplars });
  }
}

const byRegistry = new WeakMap<AnyRegistry, McpMetrics>();

/**
 * The catalog's metrics in `registry`, created once per registry so that every server instrumented into it (one per
 * request in stateless HTTP) shares one set of series. Histograms carry exemplars when the registry is OpenMetrics.
 */
export function metricsFor(registry: AnyRegistry = defaultRegistry, processMetrics = true): McpMetrics {
  let metrics = byRegistry.get(registry);
  if (metrics) return metrics;
  metrics = {} as McpMetrics;
  for (const [key, definition] of Object.entries(METRICS) as [CatalogKey, MetricDefinition][]) {
    const existing = registry.getSingleMetric(definition.name);
    // A registry may already hold the metric when a test or an app reset our cache but not the registry.
    const exemplars = registry.contentType === Registry.OPENMETRICS_CONTENT_TYPE;
    (metrics as Record<string, unknown>)[key] = existing ?? create(definition, registry, exemplars);
  }
  if (processMetrics && !registry.getSingleMetric('process_cpu_seconds_total')) {
    collectDefaultMetrics({ register: registry as Registry });
  }
  byRegistry.set(registry, metrics);
  return metrics;
}
