import type { AnyRegistry } from './metrics.js';
import { TENANT_NONE, TENANT_OVERFLOW } from './contract.js';
import { metricsFor } from './metrics.js';
import type { TenantSource } from './types.js';

/** Default resolver: the app's auth middleware decides who the tenant is, never the client. */
export function tenantFromAuth({ authInfo }: TenantSource): string | undefined {
  if (!authInfo) return undefined;
  const tenant = authInfo.extra?.['tenantId'] ?? authInfo.extra?.['tenant_id'] ?? authInfo.clientId;
  return typeof tenant === 'string' && tenant !== '' ? tenant : undefined;
}

/** A resolver that falls back to a header the app declared trusted (set by its gateway, not by clients). */
export function withTrustedHeader(
  resolve: (source: TenantSource) => string | undefined,
  header: string,
): (source: TenantSource) => string | undefined {
  const key = header.toLowerCase();
  return (source) => {
    const fromAuth = resolve(source);
    if (fromAuth !== undefined) return fromAuth;
    const value = source.headers?.[key];
    const first = Array.isArray(value) ? value[0] : value;
    return first ? first : undefined;
  };
}

/**
 * Bounds the `tenant_id` label: the first `max` distinct tenants keep their own value, later ones fold into
 * `__overflow__`. First-come rather than top-N by traffic, so an admitted tenant's series never disappear.
 */
export class TenantGuard {
  private readonly admitted = new Set<string>();

  constructor(
    readonly max: number,
    private readonly onOverflow: () => void,
    private readonly onAdmit: (count: number) => void,
  ) {
    if (!Number.isInteger(max) || max < 1)
      throw new RangeError(`Invalid maxTenants: ${max} (expected an integer >= 1)`);
  }

  /** The label value for `tenant` (undefined means the request has no tenant). */
  label(tenant: string | undefined): string {
    if (tenant === undefined) return TENANT_NONE;
    if (this.admitted.has(tenant)) return tenant;
    if (this.admitted.size < this.max) {
      this.admitted.add(tenant);
      this.onAdmit(this.admitted.size);
      return tenant;
    }
    this.onOverflow();
    return TENANT_OVERFLOW;
  }
}

const guards = new WeakMap<AnyRegistry, TenantGuard>();

/**
 * The one guard of a registry: every server instrumented into it and every helper share the same admitted tenants,
 * so `tenant_id` stays bounded across them. The first caller's `max` wins.
 */
export function guardFor(registry: AnyRegistry, max: number): TenantGuard {
  let guard = guards.get(registry);
  if (!guard) {
    const metrics = metricsFor(registry, false);
    guard = new TenantGuard(
      max,
      () => metrics.tenantOverflow.inc(),
      (count) => metrics.tenantsTracked.set(count),
    );
    guards.set(registry, guard);
  }
  return guard;
}
