import { ROOT_CONTEXT, SpanKind, context, isSpanContextValid, propagation, trace } from '@opentelemetry/api';
import type { Attributes, Context, Link, Span } from '@opentelemetry/api';
import { INSTRUMENTATION_SCOPE } from './contract.js';
import { VERSION } from './version.js';

// A ProxyTracer: spans start flowing as soon as the app (or startTelemetry) registers a provider, even if that happens
// after the server was instrumented.
const tracer = trace.getTracer(INSTRUMENTATION_SCOPE, VERSION);

/** Trace context carried in an MCP request's `params._meta` (W3C `traceparent`, `tracestate`, `baggage`). */
export type Meta = Record<string, unknown> | undefined;

const metaGetter = {
  keys: (carrier: Record<string, unknown>) => Object.keys(carrier),
  get: (carrier: Record<string, unknown>, key: string) => {
    const value = carrier[key];
    return typeof value === 'string' ? value : undefined;
  },
};

/**
 * Start the SERVER span of an MCP request. Its parent is the trace context the client put in `params._meta`; the
 * surrounding context (typically the HTTP server span) then becomes a link. Without `_meta` context the span is a child
 * of the surrounding context.
 */
export function startServerSpan(name: string, attributes: Attributes, meta: Meta): { span: Span; ctx: Context } {
  const active = context.active();
  let parent = active;
  let links: Link[] | undefined;
  if (meta && typeof meta['traceparent'] === 'string') {
    parent = propagation.extract(ROOT_CONTEXT, meta, metaGetter);
    const surrounding = trace.getSpanContext(active);
    if (surrounding && isSpanContextValid(surrounding)) links = [{ context: surrounding }];
  }
  const span = tracer.startSpan(name, { kind: SpanKind.SERVER, attributes, ...(links && { links }) }, parent);
  return { span, ctx: trace.setSpan(parent, span) };
}

/** Start the CLIENT span of a server-initiated request (sampling, elicitation, roots) under the active context. */
export function startClientSpan(name: string, attributes: Attributes): { span: Span; ctx: Context } {
  const active = context.active();
  const span = tracer.startSpan(name, { kind: SpanKind.CLIENT, attributes }, active);
  return { span, ctx: trace.setSpan(active, span) };
}

/** Write the span's context into an outgoing request's `_meta`, as the MCP semantic conventions propagate it. */
export function injectMeta(ctx: Context, meta: Record<string, unknown>): void {
  propagation.inject(ctx, meta);
}
