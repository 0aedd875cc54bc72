/**
 * The OpenTelemetry Collector of the bundle: its config, generated from the same configuration file as the rules and
 * dashboards, and the OpenTelemetry Collector Builder (`ocb`) manifest of a collector with exactly the components
 * those configs use.
 *
 * Telemetry flows through these pipelines (`{tenant}` pipelines only when `collector.routing.tenants` is set):
 *
 *   otlp ─┬─ traces/spanmetrics: memory_limiter, resource ─────────────────────── span_metrics ─┐
 *         ├─ traces: memory_limiter, resource, transforms, redaction, tail_sampling ─ Tempo      │
 *         │          (or routing/traces ─ traces/tenant.{tenant} ─ Tempo with X-Scope-OrgID)     │
 *         ├─ logs: memory_limiter, resource, transforms, redaction ─ Loki (or routing/logs ─ …)  │
 *         └─ metrics: memory_limiter, resource, redaction ─ prometheus  ◄────────────────────────┘
 *
 * Span metrics are computed before tail sampling, so request rates and latencies count every span, not the sample.
 */
import { stringify } from 'yaml';
import type { Config } from '../config/config.js';
import { ATTR, DURATION_BUCKETS_SECONDS, METRICS, OTHER, SPEC_REQUEST_METHODS } from '../contract.js';
import { SECRET_KEY_PATTERN, SECRET_VALUE_PATTERNS } from '../redaction.js';

/**
 * The collector release the configs are written for, and that the builder manifest pins (the core's and contrib's
 * v0.x modules). The compose stack runs `otel/opentelemetry-collector-contrib:<OTELCOL_VERSION>`, which holds every
 * component used here under the same names. v0.157.0 is the newest release whose modules the Go module proxy serves
 * here for every component we need (the routing connector and the prometheus exporter of 0.158–0.164 are refused).
 */
export const OTELCOL_VERSION = '0.157.0';
/** The core's stable (v1.x) modules released with {@link OTELCOL_VERSION}: the confmap providers. */
export const OTELCOL_STABLE_VERSION = '1.63.0';
/** Name of the distribution the manifest builds, and of its binary. */
export const OTELCOL_DIST = 'otelcol-mcp';

/** The header that names the tenant to Tempo, Loki and Mimir. */
export const TENANT_HEADER = 'X-Scope-OrgID';

/** Ports the generated configs listen on. */
export const COLLECTOR_PORTS = {
  /** OTLP over gRPC. */
  otlpGrpc: 4317,
  /** OTLP over HTTP (`/v1/traces`, `/v1/logs`, `/v1/metrics`): point `OTEL_EXPORTER_OTLP_ENDPOINT` here. */
  otlpHttp: 4318,
  /** `health_check` extension: `GET /` answers 200 while the collector is up. */
  healthCheck: 13133,
  /** The collector's own metrics (`otelcol_*`), Prometheus text on `/metrics`. */
  selfMetrics: 8888,
  /** Span metrics and OTLP-received metrics for Prometheus to scrape, on `/metrics` (not in the file variant). */
  prometheus: 8889,
} as const;
export type CollectorPorts = Record<keyof typeof COLLECTOR_PORTS, number>;

/** Where the collector files land in the bundle. */
export const COLLECTOR_PATHS = {
  /** Exports to Tempo, Loki and a Prometheus endpoint: the deployable config. */
  config: 'collector/config.yaml',
  /** Exports into JSON-lines files under `./otelcol-out`: a collector to run without any backend. */
  fileConfig: 'collector/config.file.yaml',
  /** The OpenTelemetry Collector Builder manifest of `otelcol-mcp`. */
  manifest: 'collector/manifest.yaml',
} as const;

/** Metric names of the span metrics, as the prometheus exporter writes them. */
export const SPAN_METRICS = {
  calls: 'traces_span_metrics_calls_total',
  duration: 'traces_span_metrics_duration_seconds',
} as const;

const CORE = 'go.opentelemetry.io/collector';
const CONTRIB = 'github.com/open-telemetry/opentelemetry-collector-contrib';

