/**
 * What a load run measured: requests, error types and latency per tool and per tenant. Latencies go into a
 * log-bucketed histogram (2% relative precision, fixed size), so a run of any length uses the same memory.
 */

const BASE_MS = 0.01;
const GROWTH = 1.02;
const LOG_GROWTH = Math.log(GROWTH);
// 0.01 ms × 1.02^1000 ≈ 4 hours: more than any request timeout.
const BUCKETS = 1001;

/** Latency quantiles of a set of requests, in milliseconds (within 2% of the exact value). */
export class LatencyHistogram {
  private readonly counts = new Uint32Array(BUCKETS);
  count = 0;
  sum = 0;
  max = 0;

  record(ms: number): void {
    const index = ms <= BASE_MS ? 0 : Math.min(BUCKETS - 1, Math.ceil(Math.log(ms / BASE_MS) / LOG_GROWTH));
    this.counts[index]!++;
    this.count++;
    this.sum += ms;
    if (ms > this.max) this.max = ms;
  }

  /** The `q` quantile (0 to 1): the upper bound of the bucket holding it, never above the largest value seen. */
  quantile(q: number): number {
    if (this.count === 0) return 0;
    const rank = Math.max(1, Math.ceil(q * this.count));
    let seen = 0;
    for (let i = 0; i < BUCKETS; i++) {
      seen += this.counts[i]!;
      if (seen >= rank) return Math.min(this.max, BASE_MS * GROWTH ** i);
    }
    return this.max;
  }
}

/** Counts of one group of requests: all of them, one tool's, one tenant's. */
export class Tally {
  requests = 0;
  errors = 0;
  readonly errorTypes = new Map<string, number>();
  readonly latency = new LatencyHistogram();

  record(ms: number, errorType: string): void {
    this.requests++;
    this.latency.record(ms);
    if (errorType !== '') {
      this.errors++;
      this.errorTypes.set(errorType, (this.errorTypes.get(errorType) ?? 0) + 1);
    }
  }
}

/** The requests of a run, by tool and by tenant. */
export class LoadStats {
  readonly all = new Tally();
  readonly tools = new Map<string, Tally>();
  readonly tenants = new Map<string, Tally>();

  record(tool: string, tenant: string, ms: number, errorType: string): void {
    this.all.record(ms, errorType);
    let byTool = this.tools.get(tool);
    if (!byTool) this.tools.set(tool, (byTool = new Tally()));
    byTool.record(ms, errorType);
    let byTenant = this.tenants.get(tenant);
    if (!byTenant) this.tenants.set(tenant, (byTenant = new Tally()));
    byTenant.record(ms, errorType);
  }
}

/** One group of the summary. Latencies in milliseconds, rounded to 0.1 ms. */
export interface GroupSummary {
  requests: number;
  ratePerSecond: number;
  errors: number;
  errorRatio: number;
  /** Error types, most frequent first. */
  errorTypes: Record<string, number>;
  latencyMs: { p50: number; p95: number; p99: number; max: number; mean: number };
}

const round = (value: number, digits: number) => Math.round(value * 10 ** digits) / 10 ** digits;

/** The summary of a tally over `seconds`. */
export function summarize(tally: Tally, seconds: number): GroupSummary {
  const latency = tally.latency;
  return {
    requests: tally.requests,
    ratePerSecond: seconds > 0 ? round(tally.requests / seconds, 2) : 0,
    errors: tally.errors,
    errorRatio: tally.requests > 0 ? round(tally.errors / tally.requests, 4) : 0,
    errorTypes: Object.fromEntries([...tally.errorTypes].sort((a, b) => b[1] - a[1] || a[0].localeCompare(b[0]))),
    latencyMs: {
      p50: round(latency.quantile(0.5), 1),
      p95: round(latency.quantile(0.95), 1),
      p99: round(latency.quantile(0.99), 1),
      max: round(latency.max, 1),
      mean: latency.count > 0 ? round(latency.sum / latency.count, 1) : 0,
    },
  };
}
