import { SpanStatusCode, context, isSpanContextValid } from '@opentelemetry/api';
import type { Attributes, Context, Span } from '@opentelemetry/api';
import {
  ATTR,
  DEFAULT_MAX_TENANTS,
  DEFAULT_MAX_TOOLS,
  LABEL,
  OTHER,
  SPEC_REQUEST_METHODS,
  TOOL_ERROR,
  isServerFault,
} from './contract.js';
import { createLogSink } from './logs.js';
import type { Level, LogRecord, LogSink } from './logs.js';
import { defaultRegistry, metricsFor } from './metrics.js';
import type { McpMetrics } from './metrics.js';
import type { CounterCell } from './series.js';
import type { Dispatch, McpRequest, RequestReader } from './sdk/index.js';
import { OK } from './sdk/common.js';
import { policyRejectionOf } from './policy.js';
import { redactString, redactedJson } from './redaction.js';
import { guardFor, tenantFromAuth, validTenant, withTrustedHeader } from './tenants.js';
import type { TenantGuard } from './tenants.js';
import type { AuthInfo, TenantSource, ToolCapture, InstrumentOptions } from './types.js';
import { injectMeta, startClientSpan, startServerSpan } from './tracing.js';
import { VERSION } from './version.js';

/**
 * One instrumented server as the recorder sees it: how to read its requests (its SDK line, or the wire for the
 * sidecar), its request handlers, and the tools and prompts it registered.
 */
export interface ServerView {
  readonly sdk: RequestReader;
  /** The SDK's dispatch, whose handlers tell which methods the server serves; undefined when nobody can tell. */
  readonly dispatch?: Dispatch;
  /** An McpServer's registered tools and prompts (live tables); undefined for a low-level Server. */
  readonly tools: Record<string, unknown> | undefined;
  readonly prompts: Record<string, unknown> | undefined;
}

/** The span target of a request: the tool or prompt name (low cardinality), never a resource URI. */
function targetOf(method: string, params: McpRequest['params']): string | undefined {
  if (method === 'tools/call' || method === 'prompts/get') {
    const name = params?.['name'];
    return typeof name === 'string' ? name : undefined;
  }
  return undefined;
}

/**
 * Names a server listed (`tools/list`, `prompts/list`): what a low-level Server, whose registrations the library
 * cannot see, may be labelled with. Names come from the server's own answers, never from a client, and are capped.
 */
class Listed {
  private readonly names = new Set<string>();

  constructor(private readonly max: number) {}

  note(result: unknown, key: 'tools' | 'prompts'): void {
    const items = (result as Record<string, unknown> | undefined)?.[key];
    if (!Array.isArray(items)) return;
    for (const item of items as { name?: unknown }[]) {
      if (this.names.size >= this.max) return;
      if (typeof item?.name === 'string' && item.name.length <= 256) this.names.add(item.name);
    }
  }

  has(name: string): boolean {
    return this.names.has(name);
  }
}

/**
 * Turns MCP requests into telemetry. Built once per `instrument()` call from its options; every configuration choice
 * (tracing on or off, logging level, tenant tool metrics) is resolved here so the per-request path does not branch on
 * it. Every method that runs after the handler is guarded: a telemetry failure is counted, never thrown.
 */
export class Recorder {
  readonly metrics: McpMetrics;
  private readonly guard: TenantGuard;
  /** Tools and prompts low-level servers listed: the only names of theirs a label or a span name may carry. */
  private readonly listedTools = new Listed(DEFAULT_MAX_TOOLS);
  private readonly listedPrompts = new Listed(DEFAULT_MAX_TOOLS);
  /** The SDK lines seen, each reported once in build info. */
  private readonly lines = new Set<RequestReader>();
  private readonly buildLabels: [service: string, version: string];
  private readonly resolveTenant: (source: TenantSource) => string | undefined;
  /** Per-tool capture settings; a Map, so a tool named `constructor` cannot reach Object.prototype. */
  private readonly capture: Map<string, ToolCapture>;
  /** Variants bound once from the options (tracing on or off, logs on or off, tenant tool metrics on or off). */
  private readonly tracing: boolean;
  private readonly startSpan: (operation: Operation, protocolVersion: string | undefined) => void;
  private readonly countTenantTool: (operation: Operation, errorType: string) => void;
  private readonly log: (operation: Operation, errorType: string, seconds: number, result: string | undefined) => void;

