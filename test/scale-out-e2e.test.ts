// The scale-out profile run for real on 127.0.0.1: two reference servers → two agent collectors → two gateway
// collectors (into files), and a Prometheus agent → a receiving Prometheus that evaluates the generated rules and
// pages through two Alertmanager peers. Every trace under load spans both servers; one gateway is stopped and
// started again mid-run.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { randomBytes } from 'node:crypto';
import { createServer } from 'node:http';
import { gunzipSync } from 'node:zlib';
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import type { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { stringify } from 'yaml';
import { resolveConfig } from '../lib/config/config.js';
import type { Config } from '../lib/config/config.js';
import { PATHS, generateBundle } from '../lib/generate/bundle.js';
import { buildModel } from '../lib/generate/model.js';
import { agentCollectorConfig, gatewayCollectorConfig } from '../lib/generate/scale-out/collectors.js';
import { prometheusAgentConfig } from '../lib/generate/scale-out/prometheus.js';
import { writeBundle } from '../lib/generate/writer.js';
import { needs } from './fixtures/binaries.js';
import { collectorPorts, needsCollector, readSpans, startCollectorWith } from './fixtures/collector.js';
import type { Collector } from './fixtures/collector.js';
import { freePort } from './fixtures/ports.js';
import { startAlertmanager, startPrometheus, startWebhookReceiver, vectorSum } from './fixtures/prometheus.js';
import type { Alertmanager, Prometheus, WebhookReceiver } from './fixtures/prometheus.js';
import { startReference } from './fixtures/reference.js';
import type { Reference } from './fixtures/reference.js';

const { skip: noCollector } = needsCollector();
const { skip: noPrometheus } = needs('prometheus', 'alertmanager');

/** Tail sampling waits this long for a trace's spans: what a stopped gateway can hold undecided. */
const DECISION_WAIT_SECONDS = 2;
const SERVICE = 'fleet';

const yaml = (value: unknown) => stringify(value, { lineWidth: 0, aliasDuplicateObjects: false });
const hex = (bytes: number) => randomBytes(bytes).toString('hex');

interface SentTrace {
  traceId: string;
  startedAt: number;
  failed: boolean;
}

describe.skipIf(noCollector || noPrometheus)('the scale-out profile on one machine', () => {
  const dir = mkdtempSync(join(tmpdir(), 'mcp-observatory-scale-out-'));
  let config: Config;
  const gateways: (Collector | undefined)[] = [];
  const agents: Collector[] = [];
  const servers: Reference[] = [];
  const alertmanagers: Alertmanager[] = [];
  let central: Prometheus;
  let agentPrometheus: Prometheus;
  let pager: WebhookReceiver;
  let renderGateway: (directory: string) => (ports: Awaited<ReturnType<typeof collectorPorts>>) => string;
  const gatewayPorts: Awaited<ReturnType<typeof collectorPorts>>[] = [];

  beforeAll(async () => {
    pager = await startWebhookReceiver();
    for (let i = 0; i < 2; i++) gatewayPorts.push(await collectorPorts());
    config = resolveConfig({
      profile: 'scale-out',
      service: { name: SERVICE },
      thresholds: { errorRatio: { value: 0.04, for: '10s' } },
      alertmanager: { page: { url: pager.url }, groupWait: '1s', groupInterval: '1m' },
      collector: { sampling: { percentage: 20, decisionWait: `${DECISION_WAIT_SECONDS}s` } },
      scaleOut: { gateways: gatewayPorts.map((ports) => `127.0.0.1:${ports.otlpGrpc}`) },
    });
    writeBundle(generateBundle(config, 'the scale-out e2e test'), dir);

    // Each start of a gateway writes files of its own (the file exporter truncates what it opens).
    renderGateway = (directory) => (ports) =>
      yaml(
        gatewayCollectorConfig(config, {
          exporters: 'file',
          fileDirectory: join(dir, directory),
          host: '127.0.0.1',
          ports,
          flushInterval: '1s',
        }),
      );
    for (let i = 0; i < 2; i++) {
      mkdirSync(join(dir, `gateway-${i}`));
      gateways.push(await startCollectorWith(renderGateway(`gateway-${i}`), { ports: gatewayPorts[i] }));
    }
    for (let i = 0; i < 2; i++) {
      agents.push(
        await startCollectorWith((ports) =>
          yaml(agentCollectorConfig(config, { host: '127.0.0.1', ports, flushInterval: '1s' })),
        ),
      );
    }
    for (let i = 0; i < 2; i++) {
      servers.push(
        await startReference({
          OTEL_SDK_DISABLED: 'false',
          OTEL_SERVICE_NAME: SERVICE,
          OTEL_RESOURCE_ATTRIBUTES: `service.instance.id=server-${i}`,
          OTEL_EXPORTER_OTLP_ENDPOINT: agents[i]!.otlpHttp,
          OTEL_BSP_SCHEDULE_DELAY: '200',
          OTEL_BLRP_SCHEDULE_DELAY: '200',
          // The second server fails some fetches: error traces the gateways must all keep.
          ...(i === 1 && { FAULT_ERROR_RATE: '0.15', FAULT_TOOL: 'fetch' }),
        }),
      );
    }

    // Two Alertmanager peers gossiping, as the compose stack runs them.
    const cluster = [await freePort(), await freePort()];
    for (let i = 0; i < 2; i++) {
      alertmanagers.push(
        await startAlertmanager({
          configYaml: (generateBundle(config).get(PATHS.alertmanager) ?? '').replace(/^#.*\n/, ''),
          cluster: { port: cluster[i]!, peers: [`127.0.0.1:${cluster[1 - i]!}`], peerTimeout: '3s' },
        }),
      );
    }
    // Both peers get every alert: the page must still come once.
    central = await startPrometheus({
      scrapeTargets: [],
      scrapeConfigs: [],
      ruleFiles: [join(dir, PATHS.rules)],
      extraFlags: ['--web.enable-remote-write-receiver'],
      alertmanagerUrl: alertmanagers.map((am) => am.url),
    });

    // The node's Prometheus agent: the generated scrape jobs and remote write, pointed at this machine's processes.
    const generated = prometheusAgentConfig(buildModel(config), 'otelcol-agent') as {
      scrape_configs: { job_name: string }[];
    };
    const targets: Record<string, string[]> = {
      [SERVICE]: servers.map((server) => new URL(server.base).host),
      'otel-collector': agents.map((agent) => `127.0.0.1:${agent.ports.selfMetrics}`),
      'otel-collector-spanmetrics': agents.map((agent) => `127.0.0.1:${agent.ports.prometheus}`),
    };
    agentPrometheus = await startPrometheus({
      agent: true,
      scrapeTargets: [],
      scrapeConfigs: generated.scrape_configs
        .filter((job) => targets[job.job_name] !== undefined)
        .map((job) => ({ ...job, static_configs: [{ targets: targets[job.job_name] }] })),
      remoteWrite: [{ url: `${central.url}/api/v1/write`, queue_config: { batch_send_deadline: '1s' } }],
    });
  }, 120_000);

  afterAll(async () => {
    for (const server of servers) await server.stop();
    await agentPrometheus?.stop();
    await central?.stop();
    for (const am of alertmanagers) await am.stop();
    for (const agent of agents) await agent.stop();
    for (const gateway of gateways) await gateway?.stop();
    await pager?.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  it('keeps whole traces at one gateway, every error trace, counts every request, and pages once', async () => {
    const clients: Client[][] = [];
    for (const tenant of ['initech', 'umbrella'])
      clients.push(await Promise.all(servers.map((s) => s.connect(tenant))));
    const { tools } = await clients[0]![0]!.listTools();
    const fetchTool = tools.find((tool) => tool.name === 'fetch')!;
    const documentId = (fetchTool.inputSchema.properties!['id'] as { enum: string[] }).enum[0]!;

    const sent: SentTrace[] = [];
    let transportFailures = 0;
    const started = Date.now();
    const runFor = 24_000;
    let stoppedAt = 0;
    let restartedAt = 0;
    // One trace = a call to each server under the same trace id, as an agent calling two tools would make.
    const worker = async (index: number) => {
      const pair = clients[index % clients.length]!;
      while (Date.now() - started < runFor) {
        const trace: SentTrace = { traceId: hex(16), startedAt: Date.now(), failed: false };
        sent.push(trace);
        for (const client of pair) {
          const traceparent = `00-${trace.traceId}-${hex(8)}-01`;
          try {
            const result = await client.callTool({
              name: 'fetch',
              arguments: { id: documentId },
              _meta: { traceparent },
            });
            if (result.isError) trace.failed = true;
          } catch {
            transportFailures++;
          }
        }
        await sleep(400);
      }
    };
    const gatewayDrill = (async () => {
      await sleep(8_000);
      stoppedAt = Date.now();
      await gateways[1]!.stop();
      gateways[1] = undefined;
      await sleep(4_000);
      mkdirSync(join(dir, 'gateway-1-restarted'));
      gateways[1] = await startCollectorWith(renderGateway('gateway-1-restarted'), { ports: gatewayPorts[1] });
      restartedAt = Date.now();
    })();
    await Promise.all([...Array.from({ length: 6 }, (_, i) => worker(i)), gatewayDrill]);

    // Requests never fail: the telemetry path is not the request path.
    expect(transportFailures).toBe(0);
    const failed = sent.filter((trace) => trace.failed);
    expect(failed.length).toBeGreaterThan(10);

    // Every span the agents computed metrics from, counted once, before any sampling: the requests served.
    const served = `sum(mcp_server_operation_duration_seconds_count{job="${SERVICE}", mcp_method_name="tools/call"})`;
    const spanCalls =
      'sum(traces_span_metrics_calls_total{span_kind="SPAN_KIND_SERVER", span_name="tools/call fetch"})';
    await central.waitFor(`${served} == ${sent.length * 2}`, (vector) => vector.length === 1, {
      what: 'the servers’ request counts to reach the central Prometheus through the Prometheus agent',
      timeoutMs: 60_000,
    });
    await central.waitFor(`${spanCalls} == ${sent.length * 2}`, (vector) => vector.length === 1, {
      what: 'the agents’ span metrics to count every request served',
      timeoutMs: 60_000,
    });

    // Wait for the last decisions, retries and flushes: until every error trace but those in flight at the stopped
    // gateway is there and the files stop growing, or a deadline.
    const spansAt = () =>
      [['gateway-0'], ['gateway-1', 'gateway-1-restarted']].map((directories) =>
        directories.flatMap((directory) =>
          readSpans(join(dir, directory, 'traces.jsonl')).filter((span) => span.name === 'tools/call fetch'),
        ),
      );
    const inFlight = (trace: SentTrace) =>
      trace.startedAt >= stoppedAt - (DECISION_WAIT_SECONDS + 2) * 1000 && trace.startedAt <= restartedAt;
    const counts: number[] = [];
    for (const deadline = Date.now() + 60_000; Date.now() < deadline;) {
      await sleep(1_000);
      const spans = spansAt().flat();
      const traceIds = new Set(spans.map((span) => span.traceId));
      counts.push(spans.length);
      const settled = counts.length >= 4 && counts.slice(-4).every((count) => count === spans.length);
      if (settled && failed.every((trace) => inFlight(trace) || traceIds.has(trace.traceId))) break;
    }
    const [first, second] = spansAt();
    const tracesAt = (spans: typeof first) => {
      const byTrace = new Map<string, Set<string>>();
      for (const span of spans!) {
        const instances = byTrace.get(span.traceId) ?? new Set();
        instances.add(String(span.resource['service.instance.id']));
        byTrace.set(span.traceId, instances);
      }
      return byTrace;
    };
    const atFirst = tracesAt(first);
    const atSecond = tracesAt(second);
    // Both gateways took a share, and no trace was split between them.
    expect(atFirst.size).toBeGreaterThan(0);
    expect(atSecond.size).toBeGreaterThan(0);
    expect([...atFirst.keys()].filter((id) => atSecond.has(id))).toEqual([]);
    const kept = new Map([...atFirst, ...atSecond]);
    // Every kept trace is whole: the spans of both servers.
    const partial = [...kept].filter(([, instances]) => instances.size !== 2).map(([id]) => id);
    expect(partial).toEqual([]);

    // Every error trace is kept, but those the stopped gateway held undecided when it stopped.
    const lostErrors = failed.filter((trace) => !kept.has(trace.traceId));
    expect(lostErrors.filter((trace) => !inFlight(trace))).toEqual([]);
    // The rest is sampled, at about the configured 20%.
    const healthy = sent.filter((trace) => !trace.failed && !inFlight(trace));
    const sampled = healthy.filter((trace) => kept.has(trace.traceId)).length / healthy.length;
    expect(sampled).toBeGreaterThan(0.08);
    expect(sampled).toBeLessThan(0.4);
    console.log(
      `scale-out e2e: ${sent.length} traces over 2 servers (${sent.length * 2} requests, ${failed.length} error traces), ` +
        `${atFirst.size} + ${atSecond.size} kept at the two gateways, ${(sampled * 100).toFixed(0)}% of healthy traces sampled; ` +
        `gateway 2 down ${((restartedAt - stoppedAt) / 1000).toFixed(1)} s: ${lostErrors.length} error traces lost in flight ` +
        `(${sent.filter(inFlight).length} traces started in that window)`,
    );

    // The receiving Prometheus evaluates the generated rules on the written series, and the pair of peers pages once.
    await central.waitFor(
      `ALERTS{alertstate="firing", alertname="McpHighErrorRatio", job="${SERVICE}"}`,
      (vector) => vector.length > 0,
      { what: 'McpHighErrorRatio to fire on the central Prometheus', timeoutMs: 90_000 },
    );
    const pages = () =>
      pager.received.filter((n) => n.alerts.some((alert) => alert.labels['alertname'] === 'McpHighErrorRatio'));
    await pager.waitFor(() => pages().length > 0, { what: 'the page for McpHighErrorRatio', timeoutMs: 60_000 });
    // Past the second peer's turn (peer timeout 3 s): it saw the first peer's notification and stayed quiet.
    await sleep(10_000);
    expect(pages()).toHaveLength(1);
    for (const am of alertmanagers) {
      const held = (await (await fetch(`${am.url}/api/v2/alerts`)).json()) as { labels: Record<string, string> }[];
      expect(held.some((alert) => alert.labels['alertname'] === 'McpHighErrorRatio')).toBe(true);
    }
    expect(vectorSum(await central.query(`${served}`))).toBe(sent.length * 2);
  }, 300_000);
});

describe.skipIf(noCollector)('tenancy through the scale-out collectors', () => {
  /** Each export the gateway made to "Loki": its X-Scope-OrgID and the raw OTLP protobuf body. */
  const exports: { orgId: string | undefined; body: Buffer }[] = [];
  let loki: Server;
  let gateway: Collector;
  let agent: Collector;
  const servers: Reference[] = [];

  beforeAll(async () => {
    loki = createServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (chunk: Buffer) => chunks.push(chunk));
      req.on('end', () => {
        const body = Buffer.concat(chunks);
        const orgId = req.headers['x-scope-orgid'] as string | undefined;
        exports.push({ orgId, body: req.headers['content-encoding'] === 'gzip' ? gunzipSync(body) : body });
        res.writeHead(200, { 'content-type': 'application/x-protobuf' }).end();
      });
    });
    await new Promise<void>((resolve) => loki.listen(0, '127.0.0.1', resolve));
    const lokiPort = (loki.address() as AddressInfo).port;
    const gatewayPorts = await collectorPorts();
    const config = resolveConfig({
      profile: 'scale-out',
      collector: {
        routing: { tenants: ['initech'], defaultTenant: 'platform' },
        loki: { endpoint: `http://127.0.0.1:${lokiPort}/otlp` },
        // Nothing listens there: the traces are not the point, and their failed exports must not matter.
        tempo: { endpoint: `127.0.0.1:${await freePort()}` },
      },
      scaleOut: { gateways: [`127.0.0.1:${gatewayPorts.otlpGrpc}`] },
    });
    gateway = await startCollectorWith((ports) => yaml(gatewayCollectorConfig(config, { host: '127.0.0.1', ports })), {
      ports: gatewayPorts,
    });
    agent = await startCollectorWith((ports) =>
      yaml(agentCollectorConfig(config, { host: '127.0.0.1', ports, flushInterval: '1s' })),
    );
    for (const [i, headers] of [['X-Scope-OrgID=team-blue'], []].entries()) {
      servers.push(
        await startReference({
          OTEL_SDK_DISABLED: 'false',
          OTEL_SERVICE_NAME: 'tenancy',
          OTEL_RESOURCE_ATTRIBUTES: `service.instance.id=tenancy-server-${i}`,
          OTEL_EXPORTER_OTLP_ENDPOINT: agent.otlpHttp,
          OTEL_BLRP_SCHEDULE_DELAY: '200',
          ...(headers.length > 0 && { OTEL_EXPORTER_OTLP_HEADERS: headers.join(',') }),
        }),
      );
    }
  }, 60_000);

  afterAll(async () => {
    for (const server of servers) await server.stop();
    await agent?.stop();
    await gateway?.stop();
    loki?.closeAllConnections();
    await new Promise<void>((resolve) => (loki ? loki.close(() => resolve()) : resolve()));
  });

  it('exports with the routed tenant, else the X-Scope-OrgID the app sent, else the default tenant', async () => {
    for (const server of servers) {
      for (const tenant of ['initech', 'umbrella']) {
        const client = await server.connect(tenant);
        const { tools } = await client.listTools();
        const fetchTool = tools.find((tool) => tool.name === 'fetch')!;
        const id = (fetchTool.inputSchema.properties!['id'] as { enum: string[] }).enum[0]!;
        await client.callTool({ name: 'fetch', arguments: { id } });
      }
    }
    // Which server's logs each export carries: the instance id is a plain string in the protobuf body.
    const tenantsOf = (instance: string) =>
      new Set(exports.filter((e) => e.body.includes(instance)).map((e) => e.orgId ?? 'none'));
    const expected = {
      // An app's own header wins for what is not routed; a routed tenant is its own, whoever sends it.
      'tenancy-server-0': ['initech', 'team-blue'],
      'tenancy-server-1': ['initech', 'platform'],
    };
    const deadline = Date.now() + 30_000;
    while (Date.now() < deadline) {
      const seen = Object.keys(expected).map((instance) => [...tenantsOf(instance)].sort());
      if (JSON.stringify(seen) === JSON.stringify(Object.values(expected))) break;
      await sleep(500);
    }
    expect(
      Object.fromEntries(Object.keys(expected).map((instance) => [instance, [...tenantsOf(instance)].sort()])),
    ).toEqual(expected);
  }, 60_000);
});
