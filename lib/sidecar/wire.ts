/**
 * The MCP protocol as the sidecar sees it: JSON-RPC messages on the wire, classified, and read for the recorder the
 * way the SDK adapters read a handler's context. Nothing here changes a message: the sidecar relays bytes.
 */
import type { IncomingHttpHeaders } from 'node:http';
import { JSONRPC } from '../contract.js';
import type { McpRequest, RequestReader } from '../sdk/index.js';
import { v1 } from '../sdk/v1.js';
import type { AuthInfo } from '../types.js';

/** What a request's context is for the sidecar: the HTTP headers it came with, its session, what its token said. */
export interface WireContext {
  headers?: IncomingHttpHeaders;
  sessionId?: string;
  authInfo?: AuthInfo;
}

/** One JSON-RPC message, classified by its shape. */
export type Message =
  | { kind: 'request'; id: string | number; method: string; params: McpRequest['params'] }
  | { kind: 'notification'; method: string }
  | { kind: 'response'; id: string | number | null; result?: unknown; error?: { code: number } }
  /** JSON, but no JSON-RPC 2.0 message. */
  | { kind: 'invalid' };

const PROTOCOL_VERSION_META_KEY = 'io.modelcontextprotocol/protocolVersion';

function isId(value: unknown): value is string | number {
  return typeof value === 'string' || (typeof value === 'number' && Number.isFinite(value));
}

/** Classify one parsed JSON value (a batch is classified element by element by the caller). */
export function classify(value: unknown): Message {
  if (value === null || typeof value !== 'object' || Array.isArray(value)) return { kind: 'invalid' };
  const message = value as Record<string, unknown>;
  if (message['jsonrpc'] !== '2.0') return { kind: 'invalid' };
  const method = message['method'];
  const params = message['params'];
  if (typeof method === 'string') {
    if (params !== undefined && (params === null || typeof params !== 'object')) return { kind: 'invalid' };
    if (!('id' in message)) return { kind: 'notification', method };
    return isId(message['id'])
      ? { kind: 'request', id: message['id'], method, params: params as McpRequest['params'] }
      : { kind: 'invalid' };
  }
  const id = message['id'];
  if (!isId(id) && id !== null) return { kind: 'invalid' };
  if ('result' in message) return { kind: 'response', id, result: message['result'] };
  const error = message['error'] as { code?: unknown } | undefined;
  if (error && typeof error === 'object' && Number.isSafeInteger(error.code)) {
    return { kind: 'response', id, error: { code: error.code as number } };
  }
  return { kind: 'invalid' };
}

/**
 * Parse a message body or line: its messages (a 2025-03-26 batch is several), or the JSON-RPC code a server answers
 * such text with: -32700 when it is no JSON, -32600 when it is JSON but no message.
 */
export function parseMessages(text: string): Message[] | typeof JSONRPC.PARSE_ERROR | typeof JSONRPC.INVALID_REQUEST {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    return JSONRPC.PARSE_ERROR;
  }
  const messages = Array.isArray(value) ? value.map(classify) : [classify(value)];
  if (messages.length === 0 || messages.some((message) => message.kind === 'invalid')) return JSONRPC.INVALID_REQUEST;
  return messages;
}

/** `value` if it can be a protocol revision (a header, `_meta` or a result could hold anything), else undefined. */
export function protocolRevision(value: unknown): string | undefined {
  return typeof value === 'string' && value.length <= 32 ? value : undefined;
}

/** The protocol revision a request names itself (2026-07-28 requests carry it in `_meta`). */
export function protocolVersionOf(params: McpRequest['params']): string | undefined {
  return protocolRevision(params?._meta?.[PROTOCOL_VERSION_META_KEY]);
}

function headerOf(headers: IncomingHttpHeaders | undefined, name: string): string | undefined {
  const value = headers?.[name];
  return typeof value === 'string' ? value : undefined;
}

/**
 * The recorder's reader for requests seen on the wire. A tool result with `isError: true` is a `tool_error`, unless
 * its text is a protocol error the TypeScript SDK folded into it (`MCP error -32602: Tool nope not found`): that code
 * is the client's fault or the server's as in-process. Other SDKs' folded errors look like any tool error.
 */
export const wire: RequestReader = {
  version: () => 'sidecar',
  sessionId: (context) => (context as WireContext | undefined)?.sessionId,
  authInfo: (context) => (context as WireContext | undefined)?.authInfo,
  signal: () => undefined,
  header: (context, name) => headerOf((context as WireContext | undefined)?.headers, name),
  headers: (context) => (context as WireContext | undefined)?.headers,
  errorTypeOfResult: (result) => v1.errorTypeOfResult(result, undefined, true),
  wireErrorCode: () => JSONRPC.INTERNAL_ERROR,
  isIntermediate: (result) => (result as { resultType?: unknown } | undefined)?.resultType === 'input_required',
};
