import type { AnyRegistry } from './metrics.js';
import { AUTH_FAILURE_REASONS, CIRCUIT_STATES, DEFAULT_MAX_TENANTS, LABEL, SECURITY_INDICATORS } from './contract.js';
import { defaultRegistry, metricsFor } from './metrics.js';
import type { McpMetrics } from './metrics.js';
import { guardFor } from './tenants.js';
import type { TenantGuard } from './tenants.js';

export type CircuitState = (typeof CIRCUIT_STATES)[number];
export type AuthFailureReason = (typeof AUTH_FAILURE_REASONS)[number];
export type SecurityIndicator = (typeof SECURITY_INDICATORS)[number];

const REASONS: ReadonlySet<string> = new Set(AUTH_FAILURE_REASONS);
const INDICATORS: ReadonlySet<string> = new Set(SECURITY_INDICATORS);

/**
 * What the app reports about its dependencies and its security edge — the signals the operations guides watch:
 * cache hit ratio, circuit breakers, auth failures, breach indicators, rate limiting, tenant quotas, pool usage,
 * queue depth and backups. Recorded under the catalog's names, tenants bounded by the same cardinality guard as the request
 * metrics.
 */
export class AppSignals {
  private readonly metrics: McpMetrics;
  private readonly guard: TenantGuard;

  constructor(registry: AnyRegistry = defaultRegistry, maxTenants = DEFAULT_MAX_TENANTS) {
    this.metrics = metricsFor(registry, false);
    this.guard = guardFor(registry, maxTenants);
  }

  /** A cache lookup found its entry. */
  cacheHit(cache: string): void {
    this.metrics.cacheRequests.inc({ [LABEL.CACHE]: cache, [LABEL.RESULT]: 'hit' });
  }

  /** A cache lookup missed. */
  cacheMiss(cache: string): void {
    this.metrics.cacheRequests.inc({ [LABEL.CACHE]: cache, [LABEL.RESULT]: 'miss' });
  }

  /** The circuit breaker in front of `dependency` is now in `state`. */
  circuitState(dependency: string, state: CircuitState): void {
    if (!CIRCUIT_STATES.includes(state)) {
      throw new RangeError(`Invalid circuit state: ${String(state)} (expected one of ${CIRCUIT_STATES.join(', ')})`);
    }
    for (const candidate of CIRCUIT_STATES) {
      this.metrics.circuitBreakerState.set(
        { [LABEL.DEPENDENCY]: dependency, [LABEL.STATE]: candidate },
        +(candidate === state),
      );
    }
  }

  /** A request was rejected by authentication or authorization. Unknown reasons are recorded as `other`. */
  authFailure(reason: AuthFailureReason | string): void {
    this.metrics.authFailures.inc({ [LABEL.REASON]: REASONS.has(reason) ? reason : 'other' });
  }

  /**
   * The app detected a sign of a security breach: it pages at once (`McpSecurityBreachIndicator`). Unknown indicators
   * are recorded as `other`.
   */
  securityIndicator(indicator: SecurityIndicator | string): void {
    this.metrics.securityIndicators.inc({ [LABEL.INDICATOR]: INDICATORS.has(indicator) ? indicator : 'other' });
  }

  /** A request of `tenant` was rejected by a rate limit. */
  rateLimited(tenant: string | undefined): void {
    this.metrics.rateLimited.inc({ [LABEL.TENANT]: this.guard.label(tenant) });
  }

  /**
   * A message refused before it reached the MCP SDK (by a JSON body parser in front of it, say), which the
   * instrumentation cannot see: counted with the transport errors, as `-32700` (not JSON) or `-32600` (not a
   * JSON-RPC message), like the SDK's own refusals. Anything else is recorded as `other`.
   */
  refusedMessage(errorType: '-32700' | '-32600', transport: 'tcp' | 'pipe' = 'tcp'): void {
    const type = errorType === '-32700' || errorType === '-32600' ? errorType : 'other';
    this.metrics.transportErrors.cell(transport === 'pipe' ? 'pipe' : 'tcp', type).value++;
  }

  /**
   * `inUse` of the `size` members of `pool` are taken: database connections, HTTP client sockets, workers. Report it
   * when it changes, or on a timer.
   */
  poolUsage(pool: string, inUse: number, size: number): void {
    if (!(size > 0 && inUse >= 0 && inUse <= size)) {
      throw new RangeError(`Invalid pool usage: ${inUse} of ${size} (expected 0 to size, size above 0)`);
    }
    this.metrics.poolUsage.set({ [LABEL.POOL]: pool }, inUse / size);
  }

  /** `depth` items wait in `queue` (background tasks, jobs). */
  queueDepth(queue: string, depth: number): void {
    if (!(Number.isInteger(depth) && depth >= 0)) throw new RangeError(`Invalid queue depth: ${depth}`);
    this.metrics.queueDepth.set({ [LABEL.QUEUE]: queue }, depth);
  }

  /** A run of `backup` (a database dump, a snapshot) ended: the operations guides expect every daily one to succeed. */
  backupFinished(backup: string, succeeded: boolean): void {
    this.metrics.backups.inc({ [LABEL.BACKUP]: backup, [LABEL.RESULT]: succeeded ? 'success' : 'failure' });
    if (succeeded) this.metrics.backupLastSuccess.set({ [LABEL.BACKUP]: backup }, Date.now() / 1000);
  }

  /** Share (0 to 1) of `tenant`'s `quota` still available. */
  quotaRemaining(tenant: string, quota: string, ratio: number): void {
    if (!(ratio >= 0 && ratio <= 1)) throw new RangeError(`Invalid quota ratio: ${ratio} (expected 0 to 1)`);
    this.metrics.tenantQuotaRemaining.set({ [LABEL.TENANT]: this.guard.label(tenant), [LABEL.QUOTA]: quota }, ratio);
  }
}

let shared: AppSignals | undefined;

/** The helpers bound to the default registry. */
export function signals(): AppSignals {
  return (shared ??= new AppSignals());
}
