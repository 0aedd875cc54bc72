// `mcp-observatory compare`: the same load against two real MCP servers over Streamable HTTP (the SDK's own client and
// server), one of them slower or failing more: the verdict must name the regression, and two equal servers must pass.
import { setTimeout as sleep } from 'node:timers/promises';
import { McpServer } from '@modelcontextprotocol/sdk/server/mcp.js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { z } from 'zod';
import type { CompareReport } from '../lib/load/compare.js';
import { runInProcess } from './fixtures/cli.js';
import { serveHttp } from './fixtures/http.js';
import type { HttpFixture } from './fixtures/http.js';

/** A server whose `work` tool takes `delayMs` and fails every `failEvery`-th call (never with 0). */
function server(delayMs: number, failEvery = 0): Promise<HttpFixture> {
  let calls = 0;
  return serveHttp('stateful', () => {
    const mcp = new McpServer({ name: 'compare-target', version: '1.0.0' });
    mcp.registerTool('work', { inputSchema: { item: z.string().optional() } }, async () => {
      await sleep(delayMs);
      calls++;
      if (failEvery > 0 && calls % failEvery === 0)
        return { content: [{ type: 'text', text: 'failed' }], isError: true };
      return { content: [{ type: 'text', text: 'done' }] };
    });
    return mcp;
  });
}

describe('compare', () => {
  let fast: HttpFixture;
  let fastToo: HttpFixture;
  let slow: HttpFixture;
  let failing: HttpFixture;
  // Ten times slower, so a busy machine that slows every request in one round cannot hide the regression.
  beforeAll(async () => {
    [fast, fastToo, slow, failing] = await Promise.all([server(20), server(20), server(200), server(20, 8)]);
  });
  afterAll(async () => {
    for (const fixture of [fast, fastToo, slow, failing]) await fixture?.close();
  });

  const compare = async (baseline: string, current: string, ...extra: string[]) => {
    const { code, output } = await runInProcess([
      'compare',
      baseline,
      current,
      ...['--no-auth', '--tool', 'work=1', '--rate', '40', '--duration', '2s', '--rounds', '2', '--seed', '7'],
      ...extra,
    ]);
    const json = output.slice(output.indexOf('{'));
    return { code, output, report: extra.includes('--json') ? (JSON.parse(json) as CompareReport) : undefined };
  };

  it('passes two equal servers', async () => {
    // Two equal servers on a busy machine differ by tens of percent in p95 now and then: allow it here.
    const { code, report } = await compare(fast.url, fastToo.url, '--json', '--max-p95-increase', '100%');
    expect(report!.verdict).toEqual({ status: 'pass', reasons: [] });
    expect(report!.rounds).toBe(2);
    expect(report!.all.baseline.requests).toBeGreaterThanOrEqual(100);
    // An open loop at the same rate and seed: the same requests, but those a run's end catches in flight.
    expect(Math.abs(report!.all.current.requests - report!.all.baseline.requests)).toBeLessThan(10);
    expect(code).toBe(0);
  }, 60_000);

  it('names a latency regression that shows in every round, and exits 1', async () => {
    const { code, output } = await compare(fast.url, slow.url);
    expect(output).toMatch(/Verdict: REGRESSION/);
    expect(output).toMatch(/✗ all requests: p95 \d+ms → \d+ms \(\+\d+%, slower in every round\)/);
    expect(output).toMatch(/✗ work: p95/);
    expect(code).toBe(1);
  }, 60_000);

  it('names an error regression past the allowed increase, and not below it', async () => {
    // Latency is not the point here: allow the most the flag takes (a p95 ten times the baseline's; a busy CI machine
    // doubled it), so only the errors decide.
    const failed = await compare(fast.url, failing.url, '--json', '--max-p95-increase', '1000%');
    expect(failed.report!.all.current.errorRatio).toBeGreaterThan(0.1);
    expect(failed.report!.verdict.reasons).toEqual([
      expect.stringMatching(/^all requests: errors 0\.00% → 12\.\d% \(\+12\.\d% points\)$/),
      expect.stringMatching(/^work: errors/),
    ]);
    expect(failed.code).toBe(1);
    // One failure in eight is within a 20-point allowance.
    const allowed = await compare(fast.url, failing.url, '--max-error-increase', '20%', '--max-p95-increase', '1000%');
    expect(allowed.code).toBe(0);
  }, 60_000);

  it('says why it cannot run, with the exit code of each case', async () => {
    expect((await runInProcess(['compare', fast.url])).output).toMatch(
      /compare takes two MCP endpoint URLs, the baseline then the current/,
    );
    const fault = await runInProcess(['compare', fast.url, slow.url, '--fault', 'at 1s: error=0.5']);
    expect(fault.output).toMatch(/--fault: compare runs the same load against both servers/);
    expect(fault.code).toBe(2);
    expect((await runInProcess(['compare', fast.url, slow.url, '--max-p95-increase', 'lots'])).output).toMatch(
      /--max-p95-increase lots: a share such as 10% or 0\.1/,
    );
    const unreachable = await runInProcess([
      'compare',
      fast.url,
      'http://127.0.0.1:9/mcp',
      '--no-auth',
      '--duration',
      '1s',
      '--rounds',
      '1',
      '--timeout',
      '2s',
    ]);
    expect(unreachable.output).toMatch(/mcp-observatory compare: /);
    expect(unreachable.code).toBe(3);
  }, 60_000);
});
