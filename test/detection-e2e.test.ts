import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parse } from 'yaml';
import { resolveConfig } from '../lib/config/config.js';
import type { Config } from '../lib/config/config.js';
import { FAULT_DETECTION } from '../lib/config/detection.js';
import type { FaultDetection } from '../lib/config/detection.js';
import { generateBundle, PATHS } from '../lib/generate/bundle.js';
import { writeBundle } from '../lib/generate/writer.js';
import { needs } from './fixtures/binaries.js';
import { needsCollector, startCollector } from './fixtures/collector.js';
import type { Collector } from './fixtures/collector.js';
import { startAlertmanager, startPrometheus, startWebhookReceiver, waitFor } from './fixtures/prometheus.js';
import type { Alertmanager, Prometheus, WebhookPayload, WebhookReceiver } from './fixtures/prometheus.js';
import { runCli, startReference } from './fixtures/reference.js';
import type { CliRun, Reference } from './fixtures/reference.js';

// Detection, measured: every fault class of FAULT_DETECTION on a stack of its own — the reference server under the
// load generator, a real Prometheus with the default bundle's rules and intervals, a real Alertmanager with its
// routing, paging a webhook — all at once, on separate ports. Each expected alert must fire within its documented
// time, nothing may fire while the stack is healthy, a fault that costs no server-owned errors (or is a policy
// rejection) pages nobody, and an incident pages at most once (one Alertmanager group: one incident in a pager).

const JOB = 'mcp-server';
const RATE = 10;
/** Healthy traffic before the fault: the one-minute windows full, the cold cache warm. */
const WARM_UP_MS = 65_000;
/** After the first notification of the expected alert: long enough for a second page to show if there were one. */
const SETTLE_MS = 20_000;
/**
 * How long a stack without a fault runs beside the drills: about as long as they take; for the operations guides'
 * 20 minutes and more, `MCP_OBSERVATORY_HEALTHY_MINUTES=20 npx vitest run test/detection-e2e.test.ts`.
 */
const HEALTHY_MS = Number(process.env['MCP_OBSERVATORY_HEALTHY_MINUTES'] ?? 3.5) * 60_000;

interface Stack {
  dir: string;
  config: Config;
  webhook: WebhookReceiver;
  alertmanager: Alertmanager;
  prometheus: Prometheus;
  reference: Reference;
  collector?: Collector;
  loads: CliRun[];
  stopAttack?: () => Promise<void>;
}

/** What one fault class showed. */
interface Outcome {
  /** Alerts firing before the fault, while the stack was healthy. */
  firingWhileHealthy: string[];
  /** Milliseconds from the fault to the expected alert firing; undefined when it never did. */
  firedAfterMs?: number;
  /** … to its first notification reaching the webhook, and on which receiver. */
  deliveredAfterMs?: number;
  deliveredTo?: string;
  /** The Alertmanager groups that paged, each an incident: the alerts in each. */
  incidents: Map<string, string[]>;
  /** What the profile costs Prometheus here: samples of one scrape of the server, seconds to evaluate every rule. */
  samplesPerScrape?: number;
  ruleSeconds?: number;
  error?: string;
}

/** How each fault class is caused: extra settings of its stack, and the fault itself. */
interface Drill {
  env?: Record<string, string>;
  collector?: boolean;
  inject(stack: Stack): Promise<void>;
}

const fault = (spec: Record<string, unknown>) => async (stack: Stack) => {
  const { status, json } = await stack.reference.admin('POST', '', spec);
  if (status !== 201 && status !== 200)
    throw new Error(`the fault ${JSON.stringify(spec)} was refused: ${status} ${JSON.stringify(json)}`);
};

