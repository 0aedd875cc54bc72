import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { createServer } from 'node:http';
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import { resolveConfig } from '../lib/config/config.js';
import { generateBundle, PATHS } from '../lib/generate/bundle.js';
import { writeBundle } from '../lib/generate/writer.js';
import { instrument, metricsHandler, newRegistry } from '../lib/index.js';
import { needs } from './fixtures/binaries.js';
import { serveHttp } from './fixtures/http.js';
import type { HttpFixture } from './fixtures/http.js';
import { startAlertmanager, startPrometheus, startWebhookReceiver, waitFor } from './fixtures/prometheus.js';
import type { Alertmanager, Prometheus, PrometheusAlert, WebhookReceiver } from './fixtures/prometheus.js';
import { createTestServer } from './fixtures/server.js';

// The generated rules and routing, end to end: a real Prometheus scrapes a real instrumented MCP server, evaluates the
// generated rules (with windows shortened by configuration), and a real Alertmanager pages a webhook. On Debian's
// Prometheus 2 and on Prometheus 3, whose `le` labels are floats and whose PromQL is stricter.
const JOB = 'mcp-e2e';

for (const binary of ['prometheus', 'prometheus3'] as const) {
  describe.skipIf(needs(binary, 'alertmanager').skip)(
    `generated alerts with real Prometheus and Alertmanager (${binary === 'prometheus' ? "Debian's Prometheus 2" : 'Prometheus 3'})`,
    () => {
      let dir: string;
      let mcp: HttpFixture;
      let metrics: Server;
      let webhook: WebhookReceiver;
      let alertmanager: Alertmanager;
      let prometheus: Prometheus;

      beforeAll(async () => {
        dir = mkdtempSync(join(tmpdir(), 'mcp-observatory-e2e-'));
        webhook = await startWebhookReceiver();
        const config = resolveConfig({
          service: { name: JOB },
          thresholds: { errorRatio: { value: 0.05, window: '20s', for: '10s' } },
          alertmanager: {
            page: { url: `${webhook.url}/page` },
            notify: { url: `${webhook.url}/notify` },
            ticket: { url: `${webhook.url}/ticket` },
            groupWait: '1s',
            groupInterval: '1s',
          },
        });
        writeBundle(generateBundle(config, 'the e2e test'), dir);

        const registry = newRegistry();
        mcp = await serveHttp('stateless', () => {
          const server = createTestServer();
          instrument(server, { registry, processMetrics: false, logs: false, tracing: false });
          return server;
        });
        metrics = createServer(metricsHandler({ registry }));
        await new Promise<void>((resolve) => metrics.listen(0, '127.0.0.1', resolve));
        alertmanager = await startAlertmanager({ configYaml: readFileSync(join(dir, PATHS.alertmanager), 'utf8') });
        prometheus = await startPrometheus({
          binary,
          jobName: JOB,
          scrapeTargets: [`127.0.0.1:${(metrics.address() as AddressInfo).port}`],
          ruleFiles: [join(dir, PATHS.rules)],
          alertmanagerUrl: alertmanager.url,
        });
      });
      afterAll(async () => {
        await prometheus?.stop();
        await alertmanager?.stop();
        await webhook?.stop();
        metrics?.closeAllConnections();
        await new Promise((resolve) => metrics?.close(resolve));
        await mcp?.close();
        rmSync(dir, { recursive: true, force: true });
      });

      it('injected tool errors make McpHighErrorRatio go pending, then firing, and page the webhook', async () => {
        const rules = await prometheus.rules();
        expect(rules.flatMap((group) => group.rules).some((rule) => rule.name === 'McpHighErrorRatio')).toBe(true);

        const client = new Client({ name: 'e2e', version: '1.0.0' });
        await client.connect(new StreamableHTTPClientTransport(new URL(mcp.url)));
        const started = Date.now();
        let stop = false;
        // Half the calls fail with a tool error; bounded by the deadline below and by the webhook arriving.
        const load = (async () => {
          for (let i = 0; !stop && Date.now() - started < 90_000; i++) {
            await client.callTool(
              i % 2 ? { name: 'explode', arguments: {} } : { name: 'echo', arguments: { text: 'ok' } },
            );
            await new Promise((resolve) => setTimeout(resolve, 50));
          }
        })();

        const states: string[] = [];
        const ours = (alerts: PrometheusAlert[]) =>
          alerts.find((alert) => alert.labels['alertname'] === 'McpHighErrorRatio');
        try {
          await waitFor(
            () => prometheus.alerts(),
            (alerts) => {
              const state = ours(alerts)?.state;
              if (state && states.at(-1) !== state) states.push(state);
              return state === 'firing';
            },
            { what: 'McpHighErrorRatio to fire', timeoutMs: 60_000, intervalMs: 200 },
          );
          const firedAfter = Date.now() - started;
          const payloads = await webhook.waitFor(
            (received) => received.some((p) => p.alerts.some((a) => a.labels['alertname'] === 'McpHighErrorRatio')),
            { what: 'Alertmanager to deliver McpHighErrorRatio', timeoutMs: 60_000 },
          );
          const deliveredAfter = Date.now() - started;
          console.log(
            `McpHighErrorRatio: firing ${firedAfter} ms after the first error, delivered after ${deliveredAfter} ms`,
          );

          expect(states).toEqual(['pending', 'firing']);
          const page = payloads.find((p) => p.alerts.some((a) => a.labels['alertname'] === 'McpHighErrorRatio'))!;
          expect(page.receiver).toBe('page');
          const alert = page.alerts.find((a) => a.labels['alertname'] === 'McpHighErrorRatio')!;
          expect(alert.status).toBe('firing');
          expect(alert.labels).toMatchObject({ job: JOB, severity: 'critical', priority: 'P2', service: JOB });
          expect(alert.annotations['description']).toMatch(
            /^\d+(\.\d+)?% of the requests of mcp-e2e failed with a server-owned error/,
          );
          expect(alert.annotations['runbook_url']).toBe('./runbooks/McpHighErrorRatio.md');
          // Every generated rule evaluates without an error on this Prometheus, with real series behind it.
          const unhealthy = (await prometheus.rules())
            .flatMap((group) => group.rules)
            .filter((rule) => rule.health === 'err')
            .map((rule) => `${rule.name}: ${rule.lastError}`);
          expect(unhealthy).toEqual([]);
        } finally {
          stop = true;
          await load;
          await client.close();
        }
      }, 150_000);
    },
  );
}