/** The Go module of each component type the generator may use, by kind. */
export const COMPONENT_MODULES = {
  receivers: { otlp: `${CORE}/receiver/otlpreceiver` },
  processors: {
    memory_limiter: `${CORE}/processor/memorylimiterprocessor`,
    resource: `${CONTRIB}/processor/resourceprocessor`,
    transform: `${CONTRIB}/processor/transformprocessor`,
    redaction: `${CONTRIB}/processor/redactionprocessor`,
    tail_sampling: `${CONTRIB}/processor/tailsamplingprocessor`,
    filter: `${CONTRIB}/processor/filterprocessor`,
    batch: `${CORE}/processor/batchprocessor`,
  },
  connectors: {
    span_metrics: `${CONTRIB}/connector/spanmetricsconnector`,
    routing: `${CONTRIB}/connector/routingconnector`,
  },
  exporters: {
    otlp_grpc: `${CORE}/exporter/otlpexporter`,
    otlp_http: `${CORE}/exporter/otlphttpexporter`,
    prometheus: `${CONTRIB}/exporter/prometheusexporter`,
    file: `${CONTRIB}/exporter/fileexporter`,
    load_balancing: `${CONTRIB}/exporter/loadbalancingexporter`,
  },
  extensions: {
    health_check: `${CONTRIB}/extension/healthcheckextension`,
    headers_setter: `${CONTRIB}/extension/headerssetterextension`,
  },
} as const;
export type ComponentKind = keyof typeof COMPONENT_MODULES;

/** How the collector reads its config: environment, files and inline YAML (no http/https providers). */
export const PROVIDERS = ['envprovider', 'fileprovider', 'yamlprovider'].map(
  (name) => `${CORE}/confmap/provider/${name} v${OTELCOL_STABLE_VERSION}`,
);

export interface CollectorOptions {
  /**
   * `backends`: traces to Tempo (OTLP gRPC), logs to Loki (OTLP HTTP), metrics on a Prometheus endpoint. `file`:
   * every signal into JSON-lines files (`traces.jsonl`, `logs.jsonl`, `metrics.jsonl`, per tenant when routing).
   * @default 'backends'
   */
  exporters?: 'backends' | 'file';
  /** Directory of the files of the `file` variant. @default './otelcol-out' */
  fileDirectory?: string;
  /** Address every endpoint listens on. @default '0.0.0.0' for backends (a container), '127.0.0.1' for file */
  host?: string;
  /** Ports to listen on. @default COLLECTOR_PORTS */
  ports?: Partial<CollectorPorts>;
  /** How often span metrics (and files) are flushed; tests shorten it. @default '15s' (files: the exporter's 1s) */
  flushInterval?: string;
}

/** The collector config as a plain object, in the collector's own YAML structure. */
export type CollectorConfig = Record<string, Record<string, unknown>>;

// Values of attributes whose key names a secret are masked whole: the key list of lib/redaction.ts, matched against
// the whole key or its last dotted segment. RE2 syntax; `\z`, not `$`, which the collector's config resolver would
// read as the start of a `${...}` reference.
const SECRET_KEY = String.raw`(?i)(^|\.)(${SECRET_KEY_PATTERN})\z`;

// Credential shapes masked wherever they appear in a value: the very patterns lib/redaction.ts masks captured content
// with, case-insensitive as there.
const SECRET_VALUES = SECRET_VALUE_PATTERNS.map((pattern) => `(?i)${pattern}`);

/** Seconds as a Go duration: `0.5` → `500ms`, `2` → `2s`. */
const goDuration = (seconds: number) => (seconds < 1 ? `${Math.round(seconds * 1000)}ms` : `${seconds}s`);

/** `$` starts a `${...}` reference in a collector config; `$$` is a literal `$`. */
const literal = (value: string) => value.replaceAll('$', '$$$$');

/** An OTTL string literal: backslashes and quotes escaped. */
const ottlString = (value: string) => `"${value.replaceAll('\\', '\\\\').replaceAll('"', '\\"')}"`;

/**
 * OTTL statements that mask credential shapes in the texts the redaction processor does not look at: span status
 * messages and span event attributes (an exception's message is an error text, and error texts are results), and
 * log bodies. Same patterns, same mask.
 */
