// The bundle over a server no one here wrote: the Python SDK's example server behind the sidecar — its Streamable HTTP
// endpoint behind `mcp-observatory proxy`, and its stdio process inside `mcp-observatory wrap` — scraped by a real
// Prometheus with the generated rules. Every panel the protocol alone can fill returns data, and the error-ratio alert
// fires when the Python tool fails.
import { spawn } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { generateKeyPairSync } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StdioClientTransport } from '@modelcontextprotocol/sdk/client/stdio.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { resolveConfig } from '../lib/config/config.js';
import { METRICS, PROCESS_METRICS } from '../lib/contract.js';
import { PATHS, generateBundle } from '../lib/generate/bundle.js';
import { dashboardFiles } from '../lib/generate/dashboards/index.js';
import { buildModel } from '../lib/generate/model.js';
import { writeBundle } from '../lib/generate/writer.js';
import { needs } from './fixtures/binaries.js';
import { expectEveryPanelToHaveData, readsAnyOf } from './fixtures/dashboards-e2e.js';
import type { Dashboard } from './fixtures/dashboards.js';
import { freePort } from './fixtures/ports.js';
import { startPrometheus } from './fixtures/prometheus.js';
import type { Prometheus } from './fixtures/prometheus.js';
import {
  drivePythonLoad,
  expectQuietWhileHealthy,
  needsPythonMcp,
  pythonStdioCommand,
  startPythonHttpServer,
} from './fixtures/python.js';
import type { PythonHttpServer } from './fixtures/python.js';

const BIN = 'dist/lib/bin.js';
const JOB = 'py-finance-mcp';
const TENANTS = ['acme', 'globex', 'initech'];

/** What `wrap` reports of its child: the language-neutral process series. */
const CHILD_PROCESS: readonly string[] = [
  PROCESS_METRICS.cpuSeconds,
  PROCESS_METRICS.residentMemory,
  PROCESS_METRICS.startTime,
  PROCESS_METRICS.openFds,
  PROCESS_METRICS.maxFds,
];

/**
 * Series only the server's own code can report: app signals, its Node.js runtime, our in-process telemetry pipeline,
 * and the OpenTelemetry process metrics of a server that sends OTLP.
 */
const NOT_ON_THE_WIRE = [
  METRICS.cacheRequests.name,
  METRICS.circuitBreakerState.name,
  METRICS.rateLimited.name,
  METRICS.tenantQuotaRemaining.name,
  METRICS.poolUsage.name,
  METRICS.queueDepth.name,
  METRICS.securityIndicators.name,
  METRICS.backups.name,
  METRICS.backupLastSuccess.name,
  METRICS.telemetryDropped.name,
  METRICS.hookErrors.name,
  ...Object.values(PROCESS_METRICS).filter((name) => !CHILD_PROCESS.includes(name)),
];

