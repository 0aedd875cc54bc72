/**
 * The scale-out topology as a compose stack (`docker compose -f scale-out/docker-compose.yaml up`): the reference MCP
 * server sends OTLP to its node's agent collector, the agent to the gateways, a Prometheus agent remote-writes to
 * the central store, whose ruler pages through Alertmanager peers in a cluster. Grafana, Tempo, Loki and the MCP
 * server are the single-machine stack's services, their files read from compose/.
 */
import { COLLECTOR_PATHS, COLLECTOR_PORTS, OTELCOL_VERSION } from '../collector.js';
import { IMAGES, stackServices } from '../compose.js';
import type { Model } from '../model.js';
import { PATHS } from '../paths.js';

/** Alertmanager's gossip port: the peers of the cluster find each other there. */
const CLUSTER_PORT = 9094;

type Service = Record<string, unknown>;

/** A single-stack service as seen from scale-out/: its relative mounts point into compose/. */
function fromComposeDir(service: Service): Service {
  const volumes = (service['volumes'] as string[] | undefined)?.map((volume) =>
    volume.startsWith('./') ? `../compose/${volume.slice(2)}` : volume,
  );
  return { ...service, ...(volumes && { volumes }) };
}

/** The compose file's object for `model`; `rulesPath` is where the central Prometheus reads the rules. */
export function scaleOutCompose(model: Model, rulesPath: string): Record<string, unknown> {
  const settings = model.config.scaleOut;
  const single = stackServices(model, { version: OTELCOL_VERSION, configPath: COLLECTOR_PATHS.config });
  const collector = single['collector']!;
  const agentEndpoint = `http://otelcol-agent:${COLLECTOR_PORTS.otlpHttp}`;
  const mcpServer = single['mcp-server']!;
  // The servers send their OTLP to the node's agent instead of the single collector.
  const toAgent = (service: Service, dependsOn: Record<string, unknown> = {}): Service => ({
    ...service,
    environment: { ...(service['environment'] as object), OTEL_EXPORTER_OTLP_ENDPOINT: agentEndpoint },
    depends_on: { ...dependsOn, 'otelcol-agent': { condition: 'service_started' } },
  });
  const collectorTier = (config: string, dependsOn: Record<string, unknown>): Service => ({
    ...collector,
    volumes: [`./collector/${config}:/etc/otelcol/config.yaml:ro`],
    ports: undefined,
    depends_on: dependsOn,
  });
  const started = (names: string[]) =>
    Object.fromEntries(names.map((name) => [name, { condition: 'service_started' }]));
  const gatewayNames = settings.gateways.map((gateway) => gateway.split(':')[0]!);
  const alertmanagerNames = settings.alertmanagers.map((peer) => peer.split(':')[0]!);
  const central = model.config.scaleOut.store === 'prometheus';

  const services: Record<string, Service | undefined> = {
    'mcp-server': toAgent(mcpServer),
    'python-mcp': single['python-mcp'],
    'python-sidecar': toAgent(single['python-sidecar']!, { 'python-mcp': { condition: 'service_healthy' } }),
    'otelcol-agent': collectorTier('agent.yaml', started(gatewayNames)),
    ...Object.fromEntries(
      gatewayNames.map((name) => [name, collectorTier('gateway.yaml', started(['tempo', 'loki']))]),
    ),
    'prometheus-agent': {
      image: IMAGES.prometheus,
      command: ['--agent', '--config.file=/etc/prometheus/prometheus.yml', '--storage.agent.path=/prometheus'],
      volumes: ['./prometheus/agent.yml:/etc/prometheus/prometheus.yml:ro', 'prometheus-agent-data:/prometheus'],
      restart: 'unless-stopped',
      ...(central && { depends_on: started(['prometheus']) }),
    },
    // The central store, when it is a plain Prometheus; any other store is the user's own, at its configured URL.
    prometheus: central
      ? {
          ...fromComposeDir(single['prometheus']!),
          command: [
            '--config.file=/etc/prometheus/prometheus.yml',
            '--storage.tsdb.path=/prometheus',
            '--storage.tsdb.retention.time=30d',
            '--web.enable-remote-write-receiver',
            '--web.enable-lifecycle',
          ],
          volumes: [
            './prometheus/central.yml:/etc/prometheus/prometheus.yml:ro',
            `../${PATHS.rules}:${rulesPath}:ro`,
            'prometheus-data:/prometheus',
          ],
        }
      : undefined,
    ...Object.fromEntries(
      alertmanagerNames.map((name) => {
        const alertmanager = single['alertmanager']!;
        const peers = alertmanagerNames.filter((other) => other !== name);
        return [
          name,
          {
            ...fromComposeDir(alertmanager),
            command: [
              ...(alertmanager['command'] as string[]),
              `--cluster.listen-address=0.0.0.0:${CLUSTER_PORT}`,
              ...peers.map((peer) => `--cluster.peer=${peer}:${CLUSTER_PORT}`),
            ],
            volumes: [`../${PATHS.alertmanager}:/etc/alertmanager/alertmanager.yaml:ro`, `${name}-data:/alertmanager`],
            ports: undefined,
          },
        ];
      }),
    ),
    grafana: fromComposeDir(single['grafana']!),
    tempo: fromComposeDir(single['tempo']!),
    loki: fromComposeDir(single['loki']!),
  };
  const defined = Object.fromEntries(
    Object.entries(services)
      .filter((entry): entry is [string, Service] => entry[1] !== undefined)
      .map(([name, service]) => [
        name,
        Object.fromEntries(Object.entries(service).filter(([, value]) => value !== undefined)),
      ]),
  );
  const volumes = [
    'prometheus-agent-data',
    ...(central ? ['prometheus-data'] : []),
    ...alertmanagerNames.map((name) => `${name}-data`),
    'grafana-data',
    'tempo-data',
    'loki-data',
  ];
  return {
    name: 'mcp-observatory-scale-out',
    services: defined,
    volumes: Object.fromEntries(volumes.map((volume) => [volume, {}])),
    secrets: { grafana_admin_password: { file: '../compose/grafana/admin-password.txt' } },
  };
}
