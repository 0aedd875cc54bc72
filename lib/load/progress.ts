/**
 * Progress of a load run on stderr: a bar redrawn in place on a terminal, a plain line every few seconds otherwise
 * (CI logs, pipes). Events (faults, failed sessions) are printed as lines in both cases.
 */
import type { Progress } from './runner.js';
import { formatMs } from './summary.js';

/** What the runner tells the progress output besides its snapshots. */
export interface ProgressOutput {
  /** A line that must stay visible. */
  event(line: string): void;
  stop(): void;
}

const BAR_WIDTH = 24;

function describe(progress: Progress, seconds: number): string {
  const rate = seconds > 0 ? progress.completed / seconds : 0;
  const errors = progress.completed > 0 ? (progress.errors / progress.completed) * 100 : 0;
  const faults = progress.activeFaults.length > 0 ? `  fault: ${progress.activeFaults.join('; ')}` : '';
  return (
    `${progress.completed} requests  ${rate.toFixed(1)}/s  errors ${errors.toFixed(1)}%  ` +
    `p95 ${formatMs(progress.p95Ms)}  in flight ${progress.inFlight}${faults}`
  );
}

function done(progress: Progress): number {
  const byTime = progress.durationMs ? progress.elapsedMs / progress.durationMs : 0;
  const byCount = progress.requestLimit ? progress.completed / progress.requestLimit : 0;
  return Math.min(1, Math.max(byTime, byCount));
}

/** Report `snapshot()` on `stream` until stopped. */
export function showProgress(
  stream: NodeJS.WriteStream,
  snapshot: () => Progress,
  { lineIntervalMs = 5000 }: { lineIntervalMs?: number } = {},
): ProgressOutput {
  if (stream.isTTY) {
    let shown = false;
    const draw = () => {
      const progress = snapshot();
      const share = done(progress);
      const filled = Math.round(share * BAR_WIDTH);
      const bar = `[${'#'.repeat(filled)}${'-'.repeat(BAR_WIDTH - filled)}] ${String(Math.round(share * 100)).padStart(3)}%`;
      const line = `${bar} ${(progress.elapsedMs / 1000).toFixed(0)}s  ${describe(progress, progress.elapsedMs / 1000)}`;
      stream.write(`\r\x1b[K${line.slice(0, (stream.columns || 120) - 1)}`);
      shown = true;
    };
    const timer = setInterval(draw, 200);
    const clear = () => {
      if (shown) stream.write('\r\x1b[K');
      shown = false;
    };
    return {
      event(line) {
        clear();
        stream.write(`${line}\n`);
        draw();
      },
      stop() {
        clearInterval(timer);
        clear();
      },
    };
  }
  const timer = setInterval(() => {
    const progress = snapshot();
    stream.write(
      `load: ${(progress.elapsedMs / 1000).toFixed(0)}s  ${describe(progress, progress.elapsedMs / 1000)}\n`,
    );
  }, lineIntervalMs);
  return {
    event: (line) => void stream.write(`${line}\n`),
    stop: () => clearInterval(timer),
  };
}
