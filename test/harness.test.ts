import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:http';
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import { instrument, metricsHandler, newRegistry } from '../lib/index.js';
import type { BinaryName } from './fixtures/binaries.js';
import { needs, requireBinary } from './fixtures/binaries.js';
import { serveHttp } from './fixtures/http.js';
import type { HttpFixture } from './fixtures/http.js';
import { startAlertmanager, startPrometheus, startWebhookReceiver, vectorSum } from './fixtures/prometheus.js';
import type { Alertmanager, Prometheus, WebhookReceiver } from './fixtures/prometheus.js';
import { createTestServer } from './fixtures/server.js';

// The harness the alert-rule and Alertmanager tests stand on, proved against the real components: if a binary or the
// harness is broken, these fail here, before any generated artifact is blamed.

// Made in a hook, not at import: a file that fails at collection (CI without a binary) runs no afterAll.
let dir: string;
beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'mcp-observatory-harness-'));
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function file(name: string, text: string): string {
  const path = join(dir, name);
  writeFileSync(path, text);
  return path;
}

/** Run a CLI to completion (bounded), with its exit status and everything it printed. */
function run(name: BinaryName, args: string[]): { status: number | null; output: string } {
  const result = spawnSync(requireBinary(name), args, { cwd: dir, encoding: 'utf8', timeout: 20_000 });
  if (result.error) throw result.error;
  return { status: result.status, output: `${result.stdout}${result.stderr}` };
}

const goodRules = `groups:
  - name: mcp-observatory
    rules:
      - record: job:mcp_tool_calls:rate5m
        expr: sum by (job) (rate(mcp_server_operation_duration_seconds_count{mcp_method_name="tools/call"}[5m]))
      - alert: McpServerDown
        expr: up{job="mcp"} == 0
        for: 5m
        labels:
          severity: page
        annotations:
          summary: MCP server {{ $labels.instance }} is down
`;
// An unclosed parenthesis: every rule checker must refuse it.
const brokenRules = goodRules.replace('[5m]))', '[5m])');

const alwaysFiring = `groups:
  - name: harness
    rules:
      - alert: HarnessAlwaysFiring
        expr: vector(1)
        for: 0s
        labels:
          severity: info
        annotations:
          summary: fires from the first evaluation on
`;

const webhookRoute = (url: string, receiver = 'pager') => `route:
  receiver: ${receiver}
  group_by: [alertname]
  group_wait: 0s
  group_interval: 1s
  repeat_interval: 1h
receivers:
  - name: pager
    webhook_configs:
      - url: ${url}
        send_resolved: false
`;

describe.skipIf(needs('prometheus').skip)('Prometheus scraping an instrumented MCP server', () => {
  let mcp: HttpFixture;
  let metrics: Server;
  let prometheus: Prometheus;

  beforeAll(async () => {
    const registry = newRegistry();
    mcp = await serveHttp('stateless', () => {
      const server = createTestServer();
      instrument(server, { registry, processMetrics: false, logs: false, tracing: false });
      return server;
    });
    metrics = createServer(metricsHandler({ registry }));
    await new Promise<void>((resolve) => metrics.listen(0, '127.0.0.1', resolve));
    const { port } = metrics.address() as AddressInfo;
    prometheus = await startPrometheus({ scrapeTargets: [`127.0.0.1:${port}`] });
  });
  afterAll(async () => {
    await prometheus?.stop();
    metrics?.closeAllConnections();
    await new Promise((resolve) => metrics?.close(resolve));
    await mcp?.close();
  });

  it('counts three tool calls made with the SDK client', async () => {
    const client = new Client({ name: 'harness', version: '1.0.0' });
    await client.connect(new StreamableHTTPClientTransport(new URL(mcp.url)));
    for (let i = 0; i < 3; i++) await client.callTool({ name: 'echo', arguments: { text: `call ${i}` } });
    await client.close();

    const expr = 'sum(mcp_server_operation_duration_seconds_count{mcp_method_name="tools/call"})';
    const vector = await prometheus.waitFor(expr, (v) => vectorSum(v) >= 3, {
      what: 'Prometheus to scrape 3 tool calls',
      timeoutMs: 20_000,
    });
    expect(vectorSum(vector)).toBe(3);
    const [target] = await prometheus.targets();
    expect(target?.health).toBe('up');
  });
});