  constructor(options: InstrumentOptions = {}) {
    const registry = options.registry ?? defaultRegistry;
    this.metrics = metricsFor(registry, options.processMetrics ?? true);
    this.guard = guardFor(registry, options.maxTenants ?? DEFAULT_MAX_TENANTS);
    const resolve = options.resolveTenant ?? tenantFromAuth;
    this.resolveTenant = options.trustedTenantHeader
      ? withTrustedHeader(resolve, options.trustedTenantHeader)
      : resolve;
    this.capture = new Map(Object.entries(options.capture ?? {}));
    const logs = createLogSink(options.logs, (reason) => this.dropped('log', reason));
    this.log = logs ? (...args) => this.writeLogs(logs, ...args) : noop;
    this.tracing = options.tracing ?? true;
    this.startSpan = this.tracing ? (...args) => this.startServerSpan(...args) : noop;
    this.countTenantTool = options.tenantToolMetrics
      ? (operation, errorType) =>
          this.metrics.tenantToolCalls.cell(operation.tenantLabel, operation.toolLabel, errorType).value++
      : noop;
    this.buildLabels = [
      options.serviceName ?? process.env['OTEL_SERVICE_NAME'] ?? 'mcp-server',
      options.serviceVersion ?? process.env['npm_package_version'] ?? '',
    ];
  }

  /** A server of `sdk`'s line is instrumented: build info names that line's version (once per line). */
  serving(sdk: RequestReader): void {
    if (this.lines.has(sdk)) return;
    this.lines.add(sdk);
    this.metrics.buildInfo.cell(...this.buildLabels, VERSION, sdk.version(), process.versions.node).value = 1;
  }

  /** Count telemetry that was lost. */
  dropped(signal: 'span' | 'log' | 'metric', reason: string): void {
    this.metrics.telemetryDropped.inc({ [LABEL.SIGNAL]: signal, [LABEL.REASON]: reason });
  }

  /** Run telemetry work beside the request's path: a failure is counted, never thrown. */
  safely(work: () => void): void {
    try {
      work();
    } catch {
      this.dropped('metric', 'record_failed');
    }
  }

  private tenantOf(
    sdk: RequestReader,
    context: unknown,
    authInfo: AuthInfo | undefined,
    sessionId: string | undefined,
  ) {
    if (!context) return undefined;
    try {
      const tenant: unknown = this.resolveTenant({
        authInfo,
        sessionId,
        // A record of every header is built only for a resolver that reads it.
        get headers() {
          return sdk.headers(context);
        },
      });
      if (tenant === undefined) return undefined;
      // A resolver may return anything at run time: only a valid tenant id goes on, the rest is counted.
      const valid = validTenant(tenant);
      if (valid === undefined) this.metrics.hookErrors.inc({ [LABEL.HOOK]: 'resolveTenant' });
      return valid;
    } catch {
      this.metrics.hookErrors.inc({ [LABEL.HOOK]: 'resolveTenant' });
      return undefined;
    }
  }

  /**
   * The label (and span name part) of a tool or prompt name sent by a client: bounded, never as sent. An McpServer's
   * registered names keep their names, a low-level server's listed ones too; anything else is `_OTHER`.
   */
  private targetLabel(method: string, name: string | undefined, server: ServerView): string {
    if (name === undefined) return '';
    const [registered, listed] =
      method === 'tools/call' ? [server.tools, this.listedTools] : [server.prompts, this.listedPrompts];
    const known = registered ? Object.prototype.hasOwnProperty.call(registered, name) : listed.has(name);
    return known ? name : OTHER;
  }

