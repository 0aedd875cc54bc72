// The load of the HTTP benchmark: autocannon POSTs one JSON-RPC tools/call to a stateless Streamable HTTP server on
// 127.0.0.1 for a fixed time, verifies that every response is a 200 carrying the tool's real result, and keeps every
// latency at full resolution (autocannon's own histogram rounds to whole milliseconds, too coarse here).
import autocannon from 'autocannon';
import { tokenOf } from './variants.mjs';

const HEADERS = {
  'content-type': 'application/json',
  accept: 'application/json, text/event-stream',
  'mcp-protocol-version': '2025-06-18',
};

/** The JSON-RPC request and the text its result must carry. */
function callOf(tool) {
  const text = `bench-${tool}`;
  const body = JSON.stringify({
    jsonrpc: '2.0',
    id: 1,
    method: 'tools/call',
    params: { name: tool, arguments: { text } },
  });
  // SSE framing (`data: {...}`) or plain JSON: either way the result's first text starts with the echoed text.
  return { body, expected: `"result":{"content":[{"type":"text","text":"${text}` };
}

function percentile(sorted, p) {
  if (sorted.length === 0) return NaN;
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))];
}

/**
 * Load `url` for `seconds` with `connections` keep-alive connections (no pipelining), rotating the bearer token over
 * `tenants` tenants. Resolves to throughput, exact latency percentiles (ms) and the count of bad responses.
 */
export function load({ url, tool, seconds, connections, tenants }) {
  const { body, expected } = callOf(tool);
  let next = 0;
  let bad = 0;
  let firstBad;
  const latencies = [];
  return new Promise((resolve, reject) => {
    const instance = autocannon(
      {
        url,
        connections,
        pipelining: 1,
        duration: seconds,
        timeout: 10,
        requests: [
          {
            method: 'POST',
            body,
            // Called for every request in every variant, so the load costs the same whatever the tenant count.
            setupRequest(request) {
              request.headers = { ...HEADERS, authorization: `Bearer ${tokenOf(next++ % tenants)}` };
              return request;
            },
            onResponse(status, responseBody) {
              if (status !== 200 || !responseBody.includes(expected) || responseBody.includes('"isError":true')) {
                bad++;
                firstBad ??= `${status} ${responseBody.slice(0, 300)}`;
              }
            },
          },
        ],
      },
      (error, result) => {
        if (error) return reject(error);
        latencies.sort((a, b) => a - b);
        resolve({
          requests: result.requests.total,
          ok: result['2xx'],
          non2xx: result.non2xx,
          errors: result.errors,
          timeouts: result.timeouts,
          bad,
          firstBad,
          seconds: result.duration,
          throughput: result['2xx'] / result.duration,
          p50: percentile(latencies, 50),
          p99: percentile(latencies, 99),
        });
      },
    );
    instance.on('response', (_client, status, _bytes, responseTime) => {
      if (status === 200) latencies.push(responseTime);
    });
  });
}
