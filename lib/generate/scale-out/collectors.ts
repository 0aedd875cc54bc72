/**
 * The two collector tiers of the scale-out profile, cut from the single collector's config so that processors, span
 * metrics and exports keep one definition:
 *
 *   app ─ OTLP ─► agent (one per node): memory_limiter, resource
 *                   ├─ span_metrics (every span, before any sampling) ─► prometheus exporter ◄─ Prometheus agent
 *                   ├─ traces: batch ─ load_balancing, routing_key traceID ─┐  every span of a trace to one gateway
 *                   └─ logs:   batch ─ load_balancing, routing_key service ─┤
 *                                                                           ▼
 *   gateway (a stateful set): memory_limiter, resource, transforms, redaction, tail_sampling ─ Tempo, Loki (per tenant)
 *
 * Tenancy is the standard `X-Scope-OrgID` header: routed tenants by their `tenant.id` attribute, as in the single
 * collector; an app that sends the header itself keeps it on its logs (the receivers keep request metadata, the batch
 * processors batch by it, `headers_setter` writes it on the way out). Tail sampling regroups spans by trace, so a
 * trace's request metadata does not survive it: the traces of unrouted tenants go out with the default tenant.
 */
import type { Config } from '../../config/config.js';
import { TENANT_HEADER, collectorConfig } from '../collector.js';
import type { CollectorConfig, CollectorOptions } from '../collector.js';

/** The tiers' options: the single collector's (an agent ignores `exporters`: it keeps nothing, and is scraped). */
export interface TierOptions extends CollectorOptions {
  /**
   * How agents find the gateways: the `host:port` list of `scaleOut.gateways` (static), or the DNS name of a headless
   * service whose addresses are the gateways (Kubernetes), re-resolved as gateways come and go.
   * @default { static: config.scaleOut.gateways }
   */
  gatewayResolver?: { dns: { hostname: string; port: string } };
}

interface Pipeline {
  receivers: string[];
  processors?: string[];
  exporters: string[];
}

const pick = <T>(record: Record<string, T>, keep: (key: string) => boolean): Record<string, T> =>
  Object.fromEntries(Object.entries(record).filter(([key]) => keep(key)));

/** The OTLP receiver of `single`, keeping each request's headers as metadata (the tenant header among them). */
function receiversKeepingMetadata(single: CollectorConfig): Record<string, unknown> {
  const otlp = single['receivers']!['otlp'] as { protocols: Record<string, Record<string, unknown>> };
  const protocols = Object.fromEntries(
    Object.entries(otlp.protocols).map(([name, settings]) => [name, { ...settings, include_metadata: true }]),
  );
  return { otlp: { protocols } };
}

/**
 * Batches by tenant header, so a batch never mixes two tenants' telemetry and the header reaches the exporter. The
 * header is sent by apps: the number of distinct values held at once is bounded.
 */
const BATCH_BY_TENANT = {
  batch: { metadata_keys: [TENANT_HEADER], metadata_cardinality_limit: 100 },
};

/** An exporter queue that batches by tenant header: a merged batch otherwise loses the requests' metadata. */
function byTenant(queue: unknown): Record<string, unknown> {
  const settings = (queue ?? {}) as { batch?: Record<string, unknown> };
  return { ...settings, batch: { ...settings.batch, partition: { metadata_keys: [TENANT_HEADER] } } };
}

/** Writes the tenant header a request came with, or the default tenant, on an export. */
function headersSetter(config: Config): Record<string, unknown> {
  const defaultTenant = config.collector.routing.defaultTenant;
  return {
    headers_setter: {
      headers: [
        {
          action: 'upsert',
          key: TENANT_HEADER,
          from_context: TENANT_HEADER,
          ...(defaultTenant !== undefined && { default_value: defaultTenant }),
        },
      ],
    },
  };
}

/** `load_balancing` to the gateways: the same key always reaches the same gateway while the list stays the same. */
function loadBalancing(
  config: Config,
  routingKey: 'traceID' | 'service',
  resolver: TierOptions['gatewayResolver'],
): Record<string, unknown> {
  return {
    routing_key: routingKey,
    protocol: {
      otlp: {
        tls: { insecure: true },
        timeout: '5s',
        auth: { authenticator: 'headers_setter' },
      },
    },
    // A gateway that restarts (a rolling update) gets what was meant for it once it is back, within the queue.
    sending_queue: { enabled: true, queue_size: 10000 },
    retry_on_failure: { enabled: true, initial_interval: '1s', max_interval: '5s', max_elapsed_time: '5m' },
    resolver: resolver ?? { static: { hostnames: config.scaleOut.gateways } },
  };
}