  /**
   * Begin a server operation for an incoming request. `known` is false for a method the server has no handler for:
   * its label is `_OTHER`, so clients cannot mint series by inventing methods. `context` is what the SDK hands the
   * handler (or, for a request answered before any handler, the transport's extra).
   */
  begin(
    request: McpRequest,
    context: unknown,
    server: ServerView,
    transport: string,
    protocolVersion: string | undefined,
    known = true,
  ): Operation {
    const method = request.method;
    const params = request.params;
    const target = targetOf(method, params);
    const { sdk } = server;
    const authInfo = sdk.authInfo(context);
    const sessionId = sdk.sessionId(context);
    const tenant = this.tenantOf(sdk, context, authInfo, sessionId);
    const operation = new Operation(
      this,
      server,
      method,
      known ? method : OTHER,
      target,
      this.targetLabel(method, target, server),
      transport,
      tenant,
      this.guard.label(tenant),
      request.id,
      context,
      authInfo,
      sessionId,
      params,
    );
    operation.inFlight.value++;
    this.startSpan(operation, protocolVersion);
    return operation;
  }

  private startServerSpan(operation: Operation, protocolVersion: string | undefined): void {
    const { method, target, tenant, params } = operation;
    const attributes: Attributes = {
      [ATTR.MCP_METHOD_NAME]: method,
      [ATTR.NETWORK_TRANSPORT]: operation.transport,
    };
    if (operation.requestId !== undefined) attributes[ATTR.JSONRPC_REQUEST_ID] = String(operation.requestId);
    if (operation.sessionId) attributes[ATTR.MCP_SESSION_ID] = operation.sessionId;
    if (protocolVersion) attributes[ATTR.MCP_PROTOCOL_VERSION] = protocolVersion;
    if (target !== undefined) {
      attributes[method === 'tools/call' ? ATTR.GEN_AI_TOOL_NAME : ATTR.GEN_AI_PROMPT_NAME] = target;
      if (method === 'tools/call') attributes[ATTR.GEN_AI_OPERATION_NAME] = 'execute_tool';
    }
    const uri = params?.['uri'];
    // A resource URI may carry credentials (`postgres://user:password@…`, `?token=…`): mask them like content.
    if (typeof uri === 'string') attributes[ATTR.MCP_RESOURCE_URI] = redactString(uri);
    if (tenant !== undefined) attributes[ATTR.TENANT_ID] = tenant;
    const user = enduserOf(operation.authInfo);
    if (user) attributes[ATTR.ENDUSER_ID] = user;
    const forwarded = operation.server.sdk.header(operation.context, 'x-forwarded-for');
    if (forwarded) attributes[ATTR.CLIENT_ADDRESS] = forwarded.split(',')[0]!.trim();
    if (this.captureOf(operation)?.arguments) {
      attributes[ATTR.GEN_AI_TOOL_CALL_ARGUMENTS] = redactedJson(params?.['arguments']);
    }
    // Span names stay low-cardinality like labels: an unknown method, tool or prompt is named `_OTHER`; attributes keep
    // the names as sent.
    const name = operation.methodLabel;
    const spanTarget = operation.targetLabel;
    const { span, ctx } = startServerSpan(spanTarget ? `${name} ${spanTarget}` : name, attributes, params?._meta);
    operation.span = span;
    operation.ctx = ctx;
  }

  /** Capture settings of a tool call, if the app opted in for that tool. */
  private captureOf(operation: Operation): ToolCapture | undefined {
    return operation.method === 'tools/call' && operation.target !== undefined
      ? this.capture.get(operation.target)
      : undefined;
  }

