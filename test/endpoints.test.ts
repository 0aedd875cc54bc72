import { afterEach, describe, expect, it } from 'vitest';
import { createServer } from 'node:http';
import type { RequestListener, Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Counter, Registry } from 'prom-client';
import { Health, metricsFor, metricsHandler, newRegistry, renderMetrics } from '../lib/index.js';
import type { AnyRegistry } from '../lib/index.js';

const servers: Server[] = [];
afterEach(async () => {
  for (const server of servers.splice(0)) {
    server.closeAllConnections();
    await new Promise((resolve) => server.close(resolve));
  }
});

async function serve(listener: RequestListener): Promise<string> {
  const server = createServer(listener);
  servers.push(server);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
}

describe('metricsHandler', () => {
  it('serves Prometheus text by default and OpenMetrics when the scraper asks for it', async () => {
    const registry = newRegistry('openmetrics');
    metricsFor(registry, false).notifications.inc({ mcp_method_name: 'notifications/initialized' });
    const url = await serve(metricsHandler({ registry }));

    const text = await fetch(url);
    expect(text.headers.get('content-type')).toContain('text/plain; version=0.0.4');
    const body = await text.text();
    expect(body).toContain('mcp_server_notifications_total{mcp_method_name="notifications/initialized"} 1');
    expect(body).not.toContain('# EOF');

    // The Accept header Prometheus sends
    const om = await fetch(url, {
      headers: { accept: 'application/openmetrics-text;version=1.0.0,text/plain;version=0.0.4;q=0.5,*/*;q=0.1' },
    });
    expect(om.headers.get('content-type')).toContain('application/openmetrics-text');
    const omBody = await om.text();
    expect(omBody).toContain('# TYPE mcp_server_notifications counter');
    expect(omBody.trimEnd().endsWith('# EOF')).toBe(true);
  });

  it("writes the catalog's series byte for byte as prom-client does, in both formats, beside the app's own metrics", async () => {
    const registry = newRegistry('prometheus');
    // Process metrics change between two renders; the app's counter stands for every metric of prom-client's own.
    const metrics = metricsFor(registry, false);
    // Label values a client's tool or tenant name could hold: quotes, backslashes, newlines, non-ASCII.
    const odd = ['plain', 'say "hi"', 'back\\slash', 'new\nline', 'ünïcode'];
    odd.forEach((name, i) => {
      metrics.serverOperationDuration
        .cell('tools/call', name, i % 2 ? '' : 'tool_error', 'streamable-http')
        .observe(0.002 * (i + 1) ** 3, i % 2 ? undefined : { trace_id: `${i}`.repeat(32), span_id: 'ab'.repeat(8) });
      metrics.tenantOperations.cell(name, 'tools/call', '').value += i + 1;
    });
    metrics.tenantsTracked.set(undefined, 5);
    metrics.notifications.inc({ mcp_method_name: 'notifications/initialized' });
    new Counter({ name: 'app_jobs_total', help: 'jobs\nthe app ran', labelNames: ['kind'], registers: [registry] }).inc(
      { kind: 'a"b' },
      3,
    );

    for (const openMetrics of [false, true]) {
      const ours = await renderMetrics(registry, openMetrics);
      const theirs = await promClientRender(registry, openMetrics);
      expect(ours).toBe(theirs);
      expect(ours).toContain('app_jobs_total{kind="a\\"b"} 3');
    }
    const om = await renderMetrics(registry, true);
    expect(om).toMatch(/gen_ai_tool_name="say \\"hi\\"".*le="0.01"} 0\n.*le="0.02"} 1\n/);
    expect(om).toContain(` # {trace_id="${'0'.repeat(32)}",span_id="${'ab'.repeat(8)}"} 0.002 `);
    expect(om).toContain('# TYPE mcp_server_tenant_operations counter\nmcp_server_tenant_operations_total{');
    expect(await renderMetrics(registry, false)).not.toContain('trace_id=');
  });

  it('protects the endpoint with a bearer token when configured', async () => {
    const url = await serve(metricsHandler({ registry: new Registry(), bearerToken: 's3cret' }));
    expect((await fetch(url)).status).toBe(401);
    expect((await fetch(url, { headers: { authorization: 'Bearer wrong' } })).status).toBe(401);
    const ok = await fetch(url, { headers: { authorization: 'Bearer s3cret' } });
    expect(ok.status).toBe(200);
    expect(() => metricsHandler({ bearerToken: '' })).toThrow(/Invalid bearerToken/);
  });
});

