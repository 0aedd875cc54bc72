import { describe, expect, it } from 'vitest';
import { Registry } from 'prom-client';
import { AppSignals } from '../lib/index.js';
import { scrape, valueOf } from './fixtures/metrics.js';

describe('dependency and security signals', () => {
  it('records cache, breaker, auth, breach, rate-limit, quota, pool, queue and backup signals under the catalog names', async () => {
    const registry = new Registry();
    const signals = new AppSignals(registry, 2);
    signals.cacheHit('search');
    signals.cacheHit('search');
    signals.cacheMiss('search');
    signals.circuitState('compliance-api', 'open');
    signals.authFailure('invalid_token');
    signals.authFailure('made-up reason');
    signals.rateLimited('acme');
    signals.rateLimited('globex');
    signals.rateLimited('initech');
    signals.quotaRemaining('acme', 'tool_calls', 0.25);
    signals.poolUsage('postgres', 18, 24);
    signals.queueDepth('indexing', 42);
    const beforeBackup = Date.now() / 1000;
    signals.backupFinished('documents', true);
    signals.backupFinished('documents', false);
    signals.backupFinished('documents', false);
    signals.securityIndicator('token_misuse');
    signals.securityIndicator('<made-up>');
    signals.refusedMessage('-32700');
    signals.refusedMessage('-32600', 'pipe');
    signals.refusedMessage('<script>' as never);

    const samples = await scrape(registry);
    const refused = (transport: string, errorType: string) =>
      valueOf(samples, 'mcp_server_transport_errors_total', { network_transport: transport, error_type: errorType });
    expect([refused('tcp', '-32700'), refused('pipe', '-32600'), refused('tcp', 'other')]).toEqual([1, 1, 1]);
    expect(valueOf(samples, 'mcp_server_cache_requests_total', { cache: 'search', result: 'hit' })).toBe(2);
    expect(valueOf(samples, 'mcp_server_cache_requests_total', { cache: 'search', result: 'miss' })).toBe(1);
    expect(valueOf(samples, 'mcp_server_circuit_breaker_state', { dependency: 'compliance-api', state: 'open' })).toBe(
      1,
    );
    expect(
      valueOf(samples, 'mcp_server_circuit_breaker_state', { dependency: 'compliance-api', state: 'closed' }),
    ).toBe(0);
    expect(valueOf(samples, 'mcp_server_auth_failures_total', { reason: 'invalid_token' })).toBe(1);
    expect(valueOf(samples, 'mcp_server_auth_failures_total', { reason: 'other' })).toBe(1);
    // the cardinality guard (max 2 tenants) bounds the helpers too
    expect(valueOf(samples, 'mcp_server_rate_limited_requests_total', { tenant_id: '__overflow__' })).toBe(1);
    expect(
      valueOf(samples, 'mcp_server_tenant_quota_remaining_ratio', { tenant_id: 'acme', quota: 'tool_calls' }),
    ).toBe(0.25);
    expect(valueOf(samples, 'mcp_server_pool_usage_ratio', { pool: 'postgres' })).toBe(0.75);
    expect(valueOf(samples, 'mcp_server_queue_depth', { queue: 'indexing' })).toBe(42);
    expect(valueOf(samples, 'mcp_server_backups_total', { backup: 'documents', result: 'success' })).toBe(1);
    expect(valueOf(samples, 'mcp_server_backups_total', { backup: 'documents', result: 'failure' })).toBe(2);
    // A failure leaves the time of the last success as it was.
    const lastSuccess = valueOf(samples, 'mcp_server_backup_last_success_timestamp_seconds', { backup: 'documents' });
    expect(lastSuccess).toBeGreaterThanOrEqual(beforeBackup);
    expect(lastSuccess).toBeLessThanOrEqual(Date.now() / 1000);
    // The label is bounded: an indicator outside the list is `other`.
    expect(valueOf(samples, 'mcp_server_security_indicators_total', { indicator: 'token_misuse' })).toBe(1);
    expect(valueOf(samples, 'mcp_server_security_indicators_total', { indicator: 'other' })).toBe(1);

    signals.circuitState('compliance-api', 'closed');
    const after = await scrape(registry);
    expect(valueOf(after, 'mcp_server_circuit_breaker_state', { dependency: 'compliance-api', state: 'open' })).toBe(0);
    expect(() => signals.circuitState('x', 'melted' as never)).toThrow(/Invalid circuit state: melted/);
    expect(() => signals.quotaRemaining('acme', 'q', 1.5)).toThrow(/Invalid quota ratio: 1.5/);
    expect(() => signals.poolUsage('postgres', 25, 24)).toThrow(/Invalid pool usage: 25 of 24/);
    expect(() => signals.poolUsage('postgres', 0, 0)).toThrow(/Invalid pool usage: 0 of 0/);
    expect(() => signals.queueDepth('indexing', -1)).toThrow(/Invalid queue depth: -1/);
  });
});