  /** Record a finished operation. Never throws. */
  finish(operation: Operation, errorType: string, result: unknown): void {
    const seconds = (performance.now() - operation.startedAt) / 1000;
    const { methodLabel, span } = operation;
    const metrics = this.metrics;
    try {
      operation.inFlight.value--;
      const spanContext = span?.isRecording() ? span.spanContext() : undefined;
      metrics.serverOperationDuration
        .cell(methodLabel, operation.toolLabel, errorType, operation.transport)
        .observe(seconds, spanContext && { trace_id: spanContext.traceId, span_id: spanContext.spanId });
      metrics.tenantOperations.cell(operation.tenantLabel, methodLabel, errorType).value++;
      metrics.tenantOperationDuration.cell(operation.tenantLabel, methodLabel).observe(seconds);
      if (operation.method === 'tools/call') this.countTenantTool(operation, errorType);
    } catch {
      this.dropped('metric', 'record_failed');
    }
    if (errorType === OK && operation.server.tools === undefined) this.noteListed(operation.method, result);
    const resultJson = this.captureOf(operation)?.result && result !== undefined ? safeRedactedJson(result) : undefined;
    if (span) {
      try {
        if (errorType !== OK) {
          span.setAttribute(ATTR.ERROR_TYPE, errorType);
          if (errorType !== TOOL_ERROR) span.setAttribute(ATTR.RPC_RESPONSE_STATUS_CODE, errorType);
          // Only server-owned faults mark the span as failed; a client's bad request is the server working. The
          // status message is the error type, never the error's text: that is a result and may carry a secret.
          if (isServerFault(errorType)) span.setStatus({ code: SpanStatusCode.ERROR, message: errorType });
        }
        if (resultJson !== undefined) span.setAttribute(ATTR.GEN_AI_TOOL_CALL_RESULT, resultJson);
        if (operation.intermediate) span.setAttribute(ATTR.RESULT_TYPE, 'input_required');
        span.end();
      } catch {
        this.dropped('span', 'record_failed');
      }
    }
    this.log(operation, errorType, seconds, resultJson);
  }

  /** Learn the names a low-level server lists, so that its own tools and prompts keep their labels. */
  private noteListed(method: string, result: unknown): void {
    if (method === 'tools/list') this.listedTools.note(result, 'tools');
    else if (method === 'prompts/list') this.listedPrompts.note(result, 'prompts');
  }

  private writeLogs(
    logs: LogSink,
    operation: Operation,
    errorType: string,
    seconds: number,
    resultJson: string | undefined,
  ): void {
    const { method, target, span, tenant } = operation;
    const level: Level = errorType === OK ? 'info' : isServerFault(errorType) ? 'error' : 'warn';
    const audit = method === 'tools/call';
    if (!audit && !logs.enabled(level)) return;
    // A span of no registered SDK has an all-zero context: leave the ids out rather than log zeros.
    const spanContext = span && isSpanContextValid(span.spanContext()) ? span.spanContext() : undefined;
    const record: LogRecord = {
      [ATTR.MCP_METHOD_NAME]: method,
      [ATTR.GEN_AI_TOOL_NAME]: method === 'tools/call' ? target : undefined,
      [ATTR.GEN_AI_PROMPT_NAME]: method === 'prompts/get' ? target : undefined,
      duration_ms: Math.round(seconds * 1e6) / 1e3,
      [ATTR.ERROR_TYPE]: errorType === OK ? undefined : errorType,
      [ATTR.TENANT_ID]: tenant,
      trace_id: spanContext?.traceId,
      span_id: spanContext?.spanId,
      [ATTR.MCP_SESSION_ID]: operation.sessionId,
      [ATTR.JSONRPC_REQUEST_ID]: operation.requestId,
      [ATTR.RESULT_TYPE]: operation.intermediate ? 'input_required' : undefined,
    };
    const name = target === undefined ? method : `${method} ${target}`;
    try {
      if (logs.enabled(level)) {
        logs.write('request', level, errorType === OK ? name : `${name} failed`, record, operation.ctx);
      }
      if (audit) {
        const capture = this.captureOf(operation);
        logs.write(
          'audit',
          'info',
          'tool call',
          {
            who: enduserOf(operation.authInfo) ?? operation.authInfo?.clientId,
            [ATTR.TENANT_ID]: tenant,
            [ATTR.GEN_AI_TOOL_NAME]: target,
            outcome: errorType === OK ? 'ok' : errorType,
            duration_ms: record['duration_ms'],
            trace_id: record['trace_id'],
            [ATTR.MCP_SESSION_ID]: operation.sessionId,
            [ATTR.JSONRPC_REQUEST_ID]: operation.requestId,
            [ATTR.GEN_AI_TOOL_CALL_ARGUMENTS]: capture?.arguments
              ? safeRedactedJson(operation.params?.['arguments'])
              : undefined,
            [ATTR.GEN_AI_TOOL_CALL_RESULT]: resultJson,
          },
          operation.ctx,
        );
      }
    } catch {
      this.dropped('log', 'record_failed');
    }
  }

