import type { Model } from './model.js';
import { ALERT_LABEL } from './conventions.js';
import { BURN_ALERTS } from './burn-rate.js';

/**
 * Alertmanager routing for the bundle's alerts: critical alerts page at once, warnings are grouped for a
 * notification channel, info goes to a ticket queue. A server that is down silences the rest of its instance's
 * alerts; a paging burn-rate alert silences the ticket for the same SLO.
 */
export function alertmanagerConfig(model: Model) {
  const am = model.config.alertmanager;
  const webhook = (name: string, url: string) => ({
    name,
    webhook_configs: [{ url, send_resolved: true }],
  });
  return {
    route: {
      receiver: 'ticket',
      group_by: ['alertname', 'job', ALERT_LABEL.SLO],
      group_wait: am.groupWait,
      group_interval: am.groupInterval,
      repeat_interval: am.repeatInterval,
      routes: [
        {
          receiver: 'page',
          matchers: [`${ALERT_LABEL.SEVERITY}="critical"`],
          group_wait: '10s',
          repeat_interval: '1h',
        },
        { receiver: 'notify', matchers: [`${ALERT_LABEL.SEVERITY}="warning"`] },
        { receiver: 'ticket', matchers: [`${ALERT_LABEL.SEVERITY}="info"`], repeat_interval: '24h' },
      ],
    },
    inhibit_rules: [
      {
        source_matchers: ['alertname="McpServerDown"'],
        target_matchers: ['alertname!="McpServerDown"'],
        equal: ['job', 'instance'],
      },
      {
        source_matchers: ['alertname="McpServerAbsent"'],
        target_matchers: ['alertname!="McpServerAbsent"'],
        equal: ['job'],
      },
      ...Object.values(BURN_ALERTS).map((alert) => ({
        source_matchers: [`alertname="${alert}"`, `${ALERT_LABEL.SEVERITY}="critical"`],
        target_matchers: [`alertname="${alert}"`, `${ALERT_LABEL.SEVERITY}="warning"`],
        equal: [ALERT_LABEL.SERVICE, ALERT_LABEL.SLO],
      })),
    ],
    receivers: [webhook('page', am.page.url), webhook('notify', am.notify.url), webhook('ticket', am.ticket.url)],
  };
}
