import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { stringify } from 'yaml';
import { resolveConfig } from '../lib/config/config.js';
import { alertmanagerConfig } from '../lib/generate/alertmanager.js';
import { PATHS } from '../lib/generate/bundle.js';
import { buildModel } from '../lib/generate/model.js';
import { needs, requireBinary } from './fixtures/binaries.js';
import { startAlertmanager, startWebhookReceiver, waitFor } from './fixtures/prometheus.js';
import type { Alertmanager } from './fixtures/prometheus.js';

// The generated routing and inhibition, read by the real Alertmanager and amtool.
const ROOT = fileURLToPath(new URL('..', import.meta.url));

describe.skipIf(needs('amtool').skip)('Alertmanager routing of the committed bundle (amtool)', () => {
  const receivers = (labels: Record<string, string>) =>
    spawnSync(
      requireBinary('amtool'),
      [
        'config',
        'routes',
        'test',
        `--config.file=${join(ROOT, PATHS.alertmanager)}`,
        ...Object.entries(labels).map(([k, v]) => `${k}=${v}`),
      ],
      { encoding: 'utf8' },
    ).stdout.trim();

  it('pages critical alerts, sends burn-rate tickets to the ticket queue, warnings to the channel, info to tickets', () => {
    expect(receivers({ alertname: 'McpHighErrorRatio', severity: 'critical', job: 'docs' })).toBe('page');
    expect(
      receivers({ alertname: 'McpAvailabilityBudgetBurn', severity: 'warning', burnrate_tier: 'ticket-fast' }),
    ).toBe('ticket');
    expect(receivers({ alertname: 'McpLatencyBudgetBurn', severity: 'warning', burnrate_tier: 'ticket-slow' })).toBe(
      'ticket',
    );
    expect(receivers({ alertname: 'McpHighLatencyP95', severity: 'warning' })).toBe('notify');
    expect(receivers({ alertname: 'McpLowCacheHitRatio', severity: 'info' })).toBe('ticket');
  });
});

describe.skipIf(needs('alertmanager').skip)('Alertmanager inhibition with the real daemon', () => {
  let alertmanager: Alertmanager;
  beforeAll(async () => {
    const config = alertmanagerConfig(buildModel(resolveConfig({})));
    alertmanager = await startAlertmanager({ configYaml: stringify(config) });
  });
  afterAll(() => alertmanager?.stop());

  const post = (alerts: Record<string, string>[]) =>
    fetch(`${alertmanager.url}/api/v2/alerts`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify(alerts.map((labels) => ({ labels }))),
    });

  it("one cluster's absent job silences its own alerts, never another cluster's", async () => {
    const response = await post([
      { alertname: 'McpServerAbsent', severity: 'critical', job: 'docs', cluster: 'eu' },
      { alertname: 'McpAuthFailureSpike', severity: 'warning', job: 'docs', cluster: 'eu' },
      { alertname: 'McpAuthFailureSpike', severity: 'warning', job: 'docs', cluster: 'us' },
    ]);
    expect(response.status).toBe(200);
    const states = await waitFor(
      async () => {
        const alerts = (await (await fetch(`${alertmanager.url}/api/v2/alerts`)).json()) as {
          labels: Record<string, string>;
          status: { state: string };
        }[];
        return Object.fromEntries(
          alerts
            .filter((alert) => alert.labels['alertname'] === 'McpAuthFailureSpike')
            .map((alert) => [alert.labels['cluster'], alert.status.state]),
        );
      },
      (found) => found['eu'] === 'suppressed' && found['us'] !== undefined,
      { what: 'the eu alert to be inhibited', timeoutMs: 15_000 },
    );
    expect(states).toEqual({ eu: 'suppressed', us: 'active' });
  });
});

/** The weekday `days` after today in UTC, as Alertmanager names it. */
function weekdayIn(days: number): string {
  const names = ['sunday', 'monday', 'tuesday', 'wednesday', 'thursday', 'friday', 'saturday'];
  return names[(new Date().getUTCDay() + days + 7) % 7]!;
}

describe.skipIf(needs('alertmanager').skip)('maintenance windows with the real daemon', () => {
  const WARNING = { alertname: 'McpHighLatencyP95', severity: 'warning', job: 'docs' };
  const INFO = { alertname: 'McpLowCacheHitRatio', severity: 'info', job: 'docs' };
  const CRITICAL = { alertname: 'McpHighErrorRatio', severity: 'critical', job: 'docs' };

  /** The receivers notified within the critical route's 10 s group wait and a few group intervals more. */
  async function notified(alertmanagerSection: Record<string, unknown>): Promise<string[]> {
    const receiver = await startWebhookReceiver();
    const model = buildModel(
      resolveConfig({
        alertmanager: {
          page: { url: receiver.url },
          notify: { url: receiver.url },
          ticket: { url: receiver.url },
          groupWait: '1s',
          groupInterval: '1s',
          ...alertmanagerSection,
        },
      }),
    );
    const alertmanager = await startAlertmanager({ configYaml: stringify(alertmanagerConfig(model)) });
    try {
      const response = await fetch(`${alertmanager.url}/api/v2/alerts`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify([WARNING, INFO, CRITICAL].map((labels) => ({ labels }))),
      });
      expect(response.status).toBe(200);
      // Past the page route's 10 s group wait, and a few seconds for the others, which wait 1 s.
      await new Promise((resolve) => setTimeout(resolve, 14_000));
      return [...new Set(receiver.received.map((payload) => payload.receiver))].sort();
    } finally {
      await alertmanager.stop();
      await receiver.stop();
    }
  }

  it('inside a window, warnings and info stay quiet and critical still pages', async () => {
    // Yesterday, today and tomorrow (UTC), all day in Tokyo's clock: the daemon's clock is inside whatever the hour.
    const window = { name: 'today', weekdays: [-1, 0, 1].map(weekdayIn), start: '00:00', end: '24:00' };
    expect(await notified({ maintenanceWindows: [{ ...window, location: 'Asia/Tokyo' }] })).toEqual(['page']);
  }, 30_000);

  it('outside every window, each severity reaches its receiver', async () => {
    const window = { name: 'later', weekdays: [weekdayIn(3)], start: '02:00', end: '04:00' };
    expect(await notified({ maintenanceWindows: [window] })).toEqual(['notify', 'page', 'ticket']);
  }, 30_000);

  it('muting critical too silences the page inside a window', async () => {
    const window = { name: 'freeze', start: '00:00', end: '24:00' };
    expect(await notified({ maintenanceWindows: [window], muteInMaintenance: ['critical', 'warning'] })).toEqual([
      'ticket',
    ]);
  }, 30_000);
});
