import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { cpSync, mkdtempSync, readFileSync, rmSync, unlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { PATHS } from '../lib/generate/bundle.js';
import { needs } from './fixtures/binaries.js';
import { runInProcess } from './fixtures/cli.js';

const ROOT = fileURLToPath(new URL('..', import.meta.url));

const cli = runInProcess;

describe.skipIf(needs('promtool', 'amtool', 'pint').skip)('mcp-observatory validate with the real tools', () => {
  let broken: string;
  beforeAll(() => {
    broken = mkdtempSync(join(tmpdir(), 'mcp-observatory-broken-'));
    cpSync(join(ROOT, 'alerts'), join(broken, 'alerts'), { recursive: true });
  });
  afterAll(() => rmSync(broken, { recursive: true, force: true }));

  it('passes on the committed bundle: promtool check and test, amtool, pint, cross-checks', async () => {
    const { code, output } = await cli(['validate', ROOT]);
    expect(output).toContain('passed promtool check and test, amtool, pint and the offline cross-checks');
    expect(code).toBe(0);
  }, 600_000);

  it('fails on a broken copy, naming each problem', async () => {
    const rules = join(broken, PATHS.rules);
    const text = readFileSync(rules, 'utf8');
    // A threshold raised by hand: the rule no longer fires where its tests say it must.
    const at = text.indexOf('alert: McpHighErrorRatio');
    const threshold = text.indexOf('> 0.05', at);
    expect(at).toBeGreaterThan(0);
    writeFileSync(rules, `${text.slice(0, threshold)}> 0.09${text.slice(threshold + '> 0.05'.length)}`);
    unlinkSync(join(broken, PATHS.runbook('McpServerDown')));
    // The slowest suites go, which the cross-check notices too.
    for (const alert of [
      'McpTrafficDrop',
      'McpLatencyAboveBaseline',
      'McpAvailabilityBudgetBurn',
      'McpLatencyBudgetBurn',
    ]) {
      unlinkSync(join(broken, PATHS.tests(alert)));
    }

    const { code, output } = await cli(['validate', broken]);
    expect(code).toBe(1);
    expect(output).toMatch(/\[promtool test rules\].*McpHighErrorRatio\.test\.yaml/);
    expect(output).toContain('McpServerDown: runbook_url ./runbooks/McpServerDown.md resolves to no generated runbook');
    expect(output).toContain('McpTrafficDrop: no promtool case shows it firing');
    expect(output).toMatch(/validate: \d+ problem\(s\)/);
  }, 600_000);

  it('says what to do when there is no bundle', async () => {
    const { code, output } = await cli(['validate', join(broken, 'nowhere')]);
    expect(code).toBe(1);
    expect(output).toContain('run `mcp-observatory generate` first');
  });
});

describe('mcp-observatory --help', () => {
  it('documents every command', async () => {
    for (const args of [['--help'], ['generate', '--help'], ['validate', '--help']]) {
      const { code, output } = await cli(args);
      expect(code).toBe(0);
      expect(output).toMatch(/Usage: mcp-observatory/);
    }
    // The commands that read Prometheus or compare servers: each its own usage, each listed in the main help.
    const main = (await cli(['--help'])).output;
    for (const command of ['report', 'capacity', 'snapshot', 'compare', 'load']) {
      expect(main).toMatch(new RegExp(`^  ${command} `, 'm'));
      const { code, output } = await cli([command, '--help']);
      expect(code).toBe(0);
      expect(output).toMatch(new RegExp(`^Usage: mcp-observatory ${command}`));
      expect(output).toMatch(/Exit/);
    }
    const unknown = await cli(['frobnicate']);
    expect(unknown.code).toBe(2);
    expect(unknown.output).toContain('unknown command "frobnicate"');
  });
});
