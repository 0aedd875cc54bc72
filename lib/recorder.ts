import { SpanStatusCode, context, isSpanContextValid } from '@opentelemetry/api';
import type { Attributes, Context, Span } from '@opentelemetry/api';
import { ATTR, DEFAULT_MAX_TENANTS, JSONRPC, LABEL, OTHER, TOOL_ERROR, isServerFault } from './contract.js';
import { createLogSink } from './logs.js';
import type { Level, LogRecord, LogSink } from './logs.js';
import { defaultRegistry, metricsFor } from './metrics.js';
import type { McpMetrics } from './metrics.js';
import type { CounterCell } from './series.js';
import { OK, errorCodeOf, errorTypeOfResult } from './outcome.js';
import { redactString, redactedJson } from './redaction.js';
import { guardFor, tenantFromAuth, toolGuardFor, validTenant, withTrustedHeader } from './tenants.js';
import type { TenantGuard } from './tenants.js';
import type { LabelGuard } from './label-guard.js';
import type { TenantSource, ToolCapture, InstrumentOptions } from './types.js';
import { injectMeta, startClientSpan, startServerSpan } from './tracing.js';
import type { Meta } from './tracing.js';
import { VERSION, sdkVersion } from './version.js';

/** What the SDK hands a request handler (`RequestHandlerExtra`), reduced to what the recorder reads. */
export interface HandlerExtra {
  sessionId?: string | undefined;
  authInfo?: TenantSource['authInfo'];
  requestInfo?: { headers?: Record<string, string | string[] | undefined> } | undefined;
}

export interface McpRequest {
  method: string;
  id?: string | number;
  params?: Record<string, unknown> & { _meta?: Meta };
}

/** The span target of a request: the tool or prompt name (low cardinality), never a resource URI. */
function targetOf(method: string, params: McpRequest['params']): string | undefined {
  if (method === 'tools/call' || method === 'prompts/get') {
    const name = params?.['name'];
    return typeof name === 'string' ? name : undefined;
  }
  return undefined;
}

function firstHeader(
  headers: Record<string, string | string[] | undefined> | undefined,
  key: string,
): string | undefined {
  const value = headers?.[key];
  return Array.isArray(value) ? value[0] : value;
}

/**
 * Turns MCP requests into telemetry. Built once per `instrument()` call from its options; every configuration choice
 * (tracing on or off, logging level, tenant tool metrics) is resolved here so the per-request path does not branch on
 * it. Every method that runs after the handler is guarded: a telemetry failure is counted, never thrown.
 */
