/**
 * Instrumentation of a fetch-style MCP HTTP handler (`createMcpHandler()` of `@modelcontextprotocol/server`). Its
 * validation ladder answers many requests before any server exists — a wrong content type, a malformed body, headers
 * that contradict the body, an unsupported protocol version, a bad `_meta` envelope — so `instrument(server)` inside
 * the factory never sees them. Wrapping the handler's `fetch` counts each of those with the code it answered; what
 * reached a server is left to that server's instrumentation.
 */
import { JSONRPC, OTHER, SPEC_REQUEST_METHODS } from './contract.js';
import { recorderFor } from './recorders.js';
import type { ServerView } from './recorder.js';
import { reachedServer, refusedByServerTransport, v2 } from './sdk/v2.js';
import type { AuthInfo, InstrumentOptions } from './types.js';

/** What `createMcpHandler()` returns, reduced to what is wrapped. */
export interface McpFetchHandler {
  fetch(request: Request, options?: { authInfo?: AuthInfo; [key: string]: unknown }): Promise<Response>;
}

const WRAPPED = Symbol.for('mcp-observatory.handler');

/** A server that registered nothing: a refused request names no tool of its own. */
const NO_SERVER: ServerView = {
  sdk: v2,
  tools: {},
  prompts: {},
};

/** Refusals of the transport itself, not of a request: counted as transport errors, by code or HTTP status. */
export function isTransportRefusal(status: number, code: number | undefined): boolean {
  return (
    status === 405 ||
    status === 406 ||
    status === 413 ||
    status === 415 ||
    code === JSONRPC.PARSE_ERROR ||
    code === JSONRPC.INVALID_REQUEST
  );
}

/**
 * Count what a fetch-style MCP handler refuses before any server exists, with the JSON-RPC code it answered (the
 * client's faults, -32020 header mismatch, -32022 unsupported version, -32602 envelope, stay out of the SLOs), and
 * transport refusals (415, 405, -32700, -32600) in `mcp_server_transport_errors_total`. Responses are untouched.
 * Idempotent; returns the handler.
 *
 * @example
 * const handler = instrumentHandler(createMcpHandler(() => { const s = new McpServer(info); instrument(s); … return s; }));
 * http.createServer(toNodeHandler(handler));
 */
export function instrumentHandler<T extends McpFetchHandler>(handler: T, options: InstrumentOptions = {}): T {
  const marked = handler as T & { [WRAPPED]?: true };
  if (marked[WRAPPED] || typeof handler.fetch !== 'function') return handler;
  const recorder = recorderFor(options);
  recorder.serving(v2);
  const original = handler.fetch;
  const fetch: McpFetchHandler['fetch'] = async function (this: unknown, request, requestOptions) {
    const startedAt = performance.now();
    const response = await original.call(this, request, requestOptions);
    if (response.status >= 400 && !reachedServer(request)) {
      void record(request, requestOptions?.authInfo, response, startedAt).catch(() =>
        recorder.dropped('metric', 'record_failed'),
      );
    }
    return response;
  };
  Object.defineProperty(handler, 'fetch', { configurable: true, writable: true, value: fetch });
  Object.defineProperty(handler, WRAPPED, { value: true });

  async function record(request: Request, authInfo: AuthInfo | undefined, response: Response, startedAt: number) {
    let body: { id?: unknown; error?: { code?: unknown; message?: unknown } } | undefined;
    if (response.headers.get('content-type')?.includes('json')) {
      body = (await response
        .clone()
        .json()
        .catch(() => undefined)) as typeof body;
    }
    const code = typeof body?.error?.code === 'number' ? body.error.code : undefined;
    if (refusedByServerTransport(code, String(body?.error?.message ?? ''))) return;
    if (isTransportRefusal(response.status, code)) {
      const errorType = code === undefined || code === -32000 ? `http_${response.status}` : String(code);
      recorder.metrics.transportErrors.cell('tcp', errorType).value++;
      return;
    }
    // A request the ladder refused: its method from the Mcp-Method header (2026-07-28 requests must send it).
    const method = request.headers.get('mcp-method') ?? '';
    const id = body?.id;
    recorder.rejected(
      {
        method: SPEC_REQUEST_METHODS.includes(method) ? method : OTHER,
        ...((typeof id === 'string' || typeof id === 'number') && { id }),
        params: method === 'tools/call' || method === 'prompts/get' ? { name: OTHER } : undefined,
      },
      { request, authInfo },
      NO_SERVER,
      'tcp',
      request.headers.get('mcp-protocol-version') ?? undefined,
      code ?? JSONRPC.INTERNAL_ERROR,
      startedAt,
    );
  }
  return handler;
}
