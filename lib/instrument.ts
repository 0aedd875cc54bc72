import { OTHER, SPEC_NOTIFICATIONS } from './contract.js';
import type { ServerView } from './recorder.js';
import { recorderFor } from './recorders.js';
import { adapterOf } from './sdk/index.js';
import type { Dispatch, Handler, McpRequest } from './sdk/index.js';
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
  const existing = (dispatch as { [HANDLE]?: InstrumentHandle })[HANDLE];
  if (existing) return existing;

  sdk.prepare?.(server);
  const view: ServerView = {
    sdk,
    dispatch,
    tools: sdk.registeredTools(server),
    prompts: sdk.registeredPrompts(server),
  };
  const recorder = recorderFor(options);
  recorder.serving(sdk);
  let initializedVersion: string | undefined;
  let sessionChecked = false;
  let endSession: (() => void) | undefined;

  // The kind of the connection's transport, decided once per transport rather than per request.
  let kindOf: object | undefined;
  let kind = 'unknown';
  const transport = () => {
    const current = dispatch.transport;
    if (current !== kindOf) {
      kindOf = current;
      kind = sdk.transportKind(current);
    }
    return kind;
  };
  const version = (context: unknown) => sdk.protocolVersion(dispatch, context) ?? initializedVersion;

  // A connection has a session when its revision has one: stdio and in-process connections, and HTTP requests that
  // carry a session id (2025-era stateful HTTP). Stateless HTTP (2025 stateless, every 2026-07-28 request) has none.
  const afterFirstRequest = (request: McpRequest, result: unknown, context: unknown) => {
    try {
      if (request.method === 'initialize') {
        const negotiated = (result as { protocolVersion?: unknown } | undefined)?.protocolVersion;
        if (typeof negotiated === 'string') initializedVersion = negotiated;
      }
      if (sessionChecked) return;
      // The server/discover probe of a 2026-07-28 stdio client is answered by a throwaway server: not a session.
      if (request.method === 'server/discover') return;
      sessionChecked = true;
      const connection = transport();
      if (connection !== 'tcp' || sdk.sessionId(context) !== undefined)
        endSession = recorder.sessionStarted(connection);
    } catch {
      recorder.dropped('metric', 'record_failed');
    }
  };

  const wrap = (handler: Wrapped): Wrapped => {
    if (handler[ORIGINAL]) return handler;
    const instrumented: Wrapped = (request, context) => {
      let operation;
      try {
        operation = recorder.begin(request, context, view, transport(), version(context));
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
          if (!sessionChecked || request.method === 'initialize') afterFirstRequest(request, result, context);
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
  };

  // A handler is wrapped the first time a request for it arrives, whenever it was registered: a server built per
  // request pays only for the method it serves, not for every handler it has (measured in bench/factory.mjs).
  const handlers = dispatch._requestHandlers;
  const wrapFor = (method: string) => {
    const handler = handlers.get(method) as Wrapped | undefined;
    if (handler && !handler[ORIGINAL]) handlers.set(method, wrap(handler));
  };

  // What each patched method did before us: the SDK's, or another library's own patch on this instance.
  const outgoing = sdk.outgoingRequest;
  const names = ['_onrequest', '_onnotification', '_onerror', '_onclose', outgoing.method] as const;
  const before = Object.fromEntries(names.map((name) => [name, dispatch[name]])) as Record<
    string,
    (this: Dispatch, ...args: unknown[]) => unknown
  >;
  const ownBefore = Object.fromEntries(names.map((name) => [name, Object.getOwnPropertyDescriptor(dispatch, name)]));
  const patches: Record<string, (this: Dispatch, ...args: never[]) => unknown> = {
    _onrequest(this: Dispatch, request: McpRequest, extra: unknown) {
      // The SDK's dispatch runs exactly once whatever happens in ours, and what it throws is thrown as before.
      let called = false;
      let thrown: { error: unknown } | undefined;
      const original = () => {
        called = true;
        try {
          before['_onrequest']!.call(this, request, extra);
        } catch (error) {
          thrown = { error };
        }
      };
      let code: number | undefined;
      try {
        wrapFor(request.method);
        code = sdk.dispatch(this, request, extra, original);
        if (code !== undefined) recorder.rejected(request, extra, view, transport(), version(extra), code);
      } catch {
        recorder.dropped('metric', 'record_failed');
      }
      if (!called) original();
      if (thrown) throw thrown.error;
    },
    _onnotification(this: Dispatch, notification: { method: string }, extra: unknown) {
      try {
        const method = notification.method;
        const known = SPEC_NOTIFICATIONS.includes(method) || this._notificationHandlers.has(method);
        recorder.notification(known ? method : OTHER);
      } catch {
        recorder.dropped('metric', 'record_failed');
      }
      return before['_onnotification']!.call(this, notification, extra);
    },
    _onerror(this: Dispatch, error: Error) {
      try {
        const kind = transport();
        recorder.transportError(sdk.transportErrorType(error, kind), kind);
      } catch {
        recorder.dropped('metric', 'record_failed');
      }
      return before['_onerror']!.call(this, error);
    },
    _onclose(this: Dispatch) {
      try {
        return before['_onclose']!.call(this);
      } finally {
        endSession?.();
        endSession = undefined;
        sessionChecked = false;
      }
    },
    [outgoing.method](this: Dispatch, ...args: unknown[]) {
      const send = before[outgoing.method]!;
      return recorder.clientRequest(
        args[outgoing.requestArgument] as McpRequest,
        transport(),
        sdk.wireErrorCode,
        (request) => {
          const forwarded = [...args];
          forwarded[outgoing.requestArgument] = request;
          return send.apply(this, forwarded) as Promise<unknown>;
        },
      );
    },
  };
  Object.assign(dispatch, patches);

  const handle: InstrumentHandle = {
    uninstrument() {
      if ((dispatch as { [HANDLE]?: InstrumentHandle })[HANDLE] !== handle) return;
      for (const [key, descriptor] of Object.entries(ownBefore)) {
        if (descriptor) Object.defineProperty(dispatch, key, descriptor);
        else delete (dispatch as Record<string, unknown>)[key];
      }
      for (const [method, handler] of handlers) {
        const original = (handler as Wrapped)[ORIGINAL];
        if (original) handlers.set(method, original);
      }
      endSession?.();
      endSession = undefined;
      delete (dispatch as { [HANDLE]?: InstrumentHandle })[HANDLE];
    },
  };
  Object.defineProperty(dispatch, HANDLE, { configurable: true, value: handle });
  return handle;
}

const DEFAULT_OPTIONS: InstrumentOptions = {};
