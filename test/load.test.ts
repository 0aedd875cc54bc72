import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { argumentsFor } from '../lib/load/arguments.js';
import { parseDuration } from '../lib/load/duration.js';
import { LoadError, LoadUsageError } from '../lib/load/errors.js';
import { parseFault } from '../lib/load/faults.js';
import { WeightedPicker, apportion, seededRandom, zipfWeights } from '../lib/load/mix.js';
import { DEMO_TENANTS, parseLoadArgs, parseToolMix } from '../lib/load/options.js';
import { runLoad } from '../lib/load/runner.js';
import type { LoadSummary } from '../lib/load/runner.js';
import { LatencyHistogram } from '../lib/load/stats.js';
import { formatLoadSummary } from '../lib/load/summary.js';
import { valueOf } from './fixtures/metrics.js';
import type { Sample } from './fixtures/metrics.js';
import { waitFor } from './fixtures/prometheus.js';
import { ADMIN_TOKEN, cli, startReference } from './fixtures/reference.js';
import type { Reference } from './fixtures/reference.js';

// `mcp-observatory load`: its command line (every error names the bad value and the fix), and runs against the
// reference server with the SDK's own client, checked against what the server's own metrics say.

const usage = (fn: () => unknown) => {
  try {
    fn();
  } catch (error) {
    expect(error).toBeInstanceOf(LoadUsageError);
    return (error as Error).message;
  }
  throw new Error('expected a LoadUsageError');
};

