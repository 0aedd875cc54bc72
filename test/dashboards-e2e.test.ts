import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer } from 'node:http';
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import { OTLPTraceExporter } from '@opentelemetry/exporter-trace-otlp-http';
import { resolveConfig } from '../lib/config/config.js';
import { generateBundle, PATHS } from '../lib/generate/bundle.js';
import { dashboardFiles } from '../lib/generate/dashboards/index.js';
import { buildModel } from '../lib/generate/model.js';
import { writeBundle } from '../lib/generate/writer.js';
import { AppSignals, instrument, metricsHandler, newRegistry, startTelemetry } from '../lib/index.js';
import type { TelemetryHandle } from '../lib/index.js';
import { needs } from './fixtures/binaries.js';
import type { Dashboard } from './fixtures/dashboards.js';
import { panelsOf, substitute } from './fixtures/dashboards.js';
import { serveHttp } from './fixtures/http.js';
import type { HttpFixture } from './fixtures/http.js';
import { startPrometheus, waitFor } from './fixtures/prometheus.js';
import type { Prometheus } from './fixtures/prometheus.js';
import { createTestServer } from './fixtures/server.js';

// Every query of every panel, against a real Prometheus that scrapes a real instrumented MCP server under load with
// errors, several tenants and tools, with the generated recording rules loaded: a panel that returns nothing fails.
const JOB = 'mcp-dashboards';
const TENANTS = ['acme', 'globex', 'initech', 'umbrella', 'hooli'];

describe.skipIf(needs('prometheus').skip)('generated dashboards against real Prometheus data', () => {
  let dir: string;
  let mcp: HttpFixture;
  let metrics: Server;
  let prometheus: Prometheus;
  let telemetry: TelemetryHandle;
  let dashboards: Dashboard[];
  let instance: string;

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'mcp-observatory-dashboards-'));
    // Short windows so an alert fires within the test, for the "Firing alerts" panel and the annotation layer.
    const config = resolveConfig({ service: { name: JOB }, thresholds: { errorRatio: { window: '20s', for: '5s' } } });
    writeBundle(generateBundle(config, 'the dashboards e2e test'), dir);
    dashboards = [...dashboardFiles(buildModel(config), '').values()].map((json) => JSON.parse(json) as Dashboard);

    const registry = newRegistry();
    // Telemetry to a collector that is not there: the drops are what the "Telemetry dropped" panel shows.
    telemetry = startTelemetry({
      registry,
      env: {},
      queue: { scheduledDelayMs: 200, exportTimeoutMs: 2000 },
      spanExporter: new OTLPTraceExporter({ url: 'http://127.0.0.1:9/v1/traces', timeoutMillis: 500 }),
      logExporter: { export: (_items, done) => done({ code: 1 }), shutdown: async () => {} },
    });
    const signals = new AppSignals(registry, 3);
    signals.cacheHit('search');
    signals.cacheMiss('search');
    signals.circuitState('compliance-api', 'closed');
    signals.authFailure('invalid_token');
    signals.rateLimited('acme');
    signals.quotaRemaining('acme', 'tool_calls', 0.4);
    const tokens = Object.fromEntries(
      TENANTS.map((tenant) => [
        `token-${tenant}`,
        { token: `token-${tenant}`, clientId: tenant, scopes: [], extra: { tenantId: tenant } },
      ]),
    );
    mcp = await serveHttp(
      'stateful',
      () => {
        const server = createTestServer();
        instrument(server, { registry, maxTenants: 3, logs: false });
        return server;
      },
      { tokens },
    );
    metrics = createServer(metricsHandler({ registry }));
    await new Promise<void>((resolve) => metrics.listen(0, '127.0.0.1', resolve));
    instance = `127.0.0.1:${(metrics.address() as AddressInfo).port}`;
    prometheus = await startPrometheus({
      jobName: JOB,
      scrapeTargets: [instance],
      ruleFiles: [join(dir, PATHS.rules)],
    });
  });
  afterAll(async () => {
    await prometheus?.stop();
    metrics?.closeAllConnections();
    await new Promise((resolve) => metrics?.close(resolve));
    await mcp?.close();
    await telemetry?.shutdown();
    rmSync(dir, { recursive: true, force: true });
  });

  it('returns data for every query of every panel', async () => {
    // Load: every tenant calls several tools; some calls fail; one malformed message; sessions stay open.
    const clients: Client[] = [];
    for (const tenant of TENANTS) {
      const client = new Client({ name: `load-${tenant}`, version: '1.0.0' });
      await client.connect(
        new StreamableHTTPClientTransport(new URL(mcp.url), {
          requestInit: { headers: { authorization: `Bearer token-${tenant}` } },
        }),
      );
      clients.push(client);
    }
    await fetch(mcp.url, {
      method: 'POST',
      headers: { 'content-type': 'application/json', accept: 'application/json, text/event-stream' },
      body: '{"jsonrpc":',
    });
    const started = Date.now();
    let stop = false;
    const load = (async () => {
      for (let i = 0; !stop && Date.now() - started < 90_000; i++) {
        const client = clients[i % clients.length]!;
        const call =
          i % 4 === 0
            ? { name: 'explode', arguments: {} }
            : i % 4 === 1
              ? { name: 'sleep', arguments: { ms: 30 } }
              : // now and then a client fault: invalid arguments
                { name: 'echo', arguments: { text: i % 10 === 2 ? i : `call ${i}` } };
        await client.callTool(call);
        if (i % 20 === 0) await client.listTools();
      }
    })();

    try {
      await prometheus.waitFor('ALERTS{alertstate="firing", alertname="McpHighErrorRatio"}', (v) => v.length > 0, {
        what: 'McpHighErrorRatio to fire',
        timeoutMs: 60_000,
      });
      await telemetry.flush();
      const values = {
        job: JOB,
        instance,
        tenant: 'acme',
        tool: 'echo',
        slo: 'availability',
        __rate_interval: '30s',
        __interval: '15s',
        __range: '1h',
      };
      const queries = dashboards.flatMap((dashboard) =>
        panelsOf(dashboard).flatMap((panel) =>
          (panel.targets ?? []).map((target) => ({
            where: `${dashboard.title} / ${panel.title} / ${target.refId}`,
            expr: substitute(target.expr, values),
          })),
        ),
      );
      // Wait until every panel has data (recording rules and rates fill within seconds); then report the empty ones.
      let empty: string[] = [];
      await waitFor(
        async () => {
          empty = [];
          for (const { where, expr } of queries) {
            try {
              if ((await prometheus.query(expr)).length === 0) empty.push(`${where}: no data for ${expr}`);
            } catch (error) {
              empty.push(`${where}: error ${(error as Error).message}`);
            }
          }
          return empty;
        },
        (list) => list.length === 0,
        { what: 'every panel to return data', timeoutMs: 60_000, intervalMs: 2_000 },
      ).catch(() => undefined);
      expect(empty).toEqual([]);
      expect(queries.length).toBeGreaterThan(40);
    } finally {
      stop = true;
      await load;
      for (const client of clients) await client.close();
    }
  }, 180_000);
});
