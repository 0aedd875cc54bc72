/**
 * `@modelcontextprotocol/sdk` 1.x (from 1.10): `Protocol` in `dist/{esm,cjs}/shared/protocol.js`, handlers called as
 * `handler(request, extra)` with `extra.sessionId`, `extra.authInfo` and `extra.requestInfo.headers`; McpServer folds
 * every tools/call error into an `isError` result whose text starts `MCP error <code>:` for an McpError.
 */
import { JSONRPC, TOOL_ERROR } from '../contract.js';
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

const PACKAGE = '@modelcontextprotocol/sdk';

interface Extra {
  signal?: AbortSignal;
  sessionId?: string;
  authInfo?: AuthInfo;
  requestInfo?: { headers?: Record<string, string | string[] | undefined> };
}

// The code of an McpError thrown inside tools/call, folded by McpServer into the result's text. A tool output that
// fails its own schema is the server's fault, whatever its code. Only the JSON-RPC range counts: a tool may echo
// client text that happens to begin the same way, and its digits must not mint label values.
const FOLDED_MCP_ERROR = /^MCP error (-32[0-7]\d\d): (?!Output validation error)/;

function first(value: string | string[] | undefined): string | undefined {
  return Array.isArray(value) ? value[0] : value;
}

/**
 * The SDK ships both builds; an app loads one (or, through a dual-package hazard, both). Every server connects through
 * `Protocol.prototype.connect` (clients too, told apart by the caller); an McpServer connects first through its own
 * `connect`, where its registered tools and prompts can be seen.
 */
const protocolModule: HookedModule = {
  packageName: PACKAGE,
  versions: '>=1.10.0 <2',
  files: ['esm', 'cjs'].flatMap((build) => [
    `${PACKAGE}/dist/${build}/shared/protocol.js`,
    `${PACKAGE}/dist/${build}/server/mcp.js`,
  ]),
  esmFiles: /\/@modelcontextprotocol\/sdk\/dist\/esm\/(?:shared\/protocol|server\/mcp)\.js(?:$|\?)/,
  patch(moduleExports, onServer) {
    const exports = moduleExports as
      { Protocol?: { prototype: object }; McpServer?: { prototype: object } } | undefined;
    const prototype = (exports?.Protocol ?? exports?.McpServer)?.prototype;
    if (!prototype) throw new TypeError(`${PACKAGE} has no Protocol or McpServer class where expected`);
    return wrapMethod(
      prototype,
      'connect',
      (original) =>
        function connect(this: object, ...args: unknown[]) {
          onServer(this);
          return original.apply(this, args);
        },
    );
  },
};

export const v1: SdkAdapter = {
  line: 'v1',
  packageName: PACKAGE,
  modules: [protocolModule],
  version: packageVersion(PACKAGE, `${PACKAGE}/server/index.js`),

  owns: (dispatch) => typeof dispatch['_requestWithSchemaViaCodec'] !== 'function',
  isServer,
  dispatchOf,
  registeredTools,
  registeredPrompts,

  transportKind: transportKindBy(['StdioServerTransport']),

  sessionId: (extra) => (extra as Extra | undefined)?.sessionId,
  signal: (extra) => (extra as Extra | undefined)?.signal,
  authInfo: (extra) => (extra as Extra | undefined)?.authInfo,
  header: (extra, name) => first((extra as Extra | undefined)?.requestInfo?.headers?.[name]),
  headers: (extra) => (extra as Extra | undefined)?.requestInfo?.headers,
  // The 2025 era: the version of the initialize handshake (kept by instrument()), or the header of each HTTP request.
  protocolVersion: (_dispatch, extra) =>
    first((extra as Extra | undefined)?.requestInfo?.headers?.['mcp-protocol-version']),

  dispatch(dispatch, request: McpRequest, _extra, original) {
    const missing = !dispatch._requestHandlers.has(request.method) && !dispatch.fallbackRequestHandler;
    original();
    return missing ? JSONRPC.METHOD_NOT_FOUND : undefined;
  },
  errorTypeOfResult(result) {
    if (!isErrorResult(result)) return OK;
    const text = (result as { content?: { type?: string; text?: unknown }[] }).content?.[0];
    if (text?.type === 'text' && typeof text.text === 'string') {
      const folded = FOLDED_MCP_ERROR.exec(text.text);
      if (folded) return folded[1]!;
    }
    return TOOL_ERROR;
  },
  wireErrorCode: (error) => safeIntegerCode(error) ?? JSONRPC.INTERNAL_ERROR,
  transportErrorType,
  isIntermediate: () => false,

  outgoingRequest: { method: 'request', requestArgument: 0 },
};
