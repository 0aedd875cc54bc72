/**
 * Metrics in the scale-out profile: a Prometheus in agent mode on each node scrapes what the single Prometheus scrapes
 * (the MCP servers, the agent collector's own metrics and span metrics) and remote-writes it to a central store,
 * where a ruler evaluates the bundle's recording and alert rules and sends alerts to every Alertmanager peer.
 *
 * The fleet's series go to one tenant of the store, `collector.routing.defaultTenant` (Mimir's `anonymous` without
 * one): an MCP server serves many tenants, and its `up`, process and saturation series belong to none of them, so
 * the rules of every tenant are evaluated where all of them are.
 */
import type { Config } from '../../config/config.js';
import { TENANT_HEADER } from '../collector.js';
import { histogramScrapeSettings } from '../histograms.js';
import type { Model } from '../model.js';
import type { RuleGroup } from '../rules.js';
import { scrapeJobs } from '../compose.js';

/** Where each store receives remote writes, and how it is told the tenant. */
export const METRICS_STORES = {
  prometheus: { url: 'http://prometheus:9090/api/v1/write' },
  mimir: { url: 'http://mimir:8080/api/v1/push', tenantHeader: TENANT_HEADER },
  thanos: { url: 'http://thanos-receive:19291/api/v1/receive', tenantHeader: 'THANOS-TENANT' },
  // VictoriaMetrics cluster names the tenant in the path, as a number: account 0 unless the URL says otherwise.
  victoriametrics: { url: 'http://vminsert:8480/insert/0/prometheus/api/v1/write' },
} as const satisfies Record<Config['scaleOut']['store'], { url: string; tenantHeader?: string }>;

/** Mimir's tenant when the configuration names none (its default with multi-tenancy off). */
const MIMIR_DEFAULT_TENANT = 'anonymous';

/** The tenant the fleet's series are written as, for stores that take one. */
export function metricsTenant(config: Config): string | undefined {
  return (
    config.collector.routing.defaultTenant ?? (config.scaleOut.store === 'mimir' ? MIMIR_DEFAULT_TENANT : undefined)
  );
}

/** The `remote_write` entry of the configured store. */
export function remoteWrite(config: Config): Record<string, unknown> {
  const store = METRICS_STORES[config.scaleOut.store];
  const tenant = metricsTenant(config);
  const header = 'tenantHeader' in store ? store.tenantHeader : undefined;
  return {
    name: config.scaleOut.store,
    url: config.scaleOut.remoteWriteUrl ?? store.url,
    ...(header !== undefined && tenant !== undefined && { headers: { [header]: tenant } }),
    // Native histograms travel only when asked for (remote write 1.0 carries them since Prometheus 2.40).
    ...(config.prometheus.nativeHistograms && { send_native_histograms: true }),
  };
}

/**
 * The node's Prometheus, run with `--agent`: it scrapes, keeps a write-ahead log while the store is away, and
 * evaluates nothing. `agentCollector` is the host of the node's agent collector.
 */
export function prometheusAgentConfig(model: Model, agentCollector: string): Record<string, unknown> {
  return {
    global: { scrape_interval: model.detection.scrapeInterval, ...histogramScrapeSettings(model.config.prometheus.nativeHistograms) },
    scrape_configs: scrapeJobs(model.job, agentCollector),
    remote_write: [remoteWrite(model.config)],
  };
}

/**
 * The central Prometheus when the store is a plain Prometheus (`--web.enable-remote-write-receiver`): the bundle's
 * rules, evaluated on what the agents write, and every Alertmanager peer (each alert to all; the peers deduplicate).
 */
export function centralPrometheusConfig(model: Model, rulesPath: string): Record<string, unknown> {
  return {
    global: { evaluation_interval: model.detection.evaluationInterval },
    rule_files: [rulesPath],
    alerting: { alertmanagers: [{ static_configs: [{ targets: model.config.scaleOut.alertmanagers }] }] },
    scrape_configs: [{ job_name: 'prometheus', static_configs: [{ targets: ['127.0.0.1:9090'] }] }],
  };
}

/**
 * The rules as Mimir's ruler takes them (`mimirtool rules load`): the bundle's groups in one namespace, loaded into
 * the tenant the fleet's series are written as. Thanos Ruler, vmalert and Prometheus read the bundle's rules file.
 */
export function mimirRules(groups: RuleGroup[]): Record<string, unknown> {
  return { namespace: 'mcp-observatory', groups };
}
