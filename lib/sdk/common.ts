/** Small helpers the SDK adapters share. */
import { createRequire } from 'node:module';
import { dirname } from 'node:path';
import { JSONRPC } from '../contract.js';
import { packageJsonAbove } from '../version.js';
import type { Dispatch } from './adapter.js';

/** `error.type` of a successful response. */
export const OK = '';

/** Whether a handler's result is a tool result with `isError: true`: an error even though nothing was thrown. */
export function isErrorResult(result: unknown): boolean {
  return result !== null && typeof result === 'object' && (result as { isError?: unknown }).isError === true;
}

/** The safe-integer `code` of a thrown value, the SDKs' own rule; undefined otherwise, even if reading it throws. */
export function safeIntegerCode(error: unknown): number | undefined {
  try {
    const code = (error as { code?: unknown } | null)?.code;
    return Number.isSafeInteger(code) ? (code as number) : undefined;
  } catch {
    return undefined;
  }
}

/**
 * `error_type` of an error a transport of either SDK line reports outside any handler. HTTP transports say so in the
 * message (`Parse error: …`, `Invalid Request: …`); stdio transports pass on what parsing the line threw: a
 * `SyntaxError` for a line that is not JSON, zod's error for JSON that is no JSON-RPC message.
 */
export function transportErrorType(error: unknown): string {
  let name: string;
  let message: string;
  try {
    name = String((error as Error | undefined)?.name ?? '');
    message = String((error as Error | undefined)?.message ?? '');
  } catch {
    return 'other';
  }
  if (message.startsWith('Parse error') || name === 'SyntaxError') return String(JSONRPC.PARSE_ERROR);
  if (message.startsWith('Invalid Request') || name === 'ZodError' || name === '$ZodError') {
    return String(JSONRPC.INVALID_REQUEST);
  }
  return 'other';
}

/**
 * A function that tells the version of `name` this process resolves (through `entry`, a module the package exports:
 * SDK packages do not export their package.json), read from disk once.
 */
export function packageVersion(name: string, entry: string): () => string {
  let version: string | undefined;
  return () => {
    if (version === undefined) {
      try {
        version = packageJsonAbove(dirname(createRequire(import.meta.url).resolve(entry)), name)?.version ?? 'unknown';
      } catch {
        version = 'unknown';
      }
    }
    return version;
  };
}

/** Servers and clients of every line share the `Protocol` class; only a server has these. */
export function isServer(dispatch: object): boolean {
  const candidate = dispatch as { _oninitialize?: unknown; getClientCapabilities?: unknown };
  return typeof candidate._oninitialize === 'function' || typeof candidate.getClientCapabilities === 'function';
}

/** The low-level server of an McpServer (its `server`) or a Server itself, if it has the SDK's request dispatch. */
export function dispatchOf(server: object): Dispatch | undefined {
  const candidate = ((server as { server?: unknown }).server ?? server) as Partial<Dispatch>;
  return candidate._requestHandlers instanceof Map && typeof candidate._onrequest === 'function'
    ? (candidate as Dispatch)
    : undefined;
}

/** An McpServer's registered tools (both lines keep them in a plain object); undefined for a low-level Server. */
export const registeredTools = (server: object) =>
  (server as { _registeredTools?: Record<string, unknown> })._registeredTools;
export const registeredPrompts = (server: object) =>
  (server as { _registeredPrompts?: Record<string, unknown> })._registeredPrompts;

/** `network.transport` of a connection, from its transport's class: `pipeClasses` are stdio, the rest HTTP. */
export function transportKindBy(pipeClasses: readonly string[]): (transport: object | undefined) => string {
  return (transport) => {
    const name = transport?.constructor.name;
    if (name === undefined) return 'unknown';
    if (pipeClasses.includes(name)) return 'pipe';
    return name === 'InMemoryTransport' ? 'inproc' : 'tcp';
  };
}

const ORIGINAL = Symbol.for('mcp-observatory.original');
// Any method of any SDK class: `this` and arguments are whatever the SDK passes.
// eslint-disable-next-line @typescript-eslint/no-explicit-any
type Method = (this: any, ...args: any[]) => unknown;
type Wrapped = Method & { [ORIGINAL]?: Method };

/**
 * Replace `target[name]` with `wrap(original)`; wrapping twice replaces our first wrapper rather than stacking a
 * second. Returns the undo, which restores the original if our wrapper is still in place.
 */
export function wrapMethod(target: object, name: string, wrap: (original: Method) => Method): () => void {
  const holder = target as Record<string, Wrapped | undefined>;
  const current = holder[name];
  if (typeof current !== 'function') throw new TypeError(`no method ${name} to wrap`);
  const original = current[ORIGINAL] ?? current;
  const wrapper: Wrapped = wrap(original);
  wrapper[ORIGINAL] = original;
  holder[name] = wrapper;
  return () => {
    if (holder[name] === wrapper) holder[name] = original;
  };
}