describe.skipIf(needs('prometheus').skip || needsPythonMcp().skip)(
  'the generated bundle over a Python MCP server behind the sidecar',
  () => {
    let dir: string;
    let python: PythonHttpServer;
    let proxy: ChildProcess;
    let proxyUrl: string;
    let prometheus: Prometheus;
    let dashboards: Dashboard[];
    let stdioClient: Client;
    const targets: string[] = [];

    beforeAll(async () => {
      dir = mkdtempSync(join(tmpdir(), 'mcp-observatory-sidecar-e2e-'));
      const config = resolveConfig({
        service: { name: 'py-finance', job: JOB },
        thresholds: { errorRatio: { window: '20s', for: '5s' } },
      });
      writeBundle(generateBundle(config, 'the sidecar e2e test'), dir);
      dashboards = [...dashboardFiles(buildModel(config), '').values()].map((json) => JSON.parse(json) as Dashboard);

      python = await startPythonHttpServer();
      const jwksFile = join(dir, 'jwks.json');
      const { publicKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' });
      writeFileSync(jwksFile, JSON.stringify({ keys: [{ ...publicKey.export({ format: 'jwk' }), kid: 'k1' }] }));
      const [listen, proxyMetrics, wrapMetrics] = [await freePort(), await freePort(), await freePort()];
      proxyUrl = `http://127.0.0.1:${listen}/mcp`;
      proxy = spawn(
        'node',
        [
          BIN,
          'proxy',
          '--upstream',
          python.url,
          '--listen',
          `127.0.0.1:${listen}`,
          '--metrics-host',
          '127.0.0.1',
          '--metrics-port',
          String(proxyMetrics),
          '--service-name',
          'py-finance',
          '--tenant-header',
          'x-tenant-id',
          // Fewer than the tenants: one is folded into the overflow tenant.
          '--max-tenants',
          '2',
          // Tokens are verified: a forged one is an auth failure.
          '--jwks',
          jwksFile,
          '--log-level',
          'silent',
        ],
        { stdio: ['ignore', 'ignore', 'pipe'] },
      );
      await once(proxy.stderr!, 'data');
      // The same server over stdio, inside the wrapper: a second instance of the job.
      const python3 = pythonStdioCommand();
      stdioClient = new Client({ name: 'e2e-stdio', version: '1' });
      await stdioClient.connect(
        new StdioClientTransport({
          command: 'node',
          args: [
            BIN,
            'wrap',
            '--metrics-host',
            '127.0.0.1',
            '--metrics-port',
            String(wrapMetrics),
            '--service-name',
            'py-finance',
            '--',
            python3.command,
            ...python3.args,
          ],
          env: { ...python3.env, MCP_OBSERVATORY_LOG_LEVEL: 'silent' },
          stderr: 'ignore',
        }),
      );
      targets.push(`127.0.0.1:${proxyMetrics}`, `127.0.0.1:${wrapMetrics}`);
      prometheus = await startPrometheus({ jobName: JOB, scrapeTargets: targets, ruleFiles: [join(dir, PATHS.rules)] });
    }, 60_000);

    afterAll(async () => {
      await stdioClient?.close();
      proxy?.kill('SIGTERM');
      await prometheus?.stop();
      await python?.stop();
      rmSync(dir, { recursive: true, force: true });
    });

    it('is quiet while healthy, lights every protocol-level panel and fires McpHighErrorRatio on the failing tool', async () => {
      const clients: Client[] = [];
      for (const tenant of TENANTS) {
        const client = new Client({ name: `e2e-${tenant}`, version: '1' });
        await client.connect(
          new StreamableHTTPClientTransport(new URL(proxyUrl), {
            requestInit: { headers: { 'x-tenant-id': tenant } },
          }),
        );
        clients.push(client);
      }
      clients.push(stdioClient);
      // Clients list the tools before they call them: what lets the sidecar label them.
      for (const client of clients) await client.listTools();
      // Healthy first, scraped through the sidecar: nothing fires.
      await expectQuietWhileHealthy(prometheus, JOB, clients);
      const headers = { 'content-type': 'application/json', accept: 'application/json, text/event-stream' };
      // One malformed body: a transport error.
      await fetch(proxyUrl, { method: 'POST', headers, body: '{"jsonrpc":' });
      // One forged token (signed by no key of the JWKS): an auth failure.
      const forged = ['{"alg":"ES256","kid":"k1"}', '{"tenant_id":"evil"}', 'forged'].map((part) =>
        Buffer.from(part).toString('base64url'),
      );
      await fetch(proxyUrl, {
        method: 'POST',
        headers: { ...headers, authorization: `Bearer ${forged.join('.')}` },
        body: JSON.stringify({ jsonrpc: '2.0', id: 1, method: 'ping' }),
      });
      const load = drivePythonLoad(clients);
      try {
        await prometheus.waitFor(
          `ALERTS{alertstate="firing", alertname="McpHighErrorRatio", job="${JOB}"}`,
          (vector) => vector.length > 0,
          { what: 'McpHighErrorRatio to fire on the Python server', timeoutMs: 90_000 },
        );
        const { checked, skipped: notProtocol } = await expectEveryPanelToHaveData(
          prometheus,
          dashboards,
          {
            job: JOB,
            // The wrapper's instance: it also reports its child's process.
            instance: targets[1]!,
            tenant: 'acme',
            tool: 'echo',
            slo: 'availability',
            __rate_interval: '30s',
            __interval: '15s',
            __range: '1h',
          },
          readsAnyOf(join(dir, PATHS.rules), NOT_ON_THE_WIRE),
        );
        // What the README's table says: the protocol lights most of the dashboards.
        console.log(`sidecar e2e: ${checked} panel queries with data, ${notProtocol} need the server's own signals`);
        expect(checked).toBeGreaterThan(40);
        // Both sidecars are instances of the job, and both saw tool calls.
        const instances = await prometheus.query(
          `sum by (instance) (rate(mcp_server_operation_duration_seconds_count{job="${JOB}", mcp_method_name="tools/call"}[1m]))`,
        );
        expect(instances.map((sample) => sample.metric['instance']).sort()).toEqual([...targets].sort());
        // The wrapper reports its child's process: the Python interpreter's memory, not the sidecar's.
        const memory = await prometheus.query(`process_resident_memory_bytes{job="${JOB}"}`);
        expect(memory.map((sample) => sample.metric['instance'])).toEqual([targets[1]]);
        // Transports tell the two apart.
        const transports = await prometheus.query(
          `count by (network_transport) (mcp_server_operation_duration_seconds_count{job="${JOB}"})`,
        );
        expect(transports.map((sample) => sample.metric['network_transport']).sort()).toEqual(['pipe', 'tcp']);
      } finally {
        await load.stop();
        for (const client of clients.slice(0, TENANTS.length)) await client.close();
      }
    }, 240_000);
  },
);
