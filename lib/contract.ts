/**
 * The telemetry contract: every metric name, type, unit, bucket list and label key, and every span attribute key
 * that mcp-observatory emits. The instrumentation records only through these definitions and the generators
 * (rules, dashboards, collector config) read them, so nothing downstream can name a series that is not emitted.
 *
 * Names follow the OpenTelemetry semantic conventions for MCP (semantic-conventions-genai, status: development),
 * written the way OTel's Prometheus translation writes them: dots become underscores, the unit becomes a suffix.
 * The MCP conventions are experimental, so their keys are copied here as constants rather than imported.
 */

/** Span and log attribute keys. */
export const ATTR = {
  MCP_METHOD_NAME: 'mcp.method.name',
  MCP_SESSION_ID: 'mcp.session.id',
  MCP_PROTOCOL_VERSION: 'mcp.protocol.version',
  MCP_RESOURCE_URI: 'mcp.resource.uri',
  JSONRPC_REQUEST_ID: 'jsonrpc.request.id',
  GEN_AI_TOOL_NAME: 'gen_ai.tool.name',
  GEN_AI_PROMPT_NAME: 'gen_ai.prompt.name',
  GEN_AI_OPERATION_NAME: 'gen_ai.operation.name',
  GEN_AI_TOOL_CALL_ARGUMENTS: 'gen_ai.tool.call.arguments',
  GEN_AI_TOOL_CALL_RESULT: 'gen_ai.tool.call.result',
  ERROR_TYPE: 'error.type',
  RPC_RESPONSE_STATUS_CODE: 'rpc.response.status_code',
  NETWORK_TRANSPORT: 'network.transport',
  NETWORK_PROTOCOL_NAME: 'network.protocol.name',
  CLIENT_ADDRESS: 'client.address',
  TENANT_ID: 'tenant.id',
  ENDUSER_ID: 'enduser.id',
  /**
   * `input_required` on a 2026-07-28 round that asks the client for input rather than answering (the request comes
   * again with the input). Not a semantic-convention attribute: this library's own, hence its namespace.
   */
  RESULT_TYPE: 'mcp_observatory.result_type',
} as const;

/** Prometheus label keys: the semconv attribute keys with dots written as underscores. */
export const LABEL = {
  METHOD: 'mcp_method_name',
  TOOL: 'gen_ai_tool_name',
  ERROR_TYPE: 'error_type',
  TRANSPORT: 'network_transport',
  TENANT: 'tenant_id',
  SIGNAL: 'signal',
  REASON: 'reason',
  CACHE: 'cache',
  RESULT: 'result',
  DEPENDENCY: 'dependency',
  STATE: 'state',
  QUOTA: 'quota',
  POOL: 'pool',
  INDICATOR: 'indicator',
  QUEUE: 'queue',
  BACKUP: 'backup',
  HOOK: 'hook',
} as const;

/** Histogram buckets, in seconds, recommended by the MCP semantic conventions. */
export const DURATION_BUCKETS_SECONDS = [0.01, 0.02, 0.05, 0.1, 0.2, 0.5, 1, 2, 5, 10, 30, 60, 120, 300] as const;

export type MetricType = 'counter' | 'gauge' | 'histogram';

export interface MetricDefinition {
  /** The exposed name, `_total` included for counters. */
  readonly name: string;
  readonly type: MetricType;
  /** UCUM unit of the OTel instrument (`s`, `By`, `1`, `{request}` …); the Prometheus suffix follows from it. */
  readonly unit: string;
  readonly help: string;
  readonly labels: readonly string[];
  readonly buckets?: readonly number[];
}

function metric<const D extends MetricDefinition>(definition: D): D {
  return definition;
}

