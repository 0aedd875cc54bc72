/**
 * The collector tiers as Kubernetes manifests (`kubectl apply -f scale-out/kubernetes/collectors.yaml`): the agent a
 * DaemonSet (one per node, OTLP on the node's ports), the gateways a StatefulSet behind a headless Service, which the
 * agents' `load_balancing` exporter resolves by DNS, so a gateway that is rescheduled is found again. The configs are
 * the same tiers the compose stack runs; only how agents find gateways differs.
 */
import { stringify } from 'yaml';
import { COLLECTOR_PORTS, OTELCOL_VERSION } from '../collector.js';
import type { CollectorConfig } from '../collector.js';
import type { Model } from '../model.js';
import { agentCollectorConfig, gatewayCollectorConfig } from './collectors.js';

/** The gateways' headless Service, and the StatefulSet it governs. */
export const GATEWAY_SERVICE = 'otelcol-gateway';
export const AGENT_DAEMONSET = 'otelcol-agent';

type Manifest = Record<string, unknown>;

const labels = (name: string) => ({ 'app.kubernetes.io/name': name, 'app.kubernetes.io/part-of': 'mcp-observatory' });
const configMap = (name: string, collector: CollectorConfig): Manifest => ({
  apiVersion: 'v1',
  kind: 'ConfigMap',
  metadata: { name, labels: labels(name) },
  data: { 'config.yaml': stringify(collector, { lineWidth: 0, aliasDuplicateObjects: false }) },
});

/** The collector container: the contrib image of the pinned release, its config from the ConfigMap of `name`. */
function podSpec(name: string, memoryLimitMiB: number, hostPorts: boolean): Manifest {
  const port = (portName: string, containerPort: number, onHost = false) => ({
    name: portName,
    containerPort,
    ...(onHost && hostPorts && { hostPort: containerPort }),
  });
  const health = { httpGet: { path: '/', port: COLLECTOR_PORTS.healthCheck } };
  return {
    containers: [
      {
        name: 'otelcol',
        image: `otel/opentelemetry-collector-contrib:${OTELCOL_VERSION}`,
        args: ['--config=/etc/otelcol/config.yaml'],
        ports: [
          port('otlp-grpc', COLLECTOR_PORTS.otlpGrpc, true),
          port('otlp-http', COLLECTOR_PORTS.otlpHttp, true),
          port('metrics', COLLECTOR_PORTS.selfMetrics),
          ...(hostPorts ? [port('spanmetrics', COLLECTOR_PORTS.prometheus)] : []),
          port('health', COLLECTOR_PORTS.healthCheck),
        ],
        // memory_limiter refuses data at collector.memoryLimitMiB: the container's limit leaves it a fifth above.
        resources: {
          requests: { cpu: '200m', memory: `${Math.ceil(memoryLimitMiB / 2)}Mi` },
          limits: { memory: `${Math.ceil(memoryLimitMiB * 1.25)}Mi` },
        },
        livenessProbe: health,
        readinessProbe: health,
        volumeMounts: [{ name: 'config', mountPath: '/etc/otelcol', readOnly: true }],
      },
    ],
    volumes: [{ name: 'config', configMap: { name } }],
  };
}

/** The manifests, in apply order. */
export function collectorManifests(model: Model): Manifest[] {
  const config = model.config;
  const memory = config.collector.memoryLimitMiB;
  const selector = (name: string) => ({ matchLabels: { 'app.kubernetes.io/name': name } });
  const agent = agentCollectorConfig(config, {
    gatewayResolver: { dns: { hostname: GATEWAY_SERVICE, port: String(COLLECTOR_PORTS.otlpGrpc) } },
  });
  return [
    configMap(AGENT_DAEMONSET, agent),
    {
      apiVersion: 'apps/v1',
      kind: 'DaemonSet',
      metadata: { name: AGENT_DAEMONSET, labels: labels(AGENT_DAEMONSET) },
      spec: {
        selector: selector(AGENT_DAEMONSET),
        template: { metadata: { labels: labels(AGENT_DAEMONSET) }, spec: podSpec(AGENT_DAEMONSET, memory, true) },
      },
    },
    configMap(GATEWAY_SERVICE, gatewayCollectorConfig(config)),
    {
      apiVersion: 'v1',
      kind: 'Service',
      metadata: { name: GATEWAY_SERVICE, labels: labels(GATEWAY_SERVICE) },
      // Headless: DNS answers with every ready gateway's address, which is what the agents balance over.
      spec: {
        clusterIP: 'None',
        selector: { 'app.kubernetes.io/name': GATEWAY_SERVICE },
        ports: [{ name: 'otlp-grpc', port: COLLECTOR_PORTS.otlpGrpc, targetPort: 'otlp-grpc' }],
      },
    },
    {
      apiVersion: 'apps/v1',
      kind: 'StatefulSet',
      metadata: { name: GATEWAY_SERVICE, labels: labels(GATEWAY_SERVICE) },
      spec: {
        serviceName: GATEWAY_SERVICE,
        replicas: config.scaleOut.gateways.length,
        // Gateways hold no volume: start and stop them together rather than one by one.
        podManagementPolicy: 'Parallel',
        selector: selector(GATEWAY_SERVICE),
        template: { metadata: { labels: labels(GATEWAY_SERVICE) }, spec: podSpec(GATEWAY_SERVICE, memory, false) },
      },
    },
  ];
}
