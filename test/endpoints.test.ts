import { afterEach, describe, expect, it } from 'vitest';
import { createServer } from 'node:http';
import type { RequestListener, Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Registry } from 'prom-client';
import { Health, metricsFor, metricsHandler, newRegistry } from '../lib/index.js';

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

  it('protects the endpoint with a bearer token when configured', async () => {
    const url = await serve(metricsHandler({ registry: new Registry(), bearerToken: 's3cret' }));
    expect((await fetch(url)).status).toBe(401);
    expect((await fetch(url, { headers: { authorization: 'Bearer wrong' } })).status).toBe(401);
    const ok = await fetch(url, { headers: { authorization: 'Bearer s3cret' } });
    expect(ok.status).toBe(200);
    expect(() => metricsHandler({ bearerToken: '' })).toThrow(/Invalid bearerToken/);
  });
});

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
