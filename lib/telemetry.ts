import { createRequire } from 'node:module';
import { ProxyTracerProvider, TraceFlags, diag, trace } from '@opentelemetry/api';
import { logs } from '@opentelemetry/api-logs';
import type { OTLPLogExporter } from '@opentelemetry/exporter-logs-otlp-http';
import type { OTLPTraceExporter } from '@opentelemetry/exporter-trace-otlp-http';
import type { NodeSDK } from '@opentelemetry/sdk-node';
import type { LogRecordProcessor, ReadableLogRecord } from '@opentelemetry/sdk-logs';
import type { ReadableSpan, SpanProcessor } from '@opentelemetry/sdk-trace-base';
import { LABEL } from './contract.js';
import { ExportQueue, within } from './export-queue.js';
import type { BatchExporter, ExportQueueOptions } from './export-queue.js';
import { defaultRegistry, metricsFor } from './metrics.js';
import type { AnyRegistry } from './metrics.js';

// The OpenTelemetry Node SDK and its OTLP exporters load when telemetry starts, not when the package is imported: most
// of an import's time and modules, which a server that only serves metrics never needs. Node loads these packages'
// CommonJS builds either way (they declare no ESM entry Node reads), so `require` gives the very same modules.
const load = createRequire(import.meta.url);
const otelSdk = () => ({
  NodeSDK: (load('@opentelemetry/sdk-node') as { NodeSDK: typeof NodeSDK }).NodeSDK,
  OTLPTraceExporter: (
    load('@opentelemetry/exporter-trace-otlp-http') as { OTLPTraceExporter: typeof OTLPTraceExporter }
  ).OTLPTraceExporter,
  OTLPLogExporter: (load('@opentelemetry/exporter-logs-otlp-http') as { OTLPLogExporter: typeof OTLPLogExporter })
    .OTLPLogExporter,
});

export interface StartTelemetryOptions {
  /** `service.name` of the resource. @default process.env.OTEL_SERVICE_NAME */
  serviceName?: string;
  /** Registry in which lost spans and log records are counted. @default the library's default registry */
  registry?: AnyRegistry;
  /** Span exporter. @default OTLP over HTTP, configured by the standard `OTEL_EXPORTER_OTLP_*` variables */
  spanExporter?: BatchExporter<ReadableSpan>;
  /** Log record exporter. @default OTLP over HTTP, configured by the standard `OTEL_EXPORTER_OTLP_*` variables */
  logExporter?: BatchExporter<ReadableLogRecord>;
  /**
   * Queue bounds, and how long `shutdown()` may take (`shutdownTimeoutMs`, 2 s: what is still queued then is dropped
   * and counted). @default from `OTEL_BSP_*` / `OTEL_BLRP_*`, else OTel's defaults
   */
  queue?: Partial<ExportQueueOptions>;
  /** Environment to read `OTEL_*` from. @default process.env */
  env?: NodeJS.ProcessEnv;
}

export interface TelemetryHandle {
  /** False when telemetry was disabled or the app had already registered its own OpenTelemetry SDK. */
  readonly started: boolean;
  /** Why nothing was started, when `started` is false. */
  readonly reason?: 'disabled' | 'existing-sdk';
  /** Export everything queued. */
  flush(): Promise<void>;
  /** Flush and stop, within the queue's `shutdownTimeoutMs`: an unreachable collector never holds the exit. */
  shutdown(): Promise<void>;
}

class CountingSpanProcessor implements SpanProcessor {
  constructor(private readonly queue: ExportQueue<ReadableSpan>) {}
  onStart(): void {}
  onEnd(span: ReadableSpan): void {
    if (span.spanContext().traceFlags & TraceFlags.SAMPLED) this.queue.push(span);
  }
  forceFlush(): Promise<void> {
    return this.queue.flush();
  }
  shutdown(): Promise<void> {
    return this.queue.shutdown();
  }
}

class CountingLogProcessor implements LogRecordProcessor {
  constructor(private readonly queue: ExportQueue<ReadableLogRecord>) {}
  onEmit(record: ReadableLogRecord): void {
    this.queue.push(record);
  }
  forceFlush(): Promise<void> {
    return this.queue.flush();
  }
  shutdown(): Promise<void> {
    return this.queue.shutdown();
  }
}

/** True when the app (or another library) already registered an OpenTelemetry SDK. */
export function sdkRegistered(): boolean {
  // The API registers a proxy whose delegate is the app's provider, or a no-op one when nothing was registered.
  const provider = trace.getTracerProvider();
  const delegate = provider instanceof ProxyTracerProvider ? provider.getDelegate() : provider;
  const tracing = delegate.constructor.name !== 'NoopTracerProvider';
  const logging = logs.getLoggerProvider().constructor.name !== 'ProxyLoggerProvider';
  return tracing || logging;
}