/** Metrics recorded by `instrument()` and the helpers. */
export const METRICS = {
  serverOperationDuration: metric({
    name: 'mcp_server_operation_duration_seconds',
    type: 'histogram',
    unit: 's',
    help: 'MCP request duration as observed on the server, from receipt until the result or error is ready.',
    labels: [LABEL.METHOD, LABEL.TOOL, LABEL.ERROR_TYPE, LABEL.TRANSPORT],
    buckets: DURATION_BUCKETS_SECONDS,
  }),
  clientOperationDuration: metric({
    name: 'mcp_client_operation_duration_seconds',
    type: 'histogram',
    unit: 's',
    help: 'Duration of server-initiated MCP requests (sampling, elicitation, roots) until the client answered.',
    labels: [LABEL.METHOD, LABEL.ERROR_TYPE, LABEL.TRANSPORT],
    buckets: DURATION_BUCKETS_SECONDS,
  }),
  serverSessionDuration: metric({
    name: 'mcp_server_session_duration_seconds',
    type: 'histogram',
    unit: 's',
    help: 'Duration of MCP sessions as observed on the server, from connect until close.',
    labels: [LABEL.TRANSPORT],
    buckets: DURATION_BUCKETS_SECONDS,
  }),
  notifications: metric({
    name: 'mcp_server_notifications_total',
    type: 'counter',
    unit: '{notification}',
    help: 'MCP notifications received from clients, by method.',
    labels: [LABEL.METHOD],
  }),
  transportErrors: metric({
    name: 'mcp_server_transport_errors_total',
    type: 'counter',
    unit: '{error}',
    help: 'Errors outside any handler: unparseable (-32700) or invalid (-32600) messages, rejected HTTP requests, failed sends.',
    labels: [LABEL.TRANSPORT, LABEL.ERROR_TYPE],
  }),
  operationsInFlight: metric({
    name: 'mcp_server_operations_in_flight',
    type: 'gauge',
    unit: '{request}',
    help: 'MCP requests being handled right now.',
    labels: [LABEL.METHOD],
  }),
  sessionsActive: metric({
    name: 'mcp_server_sessions_active',
    type: 'gauge',
    unit: '{session}',
    help: 'MCP sessions (server connections) open right now.',
    labels: [LABEL.TRANSPORT],
  }),
  tenantOperations: metric({
    name: 'mcp_server_tenant_operations_total',
    type: 'counter',
    unit: '{request}',
    help: 'MCP requests per tenant, method and error type (tenants bounded by the cardinality guard).',
    labels: [LABEL.TENANT, LABEL.METHOD, LABEL.ERROR_TYPE],
  }),
  tenantOperationDuration: metric({
    name: 'mcp_server_tenant_operation_duration_seconds',
    type: 'histogram',
    unit: 's',
    help: 'MCP request duration per tenant and method (tenants bounded by the cardinality guard).',
    labels: [LABEL.TENANT, LABEL.METHOD],
    buckets: DURATION_BUCKETS_SECONDS,
  }),
  tenantToolCalls: metric({
    name: 'mcp_server_tenant_tool_calls_total',
    type: 'counter',
    unit: '{request}',
    help: 'Tool calls per tenant, tool and error type. Opt-in: tenants x tools can be large.',
    labels: [LABEL.TENANT, LABEL.TOOL, LABEL.ERROR_TYPE],
  }),
  buildInfo: metric({
    name: 'mcp_server_build_info',
    type: 'gauge',
    unit: '1',
    help: 'Always 1; labels name the service and the versions it runs.',
    labels: ['service_name', 'service_version', 'mcp_observatory_version', 'mcp_sdk_version', 'nodejs_version'],
  }),
  cacheRequests: metric({
    name: 'mcp_server_cache_requests_total',
    type: 'counter',
    unit: '{request}',
    help: 'Cache lookups reported by the application, by cache and result (hit or miss).',
    labels: [LABEL.CACHE, LABEL.RESULT],
  }),
  circuitBreakerState: metric({
    name: 'mcp_server_circuit_breaker_state',
    type: 'gauge',
    unit: '1',
    help: 'Circuit-breaker state per dependency: 1 for the current state (closed, open, half_open), 0 for the others.',
    labels: [LABEL.DEPENDENCY, LABEL.STATE],
  }),
  authFailures: metric({
    name: 'mcp_server_auth_failures_total',
    type: 'counter',
    unit: '{request}',
    help: 'Requests rejected by authentication or authorization, by reason.',
    labels: [LABEL.REASON],
  }),
  rateLimited: metric({
    name: 'mcp_server_rate_limited_requests_total',
    type: 'counter',
    unit: '{request}',
    help: 'Requests rejected by a rate limit, per tenant.',
    labels: [LABEL.TENANT],
  }),
  tenantQuotaRemaining: metric({
    name: 'mcp_server_tenant_quota_remaining_ratio',
    type: 'gauge',
    unit: '1',
    help: 'Share of a tenant quota still available (0 to 1), per tenant and quota.',
    labels: [LABEL.TENANT, LABEL.QUOTA],
  }),
  securityIndicators: metric({
    name: 'mcp_server_security_indicators_total',
    type: 'counter',
    unit: '{event}',
    help: 'Signs of a security breach the application detected, by indicator.',
    labels: [LABEL.INDICATOR],
  }),
  poolUsage: metric({
    name: 'mcp_server_pool_usage_ratio',
    type: 'gauge',
    unit: '1',
    help: 'Share (0 to 1) of a resource pool in use (database connections, HTTP client sockets, workers), per pool.',
    labels: [LABEL.POOL],
  }),
  queueDepth: metric({
    name: 'mcp_server_queue_depth',
    type: 'gauge',
    unit: '{item}',
    help: 'Items waiting in an application queue (background tasks, jobs), per queue.',
    labels: [LABEL.QUEUE],
  }),
  backups: metric({
    name: 'mcp_server_backups_total',
    type: 'counter',
    unit: '{backup}',
    help: 'Backups the application ran, per backup and result (success or failure).',
    labels: [LABEL.BACKUP, LABEL.RESULT],
  }),
  backupLastSuccess: metric({
    name: 'mcp_server_backup_last_success_timestamp_seconds',
    type: 'gauge',
    unit: 's',
    help: 'Unix time of the last successful backup, per backup.',
    labels: [LABEL.BACKUP],
  }),
  telemetryDropped: metric({
    name: 'mcp_observatory_telemetry_dropped_total',
    type: 'counter',
    unit: '{item}',
    help: 'Telemetry mcp-observatory could not deliver, by signal (span, log, metric) and reason.',
    labels: [LABEL.SIGNAL, LABEL.REASON],
  }),
  tenantOverflow: metric({
    name: 'mcp_observatory_tenant_overflow_total',
    type: 'counter',
    unit: '{request}',
    help: 'Requests whose tenant was folded into the overflow tenant value by the cardinality guard.',
    labels: [],
  }),
  tenantsTracked: metric({
    name: 'mcp_observatory_tenants_tracked',
    type: 'gauge',
    unit: '{tenant}',
    help: 'Distinct tenant label values admitted by the cardinality guard.',
    labels: [],
  }),
  hookErrors: metric({
    name: 'mcp_observatory_hook_errors_total',
    type: 'counter',
    unit: '{error}',
    help: 'Errors thrown by user hooks (tenant resolver, attribute hooks); the request was served regardless.',
    labels: [LABEL.HOOK],
  }),
} as const;

