import { OTHER, SPEC_NOTIFICATIONS } from './contract.js';
import type { Recorder, ServerView } from './recorder.js';
import { recorderFor } from './recorders.js';
import { adapterOf } from './sdk/index.js';
import type { Dispatch, Handler, McpRequest, SdkAdapter } from './sdk/index.js';
import type { InstrumentableServer, InstrumentHandle, InstrumentOptions } from './types.js';

const HANDLE = Symbol.for('mcp-observatory.handle');
const ORIGINAL = Symbol.for('mcp-observatory.original');

type Wrapped = Handler & { [ORIGINAL]?: Handler };

/**
 * Instrument an MCP server at request dispatch: every request (initialize, discover, ping, tools, resources, prompts,
 * completions, logging, tasks — and unknown methods) is timed, counted, traced and logged; requests the SDK refuses
 * before any handler runs are counted with the code it answered; notifications are counted; server-initiated requests
 * get CLIENT spans. Handlers registered before or after this call are covered alike. Works with the McpServer and the
 * Server of both SDK lines (`@modelcontextprotocol/sdk` 1.x, `@modelcontextprotocol/server` 2.x).
 *
 * Handlers run exactly once with the SDK's own context; results and errors reach the client unchanged.
 *
 * @example
 * const server = new McpServer({ name: 'docs', version: '1.0.0' });
 * instrument(server);
 */
export function instrument(
  server: InstrumentableServer,
  options: InstrumentOptions = DEFAULT_OPTIONS,
): InstrumentHandle {
  const found = adapterOf(server);
  if (!found) {
    throw new TypeError(
      'instrument() expects an McpServer or a Server of @modelcontextprotocol/sdk (1.x) or @modelcontextprotocol/server ' +
        `(2.x); got ${Object.prototype.toString.call(server)} without the SDK's request dispatch`,
    );
  }
  const { sdk, dispatch } = found;
  const existing = (dispatch as { [HANDLE]?: Instrumented })[HANDLE];
  if (existing?.active) return existing;

  sdk.prepare?.(server);
  const view: ServerView = {
    sdk,
    dispatch,
    tools: sdk.registeredTools(server),
    prompts: sdk.registeredPrompts(server),
  };
  const recorder = recorderFor(options);
  recorder.serving(sdk);
  const instrumented = new Instrumented(sdk, dispatch, view, recorder);
  Object.defineProperty(dispatch, HANDLE, { configurable: true, value: instrumented });
  // The patches are shared by every server (a server built per request pays for five assignments, not for closures).
  Object.assign(dispatch, PATCHES);
  dispatch[sdk.outgoingRequest.method] = onOutgoingRequest;
  return instrumented;
}

/** The dispatch methods the instrumentation patches, besides the SDK line's outgoing request method. */
const PATCHES = {
  _onrequest: onRequest,
  _onnotification: onNotification,
  _onerror: onError,
  _onclose: onClose,
};
const PATCHED = Object.keys(PATCHES);

/** One instrumented server: its state, what its patched methods did before, and the handle that undoes it all. */
class Instrumented implements InstrumentHandle {
  readonly handlers: Map<string, Handler>;
  readonly outgoing: string;
  /** What each patched method did before us: the SDK's, or another library's own patch on this instance. */
  readonly onrequest: Dispatch['_onrequest'];
  readonly onnotification: Dispatch['_onnotification'];
  readonly onerror: Dispatch['_onerror'];
  readonly onclose: Dispatch['_onclose'];
  readonly send: (this: Dispatch, ...args: unknown[]) => Promise<unknown>;
  /** The instance's own properties that the patches replaced (usually none: the SDK's methods are on its prototype). */
  private readonly own: [name: string, descriptor: PropertyDescriptor][] = [];
  /** False once uninstrumented: a patch someone kept a reference to then only calls what it replaced. */
  active = true;
  initializedVersion: string | undefined;
  sessionChecked = false;
  endSession: (() => void) | undefined;
  // The kind of the connection's transport, decided once per transport rather than per request.
  private kindOf: object | undefined;
  private kind = 'unknown';

  constructor(
    readonly sdk: SdkAdapter,
    readonly dispatch: Dispatch,
    readonly view: ServerView,
    readonly recorder: Recorder,
  ) {
    this.handlers = dispatch._requestHandlers;
    this.outgoing = sdk.outgoingRequest.method;
    this.onrequest = dispatch._onrequest;
    this.onnotification = dispatch._onnotification;
    this.onerror = dispatch._onerror;
    this.onclose = dispatch._onclose;
    this.send = dispatch[this.outgoing] as Instrumented['send'];
    for (const name of [...PATCHED, this.outgoing]) {
      if (Object.prototype.hasOwnProperty.call(dispatch, name)) {
        this.own.push([name, Object.getOwnPropertyDescriptor(dispatch, name)!]);
      }
    }
  }

  transport(): string {
    const current = this.dispatch.transport;
    if (current !== this.kindOf) {
      this.kindOf = current;
      this.kind = this.sdk.transportKind(current);
    }
    return this.kind;
  }

  version(context: unknown): string | undefined {
    return this.sdk.protocolVersion(this.dispatch, context) ?? this.initializedVersion;
  }

