import type { AnyRegistry } from './metrics.js';

/**
 * An MCP server `instrument()` accepts: the `McpServer` or the low-level `Server` of `@modelcontextprotocol/sdk` (1.x)
 * or of `@modelcontextprotocol/server` (2.x). Structural, so that neither SDK line is needed to compile against this
 * package; `instrument()` checks at run time that the object has an SDK's request dispatch.
 */
export interface InstrumentableServer {
  connect(transport: never): Promise<void>;
  close(): Promise<void>;
}

/** What an SDK's auth middleware (`req.auth`) says about a request; the shape both SDK lines share. */
export interface AuthInfo {
  token: string;
  clientId: string;
  scopes: string[];
  expiresAt?: number | undefined;
  extra?: Record<string, unknown> | undefined;
}

/** What the tenant resolver sees of a request. */
export interface TenantSource {
  /** The request's auth info, set by the app's auth middleware (`req.auth`): v1's `extra.authInfo`, v2's `ctx.http.authInfo`. */
  authInfo?: AuthInfo | undefined;
  /** HTTP request headers, when the transport is HTTP. */
  headers?: Record<string, string | string[] | undefined> | undefined;
  /** The MCP session id, when there is one. */
  sessionId?: string | undefined;
}

/** Content capture for one tool; off unless listed in {@link InstrumentOptions.capture}. */
export interface ToolCapture {
  /** Record the (redacted) tool arguments on the span and in the audit log. @default false */
  arguments?: boolean;
  /** Record the (redacted) tool result on the span and in the audit log. @default false */
  result?: boolean;
}

/** A destination for JSON log lines: a stream, or a function that receives each line (without the newline). */
export type LogDestination = { write(line: string): unknown } | ((line: string) => void);

export interface LogOptions {
  /**
   * Where request log lines go. Never stdout by default: stdio servers speak MCP on stdout.
   * @default process.stderr
   */
  destination?: LogDestination;
  /** Where audit lines for tool calls go. @default the same as `destination` */
  auditDestination?: LogDestination;
  /** Lowest level written: successful requests log at `info`, client faults at `warn`, server faults at `error`. @default 'info' */
  level?: 'debug' | 'info' | 'warn' | 'error' | 'silent';
  /** Also emit each line as an OpenTelemetry log record when a LoggerProvider is registered. @default true */
  otel?: boolean;
}

export interface InstrumentOptions {
  /** `service.name` for build info and logs. @default process.env.OTEL_SERVICE_NAME ?? 'mcp-server' */
  serviceName?: string;
  /** `service.version` for build info. @default process.env.npm_package_version ?? '' */
  serviceVersion?: string;
  /** prom-client registry the metrics are registered in. @default the registry shared by every instrumented server */
  registry?: AnyRegistry;
  /** Collect Node.js process metrics (CPU, memory, event-loop lag, GC) into the registry. @default true */
  processMetrics?: boolean;
  /** Create spans through the global OpenTelemetry tracer provider. @default true */
  tracing?: boolean;
  /** Structured JSON logs, or `false` for none. @default {} (stderr, info) */
  logs?: LogOptions | false;
  /**
   * Resolve the tenant of a request. Return `undefined` when there is none.
   * @default authInfo.extra.tenantId, else authInfo.clientId
   */
  resolveTenant?: (source: TenantSource) => string | undefined;
  /**
   * A request header trusted to carry the tenant id (for servers behind a gateway that sets it). Client-sent
   * headers are ignored unless named here; authInfo wins when both are present.
   * @default undefined
   */
  trustedTenantHeader?: string;
  /** Distinct tenant label values kept before the rest fold into `__overflow__`. @default 100 */
  maxTenants?: number;
  /** Also count tool calls per tenant and tool (`mcp_server_tenant_tool_calls_total`). @default false */
  tenantToolMetrics?: boolean;
  /** Per-tool content capture; tool arguments and results are never recorded otherwise. @default {} */
  capture?: Record<string, ToolCapture>;
}

/** What `instrument()` returns. */
export interface InstrumentHandle {
  /** Restore the server to exactly its uninstrumented behaviour. Idempotent. */
  uninstrument(): void;
}