/**
 * Node.js process metrics exposed through prom-client's default collectors (names are prom-client's). Listed so the
 * generators can check that a rule or panel names a series the library really exposes.
 */
export const PROCESS_METRICS = {
  cpuSeconds: 'process_cpu_seconds_total',
  cpuUserSeconds: 'process_cpu_user_seconds_total',
  cpuSystemSeconds: 'process_cpu_system_seconds_total',
  residentMemory: 'process_resident_memory_bytes',
  virtualMemory: 'process_virtual_memory_bytes',
  heapBytes: 'process_heap_bytes',
  openFds: 'process_open_fds',
  maxFds: 'process_max_fds',
  startTime: 'process_start_time_seconds',
  eventLoopLag: 'nodejs_eventloop_lag_seconds',
  eventLoopLagP99: 'nodejs_eventloop_lag_p99_seconds',
  activeHandles: 'nodejs_active_handles_total',
  activeRequests: 'nodejs_active_requests_total',
  heapSizeTotal: 'nodejs_heap_size_total_bytes',
  heapSizeUsed: 'nodejs_heap_size_used_bytes',
  externalMemory: 'nodejs_external_memory_bytes',
  gcDuration: 'nodejs_gc_duration_seconds',
  version: 'nodejs_version_info',
} as const;

