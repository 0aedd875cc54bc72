/**
 * `@modelcontextprotocol/server` 2.x: the same `Protocol` dispatch names as 1.x, but
 * - handlers get a `ctx`: `ctx.sessionId`, `ctx.http.authInfo`, `ctx.http.req` (a web `Request`), and on 2026-07-28
 *   requests `ctx.mcpReq.envelope['io.modelcontextprotocol/protocolVersion']`;
 * - `_onrequest` answers some requests before any handler runs (an era mismatch -32022, a method the era removed or
 *   nobody handles -32601, a malformed `_meta` envelope -32602);
 * - McpServer folds thrown tool errors and invalid arguments into an `isError` result with the bare message, so the
 *   code is read where the tool runs (`McpServer.prototype.executeToolHandler`);
 * - a handler's -32002 goes on the wire as -32602;
 * - `createMcpHandler(factory)` validates HTTP requests before any server exists (see `instrumentHandler`);
 * - server-initiated requests go through `_requestWithSchemaViaCodec(codec, request, …)`.
 * Every module ships ESM and CommonJS builds with their own copies of the classes; classes live in hashed chunks, so
 * the hook patches them through the package's main entry.
 */
import { JSONRPC, SPEC_REQUEST_METHODS, TOOL_ERROR } from '../contract.js';
import type { AuthInfo } from '../types.js';
import type { HookedModule, McpRequest, SdkAdapter } from './adapter.js';
import {
  OK,
  dispatchOf,
  isErrorResult,
  isServer,
  packageVersion,
  registeredPrompts,
  registeredTools,
  safeIntegerCode,
  transportErrorType,
  transportKindBy,
  wrapMethod,
} from './common.js';

const PACKAGE = '@modelcontextprotocol/server';
const PROTOCOL_VERSION_META_KEY = 'io.modelcontextprotocol/protocolVersion';

/** A handler's `ctx`, or the `extra` that `_onrequest` receives; reduced to what is read here. */
interface Context {
  sessionId?: string;
  /** `ctx.http`, for handlers. */
  http?: { authInfo?: AuthInfo; req?: { headers?: Headers } };
  /** `extra.authInfo` and `extra.request`, before a handler exists. */
  authInfo?: AuthInfo;
  request?: { headers?: Headers };
  classification?: { era?: string };
  mcpReq?: { signal?: AbortSignal; envelope?: Record<string, unknown> };
}

/** The methods of the 2026-07-28 revision; a spec method outside it is answered -32601 on a modern connection. */
const MODERN_METHODS = new Set([
  'tools/call',
  'tools/list',
  'prompts/get',
  'prompts/list',
  'resources/list',
  'resources/templates/list',
  'resources/read',
  'completion/complete',
  'server/discover',
  'subscriptions/listen',
]);
/** Methods only the 2026-07-28 revision has. */
const MODERN_ONLY = new Set(['server/discover', 'subscriptions/listen']);

/**
 * What happened inside McpServer's tools/call, keyed by the request's abort signal (one per request, kept when the SDK
 * copies the context): the tool ran, and the code of what it threw, if anything. An `isError` result of a tool that
 * never ran is McpServer's answer to invalid arguments.
 */
const toolRuns = new WeakMap<AbortSignal, { code: number | undefined }>();
const TOOL_RUNS_PATCHED = Symbol.for('mcp-observatory.v2.tool-runs');

/** Record tool runs of every McpServer of this prototype (idempotent; transparent to the tool). */
function watchToolRuns(prototype: object): void {
  const marked = prototype as { [TOOL_RUNS_PATCHED]?: true };
  if (marked[TOOL_RUNS_PATCHED] || typeof (prototype as Record<string, unknown>)['executeToolHandler'] !== 'function') {
    return;
  }
  Object.defineProperty(marked, TOOL_RUNS_PATCHED, { value: true });
  wrapMethod(
    prototype,
    'executeToolHandler',
    (original) =>
      // Not an async function: one callback on the tool's promise costs less than another async frame.
      function executeToolHandler(this: unknown, ...args: unknown[]) {
        const signal = (args[2] as Context | undefined)?.mcpReq?.signal;
        const run = { code: undefined as number | undefined };
        if (signal) toolRuns.set(signal, run);
        return Promise.resolve(original.apply(this, args)).catch((error: unknown) => {
          run.code = safeIntegerCode(error);
          throw error;
        });
      },
  );
}