describe('load command line', () => {
  it('reads a tool mix, repeated or comma-separated', () => {
    expect(parseToolMix(['search=60', 'fetch=30,summarize=10'])).toEqual([
      { name: 'search', weight: 60 },
      { name: 'fetch', weight: 30 },
      { name: 'summarize', weight: 10 },
    ]);
    expect(usage(() => parseToolMix(['search']))).toBe(
      "--tool search: give the tool's share of the calls, e.g. --tool search=60",
    );
    expect(usage(() => parseToolMix(['search=abc']))).toBe(
      '--tool search=abc: the share "abc" is not a number above 0; e.g. --tool search=60',
    );
    expect(usage(() => parseToolMix(['search=0']))).toMatch(/the share "0" is not a number above 0/);
    expect(usage(() => parseToolMix(['search=1', 'search=2']))).toBe(
      '--tool search is given twice; give each tool once, with its share',
    );
  });

  it('reads a fault schedule', () => {
    expect(parseFault('at 60s: error=0.2 tool=search tenant=acme for 30s')).toEqual({
      text: 'at 60s: error=0.2 tool=search tenant=acme for 30s',
      atMs: 60_000,
      durationMs: 30_000,
      fault: { error: 0.2, tool: 'search', tenant: 'acme' },
    });
    expect(parseFault('at 1m30s: latency=500ms error=20% tool=summarize')).toMatchObject({
      atMs: 90_000,
      durationMs: undefined,
      fault: { latencyMs: 500, error: 0.2, tool: 'summarize' },
    });
    expect(parseFault('at 0s: outage for 10s').fault).toEqual({ outage: true });
    expect(parseFault('at 5s: memory=8MB/s').fault).toEqual({ memoryMbPerSecond: 8 });
    expect(parseFault('at 5s: crash tool=fetch').fault).toEqual({ crash: true, tool: 'fetch' });
  });

  it('names the bad part of a fault and how to write it', () => {
    const fault = (text: string) => usage(() => parseFault(text));
    expect(fault('at 60: error=0.2')).toBe(
      '--fault "at 60: error=0.2": "60" has no unit; write a duration such as 60s, 1m or 500ms',
    );
    expect(fault('error=0.2 tool=search')).toBe(
      '--fault "error=0.2 tool=search": a fault starts with "at <time>:", e.g. --fault "at 60s: error=0.2 tool=search tenant=acme for 30s"',
    );
    expect(fault('at 5s: error=2')).toBe(
      '--fault "at 5s: error=2": error=2: the error rate is a probability above 0 and at most 1 (or a percentage such as 20%)',
    );
    expect(fault('at 5s: eror=0.2')).toBe(
      '--fault "at 5s: eror=0.2": "eror=0.2" is not part of a fault; use error=, latency=, outage, memory=, crash, tool=, tenant= and "for <duration>"',
    );
    expect(fault('at 5s: tool=search')).toMatch(
      /: the fault does nothing; give error=, latency=, outage, memory= or crash/,
    );
    expect(fault('at 5s: outage tool=search')).toMatch(
      /tool= and tenant= scope error=, latency= and crash; an outage or memory growth hits the whole server$/,
    );
    expect(fault('at 5s: error=0.1 for 10s tool=fetch')).toMatch(/"for <duration>" ends a fault/);
    expect(fault('at 5s: latency=fast')).toMatch(/"fast" is not a duration; write one such as 30s, 1m30s, 500ms or 2h/);
    expect(fault('at 5s: error=')).toMatch(/error needs a value, e.g. error=0.2/);
  });

  it('defaults to an open loop at 20/s against the reference server with its demo tenants, for 30 s', () => {
    const options = parseLoadArgs([], {});
    expect(options).toMatchObject({
      rate: 20,
      sessions: 10,
      durationMs: 30_000,
      requests: undefined,
      tenants: DEMO_TENANTS,
      tools: [],
      adminToken: '',
    });
    expect(options.url.href).toBe('http://127.0.0.1:3000/mcp');
    expect(options.adminUrl.href).toBe('http://127.0.0.1:3000/admin/faults');
    expect(parseLoadArgs(['--concurrency', '4', '--requests', '100'], {})).toMatchObject({
      rate: undefined,
      concurrency: 4,
      requests: 100,
      durationMs: undefined,
    });
    expect(parseLoadArgs(['--tenant', 'a=tok-a', '--tenant', 'sk-live-0123456789abcdef'], {}).tenants).toEqual([
      { name: 'a', token: 'tok-a' },
      { name: 'sk-l…cdef', token: 'sk-live-0123456789abcdef' },
    ]);
    expect(parseLoadArgs([], { MCP_ADMIN_TOKEN: 'from-env' }).adminToken).toBe('from-env');
    const compose = parseLoadArgs(['--url', 'http://mcp-server:3000/mcp'], {});
    expect([compose.url.href, compose.adminUrl.href]).toEqual([
      'http://mcp-server:3000/mcp',
      'http://mcp-server:3000/admin/faults',
    ]);
  });

  it('refuses contradictions and impossible runs before sending anything', () => {
    const args = (...list: string[]) => usage(() => parseLoadArgs(list, {}));
    expect(args('--rate', '10', '--concurrency', '5')).toMatch(
      /--rate \(open loop\) and --concurrency \(closed loop\) exclude/,
    );
    expect(args('--sessions', '3')).toBe(
      '--sessions 3 is fewer than the 5 tenants, and each tenant needs a session; use --sessions 5 or more, or fewer --tenant',
    );
    expect(args('--duration', '30', '--fault', 'at 5s: crash')).toBe(
      '--duration: "30" has no unit; write a duration such as 30s, 1m or 500ms',
    );
    expect(args('--duration', '20s', '--fault', 'at 30s: outage')).toBe(
      '--fault "at 30s: outage" starts after the run ends (--duration 20s); start it earlier or lengthen --duration',
    );
    expect(args('--fault', 'at 1s: error=0.5 tenant=acmee')).toMatch(
      /tenant=acmee is not one of the demo tenants \(acme, globex, initech, umbrella, hooli\)/,
    );
    expect(args('--tool', 'search=1', '--args', 'fetch={"id":"x"}')).toBe(
      '--args fetch=…: fetch is not in the tool mix; add --tool fetch=<share>',
    );
    expect(args('--args', 'search={query}')).toMatch(/^--args search=\{query\}: the arguments are not JSON/);
    expect(args('--zipf=-1')).toMatch(/--zipf -1: the exponent is a number from 0 \(even\) to 10/);
    expect(args('http://a/mcp', '--url', 'http://b/mcp')).toBe(
      'load takes one MCP endpoint URL, got http://a/mcp http://b/mcp',
    );
    expect(args('ftp://example.com/mcp')).toMatch(
      /the MCP endpoint: "ftp:\/\/example.com\/mcp" is not an http\(s\) URL/,
    );
  });

  it('prints the error and where the options are listed, with exit code 2', async () => {
    const { code, stderr } = await cli(['load', '--tool', 'search']);
    expect(code).toBe(2);
    expect(stderr).toBe(
      "mcp-observatory load: --tool search: give the tool's share of the calls, e.g. --tool search=60\n" +
        "Run 'mcp-observatory load --help' for its options.\n",
    );
  });
});

