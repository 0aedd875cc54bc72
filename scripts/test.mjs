// Runs the vitest suite on this machine's Node and on Node 24, then prints one closing line with the totals.
// A missing Node 24 is skipped loudly on a laptop and fails in CI.
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync } from 'node:fs';
import { homedir } from 'node:os';
import { join, relative } from 'node:path';

const cache = process.env.MCP_OBSERVATORY_CACHE ?? join(homedir(), '.cache', 'mcp-observatory');
const node24 = join(cache, 'node24', 'node_modules', '.bin', 'node');
const inCi = process.env.CI === 'true';
mkdirSync('.tmp', { recursive: true });

// Suites whose subject is generated files and the real tools that read them (promtool, amtool, pint, the collector,
// Prometheus), not the Node runtime: they give the same answer on every Node version, so they run once.
const NODE_INDEPENDENT = [
  'test/validate.test.ts',
  'test/config-variants.test.ts',
  'test/generate.test.ts',
  'test/config.test.ts',
  'test/dashboards.test.ts',
  'test/compose.test.ts',
  'test/collector-config.test.ts',
  'test/backup.test.ts',
  'test/harness.test.ts',
  'test/readme.test.ts',
  'test/alertmanager.test.ts',
  // The Python example server, and the bundle over it behind the sidecar (whose Node side runs on both versions in
  // the sidecar-*.test.ts suites).
  'test/python-server.test.ts',
  'test/sidecar-e2e.test.ts',
  'test/collector-operations.test.ts',
  'test/collector-fed-e2e.test.ts',
  // Native histograms are Prometheus's business; the instrumented v2 server under it runs on both in the other runs.
  'test/dashboards-e2e-native.test.ts',
  'test/capacity-e2e.test.ts',
  'test/mutation.test.ts',
  // Every fault class on its own Prometheus and Alertmanager; the reference server under them runs on both elsewhere.
  'test/detection-e2e.test.ts',
  // Collectors, Prometheus and Alertmanager in the scale-out topology; the servers in it are the reference server's.
  'test/scale-out.test.ts',
  'test/scale-out-e2e.test.ts',
];

const runs = [{ label: `node ${process.versions.node}`, node: process.execPath, exclude: [] }];
if (!process.versions.node.startsWith('24.')) {
  if (existsSync(node24)) runs.push({ label: 'node 24', node: node24, exclude: NODE_INDEPENDENT });
  else if (inCi) {
    console.error(`test: Node 24 is missing at ${node24}; run 'npm run setup' (CI must test on Node 24)`);
    process.exit(1);
  } else console.warn(`\n!!! test: SKIPPING the Node 24 run: ${node24} is missing (run 'npm run setup')\n`);
}

const totals = { passed: 0, failed: 0, skipped: 0 };
const failures = [];
let failedRun = false;
for (const [index, run] of runs.entries()) {
  const report = `.tmp/vitest-${index}.json`;
  console.log(
    `\n=== vitest on ${run.label}${run.exclude.length ? ` (the Node-independent suites ran once, above)` : ''} ===`,
  );
  const result = spawnSync(
    run.node,
    [
      'node_modules/vitest/vitest.mjs',
      'run',
      '--reporter=default',
      '--reporter=json',
      `--outputFile.json=${report}`,
      ...run.exclude.map((file) => `--exclude=${file}`),
    ],
    { stdio: 'inherit', env: { ...process.env, PATH: `${join(run.node, '..')}:${process.env.PATH}` } },
  );
  if (result.status !== 0) failedRun = true;
  if (!existsSync(report)) {
    failedRun = true;
    continue;
  }
  const json = JSON.parse(readFileSync(report, 'utf8'));
  totals.passed += json.numPassedTests;
  totals.failed += json.numFailedTests;
  totals.skipped += json.numPendingTests + json.numTodoTests;
  for (const file of json.testResults) {
    const failed = file.assertionResults.filter((assertion) => assertion.status === 'failed');
    for (const test of failed)
      failures.push({ run: run.label, file: file.name, test: test.fullName, message: test.failureMessages.join('\n') });
    // A hook that fails fails the file without failing a test.
    if (file.status === 'failed' && failed.length === 0)
      failures.push({ run: run.label, file: file.name, test: '(the file)', message: file.message ?? '' });
  }
}
// The failures again, last, so that the tail of a long CI log names them.
for (const failure of failures) {
  const firstLines = failure.message.split('\n').slice(0, 12).join('\n');
  console.log(`\nFAILED on ${failure.run}: ${relative('.', failure.file)} > ${failure.test}\n${firstLines}`);
}
console.log(`\ntests: ${totals.passed} passed, ${totals.failed} failed, ${totals.skipped} skipped`);
process.exit(failedRun || totals.failed > 0 || totals.passed === 0 ? 1 : 0);