function credentialStatements(): { trace: unknown[]; log: unknown[] } {
  const pattern = ottlString(literal(`(?i)${SECRET_VALUE_PATTERNS.join('|')}`));
  return {
    trace: [
      { context: 'span', statements: [`replace_pattern(span.status.message, ${pattern}, "${MASK}")`] },
      {
        context: 'spanevent',
        statements: [`replace_all_patterns(spanevent.attributes, "value", ${pattern}, "${MASK}")`],
      },
    ],
    log: [{ context: 'log', statements: [`replace_pattern(log.body, ${pattern}, "${MASK}")`] }],
  };
}

/** What the redaction processor writes in place of a masked value. */
const MASK = '****';

/** An OTTL statement that deletes `key` unless the tool named in the same record is allowed to keep it. */
function dropUnlessAllowed(context: 'span' | 'log', key: string, allowed: readonly string[]): string {
  const statement = `delete_key(${context}.attributes, "${key}")`;
  if (allowed.length === 0) return statement;
  // Tool names are restricted by the schema to [A-Za-z0-9_./-]: no quoting is needed inside the OTTL string.
  const tool = `${context}.attributes["${ATTR.GEN_AI_TOOL_NAME}"]`;
  return `${statement} where ${allowed.map((name) => `${tool} != "${name}"`).join(' and ')}`;
}

/** Tail sampling: every error trace, every trace slower than a latency SLO threshold, a share of the rest. */
function samplingPolicies(config: Config): Record<string, unknown>[] {
  const global = config.slos.latency.thresholdSeconds;
  const policies: Record<string, unknown>[] = [
    { name: 'errors', type: 'status_code', status_code: { status_codes: ['ERROR'] } },
    { name: 'slower-than-slo', type: 'latency', latency: { threshold_ms: Math.round(global * 1000) } },
  ];
  // A tool whose own SLO is stricter than the service's keeps its traces from its own threshold on.
  for (const [tool, slo] of Object.entries(config.slos.tools).sort(([a], [b]) => a.localeCompare(b))) {
    if (!slo.latency || slo.latency.thresholdSeconds >= global) continue;
    policies.push({
      name: `slower-than-slo-${tool}`,
      type: 'and',
      and: {
        and_sub_policy: [
          { name: 'tool', type: 'string_attribute', string_attribute: { key: ATTR.GEN_AI_TOOL_NAME, values: [tool] } },
          { name: 'slow', type: 'latency', latency: { threshold_ms: Math.round(slo.latency.thresholdSeconds * 1000) } },
        ],
      },
    });
  }
  policies.push({
    name: 'baseline',
    type: 'probabilistic',
    probabilistic: { sampling_percentage: config.collector.sampling.percentage },
  });
  return policies;
}

/** One destination of traces and logs: a tenant of its own, or everything else. */
interface Route {
  /** Suffix of exporter and pipeline names: `.acme` for a tenant, '' for everything else. */
  suffix: string;
  /** The routed pipelines' names; '' when nothing is routed. */
  pipeline: string;
  /** `X-Scope-OrgID` of the exports, if any. */
  orgId?: string;
  /** The `tenant.id` routed here; none for everything else. */
  tenant?: string;
}

/**
 * The collector config for `config`: OTLP in; memory limit, resource attributes, tool-content removal, credential
 * masking and tail sampling; traces to Tempo, logs to Loki and span metrics to Prometheus (or all into files).
 * Deterministic: the same configuration and options give the same object, keys in the same order.
 */
