import { stringify } from 'yaml';
import { COLLECTOR_PORTS } from './collector.js';
import { histogramScrapeSettings } from './histograms.js';
import type { Model } from './model.js';

/** Pinned images of the stack: never `latest`, so a clone from a year ago starts the same stack. */
export const IMAGES = {
  node: 'node:22.16.0-bookworm-slim',
  python: 'python:3.12.8-slim-bookworm',
  // The release the end-to-end tests run as Prometheus 3 (scripts/build-prometheus.sh); the rules also run on 2.42.
  prometheus: 'prom/prometheus:v3.16.0',
  alertmanager: 'prom/alertmanager:v0.28.1',
  grafana: 'grafana/grafana:11.6.1',
  tempo: 'grafana/tempo:2.7.2',
  loki: 'grafana/loki:3.4.3',
} as const;

/** Datasource uids provisioned into Grafana: fixed, so exemplar and trace-to-logs links can name them. */
/** The Grafana admin password: a placeholder the first time, the user's own after that (see USER_OWNED_FILES). */
export const GRAFANA_PASSWORD_FILE = 'compose/grafana/admin-password.txt';

export const DATASOURCE_UIDS = { prometheus: 'prometheus', tempo: 'tempo', loki: 'loki' } as const;

/**
 * A port published on the host's loopback only: the stack's UIs and APIs (Grafana, Prometheus, the MCP server's
 * /metrics …) are not for the whole network unless someone decides so.
 */
const published = (host: number, container: number) => `127.0.0.1:${host}:${container}`;

/** Host ports the stack publishes (all distinct, checked by a test). */
export const PORTS = {
  mcp: 3000,
  /** The Python example server behind the sidecar proxy. */
  pythonMcp: 8080,
  grafana: 3001,
  prometheus: 9090,
  alertmanager: 9093,
  tempo: 3200,
  loki: 3100,
  otlpGrpc: COLLECTOR_PORTS.otlpGrpc,
  otlpHttp: COLLECTOR_PORTS.otlpHttp,
  collectorHealth: COLLECTOR_PORTS.healthCheck,
  collectorMetrics: COLLECTOR_PORTS.selfMetrics,
  spanMetrics: COLLECTOR_PORTS.prometheus,
} as const;

/** What the stack needs to know about the collector the bundle configures. */
export interface CollectorDeployment {
  /** Contrib image tag: the same version as the builder manifest. */
  version: string;
  /** The generated collector config, relative to the repository root. */
  configPath: string;
}

/**
 * What Prometheus scrapes in the stack: the MCP servers, and the collector named `collector` (its own metrics, and the
 * span metrics its exporter holds, whose job and instance labels name the services it saw).
 */
export function scrapeJobs(job: string, collector: string): Record<string, unknown>[] {
  return [
    { job_name: job, static_configs: [{ targets: [`mcp-server:${PORTS.mcp}`] }] },
    { job_name: `${job}-python`, static_configs: [{ targets: ['python-sidecar:9464'] }] },
    { job_name: 'otel-collector', static_configs: [{ targets: [`${collector}:${PORTS.collectorMetrics}`] }] },
    {
      job_name: 'otel-collector-spanmetrics',
      honor_labels: true,
      static_configs: [{ targets: [`${collector}:${PORTS.spanMetrics}`] }],
    },
  ];
}

const healthcheck = (test: string[], interval = '10s') => ({
  test,
  interval,
  timeout: '5s',
  retries: 5,
  start_period: '20s',
});
const limits = (cpus: string, memory: string) => ({ resources: { limits: { cpus, memory } } });

/**
 * The docker-compose stack and the configuration files it mounts: the reference MCP server, the collector, Prometheus
 * (rules from alerts/, exemplar storage), Alertmanager (generated routing), Grafana (provisioned datasources with fixed
 * uids and the generated dashboards), Tempo, Loki, a load generator under the `load` profile, and the Python example
 * server behind the sidecar proxy: a server in another language, observed at the protocol level (`<job>-python`).
 */