  /**
   * A request the SDK answered with `code` before any handler ran (a method nobody handles, one the protocol era
   * removed, a version or an envelope it refuses). Its method keeps its label if the server handles it or it is a
   * method of the specification; clients cannot mint series by inventing methods.
   */
  rejected(
    request: McpRequest,
    extra: unknown,
    server: ServerView,
    transport: string,
    protocolVersion: string | undefined,
    code: number,
    startedAt?: number,
  ) {
    const method = request.method;
    const known = server.dispatch?._requestHandlers.has(method) === true || SPEC_REQUEST_METHODS.includes(method);
    const operation = this.begin(request, extra, server, transport, protocolVersion, known);
    if (startedAt !== undefined) operation.startedAt = startedAt;
    operation.failWith(String(code));
  }

  /** Count an error the transport or protocol layer reported outside any handler, as the SDK line classifies it. */
  transportError(errorType: string, transport: string): void {
    this.metrics.transportErrors.cell(transport, errorType).value++;
  }

  /** Count an incoming notification. */
  notification(method: string): void {
    this.metrics.notifications.cell(method).value++;
  }

  /** A session opened; returns the function that records its end. */
  sessionStarted(transport: string): () => void {
    const startedAt = performance.now();
    const active = this.metrics.sessionsActive.cell(transport);
    active.value++;
    let ended = false;
    return () => {
      if (ended) return;
      ended = true;
      active.value--;
      this.metrics.serverSessionDuration.cell(transport).observe((performance.now() - startedAt) / 1000);
    };
  }

  /**
   * Begin a server-initiated request (sampling/createMessage, elicitation/create, roots/list …): a CLIENT span and the
   * client duration histogram. Returns the span's context and the function that records the client's answer.
   */
  clientOperation(method: string, transport: string): ClientOperation {
    const startedAt = performance.now();
    let span: Span | undefined;
    let ctx: Context | undefined;
    if (this.tracing) {
      try {
        ({ span, ctx } = startClientSpan(method, {
          [ATTR.MCP_METHOD_NAME]: method,
          [ATTR.NETWORK_TRANSPORT]: transport,
        }));
      } catch {
        this.dropped('span', 'record_failed');
      }
    }
    const done = (errorType: string) => {
      try {
        this.metrics.clientOperationDuration
          .cell(method, errorType, transport)
          .observe((performance.now() - startedAt) / 1000);
        if (span) {
          if (errorType !== OK) {
            span.setAttribute(ATTR.ERROR_TYPE, errorType);
            span.setStatus({ code: SpanStatusCode.ERROR, message: errorType });
          }
          span.end();
        }
      } catch {
        this.dropped('metric', 'record_failed');
      }
    };
    return { span, ctx, done };
  }

  /**
   * Time a server-initiated request the SDK sends: its CLIENT span's context is propagated in `params._meta`.
   */
  async clientRequest<T>(
    request: McpRequest,
    transport: string,
    wireCode: (error: unknown) => number,
    send: (request: McpRequest) => Promise<T>,
  ): Promise<T> {
    const { span, ctx, done } = this.clientOperation(request.method, transport);
    let outgoing = request;
    if (ctx && span?.isRecording()) {
      try {
        const meta: Record<string, unknown> = { ...request.params?._meta };
        injectMeta(ctx, meta);
        outgoing = { ...request, params: { ...request.params, _meta: meta } };
      } catch {
        this.dropped('span', 'record_failed');
      }
    }
    const run = () => send(outgoing);
    try {
      const result = await (ctx ? context.with(ctx, run) : run());
      done(OK);
      return result;
    } catch (error) {
      done(String(wireCode(error)));
      throw error;
    }
  }
}