export function collectorConfig(config: Config, options: CollectorOptions = {}): CollectorConfig {
  const settings = config.collector;
  const toFile = options.exporters === 'file';
  const host = options.host ?? (toFile ? '127.0.0.1' : '0.0.0.0');
  const ports: CollectorPorts = { ...COLLECTOR_PORTS, ...options.ports };
  const directory = (options.fileDirectory ?? './otelcol-out').replace(/\/+$/, '');
  const at = (port: number) => `${host}:${port}`;
  const { tenants, defaultTenant } = settings.routing;
  const routed = tenants.length > 0;
  const routes: Route[] = routed
    ? [
        ...tenants.map((tenant) => ({ suffix: `.${tenant}`, pipeline: `tenant.${tenant}`, orgId: tenant, tenant })),
        { suffix: '', pipeline: 'other_tenants', ...(defaultTenant !== undefined && { orgId: defaultTenant }) },
      ]
    : [{ suffix: '', pipeline: '', ...(defaultTenant !== undefined && { orgId: defaultTenant }) }];

  const headers = (route: Route) => route.orgId !== undefined && { headers: { [TENANT_HEADER]: route.orgId } };
  // The exporters' own queue batches, so no batch processor is needed (the collector's current advice).
  const queue = { sending_queue: { batch: { flush_timeout: '1s' } } };
  const file = (name: string) => ({
    path: `${directory}/${name}.jsonl`,
    ...(options.flushInterval !== undefined && { flush_interval: options.flushInterval }),
  });
  const exporters: Record<string, unknown> = {};
  const traceExporter = (route: Route) => (toFile ? `file/traces${route.suffix}` : `otlp_grpc/tempo${route.suffix}`);
  const logExporter = (route: Route) => (toFile ? `file/logs${route.suffix}` : `otlp_http/loki${route.suffix}`);
  for (const route of routes) {
    exporters[traceExporter(route)] = toFile
      ? file(`traces${route.suffix}`)
      : {
          endpoint: settings.tempo.endpoint,
          tls: { insecure: settings.tempo.insecure },
          ...headers(route),
          ...queue,
        };
  }
  for (const route of routes) {
    exporters[logExporter(route)] = toFile
      ? file(`logs${route.suffix}`)
      : { endpoint: settings.loki.endpoint, ...headers(route), ...queue };
  }
  const metricsExporter = toFile ? 'file/metrics' : 'prometheus';
  exporters[metricsExporter] = toFile
    ? file('metrics')
    : {
        endpoint: at(ports.prometheus),
        enable_open_metrics: true,
        resource_to_telemetry_conversion: { enabled: false },
      };

  const { allowArguments, allowResults, blockedValues } = settings.redaction;
  const credentials = credentialStatements();
  const processors = {
    memory_limiter: {
      check_interval: '1s',
      limit_mib: settings.memoryLimitMiB,
      spike_limit_mib: Math.floor(settings.memoryLimitMiB / 5),
    },
    // `insert`: what the app says about itself wins; the collector fills in what it left out.
    resource: {
      attributes: [
        { key: 'service.namespace', value: settings.resource.serviceNamespace, action: 'insert' },
        { key: 'deployment.environment.name', value: settings.resource.deploymentEnvironment, action: 'insert' },
      ],
    },
    // Tool arguments and results leave the collector only for the tools the configuration names.
    'transform/tool_content': {
      error_mode: 'ignore',
      trace_statements: [
        dropUnlessAllowed('span', ATTR.GEN_AI_TOOL_CALL_ARGUMENTS, allowArguments),
        dropUnlessAllowed('span', ATTR.GEN_AI_TOOL_CALL_RESULT, allowResults),
      ],
      log_statements: [
        dropUnlessAllowed('log', ATTR.GEN_AI_TOOL_CALL_ARGUMENTS, allowArguments),
        dropUnlessAllowed('log', ATTR.GEN_AI_TOOL_CALL_RESULT, allowResults),
      ],
    },
    'transform/credentials': {
      error_mode: 'ignore',
      trace_statements: credentials.trace,
      log_statements: credentials.log,
    },
    // Credentials are masked in every attribute, from any app: the library's redaction covers only what it captures.
    redaction: {
      allow_all_keys: true,
      blocked_key_patterns: [SECRET_KEY],
      blocked_values: [...SECRET_VALUES, ...blockedValues.map(literal)],
      summary: 'silent',
    },
    tail_sampling: {
      decision_wait: settings.sampling.decisionWait,
      num_traces: 50000,
      policies: samplingPolicies(config),
    },
    ...operationProcessors(config),
  };

  const connectors: Record<string, unknown> = {
    span_metrics: {
      namespace: 'traces.span.metrics',
      histogram: {
        unit: 's',
        explicit: { buckets: DURATION_BUCKETS_SECONDS.map(goDuration) },
      },
      // span.name is bounded like a label (unknown methods and tools are named _OTHER); attributes are not.
      dimensions: [{ name: ATTR.ERROR_TYPE }],
      // A per-process UUID on every series would start new series at each restart; Prometheus scrapes each collector
      // as its own instance anyway.
      exclude_dimensions: ['collector.instance.id'],
      exemplars: { enabled: true },
      aggregation_cardinality_limit: 5000,
      metrics_flush_interval: options.flushInterval ?? '15s',
    },
  };
  const fromSpans = settings.operationsFromSpans.services.length > 0;
  if (fromSpans)
    connectors[OPERATIONS_CONNECTOR] = operationsConnector(options.flushInterval, config.prometheus.nativeHistograms);
  if (routed) {
    const table = (context: 'span' | 'log') =>
      routes
        .filter((route) => route.tenant !== undefined)
        .map((route) => ({
          condition: `${context}.attributes["${ATTR.TENANT_ID}"] == "${route.tenant}"`,
          pipelines: [`${context === 'span' ? 'traces' : 'logs'}/${route.pipeline}`],
        }));
    connectors['routing/traces'] = { default_pipelines: ['traces/other_tenants'], table: table('span') };
    connectors['routing/logs'] = { default_pipelines: ['logs/other_tenants'], table: table('log') };
  }

  const front = ['memory_limiter', 'resource'];
  const content = [...front, 'transform/tool_content', 'transform/credentials', 'redaction'];
  const pipelines: Record<string, unknown> = {
    'traces/spanmetrics': { receivers: ['otlp'], processors: front, exporters: ['span_metrics'] },
    ...(fromSpans && {
      'traces/mcp_operations': {
        receivers: ['otlp'],
        processors: [...front, ...Object.keys(operationProcessors(config))],
        exporters: [OPERATIONS_CONNECTOR],
      },
    }),
    traces: {
      receivers: ['otlp'],
      processors: [...content, 'tail_sampling'],
      exporters: routed ? ['routing/traces'] : [traceExporter(routes[0]!)],
    },
  };
  if (routed) {
    for (const route of routes) {
      pipelines[`traces/${route.pipeline}`] = { receivers: ['routing/traces'], exporters: [traceExporter(route)] };
    }
  }
  pipelines['logs'] = {
    receivers: ['otlp'],
    processors: content,
    exporters: routed ? ['routing/logs'] : [logExporter(routes[0]!)],
  };
  if (routed) {
    for (const route of routes) {
      pipelines[`logs/${route.pipeline}`] = { receivers: ['routing/logs'], exporters: [logExporter(route)] };
    }
  }
  pipelines['metrics'] = {
    receivers: ['otlp', 'span_metrics', ...(fromSpans ? [OPERATIONS_CONNECTOR] : [])],
    processors: [...front, 'redaction'],
    exporters: [metricsExporter],
  };

  return {
    extensions: { health_check: { endpoint: at(ports.healthCheck) } },
    receivers: {
      otlp: { protocols: { grpc: { endpoint: at(ports.otlpGrpc) }, http: { endpoint: at(ports.otlpHttp) } } },
    },
    processors,
    connectors,
    exporters,
    service: {
      extensions: ['health_check'],
      telemetry: {
        logs: { level: 'info' },
        metrics: {
          level: 'normal',
          readers: [{ pull: { exporter: { prometheus: { host, port: ports.selfMetrics } } } }],
        },
      },
      pipelines,
    },
  };
}

