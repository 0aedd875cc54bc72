// A server that sends spans and no metrics — the Python SDK's, whose SERVER spans follow the MCP semantic conventions —
// gets the operation-duration histogram from the generated collector (`collector.operationsFromSpans`): the contract's
// name, labels and buckets, tool names bounded, notifications left out, on the collector's Prometheus endpoint.
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StdioClientTransport } from '@modelcontextprotocol/sdk/client/stdio.js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { resolveConfig } from '../lib/config/config.js';
import { DURATION_BUCKETS_SECONDS, METRICS } from '../lib/contract.js';
import { buildModel } from '../lib/generate/model.js';
import { needsCollector, startCollector } from './fixtures/collector.js';
import type { Collector } from './fixtures/collector.js';
import { parseMetrics, valueOf } from './fixtures/metrics.js';
import type { Sample } from './fixtures/metrics.js';
import { waitFor } from './fixtures/prometheus.js';
import { needsPythonMcp, pythonStdioCommand } from './fixtures/python.js';

const COUNT = `${METRICS.serverOperationDuration.name}_count`;

describe.skipIf(needsCollector().skip || needsPythonMcp().skip)(
  'the collector turns the Python SDK spans into the operation-duration histogram',
  () => {
    const config = resolveConfig({
      service: { name: 'py-finance', source: 'collector' },
      collector: {
        resource: { serviceNamespace: 'finance' },
        operationsFromSpans: { services: ['py-finance'], tools: ['echo', 'fail'] },
      },
    });
    let collector: Collector;
    beforeAll(async () => {
      collector = await startCollector(config, { flushInterval: '500ms' });
    });
    afterAll(() => collector?.stop());

    it('counts every request by method, bounded tool and error type, under the job the rules select', async () => {
      const python = pythonStdioCommand({
        OTEL_EXPORTER_OTLP_ENDPOINT: collector.otlpHttp,
        OTEL_SERVICE_NAME: 'py-finance',
        OTEL_BSP_SCHEDULE_DELAY: '100',
      });
      const client = new Client({ name: 'collector-operations', version: '1' });
      await client.connect(new StdioClientTransport({ ...python, stderr: 'ignore' }));
      await client.listTools();
      for (let i = 0; i < 3; i++) await client.callTool({ name: 'echo', arguments: { text: `call ${i}` } });
      await client.callTool({ name: 'fail', arguments: {} });
      // A listed tool the configuration does not name, and one no server has: neither name becomes a label.
      await client.callTool({ name: 'add', arguments: { a: 1, b: 2 } });
      await client.callTool({ name: 'invented-by-a-client', arguments: {} }).catch(() => undefined);
      await client.close();

      const job = buildModel(config).job;
      expect(job).toBe('finance/py-finance');
      const scrape = async () =>
        parseMetrics(await (await fetch(`http://127.0.0.1:${collector.ports.prometheus}/metrics`)).text());
      const count = (samples: Sample[], labels: Record<string, string>) =>
        valueOf(samples, COUNT, { job, mcp_method_name: 'tools/call', ...labels });
      const samples = await waitFor(scrape, (now) => count(now, { gen_ai_tool_name: 'echo' }) === 3, {
        what: 'three echo calls in the collector histogram',
        timeoutMs: 20_000,
      });
      expect(count(samples, { gen_ai_tool_name: 'echo', error_type: '' })).toBe(3);
      expect(count(samples, { gen_ai_tool_name: 'fail', error_type: 'tool_error' })).toBe(1);
      expect(count(samples, { gen_ai_tool_name: '_OTHER' })).toBe(2);
      const series = samples.filter((sample) => sample.name === COUNT);
      expect(new Set(series.map((sample) => sample.labels['gen_ai_tool_name'] ?? ''))).toEqual(
        new Set(['', 'echo', 'fail', '_OTHER']),
      );
      // Requests only: the initialized notification is no operation.
      expect(series.some((sample) => sample.labels['mcp_method_name']?.startsWith('notifications/'))).toBe(false);
      expect(valueOf(samples, COUNT, { job, mcp_method_name: 'initialize' })).toBe(1);
      // The span name carries the tool as sent: it never becomes a label.
      expect(series.every((sample) => sample.labels['span_name'] === undefined)).toBe(true);
      // The contract's buckets, so the latency SLIs and quantile rules read it as they read the library's.
      const buckets = samples
        .filter((sample) => sample.name === `${METRICS.serverOperationDuration.name}_bucket`)
        .map((sample) => sample.labels['le']);
      for (const bound of DURATION_BUCKETS_SECONDS) expect(buckets.map(Number)).toContain(bound);
    }, 60_000);
  },
);