const DRILLS: Record<string, Drill> = {
  'server killed': {
    inject: async (stack) => {
      stack.reference.child.kill('SIGKILL');
      await stack.reference.exited;
    },
  },
  'error spike (20% of calls)': { inject: fault({ error: 0.2 }) },
  'one tool failing': { inject: fault({ error: 1, tool: 'search' }) },
  'latency spike (+3 s)': { inject: fault({ latencyMs: 3000 }) },
  // The least busy demo tenant: its errors leave the fleet's ratio under the threshold.
  'one tenant failing': { inject: fault({ error: 0.4, tenant: 'hooli' }) },
  'one slow tool (+6 s)': { inject: fault({ latencyMs: 6000, tool: 'summarize' }) },
  'dependency outage': { inject: fault({ outage: true }) },
  'authentication attack': {
    // Five guesses a second with tokens the server does not know.
    inject: async (stack) => {
      let stop = false;
      const attack = (async () => {
        for (let i = 0; !stop && i < 3000; i++) {
          await fetch(stack.reference.url, {
            method: 'POST',
            headers: {
              authorization: `Bearer guessed-${i}`,
              'content-type': 'application/json',
              accept: 'application/json, text/event-stream',
            },
            body: JSON.stringify({ jsonrpc: '2.0', id: 1, method: 'tools/list' }),
          })
            .then((response) => response.arrayBuffer())
            .catch(() => undefined);
          await new Promise((resolve) => setTimeout(resolve, 200));
        }
      })();
      stack.stopAttack = async () => {
        stop = true;
        await attack;
      };
    },
  },
  'memory growth': { inject: fault({ memoryMbPerSecond: 64 }) },
  'telemetry pipeline down': {
    collector: true,
    inject: async (stack) => stack.collector!.stop(),
  },
  // The free tenant (5 calls/s) at 15 calls/s: two thirds refused as rate_limited, a client fault.
  'tenant over its rate limit': {
    inject: async (stack) => {
      stack.loads.push(load(stack, ['--tenant', 'hooli=demo-token-hooli', '--rate', '15', '--sessions', '2']));
    },
  },
};

function load(stack: Stack, args: string[] = []): CliRun {
  return runCli(['load', stack.reference.url, '--duration', '10m', '--quiet', ...args], { timeoutMs: 600_000 });
}

async function startStack(drill: Drill | undefined): Promise<Stack> {
  const dir = mkdtempSync(join(tmpdir(), 'mcp-observatory-detection-'));
  const webhook = await startWebhookReceiver();
  // The default bundle; only the receivers are this test's.
  const config = resolveConfig({
    alertmanager: {
      page: { url: `${webhook.url}/page` },
      notify: { url: `${webhook.url}/notify` },
      ticket: { url: `${webhook.url}/ticket` },
    },
  });
  writeBundle(generateBundle(config, 'the detection test'), dir);
  const stack = { dir, config, webhook, loads: [] } as unknown as Stack;
  if (drill?.collector) stack.collector = await startCollector(config, { exporters: 'file', fileDirectory: dir });
  stack.reference = await startReference({
    ...(stack.collector && { OTEL_SDK_DISABLED: 'false', OTEL_EXPORTER_OTLP_ENDPOINT: stack.collector.otlpHttp }),
    ...drill?.env,
  });
  stack.alertmanager = await startAlertmanager({ configYaml: readFileSync(join(dir, PATHS.alertmanager), 'utf8') });
  // The bundle's own intervals; and Prometheus's default resend delay, as deployed.
  const { global } = parse(readFileSync(join(dir, 'compose/prometheus/prometheus.yml'), 'utf8')) as {
    global: { scrape_interval: string; evaluation_interval: string };
  };
  stack.prometheus = await startPrometheus({
    jobName: JOB,
    scrapeTargets: [new URL(stack.reference.base).host],
    ruleFiles: [join(dir, PATHS.rules)],
    scrapeInterval: global.scrape_interval,
    evaluationInterval: global.evaluation_interval,
    alertmanagerUrl: stack.alertmanager.url,
    extraFlags: ['--rules.alert.resend-delay=1m'],
  });
  stack.loads.push(load(stack, ['--rate', String(RATE)]));
  return stack;
}

