// The server variants of the HTTP benchmark, in report order. Each runs in its own child process (bench/server.mjs,
// set up as `mode`, default the id); `tenants` is how many distinct bearer tokens the load rotates over, `peer` names
// the npm package measured, `baseline` the variant its ratios are taken against, `tools` limits what it is loaded
// with. Diagnostics are not configurations anyone runs: they split a cost into its parts.
export const VARIANTS = [
  { id: 'plain', label: 'plain SDK server', tenants: 1 },
  { id: 'metrics', label: 'metrics only', tenants: 1 },
  { id: 'metrics-logs', label: 'metrics + logs', tenants: 1 },
  { id: 'all', label: 'metrics + logs + traces', tenants: 1 },
  { id: 'all-tenants', label: 'all signals, 1,000 tenants', tenants: 1000 },
  {
    id: 'traceloop',
    label: 'peer: @traceloop/instrumentation-mcp',
    tenants: 1,
    peer: '@traceloop/instrumentation-mcp',
  },
  {
    id: 'arize',
    label: 'peer: @arizeai/openinference-instrumentation-mcp',
    tenants: 1,
    peer: '@arizeai/openinference-instrumentation-mcp',
  },
  { id: 'shinzo', label: 'peer: @shinzolabs/instrumentation-mcp', tenants: 1, peer: '@shinzolabs/instrumentation-mcp' },
  // Sentry's MCP server wrapper, exporting Sentry envelopes (not OTLP) to the sink.
  { id: 'sentry', label: 'peer: @sentry/node wrapMcpServerWithSentry', peer: '@sentry/node', tenants: 1 },
  // The plain server with the OpenTelemetry SDK registered and its AsyncLocalStorage switched on, nothing
  // instrumented: what context propagation alone costs every request.
  {
    id: 'otel-sdk',
    label: 'diagnostic: plain + OTel SDK, AsyncLocalStorage on',
    tenants: 1,
    diagnostic: true,
    tools: ['echo'],
  },
  // All signals with nothing exported (no span or log processors): span creation, context propagation
  // (AsyncLocalStorage) and log records without OTLP serialisation.
  {
    id: 'all-no-export',
    mode: 'all',
    label: 'diagnostic: all signals, OTLP export off',
    tenants: 1,
    diagnostic: true,
    tools: ['echo'],
    env: { OTEL_TRACES_EXPORTER: 'none', OTEL_LOGS_EXPORTER: 'none' },
  },
  // The same pair on Node 24, whose AsyncLocalStorage no longer rides on async_hooks.
  {
    id: 'plain-node24',
    mode: 'plain',
    label: 'plain SDK server, Node 24',
    baseline: 'plain-node24',
    tenants: 1,
    runtime: 'node24',
    diagnostic: true,
    tools: ['echo'],
  },
  {
    id: 'all-node24',
    mode: 'all',
    label: 'metrics + logs + traces, Node 24',
    tenants: 1,
    runtime: 'node24',
    baseline: 'plain-node24',
    diagnostic: true,
    tools: ['echo'],
  },
];

/** The tools every variant serves: `echo` measures the per-request floor, `work` a tool with ~1 ms of CPU. */
export const TOOLS = ['echo', 'work'];

/** A fixed amount of CPU work: the same iteration count in every process, calibrated once by the orchestrator. */
export function work(iterations) {
  let x = 1;
  for (let i = 0; i < iterations; i++) x = (x * 48271 + i) % 2147483647;
  return x;
}

/** Iterations of `work` that take about `ms` milliseconds on this machine. */
export function calibrateWork(ms = 1) {
  let iterations = 100_000;
  for (let attempt = 0; attempt < 8; attempt++) {
    const samples = [];
    for (let i = 0; i < 30; i++) {
      const start = process.hrtime.bigint();
      work(iterations);
      samples.push(Number(process.hrtime.bigint() - start) / 1e6);
    }
    const median = samples.sort((a, b) => a - b)[15];
    iterations = Math.max(1000, Math.round((iterations * ms) / median));
    if (Math.abs(median - ms) / ms < 0.03) break;
  }
  return iterations;
}

/** The bearer token of tenant `i`; servers read the tenant id back out of it, as an auth middleware would. */
export const tokenOf = (i) => `tenant-${String(i).padStart(4, '0')}`;