/** The span-metrics connector that writes the operation-duration histogram of services that send spans only. */
const OPERATIONS_CONNECTOR = 'span_metrics/mcp_operations';

/** `^(a|b)\z` in RE2, each alternative literal (`\z`: see SECRET_KEY). */
const anyOf = (values: readonly string[]) =>
  String.raw`^(` + values.map((value) => value.replace(/[\\^$.|?*+()[\]{}]/g, '\\$&')).join('|') + String.raw`)\z`;

/**
 * For the services of `collector.operationsFromSpans`: keep their MCP SERVER spans of requests (not notifications,
 * not other spans, not other services), and bound what becomes a label as the library does — methods of the
 * specification and the configured tools keep their names, anything else a client sends is `_OTHER`.
 */
function operationProcessors(config: Config): Record<string, unknown> {
  const { services, tools } = config.collector.operationsFromSpans;
  if (services.length === 0) return {};
  const method = `attributes["${ATTR.MCP_METHOD_NAME}"]`;
  const tool = `attributes["${ATTR.GEN_AI_TOOL_NAME}"]`;
  return {
    // Spans matching any condition are dropped from this pipeline (the traces pipeline still gets them all).
    'filter/mcp_operations': {
      error_mode: 'ignore',
      traces: {
        span: [
          'kind != SPAN_KIND_SERVER',
          `${method} == nil`,
          `IsMatch(${method}, "^notifications/")`,
          services.map((service) => `resource.attributes["service.name"] != ${ottlString(service)}`).join(' and '),
        ],
      },
    },
    'transform/mcp_operations': {
      error_mode: 'ignore',
      trace_statements: [
        {
          context: 'span',
          statements: [
            `set(${method}, "${OTHER}") where not IsMatch(${method}, ${ottlString(literal(anyOf(SPEC_REQUEST_METHODS)))})`,
            tools.length > 0
              ? `set(${tool}, "${OTHER}") where ${tool} != nil and not IsMatch(${tool}, ${ottlString(literal(anyOf(tools)))})`
              : `set(${tool}, "${OTHER}") where ${tool} != nil`,
          ],
        },
      ],
    },
  };
}