async function stopStack(stack: Stack | undefined): Promise<void> {
  if (!stack) return;
  await stack.stopAttack?.();
  for (const run of stack.loads) run.child.kill('SIGKILL');
  await Promise.all(stack.loads.map((run) => run.done));
  await stack.prometheus?.stop();
  await stack.alertmanager?.stop();
  await stack.reference?.stop();
  await stack.collector?.stop().catch(() => undefined);
  await stack.webhook?.stop();
  rmSync(stack.dir, { recursive: true, force: true });
}

const firingNames = (payloads: WebhookPayload[], receiver?: string) =>
  payloads
    .filter((payload) => receiver === undefined || payload.receiver === receiver)
    .flatMap((payload) => payload.alerts.filter((alert) => alert.status === 'firing'));

async function drill(detection: FaultDetection): Promise<Outcome> {
  const outcome: Outcome = { firingWhileHealthy: [], incidents: new Map() };
  let stack: Stack | undefined;
  try {
    stack = await startStack(DRILLS[detection.fault]);
    const { prometheus, webhook } = stack;
    await new Promise((resolve) => setTimeout(resolve, WARM_UP_MS));
    outcome.firingWhileHealthy = (await prometheus.alerts())
      .filter((alert) => alert.state === 'firing' || alert.labels['alertname'] === detection.alert)
      .map((alert) => `${alert.labels['alertname']} (${alert.state})`);
    const before = webhook.received.length;
    outcome.samplesPerScrape = Number((await prometheus.query(`scrape_samples_scraped{job="${JOB}"}`))[0]?.value[1]);
    const own = await (await fetch(`${prometheus.url}/metrics`)).text();
    outcome.ruleSeconds = [...own.matchAll(/^prometheus_rule_group_last_duration_seconds\{[^}]*\} (\S+)$/gm)]
      .map((match) => Number(match[1]))
      .reduce((sum, value) => sum + value, 0);

    const started = Date.now();
    await DRILLS[detection.fault]!.inject(stack);
    await waitFor(
      () => prometheus.alerts(),
      (alerts) => alerts.some((alert) => alert.labels['alertname'] === detection.alert && alert.state === 'firing'),
      { what: `${detection.alert} to fire`, timeoutMs: detection.firesWithinSeconds * 1000 + 60_000, intervalMs: 250 },
    );
    outcome.firedAfterMs = Date.now() - started;
    const delivered = await webhook.waitFor(
      (received) => firingNames(received.slice(before)).some((alert) => alert.labels['alertname'] === detection.alert),
      { what: `Alertmanager to deliver ${detection.alert}`, timeoutMs: 90_000 },
    );
    outcome.deliveredAfterMs = Date.now() - started;
    outcome.deliveredTo = delivered
      .slice(before)
      .find((payload) =>
        firingNames([payload]).some((alert) => alert.labels['alertname'] === detection.alert),
      )!.receiver;
    await new Promise((resolve) => setTimeout(resolve, SETTLE_MS));
    for (const payload of webhook.received.filter((p) => p.receiver === 'page' && p.status === 'firing')) {
      const alerts = outcome.incidents.get(payload.groupKey) ?? [];
      for (const alert of firingNames([payload])) {
        if (!alerts.includes(alert.labels['alertname']!)) alerts.push(alert.labels['alertname']!);
      }
      outcome.incidents.set(payload.groupKey, alerts);
    }
  } catch (error) {
    outcome.error = `${(error as Error).message}\n${stack?.reference?.stderr().slice(-2000) ?? ''}`;
  } finally {
    await stopStack(stack);
  }
  return outcome;
}

/** What a stack without a fault showed: every alert that was ever pending or firing, every notification sent. */
interface HealthyOutcome {
  pending: Set<string>;
  firing: Set<string>;
  notifications: number;
  /** Requests per second the server answered, on average. */
  rate?: number;
  error?: string;
}

