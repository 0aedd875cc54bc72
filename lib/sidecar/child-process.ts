/**
 * The wrapped server's process as Prometheus's process collector reports a process of its own (`process_*`): CPU,
 * memory, file descriptors and start time, read from `/proc/<pid>` at each scrape. Language-neutral: what the Runtime
 * dashboard's process panels show for a server in any language. Linux only; elsewhere nothing is reported.
 */
import { readFileSync, readdirSync } from 'node:fs';
import { Counter, Gauge } from 'prom-client';
import type { Registry } from 'prom-client';
import { PROCESS_METRICS } from '../contract.js';
import type { AnyRegistry } from '../metrics.js';

/** Clock ticks per second of /proc's times (USER_HZ): 100 on every Linux architecture Node runs on. */
const TICKS_PER_SECOND = 100;
const PAGE_BYTES = 4096;

interface Sample {
  userSeconds: number;
  systemSeconds: number;
  startSeconds: number;
  residentBytes: number;
  virtualBytes: number;
  openFds: number;
  maxFds: number | undefined;
}

/** Read `/proc/<pid>`; undefined when the process is gone or there is no /proc. */
function read(pid: number): Sample | undefined {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    // Fields after the command name, which is in parentheses and may hold spaces.
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    const bootSeconds = Number(/^btime (\d+)$/m.exec(readFileSync('/proc/stat', 'utf8'))?.[1]);
    const limit = /^Max open files\s+(\d+)/m.exec(readFileSync(`/proc/${pid}/limits`, 'utf8'))?.[1];
    return {
      userSeconds: Number(fields[11]) / TICKS_PER_SECOND,
      systemSeconds: Number(fields[12]) / TICKS_PER_SECOND,
      startSeconds: bootSeconds + Number(fields[19]) / TICKS_PER_SECOND,
      virtualBytes: Number(fields[20]),
      residentBytes: Number(fields[21]) * PAGE_BYTES,
      openFds: readdirSync(`/proc/${pid}/fd`).length,
      maxFds: limit === undefined ? undefined : Number(limit),
    };
  } catch {
    return undefined;
  }
}

/**
 * Report the process `pid()` names (undefined while there is none) in `registry`, unless the registry reports a
 * process already (its own, from the default collectors).
 */
export function reportChildProcess(registry: AnyRegistry, pid: () => number | undefined): void {
  if (registry.getSingleMetric(PROCESS_METRICS.cpuSeconds)) return;
  let sample: Sample | undefined;
  // One read per scrape, shared by every series; the first series collected does it.
  const refresh = () => {
    const current = pid();
    sample = current === undefined ? undefined : read(current);
  };
  const registers = [registry as Registry];
  const counter = (name: string, help: string, value: (s: Sample) => number, first = false) =>
    new Counter({
      name,
      help,
      registers,
      collect() {
        if (first) refresh();
        this.reset();
        if (sample) this.inc(value(sample));
      },
    });
  const gauge = (name: string, help: string, value: (s: Sample) => number | undefined) =>
    new Gauge({
      name,
      help,
      registers,
      collect() {
        this.reset();
        const current = sample && value(sample);
        if (current !== undefined) this.set(current);
      },
    });
  counter(
    PROCESS_METRICS.cpuSeconds,
    'Total user and system CPU time of the MCP server process, in seconds.',
    (s) => s.userSeconds + s.systemSeconds,
    true,
  );
  counter(PROCESS_METRICS.cpuUserSeconds, 'User CPU time of the MCP server process, in seconds.', (s) => s.userSeconds);
  counter(
    PROCESS_METRICS.cpuSystemSeconds,
    'System CPU time of the MCP server process, in seconds.',
    (s) => s.systemSeconds,
  );
  gauge(PROCESS_METRICS.residentMemory, 'Resident memory of the MCP server process, in bytes.', (s) => s.residentBytes);
  gauge(PROCESS_METRICS.virtualMemory, 'Virtual memory of the MCP server process, in bytes.', (s) => s.virtualBytes);
  gauge(PROCESS_METRICS.openFds, 'Open file descriptors of the MCP server process.', (s) => s.openFds);
  gauge(PROCESS_METRICS.maxFds, 'Maximum open file descriptors of the MCP server process.', (s) => s.maxFds);
  gauge(
    PROCESS_METRICS.startTime,
    'Start time of the MCP server process since the Unix epoch, in seconds.',
    (s) => s.startSeconds,
  );
}