export function composeFiles(model: Model, stamp: string, collector: CollectorDeployment): Map<string, string> {
  const files = new Map<string, string>();
  const yaml = (value: unknown) => `# ${stamp}\n${stringify(value, { lineWidth: 0 })}`;
  const job = model.job;

  files.set(
    'compose/docker-compose.yaml',
    yaml({
      name: 'mcp-observatory',
      services: stackServices(model, collector),
      volumes: {
        'prometheus-data': {},
        'alertmanager-data': {},
        'grafana-data': {},
        'tempo-data': {},
        'loki-data': {},
      },
      secrets: { grafana_admin_password: { file: './grafana/admin-password.txt' } },
    }),
  );

  files.set(
    'compose/prometheus/prometheus.yml',
    yaml({
      global: {
        scrape_interval: model.detection.scrapeInterval,
        evaluation_interval: model.detection.evaluationInterval,
        ...histogramScrapeSettings(model.config.prometheus.nativeHistograms),
      },
      rule_files: ['/etc/prometheus/rules/mcp-observatory.rules.yaml'],
      alerting: { alertmanagers: [{ static_configs: [{ targets: ['alertmanager:9093'] }] }] },
      scrape_configs: [
        ...scrapeJobs(job, 'collector'),
        { job_name: 'prometheus', static_configs: [{ targets: ['127.0.0.1:9090'] }] },
      ],
    }),
  );

  files.set(
    'compose/grafana/provisioning/datasources/datasources.yaml',
    yaml({
      apiVersion: 1,
      datasources: [
        {
          name: 'Prometheus',
          type: 'prometheus',
          uid: DATASOURCE_UIDS.prometheus,
          url: 'http://prometheus:9090',
          access: 'proxy',
          isDefault: true,
          // A latency exemplar carries trace_id: link it to the trace in Tempo.
          jsonData: { exemplarTraceIdDestinations: [{ name: 'trace_id', datasourceUid: DATASOURCE_UIDS.tempo }] },
        },
        {
          name: 'Tempo',
          type: 'tempo',
          uid: DATASOURCE_UIDS.tempo,
          url: 'http://tempo:3200',
          access: 'proxy',
          jsonData: {
            // From a span to the log lines with the same trace id.
            tracesToLogsV2: {
              datasourceUid: DATASOURCE_UIDS.loki,
              filterByTraceID: true,
              spanStartTimeShift: '-5m',
              spanEndTimeShift: '5m',
            },
            tracesToMetrics: { datasourceUid: DATASOURCE_UIDS.prometheus },
            serviceMap: { datasourceUid: DATASOURCE_UIDS.prometheus },
          },
        },
        {
          name: 'Loki',
          type: 'loki',
          uid: DATASOURCE_UIDS.loki,
          url: 'http://loki:3100',
          access: 'proxy',
          jsonData: {
            derivedFields: [
              {
                name: 'trace_id',
                matcherType: 'label',
                matcherRegex: 'trace_id',
                url: '$${__value.raw}',
                datasourceUid: DATASOURCE_UIDS.tempo,
              },
            ],
          },
        },
      ],
    }),
  );

  files.set(
    'compose/grafana/provisioning/dashboards/dashboards.yaml',
    yaml({
      apiVersion: 1,
      providers: [
        {
          name: 'mcp-observatory',
          folder: 'MCP',
          type: 'file',
          disableDeletion: true,
          allowUiUpdates: false,
          options: { path: '/var/lib/grafana/dashboards/mcp-observatory', foldersFromFilesStructure: false },
        },
      ],
    }),
  );

  files.set(GRAFANA_PASSWORD_FILE, 'change-me\n');

  files.set(
    'compose/tempo/tempo.yaml',
    yaml({
      server: { http_listen_port: 3200 },
      distributor: {
        receivers: { otlp: { protocols: { grpc: { endpoint: '0.0.0.0:4317' }, http: { endpoint: '0.0.0.0:4318' } } } },
      },
      storage: { trace: { backend: 'local', local: { path: '/var/tempo/traces' }, wal: { path: '/var/tempo/wal' } } },
      metrics_generator: { storage: { path: '/var/tempo/generator/wal' } },
    }),
  );

  files.set(
    'compose/loki/loki.yaml',
    yaml({
      auth_enabled: false,
      server: { http_listen_port: 3100 },
      common: {
        instance_addr: '127.0.0.1',
        path_prefix: '/loki',
        storage: { filesystem: { chunks_directory: '/loki/chunks', rules_directory: '/loki/rules' } },
        replication_factor: 1,
        ring: { kvstore: { store: 'inmemory' } },
      },
      schema_config: {
        configs: [
          {
            from: '2024-01-01',
            store: 'tsdb',
            object_store: 'filesystem',
            schema: 'v13',
            index: { prefix: 'index_', period: '24h' },
          },
        ],
      },
      limits_config: { allow_structured_metadata: true },
    }),
  );
  return files;
}