/**
 * Whether a refusal of `createMcpHandler` was answered by the HTTP transport of a server it built for the request
 * (the legacy leg builds one before parsing the body): that transport reports it to its server, whose instrumentation
 * counts it as a transport error, so the handler's must not count it again.
 */
export function refusedByServerTransport(code: number | undefined, message: string): boolean {
  return (
    (code === JSONRPC.PARSE_ERROR && message.startsWith('Parse error: Invalid JSON')) ||
    (code === JSONRPC.INVALID_REQUEST && message.startsWith('Invalid Request:'))
  );
}

/** HTTP requests (web `Request`s) that reached an instrumented server's dispatch; the rest a handler refused. */
const reached = new WeakSet<object>();

/** Whether `request` reached the dispatch of an instrumented server (see lib/handler.ts). */
export function reachedServer(request: object): boolean {
  return reached.has(request);
}

function messageOf(error: unknown): string {
  try {
    return String((error as Error | undefined)?.message ?? '');
  } catch {
    return '';
  }
}

function headersOf(context: Context | undefined): Headers | undefined {
  return (context?.http?.req ?? context?.request)?.headers;
}

/** -32002 is tolerated on receipt only: both codecs of the SDK encode it as -32602. */
const encodeErrorCode = (code: number) => (code === JSONRPC.RESOURCE_NOT_FOUND ? JSONRPC.INVALID_PARAMS : code);

const serverModule: HookedModule = {
  packageName: PACKAGE,
  versions: '>=2.0.0 <3',
  esmFiles: /\/@modelcontextprotocol\/server\/dist\/index\.mjs(?:$|\?)/,
  patch(moduleExports, onServer, onHandler) {
    const exports = moduleExports as Record<string, { prototype: object } | ((...args: unknown[]) => unknown)>;
    const McpServer = exports['McpServer'] as { prototype: object } | undefined;
    const Server = exports['Server'] as { prototype: object } | undefined;
    if (!McpServer?.prototype || !Server?.prototype) throw new TypeError(`${PACKAGE} has no McpServer or Server class`);
    watchToolRuns(McpServer.prototype);
    const onConnect = (original: (this: unknown, ...args: unknown[]) => unknown) =>
      function connect(this: object, ...args: unknown[]) {
        onServer(this);
        return original.apply(this, args);
      };
    // McpServer first (its registered tools and prompts label the metrics), then the Server it connects, which
    // instrument() finds already done; low-level Servers through their own connect.
    const undo = [
      wrapMethod(McpServer.prototype, 'connect', onConnect),
      wrapMethod(Server.prototype, 'connect', onConnect),
    ];
    if (typeof exports['createMcpHandler'] === 'function') {
      undo.push(
        wrapMethod(
          exports,
          'createMcpHandler',
          (original) =>
            function createMcpHandler(this: unknown, ...args: unknown[]) {
              const handler = original.apply(this, args) as object;
              onHandler(handler);
              return handler;
            },
        ),
      );
    }
    return () => undo.forEach((each) => each());
  },
};