/**
 * The OpenTelemetry semantic-convention process metrics (`process.cpu.time`, `process.memory.usage`), as a collector's
 * Prometheus exporter names them: what a server in another language sends over OTLP instead of `process_*`. The
 * language-neutral runtime panels read them next to PROCESS_METRICS.
 */
export const OTEL_PROCESS_METRICS = {
  cpuTime: 'process_cpu_time_seconds_total',
  memoryUsage: 'process_memory_usage_bytes',
} as const;

/**
 * The series an OpenTelemetry Prometheus exporter (the collector's) writes for each service it holds metrics of, with
 * the service's resource attributes; it disappears when the service stops sending. A collector-fed service has no
 * `up` of its own: its liveness rests on this.
 */
export const TARGET_INFO = 'target_info';

/**
 * Label value of a method or tool the server does not know (OpenTelemetry's convention for unknown HTTP methods).
 * Method and tool names arrive from clients: labelling them as sent would let any client explode the series count.
 */
export const OTHER = '_OTHER';
/** Tool (and prompt) names a low-level `Server` listed that keep their labels; it names them, clients do not. */
export const DEFAULT_MAX_TOOLS = 500;
/** Client-to-server notifications of the MCP specification, counted by name even when the app handles none. */
export const SPEC_NOTIFICATIONS: readonly string[] = [
  'notifications/initialized',
  'notifications/cancelled',
  'notifications/progress',
  'notifications/roots/list_changed',
  'notifications/tasks/status',
];

/** Label value for tenants folded by the cardinality guard. */
export const TENANT_OVERFLOW = '__overflow__';
/** Label value when a request carries no tenant (no auth, no trusted header). */
export const TENANT_NONE = 'none';
/** Longest tenant id kept; a longer one is no tenant id but a misbehaving resolver (or an attack). */
export const MAX_TENANT_LENGTH = 128;
/** Default number of distinct tenant label values kept before folding. */
export const DEFAULT_MAX_TENANTS = 100;

/** `error.type` of a tool result with `isError: true`. */
export const TOOL_ERROR = 'tool_error';

/** JSON-RPC and MCP error codes used for classification. */
export const JSONRPC = {
  PARSE_ERROR: -32700,
  INVALID_REQUEST: -32600,
  METHOD_NOT_FOUND: -32601,
  INVALID_PARAMS: -32602,
  INTERNAL_ERROR: -32603,
  CONNECTION_CLOSED: -32000,
  REQUEST_TIMEOUT: -32001,
  RESOURCE_NOT_FOUND: -32002,
  /** 2026-07-28: the request's headers and body disagree (`MCP-Protocol-Version`, `Mcp-Method`, `Mcp-Name`). */
  HEADER_MISMATCH: -32020,
  /** 2026-07-28: the request lacks a client capability the server needs to ask for input. */
  MISSING_CLIENT_CAPABILITY: -32021,
  /** The request names a protocol version the server does not serve. */
  UNSUPPORTED_PROTOCOL_VERSION: -32022,
  /** 2025 era: the client must complete a URL elicitation before the request can succeed. */
  URL_ELICITATION_REQUIRED: -32042,
} as const;

/**
 * `error.type` of a tool call the server refused by policy (see `rejectByPolicy`): the caller exceeded its rate limit
 * or quota, or is not allowed the tool. The server worked as designed: these never count against its SLOs.
 */
export const POLICY_REJECTIONS = ['rate_limited', 'quota_exceeded', 'forbidden'] as const;
export type PolicyRejection = (typeof POLICY_REJECTIONS)[number];