describe.skipIf(needs('prometheus', 'alertmanager').skip)('an alert from Prometheus through Alertmanager', () => {
  let webhook: WebhookReceiver;
  let alertmanager: Alertmanager;
  let prometheus: Prometheus;

  beforeAll(async () => {
    webhook = await startWebhookReceiver();
    alertmanager = await startAlertmanager({ configYaml: webhookRoute(webhook.url) });
    prometheus = await startPrometheus({
      scrapeTargets: [],
      ruleFiles: [file('always-firing.yml', alwaysFiring)],
      alertmanagerUrl: alertmanager.url,
    });
  });
  afterAll(async () => {
    await prometheus?.stop();
    await alertmanager?.stop();
    await webhook?.stop();
  });

  it('reaches the webhook receiver', async () => {
    const received = await webhook
      .waitFor((payloads) => payloads.some((p) => p.alerts.some((a) => a.labels.alertname === 'HarnessAlwaysFiring')), {
        what: 'Alertmanager to deliver HarnessAlwaysFiring to the webhook',
        timeoutMs: 20_000,
      })
      .catch(async (error: Error) => {
        // Which hop lost the alert: Prometheus never fired it, never sent it, or Alertmanager never delivered it.
        const alerts = await prometheus.alerts().catch(String);
        throw new Error(
          `${error.message}\nPrometheus alerts: ${JSON.stringify(alerts)}\nPrometheus log:\n${prometheus.log()}` +
            `\nAlertmanager log:\n${alertmanager.log()}`,
        );
      });
    const alert = received.flatMap((p) => p.alerts).find((a) => a.labels.alertname === 'HarnessAlwaysFiring');
    expect(alert).toMatchObject({ status: 'firing', labels: { severity: 'info' } });
    expect(received[0]).toMatchObject({ version: '4', receiver: 'pager', status: 'firing' });
    const firing = await prometheus.alerts();
    expect(firing.map((a) => [a.labels.alertname, a.state])).toContainEqual(['HarnessAlwaysFiring', 'firing']);
  });
});

describe('rule and config checkers', () => {
  it.skipIf(needs('promtool').skip)('promtool check rules accepts good rules and rejects broken ones', () => {
    const good = run('promtool', ['check', 'rules', file('good.yml', goodRules)]);
    expect(good.output).toMatch(/SUCCESS: 2 rules found/);
    expect(good.status).toBe(0);
    const broken = run('promtool', ['check', 'rules', file('broken.yml', brokenRules)]);
    expect(broken.status).not.toBe(0);
    expect(broken.output).toMatch(/FAILED/);
  });

  it.skipIf(needs('amtool').skip)('amtool check-config accepts a good config and rejects a broken one', () => {
    const good = run('amtool', ['check-config', file('alertmanager.yml', webhookRoute('http://127.0.0.1:9/alerts'))]);
    expect(good.output).toMatch(/SUCCESS/);
    expect(good.status).toBe(0);
    const unknownReceiver = webhookRoute('http://127.0.0.1:9/alerts', 'nobody');
    const broken = run('amtool', ['check-config', file('alertmanager-broken.yml', unknownReceiver)]);
    expect(broken.status).not.toBe(0);
    expect(broken.output).toMatch(/undefined receiver "nobody"/);
  });

  it.skipIf(needs('pint').skip)('pint lints rules offline', () => {
    const good = run('pint', ['--offline', '--no-color', 'lint', file('pint-good.yml', goodRules)]);
    expect(good.status, good.output).toBe(0);
    const broken = run('pint', ['--offline', '--no-color', 'lint', file('pint-broken.yml', brokenRules)]);
    expect(broken.status).not.toBe(0);
    expect(broken.output).toMatch(/pint-broken\.yml:5 .*promql\/syntax/);
  });
});