describe('load building blocks', () => {
  it('skews traffic by Zipf and gives every tenant at least one session', () => {
    const weights = zipfWeights(5, 1.1);
    expect(apportion(10, weights)).toEqual([5, 2, 1, 1, 1]);
    expect(apportion(5, weights)).toEqual([1, 1, 1, 1, 1]);
    expect(apportion(12, zipfWeights(3, 0))).toEqual([4, 4, 4]);
    const picker = new WeightedPicker(weights);
    const random = seededRandom(42);
    const counts = [0, 0, 0, 0, 0];
    for (let i = 0; i < 20_000; i++) counts[picker.pick(random)]!++;
    // Each rank gets less than the one before it, and the top tenant about twice the second (1/1 vs 1/2^1.1).
    expect(counts).toEqual([...counts].sort((a, b) => b - a));
    expect(counts[0]! / counts[1]!).toBeCloseTo(2 ** 1.1, 0);
  });

  it('keeps latency quantiles within 2% in fixed memory', () => {
    const histogram = new LatencyHistogram();
    for (let ms = 1; ms <= 1000; ms++) histogram.record(ms);
    expect(histogram.quantile(0.5) / 500).toBeCloseTo(1, 1);
    expect(Math.abs(histogram.quantile(0.99) / 990 - 1)).toBeLessThanOrEqual(0.02);
    expect(histogram.quantile(1)).toBe(1000);
    expect(histogram.max).toBe(1000);
  });

  it('generates arguments a tool accepts from its input schema', () => {
    const schema = {
      type: 'object',
      properties: {
        id: { type: 'string', enum: ['a', 'b'] },
        query: { type: 'string', maxLength: 4 },
        limit: { type: 'integer', minimum: 3, maximum: 5 },
        verbose: { type: 'boolean' },
      },
      required: ['id', 'query', 'limit'],
    };
    const random = seededRandom(1);
    for (let i = 0; i < 50; i++) {
      const args = argumentsFor(schema, random);
      expect(Object.keys(args).sort()).toEqual(['id', 'limit', 'query']);
      expect(['a', 'b']).toContain(args['id']);
      expect((args['query'] as string).length).toBeLessThanOrEqual(4);
      expect(args['limit']).toBeGreaterThanOrEqual(3);
      expect(args['limit']).toBeLessThanOrEqual(5);
    }
  });

  it('reads durations with units only', () => {
    expect(parseDuration('1m30s', 'x')).toBe(90_000);
    expect(parseDuration('250ms', 'x')).toBe(250);
    expect(parseDuration('2h', 'x')).toBe(7_200_000);
  });
});

/** Server-side count of tool calls of a tenant and tool by error type, from the opt-in tenant x tool counter. */
const calls = (samples: Sample[], labels: Record<string, string>) =>
  valueOf(samples, 'mcp_server_tenant_tool_calls_total', labels);

