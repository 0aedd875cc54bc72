// The mutation test of the committed bundle's alert tests: every alerting rule mutated as a careless edit would change
// it (a threshold or guard 25% either way, `for:` doubled or halved, the severity swapped, the job matchers dropped)
// must fail the alert's promtool tests. The kill ratio is printed with the survivors; it must not fall below the floor.
import { spawn } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { PATHS } from '../lib/generate/bundle.js';
import { needs, requireBinary } from './fixtures/binaries.js';
import { mutants, numberLiterals } from './fixtures/mutants.js';

const ROOT = fileURLToPath(new URL('..', import.meta.url));
/** Suites of weeks of series (30 s or more a run): their mutants would take the suite's whole budget. */
const SLOW = new Set([
  'McpAvailabilityBudgetBurn',
  'McpLatencyBudgetBurn',
  'McpTrafficDrop',
  'McpLatencyAboveBaseline',
]);
/**
 * The kill ratio the suite must keep: measured 151 of 152 over 24 alerts (the survivor, a restart threshold lowered
 * by a fifth, is equivalent for whole restarts); the target is 1.
 */
const FLOOR = 0.97;

function promtool(dir: string, testFile: string): Promise<boolean> {
  return new Promise((resolve) => {
    const child = spawn(requireBinary('promtool'), ['test', 'rules', testFile], { cwd: dir, stdio: 'ignore' });
    child.on('exit', (code) => resolve(code === 0));
  });
}

describe('number literals of a PromQL expression', () => {
  it('finds thresholds and guards, not label values, ranges, offsets or names', () => {
    const expr =
      'sum by (job) (rate(x_count{job="a", le="1"}[5m] offset 1w)) > 0.05 and on() histogram_quantile(0.95, y) >= 100 and z2 < 1e3';
    expect(numberLiterals(expr).map((n) => n.value)).toEqual([0.05, 0.95, 100, 1000]);
  });
});

describe.skipIf(needs('promtool').skip)('mutation test of the alert rules', () => {
  const dir = mkdtempSync(join(tmpdir(), 'mcp-observatory-mutants-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('kills every mutant of every alert it can run in time', async () => {
    const rulesYaml = readFileSync(join(ROOT, PATHS.rules), 'utf8');
    const testsDir = join(ROOT, 'alerts', 'tests');
    const alerts = new Set(
      readdirSync(testsDir)
        .map((file) => file.replace(/\.test\.yaml$/, ''))
        .filter((alert) => !SLOW.has(alert)),
    );
    const all = mutants(rulesYaml, alerts);
    const survivors: string[] = [];
    let next = 0;
    // Two at a time: promtool is single-threaded, the machine has two cores.
    await Promise.all(
      [0, 1].map(async () => {
        while (next < all.length) {
          const index = next++;
          const mutant = all[index]!;
          const at = join(dir, String(index));
          mkdirSync(join(at, 'tests'), { recursive: true });
          writeFileSync(join(at, 'mcp-observatory.rules.yaml'), mutant.rulesYaml);
          const testFile = join('tests', `${mutant.alert}.test.yaml`);
          writeFileSync(join(at, testFile), readFileSync(join(testsDir, `${mutant.alert}.test.yaml`)));
          if (await promtool(at, testFile)) survivors.push(mutant.what);
          rmSync(at, { recursive: true, force: true });
        }
      }),
    );
    const ratio = (all.length - survivors.length) / all.length;
    console.log(
      `mutation test: ${all.length - survivors.length} of ${all.length} mutants killed (${(ratio * 100).toFixed(1)}%) ` +
        `over ${alerts.size} alerts; not run: ${[...SLOW].join(', ')}\nsurvivors:\n  ${survivors.sort().join('\n  ')}`,
    );
    expect(all.length).toBeGreaterThan(50);
    expect(ratio).toBeGreaterThanOrEqual(FLOOR);
  }, 900_000);
});
