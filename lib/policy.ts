/**
 * Rejections by policy: a tool call refused because the caller is over its rate limit or quota, or not allowed the
 * tool. The client gets an ordinary tool error result (its model should see why); the metrics get the policy's own
 * `error.type`, a client fault, so a free-tier tenant hammering its limit pages nobody.
 */
import { POLICY_REJECTIONS } from './contract.js';
import type { PolicyRejection } from './contract.js';
import { SDK_ADAPTERS } from './sdk/index.js';

/** What handlers said about their own request, keyed by its abort signal (one per request, in every SDK line). */
const rejections = new WeakMap<AbortSignal, PolicyRejection>();

/** The tool result of a rejection, as MCP tool errors are written. */
export interface PolicyRejectionResult {
  [key: string]: unknown;
  content: { type: 'text'; text: string }[];
  isError: true;
}

/**
 * Refuse a tool call by policy. `context` is the handler's second argument (SDK v1 `extra`, SDK v2 `ctx`); return the
 * result from the handler.
 *
 * @example
 * if (!limits.admit(tenant)) return rejectByPolicy(ctx, 'rate_limited', `Rate limit exceeded for ${tenant}; retry in 2 s`);
 */
export function rejectByPolicy(context: unknown, reason: PolicyRejection, message: string): PolicyRejectionResult {
  if (!POLICY_REJECTIONS.includes(reason)) {
    throw new RangeError(
      `Invalid policy rejection: ${String(reason)} (expected one of ${POLICY_REJECTIONS.join(', ')})`,
    );
  }
  for (const sdk of SDK_ADAPTERS) {
    const signal = sdk.signal(context);
    if (signal) {
      rejections.set(signal, reason);
      break;
    }
  }
  return { content: [{ type: 'text', text: message }], isError: true };
}

/** The policy a handler rejected its request by, if it did. */
export function policyRejectionOf(signal: AbortSignal | undefined): PolicyRejection | undefined {
  return signal && rejections.get(signal);
}
