/** A command line `report` cannot run; the message names the bad value and the fix. */
export class ReportUsageError extends Error {}

/**
 * The report cannot be made: Prometheus is unreachable, is not Prometheus, or holds no MCP metrics. The message says
 * what was tried and what to check; `report` exits 3 on it, so cron and deploy gates can tell it from a failing check.
 */
export class ReportUnavailableError extends Error {}
