/**
 * What the instrumentation needs to know about one line of the MCP TypeScript SDK. Everything SDK-specific — patch
 * points, the shape of a handler's context, transport kinds, how errors are folded and encoded, versions, the modules
 * the zero-code hook patches — lives behind this interface, one adapter per line (`v1.ts`, `v2.ts`). Supporting another
 * line is another adapter in `index.ts`'s list; the recorder, `instrument()` and the hook do not change.
 */
import type { AuthInfo } from '../types.js';

/** A JSON-RPC request as a handler receives it. */
export interface McpRequest {
  method: string;
  id?: string | number;
  params?: Record<string, unknown> & { _meta?: Record<string, unknown> };
}

export type Handler = (request: McpRequest, context: unknown) => unknown;

/** The parts of the SDK's `Protocol` (every line) that request dispatch goes through. Internal to the SDK. */
export interface Dispatch {
  _requestHandlers: Map<string, Handler>;
  _notificationHandlers: Map<string, unknown>;
  _onrequest(request: McpRequest, extra?: unknown): void;
  _onnotification(notification: { method: string }, extra?: unknown): void;
  _onclose(): void;
  _onerror(error: Error): void;
  fallbackRequestHandler?: Handler;
  readonly transport?: object;
  [patchPoint: string]: unknown;
}

/** What the zero-code hook patches in one module of an SDK line. */
export interface HookedModule {
  /** The npm package. */
  packageName: string;
  /** The versions whose internals the adapter knows (semver range, as OpenTelemetry's module definitions take). */
  versions: string;
  /**
   * Files inside the package that hold the classes, when they are not reachable from its main entry; each is patched
   * by `patch` like the entry.
   */
  files?: readonly string[];
  /** Matches the module files that ES module imports must be hooked for (given to import-in-the-middle). */
  esmFiles: RegExp;
  /**
   * Patch the loaded module: call `onServer(server)` as each server (or McpServer) of this line connects, and wrap
   * whatever else the line needs. Returns the undo, or throws naming what the module lacks.
   */
  patch(moduleExports: unknown, onServer: (server: object) => void, onHandler: (handler: object) => void): () => void;
}

/**
 * What the recorder reads of a request's context and of its answer. The SDK adapters implement it for a handler's
 * context; the sidecar (`lib/sidecar/`) implements it for messages it sees on the wire.
 */
export interface RequestReader {
  /** What build info reports as `mcp_sdk_version`: the line's version read from disk once, `unknown` when unknown. */
  version(): string;
  /** From the handler's context (v1 `extra`, v2 `ctx`): the session id, if the connection has one. */
  sessionId(context: unknown): string | undefined;
  /** The app's auth middleware's verdict (`req.auth`). */
  authInfo(context: unknown): AuthInfo | undefined;
  /** The request's abort signal: one per request, the key of what a handler says about its own request. */
  signal(context: unknown): AbortSignal | undefined;
  /** One HTTP request header (lower-case name); undefined when absent or not HTTP. */
  header(context: unknown, name: string): string | undefined;
  /** Every HTTP request header, as a record (for the tenant resolver; built on demand). */
  headers(context: unknown): Record<string, string | string[] | undefined> | undefined;
  /**
   * `error.type` of a handler's result, `''` for a success. `mcpServer` tells whether an McpServer produced it: it
   * folds client faults (invalid arguments) into `isError` results too.
   */
  errorTypeOfResult(result: unknown, context: unknown, mcpServer: boolean): string;
  /** The JSON-RPC code the SDK writes on the wire for an error a handler threw. */
  wireErrorCode(error: unknown): number;
  /** Whether the result is an intermediate round (2026-07-28 `input_required`), not the request's final answer. */
  isIntermediate(result: unknown): boolean;
}

export interface SdkAdapter extends RequestReader {
  /** `v1`, `v2`: how the README and build info name the line. */
  readonly line: string;
  /** The package whose version build info reports. */
  readonly packageName: string;
  /** The modules the zero-code hook patches. */
  readonly modules: readonly HookedModule[];

  /** Whether `dispatch` (a low-level server) belongs to this line. */
  owns(dispatch: Dispatch): boolean;
  /** Whether `dispatch` is a server (clients share the `Protocol` class). */
  isServer(dispatch: object): boolean;

  /** The low-level server behind an McpServer or a Server; undefined when `server` is neither. */
  dispatchOf(server: object): Dispatch | undefined;
  /** Called once per server `instrument()` takes on, before any request: patches the line needs beyond dispatch. */
  prepare?(server: object): void;
  /** Names of the McpServer's registered tools and prompts (`server` as given to `instrument()`). */
  registeredTools(server: object): Record<string, unknown> | undefined;
  registeredPrompts(server: object): Record<string, unknown> | undefined;

  /** `network.transport` of a connection: `pipe` (stdio), `inproc`, or `tcp` (HTTP). */
  transportKind(transport: object | undefined): string;

  /** The protocol revision of this request, when the request or the connection says. */
  protocolVersion(dispatch: Dispatch, context: unknown): string | undefined;

  /**
   * Hand an incoming request to the SDK (`original`) and tell whether the SDK answered it with an error before any
   * handler ran: the JSON-RPC code it answered with, or undefined when a handler will run.
   */
  dispatch(dispatch: Dispatch, request: McpRequest, extra: unknown, original: () => void): number | undefined;
  /**
   * `error_type` of an error the transport (of `transport` kind) reported outside any handler: the code it answered
   * with where it answers (`-32700`, `-32600`), else what the error means, or `other`.
   */
  transportErrorType(error: unknown, transport: string): string;

  /** Name of the method that sends server-initiated requests, and the position of the request among its arguments. */
  readonly outgoingRequest: { method: string; requestArgument: number };
}