  // A connection has a session when its revision has one: stdio and in-process connections, and HTTP requests that
  // carry a session id (2025-era stateful HTTP). Stateless HTTP (2025 stateless, every 2026-07-28 request) has none.
  afterFirstRequest(request: McpRequest, result: unknown, context: unknown): void {
    try {
      if (request.method === 'initialize') {
        const negotiated = (result as { protocolVersion?: unknown } | undefined)?.protocolVersion;
        if (typeof negotiated === 'string') this.initializedVersion = negotiated;
      }
      if (this.sessionChecked) return;
      // The server/discover probe of a 2026-07-28 stdio client is answered by a throwaway server: not a session.
      if (request.method === 'server/discover') return;
      this.sessionChecked = true;
      const connection = this.transport();
      if (connection !== 'tcp' || this.sdk.sessionId(context) !== undefined) {
        this.endSession = this.recorder.sessionStarted(connection);
      }
    } catch {
      this.recorder.dropped('metric', 'record_failed');
    }
  }

  // A handler is wrapped the first time a request for it arrives, whenever it was registered: a server built per
  // request pays only for the method it serves, not for every handler it has (measured in bench/factory.mjs).
  wrapFor(method: string): void {
    const handler = this.handlers.get(method) as Wrapped | undefined;
    if (handler && !handler[ORIGINAL]) this.handlers.set(method, this.wrap(handler));
  }

  private wrap(handler: Wrapped): Wrapped {
    const recorder = this.recorder;
    const instrumented: Wrapped = (request, context) => {
      let operation;
      try {
        operation = recorder.begin(request, context, this.view, this.transport(), this.version(context));
      } catch {
        recorder.dropped('metric', 'record_failed');
        return handler(request, context);
      }
      let pending: unknown;
      try {
        pending = operation.run(() => handler(request, context));
      } catch (error) {
        operation.fail(error);
        throw error;
      }
      return Promise.resolve(pending).then(
        (result) => {
          operation.end(result);
          if (!this.sessionChecked || request.method === 'initialize') this.afterFirstRequest(request, result, context);
          return result;
        },
        (error: unknown) => {
          operation.fail(error);
          throw error;
        },
      );
    };
    instrumented[ORIGINAL] = handler;
    return instrumented;
  }

  uninstrument(): void {
    if (!this.active) return;
    this.active = false;
    const dispatch = this.dispatch;
    for (const name of [...PATCHED, this.outgoing]) delete (dispatch as Record<string, unknown>)[name];
    for (const [name, descriptor] of this.own) Object.defineProperty(dispatch, name, descriptor);
    for (const [method, handler] of this.handlers) {
      const original = (handler as Wrapped)[ORIGINAL];
      if (original) this.handlers.set(method, original);
    }
    this.endSession?.();
    this.endSession = undefined;
  }
}

function stateOf(dispatch: Dispatch): Instrumented {
  return (dispatch as unknown as { [HANDLE]: Instrumented })[HANDLE];
}

function onRequest(this: Dispatch, request: McpRequest, extra: unknown): void {
  const state = stateOf(this);
  if (!state.active) return state.onrequest.call(this, request, extra);
  // The SDK's dispatch runs exactly once whatever happens in ours, and what it throws is thrown as before.
  let called = false;
  let thrown: { error: unknown } | undefined;
  const original = () => {
    called = true;
    try {
      state.onrequest.call(this, request, extra);
    } catch (error) {
      thrown = { error };
    }
  };
  try {
    state.wrapFor(request.method);
    const code = state.sdk.dispatch(this, request, extra, original);
    if (code !== undefined) {
      state.recorder.rejected(request, extra, state.view, state.transport(), state.version(extra), code);
    }
  } catch {
    state.recorder.dropped('metric', 'record_failed');
  }
  if (!called) original();
  if (thrown) throw thrown.error;
}

function onNotification(this: Dispatch, notification: { method: string }, extra: unknown): void {
  const state = stateOf(this);
  if (!state.active) return state.onnotification.call(this, notification, extra);
  try {
    const method = notification.method;
    const known = SPEC_NOTIFICATIONS.includes(method) || this._notificationHandlers.has(method);
    state.recorder.notification(known ? method : OTHER);
  } catch {
    state.recorder.dropped('metric', 'record_failed');
  }
  return state.onnotification.call(this, notification, extra);
}

function onError(this: Dispatch, error: Error): void {
  const state = stateOf(this);
  if (!state.active) return state.onerror.call(this, error);
  try {
    const kind = state.transport();
    state.recorder.transportError(state.sdk.transportErrorType(error, kind), kind);
  } catch {
    state.recorder.dropped('metric', 'record_failed');
  }
  return state.onerror.call(this, error);
}

function onClose(this: Dispatch): void {
  const state = stateOf(this);
  if (!state.active) return state.onclose.call(this);
  try {
    return state.onclose.call(this);
  } finally {
    state.endSession?.();
    state.endSession = undefined;
    state.sessionChecked = false;
  }
}

function onOutgoingRequest(this: Dispatch, ...args: unknown[]): Promise<unknown> {
  const state = stateOf(this);
  if (!state.active) return state.send.apply(this, args);
  const { requestArgument } = state.sdk.outgoingRequest;
  return state.recorder.clientRequest(
    args[requestArgument] as McpRequest,
    state.transport(),
    state.sdk.wireErrorCode,
    (request) => {
      const forwarded = [...args];
      forwarded[requestArgument] = request;
      return state.send.apply(this, forwarded);
    },
  );
}

const DEFAULT_OPTIONS: InstrumentOptions = {};
