/**
 * The configuration file (`mcp-observatory.yaml`, or JSON) as a JSON Schema. Every field has a default, so an empty
 * file yields a sensible bundle; unknown keys are rejected. Descriptions double as the fix hints of config errors and
 * as the reference in the README.
 */

import { DEFAULT_DETECTION, DETECTION_PROFILES, PROFILE_SETTINGS, PROFILE_TIMINGS } from './detection.js';
import type { TimedThreshold } from './detection.js';

// Prometheus's own grammar: each unit at most once, largest first (`1h30m`, not `30m1h` or `1m1m`).
const duration = {
  type: 'string',
  minLength: 2,
  pattern: '^([0-9]+y)?([0-9]+w)?([0-9]+d)?([0-9]+h)?([0-9]+m)?([0-9]+s)?([0-9]+ms)?$',
  description: 'a Prometheus duration such as 30s, 5m, 1h30m or 1d',
};

const WEEKDAY = '(sunday|monday|tuesday|wednesday|thursday|friday|saturday)';

const percent = (defaultValue: number | undefined, description: string) => ({
  type: 'number',
  exclusiveMinimum: 0,
  exclusiveMaximum: 100,
  ...(defaultValue !== undefined && { default: defaultValue }),
  description: `${description}, in percent (between 0 and 100, exclusive)`,
});

const ratio = (defaultValue: number, description: string) => ({
  type: 'number',
  exclusiveMinimum: 0,
  maximum: 1,
  default: defaultValue,
  description: `${description}, as a ratio between 0 and 1`,
});

const positive = (defaultValue: number, description: string) => ({
  type: 'number',
  exclusiveMinimum: 0,
  default: defaultValue,
  description,
});

/** A threshold alert: how bad, over which window, for how long. */
const threshold = (value: object, window: string, forDuration: string) => ({
  type: 'object',
  additionalProperties: false,
  default: {},
  properties: {
    value,
    window: { ...duration, default: window, description: `rate window of the expression (${duration.description})` },
    for: {
      ...duration,
      default: forDuration,
      description: `how long the condition must hold before firing (${duration.description})`,
    },
  },
});

/** A threshold whose window and `for:` the detection profile sets: the defaults shown are the default profile's. */
const timedThreshold = (name: TimedThreshold, value: object) => {
  const { fast, standard } = PROFILE_TIMINGS[name];
  const schema = threshold(value, fast.window, fast.for);
  schema.properties.window.description += `; default ${fast.window} (detection fast), ${standard.window} (standard)`;
  schema.properties.for.description += `; default ${fast.for} (detection fast), ${standard.for} (standard)`;
  return schema;
};

const webhook = (path: string) => ({
  type: 'object',
  additionalProperties: false,
  default: {},
  properties: {
    url: {
      type: 'string',
      format: 'uri',
      pattern: '^https?://[^\\s]+$',
      default: `http://127.0.0.1:9095/${path}`,
      description: 'the webhook Alertmanager posts to (an incident tool, a chat bridge, a ticket system)',
    },
  },
});

const latencyFields = {
  type: 'object',
  additionalProperties: false,
  properties: {
    objective: percent(99, 'share of requests that must be faster than thresholdSeconds'),
    thresholdSeconds: {
      type: 'number',
      default: 1,
      description:
        'the latency threshold in seconds; must be a bucket boundary of mcp_server_operation_duration_seconds',
    },
  },
};
const latencyObjective = { ...latencyFields, default: {} };

/** A Go duration as the collector reads it (no days: Go has none). */
const goDuration = {
  type: 'string',
  pattern: '^([0-9]+h)?([0-9]+m)?([0-9]+s)?([0-9]+ms)?$',
  minLength: 2,
  description: 'a duration such as 500ms, 10s or 1m',
};

/** Tenant ids become X-Scope-OrgID headers and collector pipeline names: keep them to the characters both accept. */
const tenantId = {
  type: 'string',
  pattern: '^[A-Za-z0-9][A-Za-z0-9_.-]{0,149}$',
  description: 'a tenant id: a letter or digit, then letters, digits, _, . or -, up to 150 characters',
};

/** Tool names as the MCP specification allows them. */
const toolNames = (description: string) => ({
  type: 'array',
  uniqueItems: true,
  items: { type: 'string', pattern: '^[A-Za-z0-9_./-]{1,128}$' },
  default: [],
  description,
});

