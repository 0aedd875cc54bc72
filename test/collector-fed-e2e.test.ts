// The bundle over a collector-fed server in another language: the Python SDK's example server sends its SERVER spans
// over OTLP to the generated collector (`service.source: collector`, `collector.operationsFromSpans`), a real
// Prometheus scrapes the collector's exporter and evaluates the generated rules. Every panel the operation histogram
// can fill returns data, the liveness alerts stay quiet while the server sends (no `up` of its own), and the
// error-ratio alert fires when its tool fails.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StdioClientTransport } from '@modelcontextprotocol/sdk/client/stdio.js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { resolveConfig } from '../lib/config/config.js';
import { METRICS, OTEL_PROCESS_METRICS, PROCESS_METRICS } from '../lib/contract.js';
import { PATHS, generateBundle } from '../lib/generate/bundle.js';
import { dashboardFiles } from '../lib/generate/dashboards/index.js';
import { buildModel } from '../lib/generate/model.js';
import { writeBundle } from '../lib/generate/writer.js';
import { needs } from './fixtures/binaries.js';
import { needsCollector, startCollector } from './fixtures/collector.js';
import type { Collector } from './fixtures/collector.js';
import { expectEveryPanelToHaveData, readsAnyOf } from './fixtures/dashboards-e2e.js';
import type { Dashboard } from './fixtures/dashboards.js';
import { bundleGlobalSettings, startPrometheus } from './fixtures/prometheus.js';
import type { Prometheus } from './fixtures/prometheus.js';
import { drivePythonLoad, expectQuietWhileHealthy, needsPythonMcp, pythonStdioCommand } from './fixtures/python.js';

/** Every series but the operation histogram: what spans cannot give. */
const NOT_FROM_SPANS = [
  ...Object.values(METRICS)
    .filter((metric) => metric !== METRICS.serverOperationDuration)
    .map((metric) => metric.name),
  ...Object.values(PROCESS_METRICS),
  ...Object.values(OTEL_PROCESS_METRICS),
];

/** Classic histograms on Debian's Prometheus 2; exponential span metrics stored as native histograms on Prometheus 3. */
const RUNS = [
  { binary: 'prometheus', nativeHistograms: false, what: "Debian's Prometheus 2" },
  { binary: 'prometheus3', nativeHistograms: true, what: 'Prometheus 3, native histograms' },
] as const;

for (const run of RUNS) {
  describe.skipIf(needs(run.binary).skip || needsCollector().skip || needsPythonMcp().skip)(
    `the generated bundle over a Python MCP server fed through the generated collector, ${run.what}`,
    () => {
      const config = resolveConfig({
        service: { name: 'py-ledger', source: 'collector' },
        thresholds: { errorRatio: { window: '20s', for: '5s' } },
        prometheus: { nativeHistograms: run.nativeHistograms },
        collector: { operationsFromSpans: { services: ['py-ledger'], tools: ['echo', 'add', 'fail', 'slow'] } },
      });
      const model = buildModel(config);
      const job = model.job;
      let dir: string;
      let collector: Collector;
      let prometheus: Prometheus;
      let dashboards: Dashboard[];

      beforeAll(async () => {
        dir = mkdtempSync(join(tmpdir(), 'mcp-observatory-collector-fed-'));
        writeBundle(generateBundle(config, 'the collector-fed e2e test'), dir);
        dashboards = [...dashboardFiles(model, '').values()].map((text) => JSON.parse(text) as Dashboard);
        collector = await startCollector(config, { flushInterval: '1s' });
        prometheus = await startPrometheus({
          binary: run.binary,
          global: bundleGlobalSettings(dir),
          jobName: 'otel-collector',
          honorLabels: true,
          scrapeTargets: [`127.0.0.1:${collector.ports.prometheus}`],
          ruleFiles: [join(dir, PATHS.rules)],
        });
      }, 60_000);
      afterAll(async () => {
        await prometheus?.stop();
        await collector?.stop();
        rmSync(dir, { recursive: true, force: true });
      });

      it('is quiet while healthy, fills every panel the operation histogram can fill, stays alive without up, fires on the failing tool', async () => {
        expect(job).toBe('mcp/py-ledger');
        const clients: Client[] = [];
        for (let i = 0; i < 2; i++) {
          const python = pythonStdioCommand({
            OTEL_EXPORTER_OTLP_ENDPOINT: collector.otlpHttp,
            OTEL_SERVICE_NAME: 'py-ledger',
            OTEL_BSP_SCHEDULE_DELAY: '200',
          });
          const client = new Client({ name: `collector-fed-${i}`, version: '1' });
          await client.connect(new StdioClientTransport({ ...python, stderr: 'ignore' }));
          await client.listTools();
          clients.push(client);
        }
        // Healthy first: nothing fires, not even liveness without an `up` of its own.
        await expectQuietWhileHealthy(prometheus, job, clients);
        const load = drivePythonLoad(clients);
        try {
          await prometheus.waitFor(
            `ALERTS{alertstate="firing", alertname="McpHighErrorRatio", job="${job}"}`,
            (vector) => vector.length > 0,
            { what: 'McpHighErrorRatio to fire on the collector-fed Python server', timeoutMs: 90_000 },
          );
          // The collector's exporter names each instance by its service.instance.id (the Python SDK sets a UUID).
          const instances = await prometheus.query(`count by (instance) (${model.requests.series(`job="${job}"`)})`);
          expect(instances.length).toBe(clients.length);
          const { checked, skipped } = await expectEveryPanelToHaveData(
            prometheus,
            dashboards,
            {
              job,
              instance: instances[0]!.metric['instance']!,
              tenant: 'none',
              tool: 'echo',
              slo: 'availability',
              __rate_interval: '30s',
              __interval: '15s',
              __range: '1h',
            },
            readsAnyOf(join(dir, PATHS.rules), NOT_FROM_SPANS),
          );
          console.log(`collector-fed e2e: ${checked} panel queries with data, ${skipped} need other series`);
          expect(checked).toBeGreaterThan(25);
          // Alive without an up of its own: the liveness alerts are not even pending.
          const liveness = await prometheus.query(`ALERTS{alertname=~"McpServerAbsent|McpServerDown", job="${job}"}`);
          expect(liveness).toEqual([]);
          expect((await prometheus.query(`target_info{job="${job}"}`)).length).toBeGreaterThan(0);
          // The collector's exponential histogram reached Prometheus 3 as a native histogram, with no classic series.
          const duration = METRICS.serverOperationDuration.name;
          const native = await prometheus.query(`histogram_count(${duration}{job="${job}"})`);
          const classic = await prometheus.query(`${duration}_count{job="${job}"}`);
          expect({ native: native.length > 0, classic: classic.length > 0 }).toEqual({
            native: run.nativeHistograms,
            classic: !run.nativeHistograms,
          });
        } finally {
          await load.stop();
          for (const client of clients) await client.close();
        }
      }, 240_000);
    },
  );
}
