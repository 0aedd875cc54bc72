/** Where each alerting artifact lands, relative to the output directory. */
export const PATHS = {
  rules: 'alerts/mcp-observatory.rules.yaml',
  tests: (alert: string) => `alerts/tests/${alert}.test.yaml`,
  runbook: (alert: string) => `alerts/runbooks/${alert}.md`,
  alertmanager: 'alerts/alertmanager.yaml',
} as const;
