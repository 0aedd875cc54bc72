/** The summary of a load run as a table for people; `--json` prints the LoadSummary itself. */
import type { LoadSummary } from './runner.js';
import type { GroupSummary } from './stats.js';

/** `12ms`, `1.40s`: milliseconds below a second, seconds above. */
export function formatMs(ms: number): string {
  if (ms < 10) return `${ms.toFixed(1)}ms`;
  if (ms < 1000) return `${Math.round(ms)}ms`;
  return `${(ms / 1000).toFixed(2)}s`;
}

const percent = (ratio: number) => (ratio === 0 ? '0%' : ratio < 0.001 ? '<0.1%' : `${(ratio * 100).toFixed(1)}%`);

/** Rows of cells as aligned columns: the first column left-aligned, the others right-aligned but the last. */
export function columns(rows: string[][], indent = '  '): string {
  const widths = rows[0]!.map((_, i) => Math.max(...rows.map((row) => (row[i] ?? '').length)));
  return rows
    .map((row) =>
      (
        indent +
        row
          .map((cell, i) => (i === 0 || i === row.length - 1 ? cell.padEnd(widths[i]!) : cell.padStart(widths[i]!)))
          .join('  ')
      ).trimEnd(),
    )
    .join('\n');
}

function row(name: string, group: GroupSummary): string[] {
  const types = Object.entries(group.errorTypes)
    .map(([type, count]) => `${type} ${count}`)
    .join(', ');
  return [
    name,
    String(group.requests),
    group.ratePerSecond.toFixed(1),
    formatMs(group.latencyMs.p50),
    formatMs(group.latencyMs.p95),
    formatMs(group.latencyMs.p99),
    percent(group.errorRatio),
    types,
  ];
}

const byRequests = (groups: Record<string, GroupSummary>) =>
  Object.entries(groups).sort((a, b) => b[1].requests - a[1].requests || a[0].localeCompare(b[0]));

/** The summary table of a run. */
export function formatLoadSummary(summary: LoadSummary): string {
  const loop =
    summary.loop === 'open' ? `open loop at ${summary.targetRate}/s` : `closed loop, ${summary.concurrency} in flight`;
  const stopped = { duration: 'duration reached', requests: 'request count reached', interrupted: 'interrupted' }[
    summary.stoppedBy
  ];
  const lines = [
    `load: ${summary.target}, ${summary.sessions} sessions, ${loop}, seed ${summary.seed}`,
    `  ${summary.all.requests} requests in ${summary.elapsedSeconds.toFixed(1)} s (${summary.all.ratePerSecond.toFixed(1)}/s, ${stopped}), ` +
      `${percent(summary.all.errorRatio)} errors`,
    '',
    columns([
      ['', 'requests', 'rate/s', 'p50', 'p95', 'p99', 'errors', 'error types'],
      row('all', summary.all),
      ['tool'],
      ...byRequests(summary.tools).map(([name, group]) => row(`  ${name}`, group)),
      ['tenant'],
      ...byRequests(summary.tenants).map(([name, group]) => row(`  ${name}`, group)),
    ]),
  ];
  if (summary.skipped > 0) {
    lines.push(
      '',
      `  skipped: ${summary.skipped} arrivals found the in-flight limit full (the server is slower than --rate)`,
    );
  }
  if (summary.sessionFailures.length > 0) {
    lines.push('', '  sessions that could not connect:');
    for (const failure of summary.sessionFailures) {
      lines.push(`    ${failure.tenant}: ${failure.errorType} ${failure.reason}`);
    }
  }
  if (summary.faults.length > 0) {
    lines.push('', '  faults:');
    for (const fault of summary.faults) {
      const when =
        fault.appliedAtSeconds === undefined
          ? 'not applied'
          : `${fault.id} on at ${fault.appliedAtSeconds.toFixed(1)}s` +
            (fault.endedAtSeconds === undefined ? '' : `, off at ${fault.endedAtSeconds.toFixed(1)}s`);
      lines.push(`    ${fault.fault}: ${when}${fault.error ? ` (${fault.error})` : ''}`);
    }
  }
  return lines.join('\n');
}