/**
 * The services of the single-machine stack, by name: the scale-out stack reuses the MCP server, Grafana, Tempo and
 * Loki as they are.
 */
export function stackServices(model: Model, collector: CollectorDeployment): Record<string, Record<string, unknown>> {
  return {
    'mcp-server': {
      build: { context: '..', dockerfile: 'examples/Dockerfile' },
      image: `mcp-observatory/reference-server:local`,
      environment: {
        HOST: '0.0.0.0',
        // /metrics is anonymous off loopback only when said so: here only the stack's network and the host's
        // loopback reach it (Prometheus scrapes it without a token).
        METRICS_PUBLIC: 'true',
        PORT: String(PORTS.mcp),
        OTEL_SERVICE_NAME: model.service,
        OTEL_EXPORTER_OTLP_ENDPOINT: `http://collector:${PORTS.otlpHttp}`,
        // The fault-injection endpoint is off unless MCP_ADMIN_TOKEN is set where compose runs: a fixed token in a
        // committed file would be anyone's.
        ADMIN_TOKEN: '${MCP_ADMIN_TOKEN:-}',
      },
      ports: [published(PORTS.mcp, PORTS.mcp)],
      healthcheck: healthcheck([
        'CMD',
        'node',
        '-e',
        `fetch('http://127.0.0.1:${PORTS.mcp}/health/live').then(r => process.exit(r.ok ? 0 : 1), () => process.exit(1))`,
      ]),
      restart: 'unless-stopped',
      deploy: limits('1.0', '512M'),
      depends_on: { collector: { condition: 'service_started' } },
    },
    // A server in another language: the Python SDK's example, not reachable but through its sidecar.
    'python-mcp': {
      build: { context: '..', dockerfile: 'examples/python/Dockerfile' },
      image: 'mcp-observatory/python-example:local',
      environment: { MCP_TRANSPORT: 'http', MCP_HOST: '0.0.0.0', MCP_PORT: '8000' },
      healthcheck: healthcheck([
        'CMD',
        'python',
        '-c',
        "import socket; socket.create_connection(('127.0.0.1', 8000), timeout=2)",
      ]),
      restart: 'unless-stopped',
      deploy: limits('0.5', '256M'),
    },
    'python-sidecar': {
      image: `mcp-observatory/reference-server:local`,
      entrypoint: [
        'node',
        'dist/lib/bin.js',
        'proxy',
        '--upstream',
        'http://python-mcp:8000/mcp',
        '--listen',
        `0.0.0.0:${PORTS.pythonMcp}`,
      ],
      environment: {
        OTEL_SERVICE_NAME: `${model.service}-python`,
        OTEL_EXPORTER_PROMETHEUS_PORT: '9464',
        OTEL_EXPORTER_OTLP_ENDPOINT: `http://collector:${PORTS.otlpHttp}`,
      },
      ports: [published(PORTS.pythonMcp, PORTS.pythonMcp)],
      healthcheck: healthcheck([
        'CMD',
        'node',
        '-e',
        "fetch('http://127.0.0.1:9464/health/ready').then(r => process.exit(r.ok ? 0 : 1), () => process.exit(1))",
      ]),
      restart: 'unless-stopped',
      deploy: limits('0.5', '256M'),
      depends_on: { 'python-mcp': { condition: 'service_healthy' }, collector: { condition: 'service_started' } },
    },
    collector: {
      image: `otel/opentelemetry-collector-contrib:${collector.version}`,
      command: ['--config=/etc/otelcol/config.yaml'],
      volumes: [`../${collector.configPath}:/etc/otelcol/config.yaml:ro`],
      ports: [
        published(PORTS.otlpGrpc, PORTS.otlpGrpc),
        published(PORTS.otlpHttp, PORTS.otlpHttp),
        published(PORTS.collectorHealth, PORTS.collectorHealth),
      ],
      // The contrib image is distroless (no shell, no HTTP client to call its health_check extension): the check
      // in the container is that the binary runs and accepts its configuration; Prometheus scrapes its metrics.
      healthcheck: healthcheck(['CMD', '/otelcol-contrib', 'validate', '--config=/etc/otelcol/config.yaml'], '30s'),
      restart: 'unless-stopped',
      deploy: limits('1.0', '512M'),
      depends_on: { tempo: { condition: 'service_started' }, loki: { condition: 'service_started' } },
    },
    prometheus: {
      image: IMAGES.prometheus,
      command: [
        '--config.file=/etc/prometheus/prometheus.yml',
        '--storage.tsdb.path=/prometheus',
        '--storage.tsdb.retention.time=30d',
        '--enable-feature=exemplar-storage',
        '--web.enable-admin-api',
        '--web.enable-lifecycle',
      ],
      volumes: [
        './prometheus/prometheus.yml:/etc/prometheus/prometheus.yml:ro',
        '../alerts/mcp-observatory.rules.yaml:/etc/prometheus/rules/mcp-observatory.rules.yaml:ro',
        'prometheus-data:/prometheus',
      ],
      ports: [published(PORTS.prometheus, 9090)],
      healthcheck: healthcheck(['CMD', 'wget', '-q', '--spider', 'http://127.0.0.1:9090/-/ready']),
      restart: 'unless-stopped',
      deploy: limits('1.0', '1G'),
    },
    alertmanager: {
      image: IMAGES.alertmanager,
      command: ['--config.file=/etc/alertmanager/alertmanager.yaml', '--storage.path=/alertmanager'],
      volumes: [
        '../alerts/alertmanager.yaml:/etc/alertmanager/alertmanager.yaml:ro',
        'alertmanager-data:/alertmanager',
      ],
      ports: [published(PORTS.alertmanager, 9093)],
      healthcheck: healthcheck(['CMD', 'wget', '-q', '--spider', 'http://127.0.0.1:9093/-/ready']),
      restart: 'unless-stopped',
      deploy: limits('0.5', '256M'),
    },
    grafana: {
      image: IMAGES.grafana,
      environment: {
        GF_AUTH_ANONYMOUS_ENABLED: 'true',
        GF_AUTH_ANONYMOUS_ORG_ROLE: 'Viewer',
        GF_SECURITY_ADMIN_PASSWORD__FILE: '/run/secrets/grafana_admin_password',
      },
      secrets: ['grafana_admin_password'],
      volumes: [
        './grafana/provisioning:/etc/grafana/provisioning:ro',
        '../dashboards:/var/lib/grafana/dashboards/mcp-observatory:ro',
        'grafana-data:/var/lib/grafana',
      ],
      ports: [published(PORTS.grafana, 3000)],
      healthcheck: healthcheck(['CMD', 'wget', '-q', '--spider', 'http://127.0.0.1:3000/api/health']),
      restart: 'unless-stopped',
      deploy: limits('0.5', '512M'),
      depends_on: { prometheus: { condition: 'service_healthy' } },
    },
    tempo: {
      image: IMAGES.tempo,
      command: ['-config.file=/etc/tempo/tempo.yaml'],
      volumes: ['./tempo/tempo.yaml:/etc/tempo/tempo.yaml:ro', 'tempo-data:/var/tempo'],
      ports: [published(PORTS.tempo, 3200)],
      healthcheck: healthcheck(['CMD', 'wget', '-q', '--spider', 'http://127.0.0.1:3200/ready']),
      restart: 'unless-stopped',
      deploy: limits('1.0', '1G'),
    },
    loki: {
      image: IMAGES.loki,
      command: ['-config.file=/etc/loki/loki.yaml'],
      volumes: ['./loki/loki.yaml:/etc/loki/loki.yaml:ro', 'loki-data:/loki'],
      ports: [published(PORTS.loki, 3100)],
      healthcheck: healthcheck(['CMD', 'wget', '-q', '--spider', 'http://127.0.0.1:3100/ready']),
      restart: 'unless-stopped',
      deploy: limits('1.0', '1G'),
    },
    load: {
      image: `mcp-observatory/reference-server:local`,
      profiles: ['load'],
      entrypoint: [
        'node',
        'dist/lib/bin.js',
        'load',
        '--url',
        `http://mcp-server:${PORTS.mcp}/mcp`,
        '--duration',
        '10m',
      ],
      depends_on: { 'mcp-server': { condition: 'service_healthy' } },
      restart: 'no',
      deploy: limits('0.5', '256M'),
    },
  };
}
