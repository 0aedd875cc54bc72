/**
 * The MCP-aware load generator behind `mcp-observatory load`: sessions of the SDK's own client over Streamable HTTP,
 * a skewed tenant mix, a tool mix, open or closed loop, and a fault schedule for the reference server.
 */
export { loadCommand } from './command.js';
export { LoadError, LoadUsageError } from './errors.js';
export { AdminClient, describeFault, parseFault } from './faults.js';
export type { FaultSpec, FaultStep } from './faults.js';
export { DEFAULT_URL, DEMO_TENANTS, parseLoadArgs, parseToolMix } from './options.js';
export type { LoadOptions, TenantSpec, ToolWeight } from './options.js';
export { LoadRun, runLoad } from './runner.js';
export type { FaultRecord, LoadSummary, Progress, RunHooks, SessionFailure } from './runner.js';
export type { GroupSummary } from './stats.js';
export { formatLoadSummary } from './summary.js';
