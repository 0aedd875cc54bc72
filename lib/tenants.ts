import type { AnyRegistry } from './metrics.js';
import { MAX_TENANT_LENGTH, TENANT_NONE, TENANT_OVERFLOW } from './contract.js';
import { LabelGuard } from './label-guard.js';
import { metricsFor } from './metrics.js';
import type { TenantSource } from './types.js';

/**
 * Default resolver: the app's auth middleware decides who the tenant is, never the client. The first of
 * `extra.tenantId`, `extra.tenant_id` and `clientId` that is a valid tenant id wins.
 */
export function tenantFromAuth({ authInfo }: TenantSource): string | undefined {
  if (!authInfo) return undefined;
  return (
    validTenant(authInfo.extra?.['tenantId']) ??
    validTenant(authInfo.extra?.['tenant_id']) ??
    validTenant(authInfo.clientId)
  );
}

/**
 * `value` if it can be a tenant id: a non-empty string of at most MAX_TENANT_LENGTH characters, without control
 * characters or commas (Node joins a repeated header with ", ": a client's copy next to the gateway's), and not one
 * of the label values that mean "no tenant" or "folded". Anything else is no tenant: it never reaches a label, a log
 * line or a span.
 */
export function validTenant(value: unknown): string | undefined {
  if (typeof value !== 'string' || value === '' || value.length > MAX_TENANT_LENGTH) return undefined;
  if (INVALID_TENANT_CHARACTERS.test(value) || value === TENANT_NONE || value === TENANT_OVERFLOW) return undefined;
  return value;
}

// eslint-disable-next-line no-control-regex -- control characters are exactly what is refused
const INVALID_TENANT_CHARACTERS = /[\u0000-\u001f\u007f,]/;

/** A resolver that falls back to a header the app declared trusted (set by its gateway, not by clients). */
export function withTrustedHeader(
  resolve: (source: TenantSource) => string | undefined,
  header: string,
): (source: TenantSource) => string | undefined {
  const key = header.toLowerCase();
  return (source) => {
    const fromAuth = resolve(source);
    if (fromAuth !== undefined) return fromAuth;
    // A repeated header is no single tenant: refused whole (an array, or Node's ", "-joined string).
    const value = source.headers?.[key];
    return Array.isArray(value) ? undefined : validTenant(value);
  };
}

/** The `tenant_id` label of a request's tenant, bounded by the registry's cardinality guard. */
export class TenantGuard {
  constructor(private readonly guard: LabelGuard) {}

  /** The label value for `tenant` (undefined, or anything that is no valid tenant id, means no tenant). */
  label(tenant: string | undefined): string {
    const valid = validTenant(tenant);
    return valid === undefined ? TENANT_NONE : this.guard.label(valid);
  }
}

const tenantGuards = new WeakMap<AnyRegistry, TenantGuard>();

/**
 * The one tenant guard of a registry: every server instrumented into it and every helper share the same admitted
 * tenants, so `tenant_id` stays bounded across them. The first caller's `max` wins.
 */
export function guardFor(registry: AnyRegistry, max: number): TenantGuard {
  let guard = tenantGuards.get(registry);
  if (!guard) {
    const metrics = metricsFor(registry, false);
    guard = new TenantGuard(
      new LabelGuard(
        'maxTenants',
        max,
        TENANT_OVERFLOW,
        () => metrics.tenantOverflow.inc(),
        (count) => metrics.tenantsTracked.set({}, count),
      ),
    );
    tenantGuards.set(registry, guard);
  }
  return guard;
}
