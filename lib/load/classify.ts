import { UnauthorizedError } from '@modelcontextprotocol/sdk/client/auth.js';
import { StreamableHTTPError } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import { McpError } from '@modelcontextprotocol/sdk/types.js';
import { v1 } from '../sdk/v1.js';

/**
 * `error.type` of a request that answered: a tool result with `isError: true` is `tool_error`, or the code McpServer
 * folded into its text (the client sees what a v1 server folds; a v2 server's folded text carries no code).
 */
export const errorTypeOfAnswer = (result: unknown): string => v1.errorTypeOfResult(result, undefined, true);

/**
 * `error.type` of a request that failed, the way the library labels it on the server: a JSON-RPC error is its code
 * (the SDK client's own timeout is -32001), an HTTP refusal is `http_<status>`, and anything that never got an answer
 * (connection refused or reset, a broken stream) is `transport`.
 */
export function errorTypeOfFailure(error: unknown): string {
  if (error instanceof McpError) return String(error.code);
  if (error instanceof StreamableHTTPError)
    return typeof error.code === 'number' && error.code > 0 ? `http_${error.code}` : 'transport';
  if (error instanceof UnauthorizedError) return 'http_401';
  return 'transport';
}

/** A one-line reason of a failure, for the session errors of the summary. */
export function reasonOf(error: unknown): string {
  const cause = (error as { cause?: { code?: string; message?: string } } | null)?.cause;
  const message = error instanceof Error ? error.message : String(error);
  const detail = cause?.code ?? cause?.message;
  return (detail && !message.includes(detail) ? `${message} (${detail})` : message).replace(/\s+/g, ' ').slice(0, 300);
}
