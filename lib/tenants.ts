import type { AnyRegistry } from './metrics.js';
import { DEFAULT_MAX_TOOLS, LABEL, OTHER, TENANT_NONE, TENANT_OVERFLOW } from './contract.js';
import { LabelGuard } from './label-guard.js';
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

/** The `tenant_id` label of a request's tenant, bounded by the registry's cardinality guard. */
export class TenantGuard {
  constructor(private readonly guard: LabelGuard) {}

  /** The label value for `tenant` (undefined means the request has no tenant). */
  label(tenant: string | undefined): string {
    return tenant === undefined ? TENANT_NONE : this.guard.label(tenant);
  }
}

const tenantGuards = new WeakMap<AnyRegistry, TenantGuard>();
const toolGuards = new WeakMap<AnyRegistry, LabelGuard>();

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

/** The tool-name guard of a registry, for low-level servers whose registered tools the library cannot see. */
export function toolGuardFor(registry: AnyRegistry): LabelGuard {
  let guard = toolGuards.get(registry);
  if (!guard) {
    const metrics = metricsFor(registry, false);
    guard = new LabelGuard('maxTools', DEFAULT_MAX_TOOLS, OTHER, () =>
      metrics.telemetryDropped.inc({ [LABEL.SIGNAL]: 'metric', [LABEL.REASON]: 'tool_label_overflow' }),
    );
    toolGuards.set(registry, guard);
  }
  return guard;
}
