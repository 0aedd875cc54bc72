/**
 * The scale-out profile's files (`profile: scale-out`): the agent and gateway collector configs, the node's
 * Prometheus agent and the central store's side (a central Prometheus, or Mimir's ruler namespace), and a compose
 * stack of that topology. The single-machine files stay as they are beside them.
 */
import type { Model } from '../model.js';
import type { RuleGroup } from '../rules.js';
import { OTELCOL_VERSION, yaml } from '../collector.js';
import { agentCollectorConfig, gatewayCollectorConfig } from './collectors.js';
import { scaleOutCompose } from './compose.js';
import { collectorManifests } from './kubernetes.js';
import { centralPrometheusConfig, metricsTenant, mimirRules, prometheusAgentConfig } from './prometheus.js';

/** Where the scale-out files land, relative to the output directory. */
export const SCALE_OUT_PATHS = {
  agent: 'scale-out/collector/agent.yaml',
  gateway: 'scale-out/collector/gateway.yaml',
  /** The gateway exporting into JSON-lines files: a gateway to run without Tempo and Loki. */
  gatewayFile: 'scale-out/collector/gateway.file.yaml',
  prometheusAgent: 'scale-out/prometheus/agent.yml',
  centralPrometheus: 'scale-out/prometheus/central.yml',
  mimirRules: (tenant: string) => `scale-out/ruler/mimir.${tenant}.yaml`,
  compose: 'scale-out/docker-compose.yaml',
  /** The collector tiers for Kubernetes: the agent DaemonSet, the gateway StatefulSet and headless Service. */
  kubernetes: 'scale-out/kubernetes/collectors.yaml',
} as const;

/** The compose service name of the node's agent collector. */
export const AGENT_SERVICE = 'otelcol-agent';

/** The scale-out files (path → content); none for the single profile. */
export function scaleOutFiles(model: Model, groups: RuleGroup[], stamp: string): Map<string, string> {
  const config = model.config;
  const files = new Map<string, string>();
  if (config.profile !== 'scale-out') return files;
  const run = (what: string) =>
    `# ${stamp}\n# ${what} (otelcol-mcp, or the otel/opentelemetry-collector-contrib:${OTELCOL_VERSION} image)\n`;
  files.set(
    SCALE_OUT_PATHS.agent,
    `${run('The agent collector, one per node: span metrics, then traces by trace id and logs by service to the gateways')}${yaml(agentCollectorConfig(config))}`,
  );
  files.set(
    SCALE_OUT_PATHS.gateway,
    `${run('A gateway collector (a stateful set): tail sampling, redaction, Tempo and Loki per tenant')}${yaml(gatewayCollectorConfig(config))}`,
  );
  files.set(
    SCALE_OUT_PATHS.gatewayFile,
    `${run('A gateway collector exporting into JSON lines under ./otelcol-out')}${yaml(gatewayCollectorConfig(config, { exporters: 'file' }))}`,
  );
  files.set(
    SCALE_OUT_PATHS.prometheusAgent,
    `# ${stamp}\n# prometheus --agent: scrapes the node, remote-writes to the ${config.scaleOut.store} store\n${yaml(prometheusAgentConfig(model, AGENT_SERVICE))}`,
  );
  if (config.scaleOut.store === 'prometheus') {
    files.set(
      SCALE_OUT_PATHS.centralPrometheus,
      `# ${stamp}\n# prometheus --web.enable-remote-write-receiver: the rules, evaluated on what the agents write\n${yaml(centralPrometheusConfig(model, CENTRAL_RULES))}`,
    );
  }
  if (config.scaleOut.store === 'mimir') {
    const tenant = metricsTenant(config)!;
    files.set(
      SCALE_OUT_PATHS.mimirRules(tenant),
      `# ${stamp}\n# mimirtool rules load --id=${tenant} ${SCALE_OUT_PATHS.mimirRules(tenant)}\n${yaml(mimirRules(groups))}`,
    );
  }
  files.set(SCALE_OUT_PATHS.compose, `# ${stamp}\n${yaml(scaleOutCompose(model, CENTRAL_RULES))}`);
  files.set(
    SCALE_OUT_PATHS.kubernetes,
    `# ${stamp}\n# kubectl apply -f ${SCALE_OUT_PATHS.kubernetes}\n` +
      collectorManifests(model)
        .map((manifest) => yaml(manifest))
        .join('---\n'),
  );
  return files;
}

/** Where the central Prometheus of the compose stack finds the bundle's rules. */
const CENTRAL_RULES = '/etc/prometheus/rules/mcp-observatory.rules.yaml';