describe('load against the reference server', () => {
  let server: Reference;
  beforeAll(async () => {
    // Rate limits scaled up: these runs are about the load generator, not the free plan.
    server = await startReference({ BREAKER_OPEN_MS: '200', BREAKER_FAILURES: '3', RATE_LIMIT_SCALE: '10' });
  });
  afterAll(() => server?.stop());

  const load = (...args: string[]) =>
    parseLoadArgs([server.url, '--seed', '7', ...args], { MCP_ADMIN_TOKEN: ADMIN_TOKEN });

  it('drives every demo tenant, skewed, and counts exactly what the server counted', async () => {
    const before = await server.metrics();
    const summary = await runLoad(load('--requests', '200', '--rate', '50', '--tool', 'search=2', '--tool', 'fetch=1'));
    const after = await server.metrics();

    expect(summary).toMatchObject({
      loop: 'open',
      sessions: 10,
      stoppedBy: 'requests',
      skipped: 0,
      sessionFailures: [],
    });
    expect(summary.all).toMatchObject({ requests: 200, errors: 0 });
    expect(summary.tools['search']!.requests).toBeGreaterThan(summary.tools['fetch']!.requests);
    const tenants = Object.keys(summary.tenants);
    expect(tenants.sort()).toEqual(DEMO_TENANTS.map((tenant) => tenant.name).sort());
    expect(summary.tenants['acme']!.requests).toBeGreaterThan(summary.tenants['hooli']!.requests);
    for (const tenant of tenants) {
      for (const tool of ['search', 'fetch']) {
        const labels = { tenant_id: tenant, gen_ai_tool_name: tool, error_type: '' };
        const served = calls(after, labels) - calls(before, labels);
        expect(served, `${tenant} ${tool}`).toBeGreaterThan(0);
      }
      const served = ['search', 'fetch'].reduce(
        (sum, tool) =>
          sum +
          calls(after, { tenant_id: tenant, gen_ai_tool_name: tool, error_type: '' }) -
          calls(before, { tenant_id: tenant, gen_ai_tool_name: tool, error_type: '' }),
        0,
      );
      expect(served, tenant).toBe(summary.tenants[tenant]!.requests);
    }
    // Sessions are ended when the run is over, as a well-behaved client does.
    expect(valueOf(after, 'mcp_server_sessions_active')).toBe(0);
    const [first, second] = formatLoadSummary(summary).split('\n');
    expect(first).toMatch(/^load: http:\/\/127\.0\.0\.1:\d+\/mcp, 10 sessions, open loop at 50\/s, seed 7$/);
    expect(second).toMatch(/^ {2}200 requests in [\d.]+ s \([\d.]+\/s, request count reached\), 0% errors$/);
  });

  it('applies a scheduled fault to one tool and tenant, classifies the errors, and ends the fault', async () => {
    const before = await server.metrics();
    const events: string[] = [];
    const summary = await runLoad(
      load(
        '--requests',
        '150',
        '--rate',
        '50',
        '--tool',
        'search=1',
        '--tool',
        'fetch=1',
        '--fault',
        'at 0s: error=1 tool=fetch tenant=globex',
      ),
      { onEvent: (line) => events.push(line) },
    );
    const after = await server.metrics();

    const failed = summary.tenants['globex']!.errors;
    expect(failed).toBeGreaterThan(0);
    expect(summary.all.errorTypes).toEqual({ tool_error: failed });
    expect(summary.tools['fetch']!.errors).toBe(failed);
    expect(summary.tools['search']!.errors).toBe(0);
    for (const tenant of ['acme', 'initech', 'umbrella', 'hooli'])
      expect(summary.tenants[tenant]!.errors, tenant).toBe(0);
    const labels = { tenant_id: 'globex', gen_ai_tool_name: 'fetch', error_type: 'tool_error' };
    expect(calls(after, labels) - calls(before, labels)).toBe(failed);

    expect(summary.faults).toEqual([
      expect.objectContaining({
        fault: 'error=1 tool=fetch tenant=globex',
        id: expect.any(String),
        appliedAtSeconds: expect.any(Number),
      }),
    ]);
    expect(summary.faults[0]!.endedAtSeconds).toBeDefined();
    expect(summary.faults[0]!.error).toBeUndefined();
    expect(events).toEqual([
      expect.stringMatching(/^t=\d+\.\ds fault f\d+ on: error=1 tool=fetch tenant=globex$/),
      expect.stringMatching(/^t=\d+\.\ds fault f\d+ off: error=1 tool=fetch tenant=globex$/),
    ]);
    expect((await server.admin('GET')).json).toEqual({ faults: [] });
  });

  it('drives a dependency outage: the breaker opens, readiness turns 503, both recover when it ends', async () => {
    const readiness: number[] = [];
    let summary: LoadSummary | undefined;
    const run = runLoad(
      load('--duration', '6s', '--rate', '40', '--tool', 'compliance_check=1', '--fault', 'at 1s: outage for 2s'),
    ).then((result) => void (summary = result));
    const ready = async () => {
      const status = (await fetch(`${server.base}/health/ready`)).status;
      if (readiness.at(-1) !== status) readiness.push(status);
      return status;
    };
    await waitFor(ready, (status) => status === 503, {
      what: 'readiness to turn 503 during the outage',
      timeoutMs: 10_000,
    });
    const open = await server.metrics();
    expect(
      valueOf(open, 'mcp_server_circuit_breaker_state', { dependency: 'compliance-registry', state: 'closed' }),
    ).toBe(0);
    await waitFor(ready, (status) => status === 200, {
      what: 'readiness to recover after the outage',
      timeoutMs: 10_000,
    });
    await run;
    expect(readiness).toEqual([200, 503, 200]);
    const after = await server.metrics();
    expect(
      valueOf(after, 'mcp_server_circuit_breaker_state', { dependency: 'compliance-registry', state: 'closed' }),
    ).toBe(1);
    expect(summary!.tools['compliance_check']!.errorTypes).toEqual({ tool_error: summary!.all.errors });
    expect(summary!.all.errors).toBeGreaterThan(0);
    expect(summary!.all.errors).toBeLessThan(summary!.all.requests);
  });

  it('counts a tenant whose token is refused, and fails when no session connects', async () => {
    const events: string[] = [];
    const summary = await runLoad(
      load(
        '--requests',
        '20',
        '--rate',
        '50',
        '--sessions',
        '4',
        '--tool',
        'fetch=1',
        '--tenant',
        'acme=demo-token-acme',
        '--tenant',
        'mallory=forged',
      ),
      { onEvent: (line) => events.push(line) },
    );
    expect(summary.sessionFailures).toEqual([
      { tenant: 'mallory', errorType: 'http_401', reason: expect.stringMatching(/invalid_token/) },
    ]);
    expect(summary.sessions).toBe(3);
    expect(events).toEqual([
      expect.stringMatching(/^tenant mallory: no session could connect \(http_401: .*invalid_token/),
    ]);
    expect(summary.all.requests).toBe(20);
    expect(Object.keys(summary.tenants)).toEqual(['acme']);
    await expect(runLoad(load('--requests', '5', '--tenant', 'mallory=forged'))).rejects.toThrow(LoadError);
    await expect(runLoad(load('--requests', '5', '--tenant', 'mallory=forged'))).rejects.toThrow(
      /^no session could connect to http:\/\/127\.0\.0\.1:\d+\/mcp: http_401: /,
    );
  });

  it('refuses a tool the server does not have, naming the tools it has', async () => {
    await expect(runLoad(load('--requests', '5', '--tool', 'serach=1'))).rejects.toThrow(
      /^--tool serach=1: the server at http:\/\/127\.0\.0\.1:\d+\/mcp has no tool "serach"; it lists search, fetch, summarize, compliance_check$/,
    );
  });

  it('runs from the command line and prints JSON', async () => {
    const { code, stdout } = await cli(['load', server.url, '--requests', '40', '--rate', '80', '--quiet', '--json']);
    expect(code).toBe(0);
    const summary = JSON.parse(stdout) as LoadSummary;
    expect(summary.all.requests).toBe(40);
    expect(Object.keys(summary.tools).sort()).toEqual(['compliance_check', 'fetch', 'search', 'summarize']);
  });
});