function envNumber(env: NodeJS.ProcessEnv, name: string, fallback: number): number {
  const raw = env[name];
  if (raw === undefined || raw === '') return fallback;
  const value = Number(raw);
  if (Number.isFinite(value) && value > 0) return value;
  diag.warn(`mcp-observatory: ignoring ${name}=${raw} (expected a positive number); using ${fallback}`);
  return fallback;
}

function queueOptions(
  env: NodeJS.ProcessEnv,
  prefix: 'OTEL_BSP' | 'OTEL_BLRP',
  overrides: Partial<ExportQueueOptions>,
) {
  return {
    maxQueueSize: envNumber(env, `${prefix}_MAX_QUEUE_SIZE`, 2048),
    maxExportBatchSize: envNumber(env, `${prefix}_MAX_EXPORT_BATCH_SIZE`, 512),
    scheduledDelayMs: envNumber(env, `${prefix}_SCHEDULE_DELAY`, prefix === 'OTEL_BSP' ? 5000 : 1000),
    exportTimeoutMs: envNumber(env, `${prefix}_EXPORT_TIMEOUT`, 30000),
    shutdownTimeoutMs: 2000,
    ...overrides,
  };
}

const notStarted = (reason: 'disabled' | 'existing-sdk'): TelemetryHandle => ({
  started: false,
  reason,
  flush: async () => {},
  shutdown: async () => {},
});

/**
 * Start the OpenTelemetry Node SDK with OTLP exporters for traces and logs, configured by the standard `OTEL_*`
 * variables. Spans and log records pass through bounded queues that count what they lose
 * (`mcp_observatory_telemetry_dropped_total`): an unreachable collector costs telemetry, never requests.
 *
 * If the app already registered its own SDK, this starts nothing and the instrumentation uses the app's.
 */
export function startTelemetry(options: StartTelemetryOptions = {}): TelemetryHandle {
  const env = options.env ?? process.env;
  if (env['OTEL_SDK_DISABLED'] === 'true') return notStarted('disabled');
  if (sdkRegistered()) return notStarted('existing-sdk');

  const dropped = metricsFor(options.registry ?? defaultRegistry, false).telemetryDropped;
  const onDrop = (signal: string) => (count: number, reason: string) =>
    dropped.inc({ [LABEL.SIGNAL]: signal, [LABEL.REASON]: reason }, count);

  const { NodeSDK, OTLPLogExporter, OTLPTraceExporter } = otelSdk();
  const tracesOn = env['OTEL_TRACES_EXPORTER'] !== 'none';
  const logsOn = env['OTEL_LOGS_EXPORTER'] !== 'none';
  const spanQueue = new ExportQueue(
    options.spanExporter ?? new OTLPTraceExporter(),
    queueOptions(env, 'OTEL_BSP', options.queue ?? {}),
    onDrop('span'),
  );
  const logQueue = new ExportQueue(
    options.logExporter ?? new OTLPLogExporter(),
    queueOptions(env, 'OTEL_BLRP', options.queue ?? {}),
    onDrop('log'),
  );
  const serviceName = options.serviceName ?? env['OTEL_SERVICE_NAME'];
  // The Node SDK installs a console diagnostics logger when it sees OTEL_LOG_LEVEL, and console.info/debug write to
  // stdout: the protocol channel of a stdio server. Hide the variable from it; diagnostics are the app's to route
  // (mcp-observatory/register sends them to stderr).
  const logLevel = process.env['OTEL_LOG_LEVEL'];
  delete process.env['OTEL_LOG_LEVEL'];
  let sdk: InstanceType<typeof NodeSDK>;
  try {
    sdk = new NodeSDK({
      ...(serviceName && { serviceName }),
      spanProcessors: tracesOn ? [new CountingSpanProcessor(spanQueue)] : [],
      logRecordProcessors: logsOn ? [new CountingLogProcessor(logQueue)] : [],
      metricReaders: [],
      instrumentations: [],
    });
    sdk.start();
  } finally {
    if (logLevel !== undefined) process.env['OTEL_LOG_LEVEL'] = logLevel;
  }

  let stopped: Promise<void> | undefined;
  return {
    started: true,
    flush: async () => {
      await Promise.all([spanQueue.flush(), logQueue.flush()]);
    },
    // The queues bound their own flush; the SDK's shutdown around them gets the same bound and a little slack.
    shutdown: () => {
      const bound = Math.max(spanQueue.shutdownTimeoutMs, logQueue.shutdownTimeoutMs) + 500;
      return (stopped ??= within(
        sdk.shutdown().catch(() => undefined),
        bound,
      ));
    },
  };
}