async function healthyRun(): Promise<HealthyOutcome> {
  const outcome: HealthyOutcome = { pending: new Set(), firing: new Set(), notifications: 0 };
  let stack: Stack | undefined;
  try {
    stack = await startStack(undefined);
    const started = Date.now();
    while (Date.now() - started < HEALTHY_MS) {
      await new Promise((resolve) => setTimeout(resolve, 5000));
      for (const alert of await stack.prometheus.alerts()) {
        (alert.state === 'firing' ? outcome.firing : outcome.pending).add(alert.labels['alertname']!);
      }
    }
    const [served] = await stack.prometheus.query(
      `sum(increase(mcp_server_operation_duration_seconds_count{job="${JOB}"}[${Math.round(HEALTHY_MS / 1000)}s]))`,
    );
    outcome.rate = Number(served?.value[1]) / (HEALTHY_MS / 1000);
    outcome.notifications = stack.webhook.received.length;
  } catch (error) {
    outcome.error = (error as Error).message;
  } finally {
    await stopStack(stack);
  }
  return outcome;
}

describe.skipIf(needs('prometheus', 'alertmanager').skip || needsCollector().skip)(
  'detection with the default bundle: each fault class of the operations guides, on a real Prometheus and Alertmanager',
  () => {
    const outcomes = new Map<string, Outcome>();
    let healthy: HealthyOutcome;

    beforeAll(async () => {
      // Every class at once, each on its own stack, beside a stack without a fault: the slowest sets the time.
      const healthyDone = healthyRun();
      const results = await Promise.all(FAULT_DETECTION.map((detection) => drill(detection)));
      healthy = await healthyDone;
      console.log(
        `no fault, ${(HEALTHY_MS / 60_000).toFixed(1)} min at ${healthy.rate?.toFixed(1)} requests/s: ` +
          `firing ${[...healthy.firing].join(', ') || 'nothing'}, pending ${[...healthy.pending].join(', ') || 'nothing'}, ` +
          `${healthy.notifications} notifications`,
      );
      FAULT_DETECTION.forEach((detection, i) => outcomes.set(detection.fault, results[i]!));
      for (const detection of FAULT_DETECTION) {
        const outcome = outcomes.get(detection.fault)!;
        console.log(
          `${detection.fault}: ${detection.alert} fired after ${((outcome.firedAfterMs ?? NaN) / 1000).toFixed(1)} s ` +
            `(documented ${detection.firesWithinSeconds} s), reached ${outcome.deliveredTo ?? 'nobody'} after ` +
            `${((outcome.deliveredAfterMs ?? NaN) / 1000).toFixed(1)} s; pages: ` +
            `${[...outcome.incidents.values()].map((alerts) => alerts.join('+')).join(', ') || 'none'}; ` +
            `${outcome.samplesPerScrape} samples a scrape, rules evaluated in ${((outcome.ruleSeconds ?? NaN) * 1000).toFixed(1)} ms`,
        );
      }
    }, 600_000 + HEALTHY_MS);
    afterAll(() => outcomes.clear());

    it('without a fault, nothing fires and nobody is notified', () => {
      expect(healthy.error).toBeUndefined();
      expect(healthy.rate).toBeGreaterThan(RATE * 0.8);
      expect([...healthy.firing]).toEqual([]);
      expect(healthy.notifications).toBe(0);
    });

    for (const detection of FAULT_DETECTION) {
      it(`${detection.fault}: ${detection.alert} fires within ${detection.firesWithinSeconds} s, routed to ${detection.route}${detection.pagesNobody ? ', paging nobody' : ', at most one page'}`, () => {
        const outcome = outcomes.get(detection.fault)!;
        expect(outcome.error).toBeUndefined();
        expect(outcome.firingWhileHealthy).toEqual([]);
        expect(outcome.firedAfterMs).toBeLessThanOrEqual(detection.firesWithinSeconds * 1000);
        if (detection.guideSeconds !== undefined) {
          expect(detection.firesWithinSeconds).toBeLessThanOrEqual(detection.guideSeconds);
        }
        expect(outcome.deliveredTo).toBe(detection.route);
        const incidents = [...outcome.incidents.values()];
        if (detection.pagesNobody) expect(incidents).toEqual([]);
        else expect(incidents.length).toBeLessThanOrEqual(1);
        if (detection.route === 'page') expect(incidents.flat()).toContain(detection.alert);
      });
    }
  },
);
