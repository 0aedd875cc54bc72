import { spawn } from 'node:child_process';
import { availableParallelism, homedir } from 'node:os';
import { createHash } from 'node:crypto';
import { existsSync, readFileSync, readdirSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { PATHS } from '../generate/bundle.js';
import type { Problem } from './offline.js';

/** Where `npm run setup` caches tools built from source (pint). */
export function toolCache(): string {
  return process.env['MCP_OBSERVATORY_CACHE'] ?? join(homedir(), '.cache', 'mcp-observatory');
}

/** The path of a validation tool, from PATH or the setup cache; undefined when it is not installed. */
/** The collector manifest's hash as scripts/build-collector.sh computes it: sha256 of its non-comment lines. */
export function manifestHash(text: string): string {
  const lines = text.replace(/\n$/, '').split('\n');
  const kept = lines.filter((line) => !line.startsWith('#')).map((line) => `${line}\n`);
  return createHash('sha256').update(kept.join('')).digest('hex').slice(0, 16);
}

/** Where scripts/build-collector.sh caches the otelcol-mcp build of `manifest`, whether or not it exists. */
export function collectorBinaryPath(manifest: string): string {
  const hash = existsSync(manifest) ? manifestHash(readFileSync(manifest, 'utf8')) : 'no-manifest';
  return join(toolCache(), 'otelcol', hash, 'otelcol-mcp');
}

type Tool = 'promtool' | 'amtool' | 'pint';

export function findTool(name: Tool): string | undefined {
  const dirs = [...(process.env['PATH'] ?? '').split(':'), join(toolCache(), 'bin')];
  for (const dir of dirs) {
    const candidate = join(dir, name);
    if (dir && existsSync(candidate)) return candidate;
  }
  return undefined;
}

const INSTALL: Record<string, string> = {
  promtool: 'install the Debian package prometheus (apt-get install prometheus) or run `npm run setup`',
  amtool: 'install the Debian package prometheus-alertmanager or run `npm run setup`',
  pint: 'run `npm run setup` (go install github.com/cloudflare/pint/cmd/pint)',
};

/** Run one external check; its output becomes problems when it fails. */
function run(check: string, tool: Tool, args: string[], file: string, cwd: string): Promise<Problem[]> {
  const path = findTool(tool);
  if (!path) return Promise.resolve([{ check, file, message: `${tool} is not installed: ${INSTALL[tool]}` }]);
  return new Promise((done) => {
    const child = spawn(path, args, { cwd, stdio: ['ignore', 'pipe', 'pipe'], timeout: 600_000 });
    let output = '';
    child.stdout.on('data', (chunk: Buffer) => (output += chunk.toString()));
    child.stderr.on('data', (chunk: Buffer) => (output += chunk.toString()));
    child.on('error', (error) => done([{ check, file, message: `${tool} could not run: ${error.message}` }]));
    child.on('close', (status) => {
      done(status === 0 ? [] : [{ check, file, message: `${tool} ${args.join(' ')} failed:\n${output.trim()}` }]);
    });
  });
}

/** Run `jobs` with at most `limit` at a time, keeping their order in the result. */
async function pool<T>(jobs: (() => Promise<T>)[], limit: number): Promise<T[]> {
  const results: T[] = new Array(jobs.length);
  let next = 0;
  const worker = async () => {
    while (next < jobs.length) {
      const index = next++;
      results[index] = await jobs[index]!();
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, jobs.length) }, worker));
  return results;
}

/** The real tools, on the real files: promtool's syntax check and unit tests, amtool, pint. Test files run in parallel. */
export async function toolChecks(bundleDir: string, options: { pint?: boolean } = {}): Promise<Problem[]> {
  const alertsDir = join(bundleDir, dirname(PATHS.rules));
  const rules = join(bundleDir, PATHS.rules);
  const testsDir = join(bundleDir, dirname(PATHS.tests('x')));
  const tests = existsSync(testsDir)
    ? readdirSync(testsDir)
        .filter((f) => f.endsWith('.yaml'))
        .sort()
        .map((f) => join(testsDir, f))
    : [];
  const alertmanager = join(bundleDir, PATHS.alertmanager);
  const jobs = [
    () => run('promtool check rules', 'promtool', ['check', 'rules', rules], rules, alertsDir),
    () => run('amtool check-config', 'amtool', ['check-config', alertmanager], alertmanager, alertsDir),
    ...(options.pint === false
      ? []
      : [() => run('pint', 'pint', ['--offline', '--no-color', 'lint', rules], rules, alertsDir)]),
    ...tests.map((test) => () => run('promtool test rules', 'promtool', ['test', 'rules', test], test, testsDir)),
  ];
  return (await pool(jobs, availableParallelism())).flat();
}