export const CONFIG_SCHEMA = {
  $schema: 'http://json-schema.org/draft-07/schema#',
  $id: 'https://mcp-observatory.dev/schema/config.json',
  title: 'mcp-observatory configuration',
  type: 'object',
  additionalProperties: false,
  properties: {
    profile: {
      type: 'string',
      enum: ['single', 'scale-out'],
      default: 'single',
      description:
        'the topology the bundle deploys: single (one collector, one Prometheus) or scale-out (agent and gateway collectors, Prometheus agents writing to a central store: the scale-out/ directory)',
    },
    detection: {
      type: 'object',
      additionalProperties: false,
      default: {},
      properties: {
        profile: {
          type: 'string',
          enum: [...DETECTION_PROFILES],
          default: DEFAULT_DETECTION,
          description:
            "how fast alerts fire: fast (Prometheus scrapes and evaluates every 5 s; golden-signal alerts over one-minute windows, within the operations guides' SLAs) or standard (every 15 s; five- to ten-minute windows, a third of the samples)",
        },
        scrapeInterval: {
          ...duration,
          description: `Prometheus's scrape interval (${duration.description}); default ${PROFILE_SETTINGS.fast.scrapeInterval} (fast), ${PROFILE_SETTINGS.standard.scrapeInterval} (standard)`,
        },
        evaluationInterval: {
          ...duration,
          description: `Prometheus's rule evaluation interval (${duration.description}); default ${PROFILE_SETTINGS.fast.evaluationInterval} (fast), ${PROFILE_SETTINGS.standard.evaluationInterval} (standard)`,
        },
        minRequests: {
          type: 'integer',
          minimum: 1,
          description: `requests within an alert's window below which the error-ratio, tool-success and latency alerts stay quiet; default ${PROFILE_SETTINGS.fast.minRequests}`,
        },
      },
    },
    scaleOut: {
      type: 'object',
      additionalProperties: false,
      default: {},
      properties: {
        gateways: {
          type: 'array',
          minItems: 1,
          uniqueItems: true,
          items: { type: 'string', pattern: '^[A-Za-z0-9_.-]+:[0-9]{1,5}$' },
          default: ['otelcol-gateway-0:4317', 'otelcol-gateway-1:4317'],
          description:
            "host:port of each gateway collector's OTLP gRPC receiver: the agents' load_balancing exporter sends every span of a trace to the same one",
        },
        store: {
          type: 'string',
          enum: ['prometheus', 'mimir', 'thanos', 'victoriametrics'],
          default: 'prometheus',
          description:
            'the central metrics store the Prometheus agents remote-write to: prometheus (its remote-write receiver), mimir, thanos (Receive) or victoriametrics (cluster)',
        },
        remoteWriteUrl: {
          type: 'string',
          format: 'uri',
          pattern: '^https?://[^\\s]+$',
          description:
            "the store's remote-write URL (default: the store's usual in-cluster address; for victoriametrics the account is part of it, /insert/0/prometheus/api/v1/write)",
        },
        alertmanagers: {
          type: 'array',
          minItems: 1,
          uniqueItems: true,
          items: { type: 'string', pattern: '^[A-Za-z0-9_.-]+:[0-9]{1,5}$' },
          default: ['alertmanager-0:9093', 'alertmanager-1:9093'],
          description:
            'host:port of each Alertmanager peer: the central ruler sends every alert to all of them, and the peers deduplicate the notification',
        },
      },
    },
    service: {
      type: 'object',
      additionalProperties: false,
      default: {},
      properties: {
        name: {
          type: 'string',
          pattern: '^[a-zA-Z][a-zA-Z0-9_-]*$',
          default: 'mcp-server',
          description: 'the service name: the `service` label of alerts, and the default Prometheus job',
        },
        job: {
          type: 'string',
          // Written into PromQL selectors and YAML: no quotes, backslashes, spaces or line breaks.
          pattern: '^[A-Za-z0-9_.:/-]+$',
          description:
            "the Prometheus job of the server's series (default: the service name, or service.namespace/name for a collector-fed service): letters, digits, _ . : / -",
        },
        source: {
          type: 'string',
          enum: ['scrape', 'collector'],
          default: 'scrape',
          description:
            "how the server's metrics reach Prometheus: scrape (Prometheus scrapes its /metrics; liveness from up) or collector (it sends OTLP to the collector, whose Prometheus exporter Prometheus scrapes; liveness from target_info)",
        },
      },
    },
    prometheus: {
      type: 'object',
      additionalProperties: false,
      default: {},
      properties: {
        nativeHistograms: {
          type: 'boolean',
          default: false,
          description:
            'store the request-duration histograms as native histograms (Prometheus 3.8+): the scrape config converts classic histograms to native ones with custom buckets, span metrics become exponential histograms, and rules and panels read the native histogram first and the classic series otherwise',
        },
      },
    },
    slos: {
      type: 'object',
      additionalProperties: false,
      default: {},
      properties: {
        period: {
          type: 'string',
          enum: ['7d', '14d', '28d', '30d', '90d'],
          default: '30d',
          description: 'the SLO period the error budget is measured over',
        },
        availability: {
          type: 'object',
          additionalProperties: false,
          default: {},
          properties: {
            objective: percent(99.9, 'share of requests without a server-owned error'),
          },
        },
        latency: latencyObjective,
        minRequests: {
          type: 'integer',
          minimum: 0,
          default: 100,
          description: 'low-traffic guard: burn-rate alerts need at least this many requests in their long window',
        },
        tools: {
          type: 'object',
          default: {},
          propertyNames: { pattern: '^[A-Za-z0-9_./-]{1,128}$' },
          description:
            'per-tool SLOs, keyed by tool name (letters, digits, _ . / -, up to 128); a tool gets the SLOs its entry names',
          additionalProperties: {
            type: 'object',
            additionalProperties: false,
            properties: {
              availability: percent(undefined, 'share of calls of this tool without a server-owned error'),
              latency: latencyFields,
            },
          },
        },
      },
    },
    thresholds: {
      type: 'object',
      additionalProperties: false,
      default: {},
      properties: {
        errorRatio: timedThreshold(
          'errorRatio',
          ratio(0.05, 'server-owned error ratio above which the service alerts'),
        ),
        latencyP95: timedThreshold('latencyP95', positive(2, 'p95 latency in seconds above which the service alerts')),
        averageLatency: timedThreshold(
          'averageLatency',
          positive(0.5, 'mean request duration in seconds above which the service alerts'),
        ),
        toolSuccess: timedThreshold('toolSuccess', ratio(0.99, "one tool's success ratio below which it alerts")),
        toolLatencyP95: timedThreshold(
          'toolLatencyP95',
          positive(5, "one tool's p95 latency in seconds above which it alerts"),
        ),
        tenantErrorRatio: timedThreshold('tenantErrorRatio', {
          type: 'number',
          exclusiveMinimum: 1,
          default: 3,
          description: "how many times the fleet's error ratio one tenant's may reach before it alerts (above 1)",
        }),
        saturation: threshold(
          ratio(0.8, 'share of a capacity limit (in-flight requests, sessions) that alerts'),
          '5m',
          '5m',
        ),
        maxInFlight: positive(100, 'the capacity of one instance in concurrent requests'),
        maxSessions: positive(1000, 'the capacity of one instance in open sessions'),
        cpu: threshold(ratio(0.7, 'share of the CPU cores used above which an instance alerts'), '5m', '15m'),
        cpuCores: positive(1, 'CPU cores available to one instance'),
        memory: timedThreshold('memory', ratio(0.8, 'share of the memory limit in use above which an instance alerts')),
        memoryLimitBytes: positive(536870912, 'memory limit of one instance in bytes (default 512 MiB)'),
        memoryForecastHours: positive(4, 'alert when memory is forecast to reach its limit within this many hours'),
        backupMaxAgeHours: positive(
          26,
          'hours since the last successful run of a backup above which it alerts (a daily backup, with slack)',
        ),
        eventLoopLagSeconds: threshold(positive(0.5, 'p99 event-loop lag in seconds'), '5m', '5m'),
        restarts: threshold(positive(3, 'restarts within the window that alert'), '1h', '0s'),
        authFailures: timedThreshold('authFailures', positive(1, 'authentication failures per second that alert')),
        authSuccess: timedThreshold(
          'authSuccess',
          ratio(0.99, 'share of authentication attempts that succeed below which it alerts'),
        ),
        cacheHitRatio: threshold(ratio(0.8, 'cache hit ratio below which a cache alerts'), '10m', '10m'),
        rateLimited: timedThreshold(
          'rateLimited',
          positive(0.1, 'rate-limited requests per second of one tenant that alert'),
        ),
        quotaRemaining: threshold(
          ratio(0.1, "share of a tenant's quota left below which it alerts, over the whole window"),
          '5m',
          '5m',
        ),
        poolUsage: threshold(
          ratio(0.8, 'share of a resource pool in use above which it alerts, averaged over the window'),
          '5m',
          '10m',
        ),
        queueDepth: threshold(
          positive(10, 'items waiting in an application queue above which it alerts, averaged over the window'),
          '5m',
          '10m',
        ),
        trafficDrop: threshold(
          ratio(0.1, 'share of last week’s traffic at the same time below which traffic alerts'),
          '30m',
          '30m',
        ),
        latencyBaseline: threshold(
          positive(1.5, 'how many times its 7-day mean p95 latency may reach before it alerts'),
          '5m',
          '30m',
        ),
      },
    },
    runbooks: {
      type: 'object',
      additionalProperties: false,
      default: {},
      properties: {
        baseUrl: {
          type: 'string',
          minLength: 1,
          default: './runbooks',
          description: 'where the generated runbooks are published; runbook_url is <baseUrl>/<AlertName>.md',
        },
      },
    },
    dashboards: {
      type: 'object',
      additionalProperties: false,
      default: {},
      properties: {
        baseUrl: {
          type: 'string',
          format: 'uri',
          default: 'http://localhost:3000',
          description: 'the Grafana that serves the dashboards; dashboard_url is <baseUrl>/d/<uid>',
        },
      },
    },
    alertmanager: {
      type: 'object',
      additionalProperties: false,
      default: {},
      properties: {
        page: webhook('page'),
        notify: webhook('notify'),
        ticket: webhook('ticket'),
        maintenanceWindows: {
          type: 'array',
          // The operations guides' windows: weekly, and the longer monthly one on the first Sunday.
          default: [
            { name: 'weekly', weekdays: ['sunday'], daysOfMonth: [], start: '02:00', end: '04:00', location: 'UTC' },
            {
              name: 'monthly',
              weekdays: ['sunday'],
              daysOfMonth: ['1:7'],
              start: '02:00',
              end: '06:00',
              location: 'UTC',
            },
          ],
          description:
            'recurring maintenance windows (Alertmanager time_intervals) during which alerts of the severities in muteInMaintenance do not notify; default: Sunday 02:00-04:00 UTC and the first Sunday of the month 02:00-06:00 UTC',
          items: {
            type: 'object',
            additionalProperties: false,
            required: ['name', 'start', 'end'],
            properties: {
              name: {
                type: 'string',
                pattern: '^[a-z][a-z0-9-]{0,62}$',
                description: 'the name of the window: lower-case letters, digits and -',
              },
              weekdays: {
                type: 'array',
                default: [],
                items: {
                  type: 'string',
                  pattern: `^${WEEKDAY}(:${WEEKDAY})?$`,
                  description: 'a weekday or a range of them, such as sunday or monday:friday',
                },
                description: 'the days of the week of the window (empty: every day)',
              },
              daysOfMonth: {
                type: 'array',
                default: [],
                items: {
                  type: 'string',
                  pattern: '^-?([1-9]|[12][0-9]|3[01])(:-?([1-9]|[12][0-9]|3[01]))?$',
                  description: 'a day of the month or a range, such as 1:7 or -1 (the last day)',
                },
                description: 'the days of the month of the window (empty: every day)',
              },
              start: { type: 'string', pattern: '^([01][0-9]|2[0-3]):[0-5][0-9]$', description: 'start time, HH:MM' },
              end: {
                type: 'string',
                pattern: '^(([01][0-9]|2[0-3]):[0-5][0-9]|24:00)$',
                description: 'end time, HH:MM (up to 24:00), after start',
              },
              location: {
                type: 'string',
                pattern: '^[A-Za-z][A-Za-z0-9_+/-]*$',
                default: 'UTC',
                description: 'the IANA time zone of start and end, such as UTC or Europe/Berlin',
              },
            },
          },
        },
        muteInMaintenance: {
          type: 'array',
          uniqueItems: true,
          items: { type: 'string', enum: ['critical', 'warning', 'info'] },
          default: ['warning', 'info'],
          description: 'severities that stay quiet during maintenance windows; critical still pages unless listed here',
        },
        groupWait: {
          ...duration,
          default: '30s',
          description: `how long to wait to group the first alerts (${duration.description})`,
        },
        groupInterval: {
          ...duration,
          default: '5m',
          description: `how long to wait before notifying of new alerts in a group (${duration.description})`,
        },
        repeatInterval: {
          ...duration,
          default: '4h',
          description: `how long to wait before repeating a notification (${duration.description})`,
        },
      },
    },
    collector: {
      type: 'object',
      additionalProperties: false,
      default: {},
      properties: {
        tempo: {
          type: 'object',
          additionalProperties: false,
          default: {},
          properties: {
            endpoint: {
              type: 'string',
              pattern: '^[^\\s]+$',
              default: 'tempo:4317',
              description: 'host:port of the OTLP gRPC endpoint traces are exported to (Tempo)',
            },
            insecure: { type: 'boolean', default: true, description: 'send traces to Tempo without TLS' },
          },
        },
        loki: {
          type: 'object',
          additionalProperties: false,
          default: {},
          properties: {
            endpoint: {
              type: 'string',
              format: 'uri',
              pattern: '^https?://[^\\s]+$',
              default: 'http://loki:3100/otlp',
              description: "Loki's OTLP endpoint logs are exported to (the collector appends /v1/logs)",
            },
          },
        },
        resource: {
          type: 'object',
          additionalProperties: false,
          default: {},
          properties: {
            serviceNamespace: {
              type: 'string',
              minLength: 1,
              default: 'mcp',
              description: 'service.namespace set on telemetry that does not carry one',
            },
            deploymentEnvironment: {
              type: 'string',
              minLength: 1,
              default: 'production',
              description: 'deployment.environment.name set on telemetry that does not carry one',
            },
          },
        },
        memoryLimitMiB: {
          type: 'integer',
          minimum: 32,
          default: 400,
          description:
            "MiB the collector may use before it refuses data (memory_limiter): ~80% of its container's limit",
        },
        sampling: {
          type: 'object',
          additionalProperties: false,
          default: {},
          properties: {
            percentage: {
              type: 'number',
              minimum: 0,
              maximum: 100,
              default: 10,
              description:
                'percent of the other traces kept; error traces and traces slower than an SLO threshold always are',
            },
            decisionWait: {
              ...goDuration,
              default: '10s',
              description: `how long tail sampling waits for a trace's spans before deciding (${goDuration.description})`,
            },
          },
        },
        redaction: {
          type: 'object',
          additionalProperties: false,
          default: {},
          properties: {
            allowArguments: toolNames('tools whose captured arguments (gen_ai.tool.call.arguments) pass the collector'),
            allowResults: toolNames('tools whose captured results (gen_ai.tool.call.result) pass the collector'),
            blockedValues: {
              type: 'array',
              items: { type: 'string', minLength: 1 },
              default: [],
              description: 'more RE2 patterns masked in every attribute (bearer tokens, JWTs and API keys always are)',
            },
          },
        },
        routing: {
          type: 'object',
          additionalProperties: false,
          default: {},
          properties: {
            tenants: {
              type: 'array',
              uniqueItems: true,
              items: tenantId,
              default: [],
              description: 'tenant.id values routed to pipelines of their own, exported with X-Scope-OrgID: <tenant>',
            },
            defaultTenant: {
              ...tenantId,
              description:
                'X-Scope-OrgID of all other telemetry; required with tenants, without them set on everything',
            },
          },
        },
        operationsFromSpans: {
          type: 'object',
          additionalProperties: false,
          default: {},
          properties: {
            services: {
              type: 'array',
              uniqueItems: true,
              items: { type: 'string', pattern: '^[^"\\\\]{1,128}$' },
              default: [],
              description:
                'service.name of servers that send MCP SERVER spans but no metrics (the Python SDK): the collector computes mcp_server_operation_duration_seconds from their spans; a service that exports the metric itself would count twice',
            },
            tools: {
              type: 'array',
              uniqueItems: true,
              items: { type: 'string', pattern: '^[^"\\\\]{1,256}$' },
              default: [],
              description:
                'tool names those spans keep as the gen_ai_tool_name label; every other tool name is _OTHER (names come from clients)',
            },
          },
        },
      },
    },
  },
} as const;
