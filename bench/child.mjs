// Child processes of the benchmark: forked with IPC, they announce `ready` with their port and answer typed messages.
import { fork } from 'node:child_process';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const here = dirname(fileURLToPath(import.meta.url));

/** Send `message` to a child (or only listen, when it is null) and wait for its reply of `type`. */
export function ask(child, message, type, timeoutMs = 30_000) {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`no ${type} from child within ${timeoutMs} ms`)), timeoutMs);
    const onMessage = (reply) => {
      if (reply.type !== type) return;
      clearTimeout(timer);
      child.off('message', onMessage);
      resolve(reply);
    };
    child.on('message', onMessage);
    if (message) child.send(message);
  });
}

/** Fork bench/<script> and wait for its `ready`; its stderr is kept for error reports. */
export async function start(script, env, execPath = process.execPath, execArgv = []) {
  const child = fork(join(here, script), [], {
    env: { ...process.env, ...env },
    execPath,
    execArgv,
    stdio: ['ignore', 'ignore', 'pipe', 'ipc'],
  });
  let stderr = '';
  child.stderr.on('data', (chunk) => (stderr = (stderr + chunk).slice(-4000)));
  const exited = new Promise((_, reject) =>
    child.once('exit', (code) => reject(new Error(`${script} exited with ${code}: ${stderr.trim()}`))),
  );
  exited.catch(() => undefined);
  const { port } = await Promise.race([ask(child, null, 'ready'), exited]);
  return { child, port, stderr: () => stderr };
}

/** The environment of a server variant's process: its service name, the sink, and which OTel signals it exports. */
export function serverEnv(variant, sinkPort, workIterations) {
  return {
    BENCH_VARIANT: variant.mode ?? variant.id,
    BENCH_WORK_ITERATIONS: String(workIterations),
    OTEL_SERVICE_NAME: `bench-${variant.id}`,
    OTEL_EXPORTER_OTLP_ENDPOINT: `http://127.0.0.1:${sinkPort}`,
    OTEL_METRICS_EXPORTER: 'none',
    // Only mcp-observatory's all-signals variants export log records; the peers trace only.
    ...((variant.mode ?? variant.id).startsWith('all') ? {} : { OTEL_LOGS_EXPORTER: 'none' }),
    // Sentry sends envelopes to its DSN: the sink's /api/1/envelope/.
    ...(variant.peer === '@sentry/node' ? { SENTRY_DSN: `http://public@127.0.0.1:${sinkPort}/1` } : {}),
    ...variant.env,
  };
}
