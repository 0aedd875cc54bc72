/**
 * Where mcp-observatory speaks: stderr, one line at a time. Stdio MCP servers speak the protocol on stdout, so
 * nothing of ours — problems, OpenTelemetry diagnostics — may ever go there.
 */
import { format } from 'node:util';
import type { DiagLogger } from '@opentelemetry/api';

export function say(line: string): void {
  process.stderr.write(`${line}\n`);
}

export function messageOf(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

/** OpenTelemetry diagnostics on stderr. */
export const stderrDiagLogger: DiagLogger = {
  error: (...args: unknown[]) => say(`[otel error] ${format(...args)}`),
  warn: (...args: unknown[]) => say(`[otel warn] ${format(...args)}`),
  info: (...args: unknown[]) => say(`[otel info] ${format(...args)}`),
  debug: (...args: unknown[]) => say(`[otel debug] ${format(...args)}`),
  verbose: (...args: unknown[]) => say(`[otel verbose] ${format(...args)}`),
};
