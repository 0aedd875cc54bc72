import { JSONRPC, TOOL_ERROR } from './contract.js';

/** `error.type` of a successful response. */
export const OK = '';

// McpServer catches every error of a tools/call, client faults included, and returns it as an `isError` result whose
// text is the McpError message, `MCP error <code>: …`. The code tells a bad request (-32602: unknown tool, invalid
// arguments) from a failing tool. A tool output that fails its own schema is the server's fault, whatever its code.
const FOLDED_MCP_ERROR = /^MCP error (-?\d+): (?!Output validation error)/;

/** `error.type` of a handler's result: a tool result with `isError: true` is an error even though no exception flew. */
export function errorTypeOfResult(result: unknown): string {
  if (result === null || typeof result !== 'object' || (result as { isError?: unknown }).isError !== true) return OK;
  const first = (result as { content?: { type?: string; text?: unknown }[] }).content?.[0];
  if (first?.type === 'text' && typeof first.text === 'string') {
    const folded = FOLDED_MCP_ERROR.exec(first.text);
    if (folded) return folded[1]!;
  }
  return TOOL_ERROR;
}

/** The JSON-RPC code the SDK will answer with for a thrown error (its own rule: a safe-integer `code`, else -32603). */
export function errorCodeOf(error: unknown): number {
  try {
    const code = (error as { code?: unknown } | null)?.code;
    return Number.isSafeInteger(code) ? (code as number) : JSONRPC.INTERNAL_ERROR;
  } catch {
    // A throwing getter: the SDK fails the same way reading it and answers -32603.
    return JSONRPC.INTERNAL_ERROR;
  }
}