export class Recorder {
  readonly metrics: McpMetrics;
  private readonly guard: TenantGuard;
  /** Tool names of low-level servers, whose registered tools the library cannot see. */
  private readonly toolGuard: LabelGuard;
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
    this.toolGuard = toolGuardFor(registry);
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
    this.metrics.buildInfo.cell(
      options.serviceName ?? process.env['OTEL_SERVICE_NAME'] ?? 'mcp-server',
      options.serviceVersion ?? process.env['npm_package_version'] ?? '',
      VERSION,
      sdkVersion(),
      process.versions.node,
    ).value = 1;
  }

  /** Count telemetry that was lost. */
  dropped(signal: 'span' | 'log' | 'metric', reason: string): void {
    this.metrics.telemetryDropped.inc({ [LABEL.SIGNAL]: signal, [LABEL.REASON]: reason });
  }

  private tenantOf(extra: HandlerExtra | undefined): string | undefined {
    if (!extra) return undefined;
    try {
      const tenant: unknown = this.resolveTenant({
        authInfo: extra.authInfo,
        headers: extra.requestInfo?.headers,
        sessionId: extra.sessionId,
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
   * The `gen_ai_tool_name` label of a tool name sent by a client: bounded, never as sent. An McpServer's registered
   * tools keep their names and anything else is `_OTHER`; a low-level server's names pass a first-come guard.
   */
  private toolLabel(name: string, registered: Record<string, unknown> | undefined): string {
    if (!registered) return this.toolGuard.label(name);
    return Object.prototype.hasOwnProperty.call(registered, name) ? name : OTHER;
  }

  /**
   * Begin a server operation for an incoming request. `known` is false for a method the server has no handler for:
   * its label is `_OTHER`, so clients cannot mint series by inventing methods. `registered` is the McpServer's tool
   * table, when the server is one.
   */
  begin(
    request: McpRequest,
    extra: HandlerExtra | undefined,
    transport: string,
    protocolVersion: string | undefined,
    known = true,
    registered?: Record<string, unknown>,
  ): Operation {
    const method = request.method;
    const params = request.params;
    const target = targetOf(method, params);
    const tenant = this.tenantOf(extra);
    const operation = new Operation(
      this,
      method,
      known ? method : OTHER,
      target,
      method === 'tools/call' && target !== undefined ? this.toolLabel(target, registered) : '',
      transport,
      tenant,
      this.guard.label(tenant),
      request.id,
      extra,
      params,
    );
    operation.inFlight.value++;
    this.startSpan(operation, protocolVersion);
    return operation;
  }

  private startServerSpan(operation: Operation, protocolVersion: string | undefined): void {
    const { method, target, tenant, extra, params } = operation;
    const attributes: Attributes = {
      [ATTR.MCP_METHOD_NAME]: method,
      [ATTR.NETWORK_TRANSPORT]: operation.transport,
    };
    if (operation.requestId !== undefined) attributes[ATTR.JSONRPC_REQUEST_ID] = String(operation.requestId);
    if (extra?.sessionId) attributes[ATTR.MCP_SESSION_ID] = extra.sessionId;
    if (protocolVersion) attributes[ATTR.MCP_PROTOCOL_VERSION] = protocolVersion;
    if (target !== undefined) {
      attributes[method === 'tools/call' ? ATTR.GEN_AI_TOOL_NAME : ATTR.GEN_AI_PROMPT_NAME] = target;
      if (method === 'tools/call') attributes[ATTR.GEN_AI_OPERATION_NAME] = 'execute_tool';
    }
    const uri = params?.['uri'];
    // A resource URI may carry credentials (`postgres://user:password@…`, `?token=…`): mask them like content.
    if (typeof uri === 'string') attributes[ATTR.MCP_RESOURCE_URI] = redactString(uri);
    if (tenant !== undefined) attributes[ATTR.TENANT_ID] = tenant;
    const user = enduserOf(extra);
    if (user) attributes[ATTR.ENDUSER_ID] = user;
    const forwarded = firstHeader(extra?.requestInfo?.headers, 'x-forwarded-for');
    if (forwarded) attributes[ATTR.CLIENT_ADDRESS] = forwarded.split(',')[0]!.trim();
    if (this.captureOf(operation)?.arguments) {
      attributes[ATTR.GEN_AI_TOOL_CALL_ARGUMENTS] = redactedJson(params?.['arguments']);
    }
    // Span names stay low-cardinality like labels: an unknown method or tool is named `_OTHER`; attributes keep the
    // names as sent.
    const name = operation.methodLabel;
    const spanTarget = method === 'tools/call' ? operation.toolLabel : target;
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
        span.end();
      } catch {
        this.dropped('span', 'record_failed');
      }
    }
    this.log(operation, errorType, seconds, resultJson);
  }

  private writeLogs(
    logs: LogSink,
    operation: Operation,
    errorType: string,
    seconds: number,
    resultJson: string | undefined,
  ): void {
    const { method, target, span, tenant, extra } = operation;
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
      [ATTR.MCP_SESSION_ID]: extra?.sessionId,
      [ATTR.JSONRPC_REQUEST_ID]: operation.requestId,
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
            who: enduserOf(extra) ?? extra?.authInfo?.clientId,
            [ATTR.TENANT_ID]: tenant,
            [ATTR.GEN_AI_TOOL_NAME]: target,
            outcome: errorType === OK ? 'ok' : errorType,
            duration_ms: record['duration_ms'],
            trace_id: record['trace_id'],
            [ATTR.MCP_SESSION_ID]: extra?.sessionId,
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

  /** A request with no handler: the SDK answers -32601 before anything runs. */
  methodNotFound(request: McpRequest, extra: HandlerExtra | undefined, transport: string, protocolVersion?: string) {
    const operation = this.begin(request, extra, transport, protocolVersion, false);
    operation.fail({ code: JSONRPC.METHOD_NOT_FOUND, message: 'Method not found' });
  }

  /** Count an error the transport or protocol layer reported outside any handler. */
  transportError(error: unknown, transport: string): void {
    const message = (error as Error | undefined)?.message ?? '';
    const errorType = message.startsWith('Parse error')
      ? String(JSONRPC.PARSE_ERROR)
      : message.startsWith('Invalid Request')
        ? String(JSONRPC.INVALID_REQUEST)
        : 'other';
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
   * Time a server-initiated request (sampling/createMessage, elicitation/create, roots/list …): a CLIENT span, whose
   * context is propagated in `params._meta`, and the client duration histogram.
   */
  async clientRequest<T>(
    request: McpRequest,
    transport: string,
    send: (request: McpRequest) => Promise<T>,
  ): Promise<T> {
    const startedAt = performance.now();
    let outgoing = request;
    let span: Span | undefined;
    let ctx: Context | undefined;
    if (this.tracing) {
      try {
        ({ span, ctx } = startClientSpan(request.method, {
          [ATTR.MCP_METHOD_NAME]: request.method,
          [ATTR.NETWORK_TRANSPORT]: transport,
        }));
        if (span.isRecording()) {
          const meta: Record<string, unknown> = { ...request.params?._meta };
          injectMeta(ctx, meta);
          outgoing = { ...request, params: { ...request.params, _meta: meta } };
        }
      } catch {
        this.dropped('span', 'record_failed');
      }
    }
    const done = (errorType: string) => {
      try {
        this.metrics.clientOperationDuration
          .cell(request.method, errorType, transport)
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
    const run = () => send(outgoing);
    try {
      const result = await (ctx ? context.with(ctx, run) : run());
      done(OK);
      return result;
    } catch (error) {
      done(String(errorCodeOf(error)));
      throw error;
    }
  }
}

function noop(): void {}

function enduserOf(extra: HandlerExtra | undefined): string | undefined {
  const claims = extra?.authInfo?.extra;
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
  readonly startedAt = performance.now();
  /** The in-flight gauge cell of this method, looked up once. */
  readonly inFlight: CounterCell;
  span: Span | undefined;
  ctx: Context | undefined;
  private finished = false;

  constructor(
    private readonly recorder: Recorder,
    /** The method as sent; `methodLabel` is what metrics carry. */
    readonly method: string,
    readonly methodLabel: string,
    /** The tool or prompt name as sent; `toolLabel` is what metrics carry ('' unless tools/call). */
    readonly target: string | undefined,
    readonly toolLabel: string,
    readonly transport: string,
    readonly tenant: string | undefined,
    readonly tenantLabel: string,
    readonly requestId: string | number | undefined,
    readonly extra: HandlerExtra | undefined,
    readonly params: McpRequest['params'],
  ) {
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
      this.recorder.finish(this, errorTypeOfResult(result), result);
    } catch {
      this.recorder.dropped('metric', 'record_failed');
    }
  }

  /** The handler threw `error`. Never throws. */
  fail(error: unknown): void {
    if (this.finished) return;
    this.finished = true;
    try {
      this.recorder.finish(this, String(errorCodeOf(error)), undefined);
    } catch {
      this.recorder.dropped('metric', 'record_failed');
    }
  }
}
