/**
 * The SDK lines mcp-observatory instruments. Supporting another line (an SDK v3) is one more adapter in this list.
 */
import type { Dispatch, SdkAdapter } from './adapter.js';
import { v1 } from './v1.js';
import { v2 } from './v2.js';

export type { Dispatch, Handler, HookedModule, McpRequest, RequestReader, SdkAdapter } from './adapter.js';

export const SDK_ADAPTERS: readonly SdkAdapter[] = [v2, v1];

/** The adapter of the line `server` (an McpServer or a Server of any line) belongs to, with its dispatch. */
export function adapterOf(server: object): { sdk: SdkAdapter; dispatch: Dispatch } | undefined {
  for (const sdk of SDK_ADAPTERS) {
    const dispatch = sdk.dispatchOf(server);
    if (dispatch && sdk.owns(dispatch)) return { sdk, dispatch };
  }
  return undefined;
}