/** What prom-client's own registry writes, names restored after its OpenMetrics counter renaming. */
async function promClientRender(registry: AnyRegistry, openMetrics: boolean): Promise<string> {
  const names = registry.getMetricsAsArray().map((metric) => [metric, metric.name] as const);
  const contentType = registry.contentType;
  registry.setContentType(openMetrics ? Registry.OPENMETRICS_CONTENT_TYPE : Registry.PROMETHEUS_CONTENT_TYPE);
  try {
    return await registry.metrics();
  } finally {
    registry.setContentType(contentType);
    for (const [metric, name] of names) (metric as { name: string }).name = name;
  }
}

describe('Health', () => {
  it('answers liveness, and readiness from parallel checks with timeouts, naming what fails', async () => {
    let dbUp = true;
    // Each of these checks waits for the other to start: run one after the other, both would time out.
    let startedA!: () => void;
    let startedB!: () => void;
    const aStarted = new Promise<void>((resolve) => (startedA = resolve));
    const bStarted = new Promise<void>((resolve) => (startedB = resolve));
    const health = new Health({ cacheMs: 0, timeoutMs: 5000 })
      .register('database', () => {
        if (!dbUp) throw new Error('connection refused');
      })
      .register('queue', () => (startedA(), bStarted))
      .register('search-index', () => (startedB(), aStarted));
    const url = await serve((req, res) => {
      if (!health.handler()(req, res)) res.writeHead(404).end();
    });

    expect(await (await fetch(`${url}/health/live`)).json()).toEqual({ status: 'ok' });
    const ready = await fetch(`${url}/health/ready`);
    expect(ready.status).toBe(200);

    dbUp = false;
    const failing = await fetch(`${url}/health/ready`);
    expect(failing.status).toBe(503);
    const body = (await failing.json()) as { failing: string[]; checks: Record<string, { error?: string }> };
    expect(body.failing).toEqual(['database']);
    expect(body.checks['database']!.error).toBe('connection refused');
    expect((await fetch(`${url}/health/nope`)).status).toBe(404);
  });

  it('fails a check that hangs past its timeout', async () => {
    const health = new Health({ cacheMs: 0 }).register('hangs', () => new Promise(() => {}), { timeoutMs: 50 });
    const readiness = await health.ready();
    expect(readiness).toMatchObject({ status: 'failing', failing: ['hangs'] });
    expect(readiness.checks['hangs']!.error).toMatch(/timed out after 50 ms/);
  });

  it('caches a readiness result briefly so probes cannot hammer dependencies', async () => {
    let runs = 0;
    const health = new Health({ cacheMs: 60_000 }).register('counted', () => void runs++);
    await Promise.all([health.ready(), health.ready(), health.ready()]);
    await health.ready();
    expect(runs).toBe(1);
  });

  it('turns readiness false while draining, with liveness still ok', async () => {
    const health = new Health();
    const url = await serve((req, res) => void health.handler()(req, res));
    expect((await fetch(`${url}/health/ready`)).status).toBe(200);
    health.drain();
    const draining = await fetch(`${url}/health/ready`);
    expect(draining.status).toBe(503);
    expect(((await draining.json()) as { status: string }).status).toBe('draining');
    expect((await fetch(`${url}/health/live`)).status).toBe(200);
  });

  it('rejects bad settings with the name and the value', () => {
    expect(() => new Health({ timeoutMs: -1 })).toThrow('Invalid timeoutMs: -1');
    expect(() => new Health().register('a', () => 1).register('a', () => 1)).toThrow(/registered twice/);
  });
});