/** A server-initiated request on its way to the client. */
export interface ClientOperation {
  span: Span | undefined;
  ctx: Context | undefined;
  /** Record the client's answer: `''` for a result, else the error type. */
  done(errorType: string): void;
}

function noop(): void {}

function enduserOf(authInfo: AuthInfo | undefined): string | undefined {
  const claims = authInfo?.extra;
  const user = claims?.['userId'] ?? claims?.['sub'];
  return typeof user === 'string' ? user : undefined;
}

function safeRedactedJson(value: unknown): string | undefined {
  try {
    return redactedJson(value);
  } catch {
    return undefined;
  }
}

/** One incoming request on its way through the handler. */
export class Operation {
  startedAt = performance.now();
  /** The in-flight gauge cell of this method, looked up once. */
  readonly inFlight: CounterCell;
  span: Span | undefined;
  ctx: Context | undefined;
  /** The handler asked the client for input (2026-07-28 `input_required`) instead of answering. */
  intermediate = false;
  private finished = false;

  /** The `gen_ai_tool_name` label: the bounded tool name of a tools/call, '' otherwise. */
  readonly toolLabel: string;

  constructor(
    private readonly recorder: Recorder,
    readonly server: ServerView,
    /** The method as sent; `methodLabel` is what metrics carry. */
    readonly method: string,
    readonly methodLabel: string,
    /** The tool or prompt name as sent; `targetLabel` is its bounded form for labels and span names. */
    readonly target: string | undefined,
    readonly targetLabel: string,
    readonly transport: string,
    readonly tenant: string | undefined,
    readonly tenantLabel: string,
    readonly requestId: string | number | undefined,
    /** The handler's context as the SDK line shapes it; read through `server.sdk`. */
    readonly context: unknown,
    readonly authInfo: AuthInfo | undefined,
    readonly sessionId: string | undefined,
    readonly params: McpRequest['params'],
  ) {
    this.toolLabel = method === 'tools/call' ? targetLabel : '';
    this.inFlight = recorder.metrics.operationsInFlight.cell(methodLabel);
  }

  /** Run the handler inside the operation's span context, so the app's own spans nest under it. */
  run<T>(handler: () => T): T {
    return this.ctx ? context.with(this.ctx, handler) : handler();
  }

  /** The handler returned `result`. Never throws: the response must not depend on telemetry. */
  end(result: unknown): void {
    if (this.finished) return;
    this.finished = true;
    try {
      const { sdk, tools } = this.server;
      this.intermediate = sdk.isIntermediate(result);
      const errorType = sdk.errorTypeOfResult(result, this.context, tools !== undefined);
      // A tool error the handler declared a rejection by policy is that policy's, a client fault.
      const policy = errorType === OK ? undefined : policyRejectionOf(sdk.signal(this.context));
      this.recorder.finish(this, policy ?? errorType, result);
    } catch {
      this.recorder.dropped('metric', 'record_failed');
    }
  }

  /** The handler threw `error`. Never throws. */
  fail(error: unknown): void {
    this.failWith(String(this.server.sdk.wireErrorCode(error)));
  }

  /**
   * The request never reached the MCP server: refused in front of it (by its auth layer, seen by the sidecar). It
   * leaves the in-flight gauge and its span ends unrecorded in the operation metrics. Never throws.
   */
  abandon(): void {
    if (this.finished) return;
    this.finished = true;
    try {
      this.inFlight.value--;
      this.span?.end();
    } catch {
      this.recorder.dropped('metric', 'record_failed');
    }
  }

  /** The request was answered with the error `errorType`. Never throws. */
  failWith(errorType: string): void {
    if (this.finished) return;
    this.finished = true;
    try {
      this.recorder.finish(this, errorType, undefined);
    } catch {
      this.recorder.dropped('metric', 'record_failed');
    }
  }
}