/**
 * `error.type` values that are the client's fault: malformed requests, unknown methods, bad parameters, unknown
 * resources, headers that contradict the body, a protocol version or a capability the client did not bring, an
 * elicitation the user still has to complete, a call refused by policy. SLOs count only the other, server-owned, errors.
 */
export const CLIENT_FAULT_ERROR_TYPES: readonly string[] = [
  JSONRPC.PARSE_ERROR,
  JSONRPC.INVALID_REQUEST,
  JSONRPC.METHOD_NOT_FOUND,
  JSONRPC.INVALID_PARAMS,
  JSONRPC.RESOURCE_NOT_FOUND,
  JSONRPC.HEADER_MISMATCH,
  JSONRPC.MISSING_CLIENT_CAPABILITY,
  JSONRPC.UNSUPPORTED_PROTOCOL_VERSION,
  JSONRPC.URL_ELICITATION_REQUIRED,
  ...POLICY_REJECTIONS,
].map(String);

/**
 * Request methods of the MCP specification, both eras (2025 sessions, 2026-07-28 stateless). A request the server
 * never reached a handler for keeps its method label only if it is one of these; anything else is `_OTHER`.
 */
export const SPEC_REQUEST_METHODS: readonly string[] = [
  'initialize',
  'ping',
  'server/discover',
  'subscriptions/listen',
  'tools/list',
  'tools/call',
  'prompts/list',
  'prompts/get',
  'resources/list',
  'resources/templates/list',
  'resources/read',
  'resources/subscribe',
  'resources/unsubscribe',
  'completion/complete',
  'logging/setLevel',
  'tasks/get',
  'tasks/result',
  'tasks/list',
  'tasks/cancel',
];

/**
 * Requests of the MCP specification that a server sends and a client answers (both eras): the sidecar labels a
 * server-initiated request with its method only if it is one of these.
 */
export const SPEC_CLIENT_REQUEST_METHODS: readonly string[] = [
  'ping',
  'sampling/createMessage',
  'elicitation/create',
  'roots/list',
  'tasks/get',
  'tasks/result',
  'tasks/list',
  'tasks/cancel',
];

/**
 * `error.type` of a request the sidecar could not deliver: the MCP server behind it refused the connection, or
 * answered with no HTTP response at all. A server fault: the service is down for its clients.
 */
export const UPSTREAM_UNAVAILABLE = 'upstream_unavailable';

/** True when an `error.type` value counts against the server (tool errors, internal and server-range errors). */
export function isServerFault(errorType: string): boolean {
  return errorType !== '' && !CLIENT_FAULT_ERROR_TYPES.includes(errorType);
}

/** Circuit-breaker states accepted by `mcp_server_circuit_breaker_state`. */
export const CIRCUIT_STATES = ['closed', 'open', 'half_open'] as const;

/**
 * Signs of a security breach an app can report (the operations guides page on any of them at once): a token used from
 * where it must not be, a tool asked for more than its scope allows, data leaving that must not, a prompt injection
 * caught, state changed that must not change. The app decides what it detects; the list bounds the label.
 */
export const SECURITY_INDICATORS = [
  'token_misuse',
  'privilege_escalation',
  'data_exfiltration',
  'prompt_injection',
  'tampering',
  'other',
] as const;

/** Bounded reasons for `mcp_server_auth_failures_total`; anything else is recorded as `other`. */
export const AUTH_FAILURE_REASONS = [
  'missing_token',
  'invalid_token',
  'expired_token',
  'insufficient_scope',
  'forbidden',
  'other',
] as const;

/** Instrumentation scope name of the tracer and logger. */
export const INSTRUMENTATION_SCOPE = 'mcp-observatory';

/** The structured log record: one line per request, keys in this order. */
export const LOG_FIELDS = [
  'time',
  'level',
  'msg',
  'channel',
  ATTR.MCP_METHOD_NAME,
  ATTR.GEN_AI_TOOL_NAME,
  'duration_ms',
  ATTR.ERROR_TYPE,
  ATTR.TENANT_ID,
  'trace_id',
  'span_id',
  ATTR.MCP_SESSION_ID,
  ATTR.JSONRPC_REQUEST_ID,
] as const;
