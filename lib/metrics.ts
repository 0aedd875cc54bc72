import { Registry, collectDefaultMetrics } from 'prom-client';
import type { RegistryContentType } from 'prom-client';
import { METRICS } from './contract.js';
import type { MetricDefinition } from './contract.js';
import { CounterFamily, GaugeFamily, HistogramFamily } from './series.js';

type CatalogKey = keyof typeof METRICS;

/** The family behind each catalog entry. */
export type McpMetrics = {
  [K in CatalogKey]: (typeof METRICS)[K]['type'] extends 'histogram'
    ? HistogramFamily
    : (typeof METRICS)[K]['type'] extends 'counter'
      ? CounterFamily
      : GaugeFamily;
};

/** A prom-client registry of either content type. */
export type AnyRegistry = Registry<RegistryContentType>;

/** A new registry; prom-client's typings omit the constructor's content-type argument. */
export function newRegistry(format: 'openmetrics' | 'prometheus' = 'openmetrics'): AnyRegistry {
  const RegistryOf = Registry as unknown as new (contentType: RegistryContentType) => AnyRegistry;
  return new RegistryOf(
    format === 'openmetrics' ? Registry.OPENMETRICS_CONTENT_TYPE : Registry.PROMETHEUS_CONTENT_TYPE,
  );
}

/** The registry instruments record into unless told otherwise; `metricsHandler()` serves it in either format. */
export const defaultRegistry = newRegistry('openmetrics');

function create(definition: MetricDefinition) {
  switch (definition.type) {
    case 'counter':
      return new CounterFamily(definition);
    case 'gauge':
      return new GaugeFamily(definition);
    case 'histogram':
      return new HistogramFamily(definition);
  }
}

const byRegistry = new WeakMap<AnyRegistry, McpMetrics>();

/**
 * The catalog's metrics in `registry`, created once per registry so that every server instrumented into it (one per
 * request in stateless HTTP) shares one set of series.
 */
export function metricsFor(registry: AnyRegistry = defaultRegistry, processMetrics = true): McpMetrics {
  let metrics = byRegistry.get(registry);
  if (!metrics) {
    metrics = {} as McpMetrics;
    for (const [key, definition] of Object.entries(METRICS) as [CatalogKey, MetricDefinition][]) {
      const family = create(definition);
      registry.registerMetric(family as never);
      (metrics as Record<string, unknown>)[key] = family;
    }
    byRegistry.set(registry, metrics);
  }
  if (processMetrics && !registry.getSingleMetric('process_cpu_seconds_total')) {
    collectDefaultMetrics({ register: registry as Registry });
  }
  return metrics;
}
