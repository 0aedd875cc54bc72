/**
 * mcp-observatory: golden-signal metrics, tenant-tagged traces, correlated logs and health for MCP servers built on
 * `@modelcontextprotocol/sdk`.
 */
export { instrument } from './instrument.js';
export type { InstrumentHandle, InstrumentOptions, LogOptions, LogDestination, TenantSource, ToolCapture } from './types.js';
export * from './contract.js';
export { metricsFor } from './metrics.js';
export { redact, redactString, REDACTED } from './redaction.js';
export { tenantFromAuth } from './tenants.js';
