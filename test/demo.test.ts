import { describe, expect, it } from 'vitest';
import { spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { needs } from './fixtures/binaries.js';
import { collectorBinary } from './fixtures/collector.js';

// The README's first command after setup: `npm run demo` runs the native stack, prints where to look and a live summary,
// ends with the health report and stops everything. Run here as the script it is, briefly, on free ports.
const ROOT = fileURLToPath(new URL('..', import.meta.url));

/** `npm run demo -- <args>` to its end: its output, its exit code and the overview page it served meanwhile. */
async function demo(...args: string[]) {
  const child = spawn(process.execPath, ['scripts/demo.mjs', '--duration', '25s', '--random-ports', ...args], {
    cwd: ROOT,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  // Once traffic shows, the live dashboards page: the overview drawn from the demo's Prometheus.
  let overview: Promise<string> | undefined;
  child.stdout.on('data', () => {
    const dashboards = /Dashboards +(http:\/\/127\.0\.0\.1:\d+\/)/.exec(output)?.[1];
    if (overview === undefined && dashboards && /demo: \d+s +\d+(\.\d+)? req\/s/.test(output)) {
      overview = fetch(`${dashboards}mcp-overview.html`).then(
        (response) => response.text(),
        (error: unknown) => `the overview page did not answer: ${String(error)}`,
      );
    }
  });
  child.stdout.on('data', (chunk: Buffer) => (output += chunk.toString()));
  child.stderr.on('data', (chunk: Buffer) => (output += chunk.toString()));
  const code = await new Promise<number | null>((resolve) => child.on('exit', resolve));
  return { output, code, page: await overview };
}

describe.skipIf(needs('prometheus', 'alertmanager').skip)('npm run demo', () => {
  it('runs the native stack, summarises it live, reports and stops cleanly', async () => {
    const { output, code, page } = await demo();
    expect(output).toMatch(/MCP server +http:\/\/127\.0\.0\.1:\d+\/mcp/);
    expect(output).toMatch(/Prometheus +http:\/\/127\.0\.0\.1:\d+/);
    expect(output).toMatch(/demo: \d+s +\d+(\.\d+)? req\/s/);
    expect(output).toContain('MCP health report');
    expect(output).toContain('demo: stopped');
    expect(page).toContain('<title>MCP / Overview</title>');
    const data = JSON.parse(
      /<script type="application\/json" id="snapshot-data">(.*?)<\/script>/s.exec(page!)![1]!,
    ) as {
      items: { title?: string; values?: { value: number }[] }[];
    };
    expect(data.items.find((item) => item.title === 'Request rate')?.values?.[0]?.value).toBeGreaterThan(0);
    expect(output).not.toMatch(/exited \(1\)/);
    expect(code).toBe(0);
  }, 120_000);

  it.skipIf(collectorBinary() === undefined)(
    '--profile scale-out: agent, gateways, a Prometheus agent writing to the Prometheus that reports, two Alertmanager peers',
    async () => {
      const { output, code } = await demo('--profile', 'scale-out');
      expect(output).toMatch(/Collector +agent http:\/\/127\.0\.0\.1:\d+ → gateways/);
      expect(output).toMatch(/Alertmanager +http:\/\/127\.0\.0\.1:\d+, http:\/\/127\.0\.0\.1:\d+/);
      // The live summary and the report read what the Prometheus agent wrote.
      expect(output).toMatch(/demo: \d+s +\d+(\.\d+)? req\/s/);
      expect(output).toMatch(/\n {2}mcp-server +[1-9]\d* +[\d.]+%/);
      // Traces reached the gateways, each trace whole at one of them.
      const traces = [0, 1].map((i) =>
        readFileSync(join(ROOT, '.tmp', 'demo', `gateway-${i}`, 'traces.jsonl'), 'utf8'),
      );
      expect(traces.join('').length).toBeGreaterThan(0);
      expect(output).not.toMatch(/exited \(1\)/);
      expect(code).toBe(0);
    },
    120_000,
  );
});
