import type { Model } from './model.js';
import { ALERT_LABEL } from './conventions.js';
import { BURN_ALERTS } from './burn-rate.js';

/**
 * Labels that tell one deployment from another (Prometheus external labels): an alert of one cluster never silences,
 * nor joins the page of, another's. Alerts without them compare as equal, so a single cluster loses nothing.
 */
const DEPLOYMENT_LABELS = ['cluster'];

/**
 * Alertmanager routing for the bundle's alerts: critical alerts page at once, one page per job and incident (a second
 * symptom joins the open page within a minute); burn-rate tickets go to the ticket queue; other warnings are grouped
 * for a notification channel; info goes to a ticket queue. A server that is down silences the rest of its instance's
 * alerts; an absent job silences the rest of its job's; a paging burn-rate alert silences the ticket for the same SLO.
 * In the maintenance windows the configured severities (warning and info by default) do not notify.
 */
export function alertmanagerConfig(model: Model) {
  const am = model.config.alertmanager;
  const webhook = (name: string, url: string) => ({
    name,
    webhook_configs: [{ url, send_resolved: true }],
  });
  // A route of these severities stays quiet in the maintenance windows; the alerts still fire and show in Alertmanager.
  const windows = am.maintenanceWindows.map((window) => window.name);
  const muted = (...severities: string[]) =>
    windows.length > 0 && severities.some((severity) => (am.muteInMaintenance as string[]).includes(severity))
      ? { mute_time_intervals: windows }
      : {};
  return {
    route: {
      receiver: 'ticket',
      group_by: [...DEPLOYMENT_LABELS, 'alertname', 'job', ALERT_LABEL.SLO],
      group_wait: am.groupWait,
      group_interval: am.groupInterval,
      repeat_interval: am.repeatInterval,
      routes: [
        {
          receiver: 'page',
          matchers: [`${ALERT_LABEL.SEVERITY}="critical"`],
          // An incident is one page: the ratio and burn alerts of one job's outage arrive together.
          group_by: [...DEPLOYMENT_LABELS, 'job'],
          group_wait: '10s',
          group_interval: '1m',
          repeat_interval: '1h',
          ...muted('critical'),
        },
        {
          receiver: 'ticket',
          matchers: [`${ALERT_LABEL.TIER}=~"ticket-.*"`],
          repeat_interval: '24h',
          // Burn-rate tickets are warnings.
          ...muted('warning'),
        },
        { receiver: 'notify', matchers: [`${ALERT_LABEL.SEVERITY}="warning"`], ...muted('warning') },
        { receiver: 'ticket', matchers: [`${ALERT_LABEL.SEVERITY}="info"`], repeat_interval: '24h', ...muted('info') },
      ],
    },
    ...(windows.length > 0 && {
      time_intervals: am.maintenanceWindows.map((window) => ({
        name: window.name,
        time_intervals: [
          {
            times: [{ start_time: window.start, end_time: window.end }],
            ...(window.weekdays.length > 0 && { weekdays: window.weekdays }),
            ...(window.daysOfMonth.length > 0 && { days_of_month: window.daysOfMonth }),
            location: window.location,
          },
        ],
      })),
    }),
    inhibit_rules: [
      {
        source_matchers: ['alertname="McpServerDown"'],
        target_matchers: ['alertname!="McpServerDown"'],
        equal: [...DEPLOYMENT_LABELS, 'job', 'instance'],
      },
      {
        source_matchers: ['alertname="McpServerAbsent"'],
        target_matchers: ['alertname!="McpServerAbsent"'],
        equal: [...DEPLOYMENT_LABELS, 'job'],
      },
      ...Object.values(BURN_ALERTS).map((alert) => ({
        source_matchers: [`alertname="${alert}"`, `${ALERT_LABEL.SEVERITY}="critical"`],
        target_matchers: [`alertname="${alert}"`, `${ALERT_LABEL.SEVERITY}="warning"`],
        equal: [...DEPLOYMENT_LABELS, ALERT_LABEL.SERVICE, ALERT_LABEL.SLO],
      })),
    ],
    receivers: [webhook('page', am.page.url), webhook('notify', am.notify.url), webhook('ticket', am.ticket.url)],
  };
}