export const v2: SdkAdapter = {
  line: 'v2',
  packageName: PACKAGE,
  modules: [serverModule],
  version: packageVersion(PACKAGE, PACKAGE),

  owns: (dispatch) => typeof dispatch['_requestWithSchemaViaCodec'] === 'function',
  isServer,
  dispatchOf,
  prepare(server) {
    // An McpServer: learn where its tools run, once per class.
    if ((server as { server?: unknown }).server !== undefined) watchToolRuns(Object.getPrototypeOf(server) as object);
  },
  registeredTools,
  registeredPrompts,

  // serveStdio's connection is a StdioConnectionChannel.
  transportKind: transportKindBy(['StdioServerTransport', 'StdioConnectionChannel']),

  sessionId: (context) => (context as Context | undefined)?.sessionId,
  signal: (context) => (context as Context | undefined)?.mcpReq?.signal,
  authInfo: (context) => (context as Context | undefined)?.http?.authInfo ?? (context as Context | undefined)?.authInfo,
  header: (context, name) => headersOf(context as Context | undefined)?.get(name) ?? undefined,
  headers(context) {
    const headers = headersOf(context as Context | undefined);
    return headers ? Object.fromEntries(headers) : undefined;
  },
  protocolVersion(dispatch, context) {
    const enveloped = (context as Context | undefined)?.mcpReq?.envelope?.[PROTOCOL_VERSION_META_KEY];
    if (typeof enveloped === 'string') return enveloped;
    const negotiated = dispatch['_negotiatedProtocolVersion'];
    if (typeof negotiated === 'string') return negotiated;
    return headersOf(context as Context | undefined)?.get('mcp-protocol-version') ?? undefined;
  },

  dispatch(dispatch, request: McpRequest, extra, original) {
    const http = (extra as Context | undefined)?.request;
    if (http) reached.add(http);
    original();
    // A request that reaches its handler has an abort controller by the time _onrequest returns (the handler itself
    // runs a microtask later); one without was answered already, or dropped.
    const controllers = dispatch['_requestHandlerAbortControllers'] as Map<unknown, unknown> | undefined;
    if (!controllers || controllers.has(request.id)) return undefined;
    const classification = (extra as Context | undefined)?.classification;
    const shouldDrop = dispatch['_shouldDropInbound'] as ((message: McpRequest) => unknown) | undefined;
    if (classification === undefined && shouldDrop?.call(dispatch, request) === 'drop') return undefined;
    const servedModern = (dispatch['_servedModernEra'] as (() => boolean) | undefined)?.call(dispatch) ?? false;
    if (classification?.era !== undefined && (classification.era === 'modern') !== servedModern) {
      return JSONRPC.UNSUPPORTED_PROTOCOL_VERSION;
    }
    const method = request.method;
    const removed =
      SPEC_REQUEST_METHODS.includes(method) && (servedModern ? !MODERN_METHODS.has(method) : MODERN_ONLY.has(method));
    if (removed || !(dispatch._requestHandlers.has(method) || dispatch.fallbackRequestHandler)) {
      return JSONRPC.METHOD_NOT_FOUND;
    }
    return JSONRPC.INVALID_PARAMS; // the request's _meta envelope did not pass the era's check
  },
  errorTypeOfResult(result, context, mcpServer) {
    if (!isErrorResult(result)) return OK;
    const signal = (context as Context | undefined)?.mcpReq?.signal;
    const run = signal && toolRuns.get(signal);
    // No run recorded: either a low-level server's own isError result (a tool error), or McpServer's answer to
    // arguments that failed validation before the tool could run (the client's fault). Only McpServer records runs.
    if (!run) return mcpServer ? String(JSONRPC.INVALID_PARAMS) : TOOL_ERROR;
    // A protocol error thrown by the tool keeps its (encoded) code, as 1.x keeps it in the folded text.
    return run.code !== undefined && run.code <= -32000 && run.code >= -32768
      ? String(encodeErrorCode(run.code))
      : TOOL_ERROR;
  },
  wireErrorCode: (error) => encodeErrorCode(safeIntegerCode(error) ?? JSONRPC.INTERNAL_ERROR),
  // The HTTP transport answers a body that is JSON but no JSON-RPC message with -32700, as the label must; over stdio
  // there is no answer, and the JSON-RPC meaning (-32600) stands.
  transportErrorType: (error, transport) =>
    transport === 'tcp' &&
    transportErrorType(error) === String(JSONRPC.INVALID_REQUEST) &&
    !messageOf(error).startsWith('Invalid Request')
      ? String(JSONRPC.PARSE_ERROR)
      : transportErrorType(error),
  isIntermediate: (result) => (result as { resultType?: unknown } | undefined)?.resultType === 'input_required',

  outgoingRequest: { method: '_requestWithSchemaViaCodec', requestArgument: 1 },
};
