// Tenants of the service: who a bearer token belongs to, and how much each tenant may use. The token check is the
// SDK's `verifyBearerToken` in a small express middleware, which sets `req.auth`; mcp-observatory reads the tenant from
// `req.auth.extra.tenantId`, never from anything the client claims.
import {
  OAuthError,
  OAuthErrorCode,
  bearerAuthChallengeResponse,
  verifyBearerToken,
} from '@modelcontextprotocol/server';

/**
 * Demo tenants. The tokens are public on purpose (the load generator's default tenant set uses them, in this order);
 * a real deployment verifies tokens with its authorization server.
 */
export const DEMO_TENANTS = [
  {
    id: 'acme',
    token: 'demo-token-acme',
    plan: 'enterprise',
    ratePerSecond: 100,
    burst: 200,
    dailyToolCalls: 1_000_000,
  },
  {
    id: 'globex',
    token: 'demo-token-globex',
    plan: 'business',
    ratePerSecond: 50,
    burst: 100,
    dailyToolCalls: 500_000,
  },
  { id: 'initech', token: 'demo-token-initech', plan: 'team', ratePerSecond: 20, burst: 40, dailyToolCalls: 100_000 },
  { id: 'umbrella', token: 'demo-token-umbrella', plan: 'team', ratePerSecond: 20, burst: 40, dailyToolCalls: 100_000 },
  { id: 'hooli', token: 'demo-token-hooli', plan: 'free', ratePerSecond: 5, burst: 10, dailyToolCalls: 10_000 },
];

/** Scope every MCP request needs. */
export const SCOPE = 'documents:read';

/** An OAuthTokenVerifier for the SDK's `verifyBearerToken`: known tokens become AuthInfo with the tenant. */
export class DemoTokenVerifier {
  constructor(tenants) {
    this.byToken = new Map(tenants.map((tenant) => [tenant.token, tenant]));
  }

  async verifyAccessToken(token) {
    const tenant = this.byToken.get(token);
    if (!tenant) throw new OAuthError(OAuthErrorCode.InvalidToken, 'Unknown access token');
    return {
      token,
      clientId: `${tenant.id}-agent`,
      scopes: [SCOPE, 'compliance:check'],
      // The SDK refuses tokens without an expiry; demo tokens are always fresh.
      expiresAt: Math.floor(Date.now() / 1000) + 3600,
      extra: { tenantId: tenant.id, plan: tenant.plan },
    };
  }
}

/**
 * Bearer auth for express: a verified token becomes `req.auth`; a missing header or unknown token is answered 401, a
 * missing scope 403, with the SDK's challenge (status, WWW-Authenticate, OAuth error body). Every rejection is counted
 * as an auth failure.
 */
export function authenticate(verifier, signals) {
  const options = { verifier, requiredScopes: [SCOPE] };
  return async (req, res, next) => {
    try {
      req.auth = await verifyBearerToken(req.headers.authorization, options);
    } catch (error) {
      const challenge = bearerAuthChallengeResponse(error, options);
      if (challenge.status === 401) signals.authFailure(req.headers.authorization ? 'invalid_token' : 'missing_token');
      else if (challenge.status === 403) signals.authFailure('insufficient_scope');
      res
        .status(challenge.status)
        .set(Object.fromEntries(challenge.headers))
        .send(await challenge.text());
      return;
    }
    next();
  };
}

/** A token bucket: `ratePerSecond` tokens a second, at most `burst` saved up. */
class TokenBucket {
  constructor(ratePerSecond, burst) {
    this.rate = ratePerSecond;
    this.burst = burst;
    this.tokens = burst;
    this.at = performance.now();
  }

  /** Take one token: 0 when granted, else the seconds until one is available. */
  take() {
    const now = performance.now();
    this.tokens = Math.min(this.burst, this.tokens + ((now - this.at) / 1000) * this.rate);
    this.at = now;
    if (this.tokens >= 1) {
      this.tokens -= 1;
      return 0;
    }
    return (1 - this.tokens) / this.rate;
  }
}

const utcDay = () => new Date().toISOString().slice(0, 10);

/**
 * Per-tenant rate limits and daily tool-call quotas. Every decision is reported: a rejection through
 * `rateLimited(tenant)`, the quota left after each admitted call through `quotaRemaining(tenant, quota, ratio)`.
 */
export class TenantLimits {
  /**
   * @param tenants the tenants and their plans
   * @param signals the library's AppSignals
   * @param scale multiplies every rate limit (RATE_LIMIT_SCALE), e.g. 10 for a load test that should not be throttled
   */
  constructor(tenants, signals, scale = 1) {
    this.signals = signals;
    this.plans = new Map(tenants.map((t) => [t.id, t]));
    this.buckets = new Map(tenants.map((t) => [t.id, new TokenBucket(t.ratePerSecond * scale, t.burst * scale)]));
    this.used = new Map();
    this.day = utcDay();
  }

  /**
   * Admit one tool call of `tenant`, or say why not: `{ ok: true }` or `{ ok: false, reason, message }`, the reason
   * one of mcp-observatory's policy rejections (`rate_limited`, `quota_exceeded`).
   * Tenants without a plan (stdio, unauthenticated local use) are not limited.
   */
  admit(tenant) {
    const plan = this.plans.get(tenant);
    if (!plan) return { ok: true };
    const bucket = this.buckets.get(tenant);
    const wait = bucket.take();
    if (wait > 0) {
      this.signals.rateLimited(tenant);
      return {
        ok: false,
        reason: 'rate_limited',
        message:
          `Rate limit exceeded for tenant ${tenant} (${plan.plan} plan: ${bucket.rate} tool calls/s, ` +
          `burst ${bucket.burst}); retry after ${wait.toFixed(2)} s`,
      };
    }
    if (this.day !== utcDay()) {
      this.day = utcDay();
      this.used.clear();
    }
    const used = (this.used.get(tenant) ?? 0) + 1;
    if (used > plan.dailyToolCalls) {
      this.signals.quotaRemaining(tenant, 'daily_tool_calls', 0);
      return {
        ok: false,
        reason: 'quota_exceeded',
        message: `Daily quota of ${plan.dailyToolCalls} tool calls exhausted for tenant ${tenant}; it resets at 00:00 UTC`,
      };
    }
    this.used.set(tenant, used);
    this.signals.quotaRemaining(tenant, 'daily_tool_calls', 1 - used / plan.dailyToolCalls);
    return { ok: true };
  }
}