/**
 * `mcp.server.operation.duration` from the spans of the services above, with the contract's labels, and its buckets
 * or, with native histograms on, as an exponential histogram (a native histogram in Prometheus: finer and cheaper).
 */
function operationsConnector(flushInterval: string | undefined, native: boolean): Record<string, unknown> {
  const histogram = METRICS.serverOperationDuration;
  return {
    // The connector names its histogram <namespace>.duration; the exporter adds the unit: the contract's name.
    namespace: 'mcp.server.operation',
    histogram: native
      ? // 160 buckets (the SDKs' default) span 1 ms to 10 s at schema 3, whose boundaries include every power of two
        // (0.5 s, 1 s, 2 s are exact SLO thresholds); other thresholds are interpolated within a bucket.
        { unit: histogram.unit, exponential: { max_size: 160 } }
      : { unit: histogram.unit, explicit: { buckets: histogram.buckets.map(goDuration) } },
    dimensions: [ATTR.MCP_METHOD_NAME, ATTR.GEN_AI_TOOL_NAME, ATTR.ERROR_TYPE, ATTR.NETWORK_TRANSPORT].map((name) => ({
      name,
    })),
    // The span name repeats the tool as the client sent it: never a label.
    exclude_dimensions: ['span.name', 'span.kind', 'status.code', 'collector.instance.id'],
    exemplars: { enabled: true },
    aggregation_cardinality_limit: 5000,
    metrics_flush_interval: flushInterval ?? '15s',
  };
}

export const yaml = (value: unknown) => stringify(value, { lineWidth: 0, aliasDuplicateObjects: false });

/** A collector config as YAML, stamped with `stamp` (the generated-file header) when given. */
export function collectorConfigYaml(config: Config, options: CollectorOptions = {}, stamp?: string): string {
  return `${stamp ? `# ${stamp}\n` : ''}${yaml(collectorConfig(config, options))}`;
}

/** The collector config files of the bundle (path → content); the manifest is collector-manifest.ts's. */
export function collectorFiles(config: Config, stamp: string): Map<string, string> {
  const run = (path: string, what: string) =>
    `# ${stamp}\n# ${what}: otelcol-mcp --config ${path} (or the otel/opentelemetry-collector-contrib:${OTELCOL_VERSION} image)\n`;
  return new Map([
    [
      COLLECTOR_PATHS.config,
      `${run(COLLECTOR_PATHS.config, 'Traces to Tempo, logs to Loki, span metrics for Prometheus')}${yaml(collectorConfig(config))}`,
    ],
    [
      COLLECTOR_PATHS.fileConfig,
      `${run(COLLECTOR_PATHS.fileConfig, 'Every signal into JSON lines under ./otelcol-out')}${yaml(collectorConfig(config, { exporters: 'file' }))}`,
    ],
  ]);
}