/** The single collector's pipelines that run on the agents: those that see every span, and the metrics they make. */
const AGENT_PIPELINES = ['traces/spanmetrics', 'traces/mcp_operations', 'metrics'];

/**
 * The agent collector: receives the apps' OTLP, computes span metrics from every span (a Prometheus agent scrapes
 * them from its prometheus exporter, so each series has one writer), and sends traces by trace id and logs by service
 * to the gateways. It keeps nothing itself.
 */
export function agentCollectorConfig(config: Config, options: TierOptions = {}): CollectorConfig {
  const single = collectorConfig(config, { ...options, exporters: 'backends' });
  const service = single['service'] as { pipelines: Record<string, Pipeline> } & Record<string, unknown>;
  const kept = pick(service.pipelines, (name) => AGENT_PIPELINES.includes(name));
  const used = new Set(Object.values(kept).flatMap((pipeline) => pipeline.processors ?? []));
  const forward = (exporter: string): Pipeline => ({
    receivers: ['otlp'],
    processors: ['memory_limiter', 'resource', 'batch'],
    exporters: [exporter],
  });
  return {
    extensions: { ...single['extensions'], ...headersSetter(config) },
    receivers: receiversKeepingMetadata(single),
    processors: { ...pick(single['processors']!, (name) => used.has(name)), ...BATCH_BY_TENANT },
    connectors: pick(single['connectors']!, (name) => name.startsWith('span_metrics')),
    exporters: {
      prometheus: single['exporters']!['prometheus'],
      'load_balancing/traces': loadBalancing(config, 'traceID', options.gatewayResolver),
      'load_balancing/logs': loadBalancing(config, 'service', options.gatewayResolver),
    },
    service: {
      ...service,
      extensions: [...(service['extensions'] as string[]), 'headers_setter'],
      pipelines: {
        ...kept,
        traces: forward('load_balancing/traces'),
        logs: forward('load_balancing/logs'),
      },
    },
  };
}

/**
 * The gateway collector: the single collector's traces and logs pipelines (tool-content removal, credential masking,
 * tail sampling, per-tenant export) without span metrics, which the agents computed before any sampling.
 */
export function gatewayCollectorConfig(config: Config, options: TierOptions = {}): CollectorConfig {
  const single = collectorConfig(config, options);
  const toFile = options.exporters === 'file';
  const service = single['service'] as { pipelines: Record<string, Pipeline> } & Record<string, unknown>;
  const pipelines = pick(service.pipelines, (name) => !AGENT_PIPELINES.includes(name));
  // Logs keep the request's tenant header up to the export: batched by it after the content steps.
  const logs = pipelines['logs']!;
  pipelines['logs'] = { ...logs, processors: [...(logs.processors ?? []), 'batch'] };
  const used = new Set(Object.values(pipelines).flatMap((pipeline) => pipeline.processors ?? []));
  const exporters = pick(single['exporters']!, (name) => name !== 'prometheus' && name !== 'file/metrics');
  if (!toFile) {
    // The exports of unrouted telemetry carry the tenant the app sent, else the default tenant.
    for (const name of ['otlp_grpc/tempo', 'otlp_http/loki']) {
      const { headers: _static, sending_queue: queue, ...settings } = exporters[name] as Record<string, unknown>;
      exporters[name] = { ...settings, auth: { authenticator: 'headers_setter' }, sending_queue: byTenant(queue) };
    }
  }
  return {
    extensions: { ...single['extensions'], ...(!toFile && headersSetter(config)) },
    receivers: receiversKeepingMetadata(single),
    processors: { ...pick(single['processors']!, (name) => used.has(name)), ...BATCH_BY_TENANT },
    connectors: pick(single['connectors']!, (name) => name.startsWith('routing/')),
    exporters,
    service: {
      ...service,
      extensions: [...(service['extensions'] as string[]), ...(toFile ? [] : ['headers_setter'])],
      pipelines,
    },
  };
}
