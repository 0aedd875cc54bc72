import type { ExportResult } from '@opentelemetry/core';

/**
 * `ExportResultCode.SUCCESS` of `@opentelemetry/core`, whose import alone loads some thirty modules at start-up: the
 * value is part of the exporter contract.
 */
const EXPORT_SUCCESS = 0;

/** The exporter side of OTel's span and log exporters. */
export interface BatchExporter<T> {
  export(items: T[], resultCallback: (result: ExportResult) => void): void;
  shutdown(): Promise<void>;
  forceFlush?(): Promise<void>;
}

export interface ExportQueueOptions {
  /** Items held while waiting for export; past it new items are dropped and counted. @default 2048 */
  maxQueueSize: number;
  /** Items per export call. @default 512 */
  maxExportBatchSize: number;
  /** Delay between scheduled exports, in milliseconds. @default 5000 */
  scheduledDelayMs: number;
  /** An export that has not answered after this long counts as failed, in milliseconds. @default 30000 */
  exportTimeoutMs: number;
  /**
   * How long `shutdown()` may spend exporting what is left, in milliseconds; the rest is dropped and counted. A
   * collector that is gone must not hold the exit of the server it watches. @default 2000
   */
  shutdownTimeoutMs: number;
}

/** What OTel's resources offer until their asynchronous attributes (host.id …) have settled. */
interface PendingResource {
  asyncAttributesPending?: boolean;
  waitForAsyncAttributes?: () => Promise<void>;
}

/**
 * A bounded batching queue in front of an OTel exporter. It exists so that every lost item is counted: OTel's batch
 * processors drop silently when their queue is full or an export fails, and a collector that is down must show up in
 * `mcp_observatory_telemetry_dropped_total` rather than nowhere. Nothing here blocks or throws into the caller.
 */
export class ExportQueue<T> {
  private queue: T[] = [];
  private timer: NodeJS.Timeout | undefined;
  private exporting: Promise<void> | undefined;
  /** Batches handed to the exporter and not answered yet: settled as dropped if shutdown cannot wait for them. */
  private readonly unsettled = new Set<(ok: boolean, reason?: 'shutdown') => void>();
  private closed = false;

  constructor(
    private readonly exporter: BatchExporter<T>,
    private readonly options: ExportQueueOptions,
    private readonly onDrop: (count: number, reason: 'queue_full' | 'export_failed' | 'shutdown') => void,
  ) {}

  get shutdownTimeoutMs(): number {
    return this.options.shutdownTimeoutMs;
  }

  push(item: T): void {
    if (this.closed) {
      this.onDrop(1, 'shutdown');
      return;
    }
    if (this.queue.length >= this.options.maxQueueSize) {
      this.onDrop(1, 'queue_full');
      return;
    }
    this.queue.push(item);
    if (this.queue.length >= this.options.maxExportBatchSize) void this.flushSome();
    else this.schedule();
  }

  private schedule(): void {
    if (this.timer) return;
    this.timer = setTimeout(() => {
      this.timer = undefined;
      void this.flushSome();
    }, this.options.scheduledDelayMs);
    this.timer.unref();
  }

  /** Export one batch (after any export under way); reschedule if items remain. */
  private flushSome(): Promise<void> {
    const run = async () => {
      const batch = this.queue.splice(0, this.options.maxExportBatchSize);
      if (batch.length > 0) await this.exportBatch(batch);
      if (this.queue.length > 0 && !this.closed) this.schedule();
    };
    this.exporting = (this.exporting ?? Promise.resolve()).then(run, run);
    return this.exporting;
  }

  private async exportBatch(batch: T[]): Promise<void> {
    // Exported before the resource's asynchronous attributes settle, a batch would lack them (host.id) and OTel would
    // complain on stderr; OTel's own batch processors wait the same way.
    const resource = (batch[0] as { resource?: PendingResource } | undefined)?.resource;
    if (resource?.asyncAttributesPending) await resource.waitForAsyncAttributes?.().catch(() => undefined);
    return new Promise((resolve) => {
      let settled = false;
      const settle = (ok: boolean, reason: 'export_failed' | 'shutdown' = 'export_failed') => {
        if (settled) return;
        settled = true;
        this.unsettled.delete(settle);
        clearTimeout(timeout);
        if (!ok) this.onDrop(batch.length, reason);
        resolve();
      };
      this.unsettled.add(settle);
      const timeout = setTimeout(() => settle(false), this.options.exportTimeoutMs);
      timeout.unref();
      try {
        this.exporter.export(batch, (result) => settle(result.code === EXPORT_SUCCESS));
      } catch {
        settle(false);
      }
    });
  }

  /** Export everything queued now. */
  async flush(): Promise<void> {
    while (this.queue.length > 0) await this.flushSome();
    await this.exporting;
    await this.exporter.forceFlush?.().catch(() => undefined);
  }

  /** Export what is queued within `shutdownTimeoutMs`, then stop; whatever is left is dropped and counted. */
  async shutdown(): Promise<void> {
    if (this.closed) return;
    const deadline = Date.now() + this.options.shutdownTimeoutMs;
    const flushed = await within(
      this.flush().then(() => true),
      this.options.shutdownTimeoutMs,
      false,
    );
    this.closed = true;
    clearTimeout(this.timer);
    if (!flushed) {
      if (this.queue.length > 0) this.onDrop(this.queue.length, 'shutdown');
      this.queue = [];
      for (const settle of [...this.unsettled]) settle(false, 'shutdown');
    }
    await within(
      this.exporter.shutdown().catch(() => undefined),
      Math.max(0, deadline - Date.now()),
      undefined,
    );
  }
}

/** `promise`, or `fallback` after `ms` milliseconds, whichever comes first; the timer never holds the process. */
export function within<V>(promise: Promise<V>, ms: number, fallback?: V): Promise<V | undefined> {
  let timer: NodeJS.Timeout | undefined;
  const late = new Promise<V | undefined>((resolve) => {
    timer = setTimeout(() => resolve(fallback), ms);
    timer.unref();
  });
  return Promise.race([promise, late]).finally(() => clearTimeout(timer));
}
