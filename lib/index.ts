/**
 * mcp-observatory: golden-signal metrics, tenant-tagged traces, correlated logs and health for MCP servers built on
 * the MCP TypeScript SDK, `@modelcontextprotocol/sdk` (1.x) or `@modelcontextprotocol/server` (2.x).
 */
export { instrument } from './instrument.js';
export { instrumentHandler } from './handler.js';
export { rejectByPolicy } from './policy.js';
export type { PolicyRejectionResult } from './policy.js';
export type { McpFetchHandler } from './handler.js';
export type {
  AuthInfo,
  InstrumentableServer,
  InstrumentHandle,
  InstrumentOptions,
  LogOptions,
  LogDestination,
  TenantSource,
  ToolCapture,
} from './types.js';
export * from './contract.js';
export { defaultRegistry, metricsFor, newRegistry } from './metrics.js';
export type { AnyRegistry, McpMetrics } from './metrics.js';
export { metricsHandler, renderMetrics } from './metrics-handler.js';
export type { MetricsHandler, MetricsHandlerOptions } from './metrics-handler.js';
export { startTelemetry, sdkRegistered } from './telemetry.js';
export type { StartTelemetryOptions, TelemetryHandle } from './telemetry.js';
export { Health } from './health.js';
export type { Check, CheckOptions, CheckResult, HealthOptions, Readiness } from './health.js';
export { AppSignals, signals } from './signals.js';
export type { AuthFailureReason, CircuitState, SecurityIndicator } from './signals.js';
export { isSecretKey, redact, redactString, REDACTED } from './redaction.js';
export { tenantFromAuth } from './tenants.js';
