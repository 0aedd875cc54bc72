// A stand-in OTLP/HTTP collector for the benchmark: answers 200 to POST /v1/traces and /v1/logs on 127.0.0.1 and
// counts what it receives per service (each server variant exports under its own service.name), so the report can
// say how many SERVER spans and log records each instrumentation produced per request. It is also a stand-in Sentry
// ingest: POST /api/<project>/envelope/ (Sentry's envelopes, from the Sentry peer) is counted under the events'
// server_name, which that variant sets to its service name. Runs in its own process, forked by bench/run.mjs;
// `{ type: 'counts' }` over IPC answers with the tallies.
import { createServer } from 'node:http';
import { gunzipSync } from 'node:zlib';

const SERVER_KIND = 2; // OTLP JSON SpanKind: SPAN_KIND_SERVER
// The op of the span Sentry's MCP server wrapper opens for each request it handles, a transaction of its own.
const SENTRY_SERVER_OP = 'mcp.server';
const ENVELOPE = /^\/api\/[^/]+\/envelope\/?$/;
const counts = {};

function tally(service) {
  return (counts[service] ??= { spans: 0, serverSpans: 0, logRecords: 0, requests: 0, bytes: 0, unparsed: 0 });
}

/** The items of a Sentry envelope: a header line, then item header and payload pairs (a payload of `length` bytes). */
function envelopeItems(body) {
  const items = [];
  let at = body.indexOf(0x0a);
  if (at < 0) return items;
  at++;
  while (at < body.length) {
    let end = body.indexOf(0x0a, at);
    if (end < 0) end = body.length;
    const line = body.subarray(at, end).toString('utf8').trim();
    at = end + 1;
    if (!line) continue;
    const header = JSON.parse(line);
    let payload;
    if (typeof header.length === 'number') {
      payload = body.subarray(at, at + header.length);
      at += header.length + 1;
    } else {
      end = body.indexOf(0x0a, at);
      if (end < 0) end = body.length;
      payload = body.subarray(at, end);
      at = end + 1;
    }
    items.push({ type: header.type, payload });
  }
  return items;
}

/** Sentry's transactions carry the spans: the transaction is the root span, `spans` its children. */
function recordEnvelope(body) {
  const services = new Set();
  for (const { type, payload } of envelopeItems(body)) {
    if (type === 'client_report') {
      // What the SDK discarded (its send queue full, say), by reason and category; client reports carry no
      // server_name, and only one variant sends them.
      const entry = tally('sentry-client-reports');
      entry.requests++;
      entry.discarded ??= {};
      for (const { reason, category, quantity } of JSON.parse(payload.toString('utf8')).discarded_events ?? []) {
        entry.discarded[`${reason} ${category}`] = (entry.discarded[`${reason} ${category}`] ?? 0) + quantity;
      }
      continue;
    }
    if (type !== 'transaction' && type !== 'event' && type !== 'log') {
      // Sessions and the like: answered, tallied by type only.
      tally(`sentry-${type}`).requests++;
      continue;
    }
    const event = JSON.parse(payload.toString('utf8'));
    const entry = tally(event.server_name ?? 'sentry');
    services.add(entry);
    if (type === 'log') {
      entry.logRecords += event.items?.length ?? 1;
    } else if (type === 'event') {
      entry.errorEvents = (entry.errorEvents ?? 0) + 1;
    } else {
      const spans = [{ op: event.contexts?.trace?.op }, ...(event.spans ?? [])];
      entry.ops ??= {};
      for (const span of spans) {
        entry.spans++;
        if (span.op === SENTRY_SERVER_OP) entry.serverSpans++;
        entry.ops[span.op ?? 'none'] = (entry.ops[span.op ?? 'none'] ?? 0) + 1;
      }
    }
  }
  for (const entry of services) {
    entry.requests++;
    entry.bytes += body.length;
  }
}

function serviceOf(resource) {
  const attribute = resource?.attributes?.find((a) => a.key === 'service.name');
  return attribute?.value?.stringValue ?? 'unknown';
}

function record(path, body, contentType) {
  if (!contentType.includes('json')) {
    // Protobuf payloads are answered, not decoded: they count as bytes only.
    tally('protobuf').unparsed++;
    return;
  }
  const payload = JSON.parse(body.toString('utf8'));
  if (path === '/v1/traces') {
    for (const resourceSpans of payload.resourceSpans ?? []) {
      const entry = tally(serviceOf(resourceSpans.resource));
      entry.requests++;
      entry.bytes += body.length;
      for (const scopeSpans of resourceSpans.scopeSpans ?? []) {
        for (const span of scopeSpans.spans ?? []) {
          entry.spans++;
          if (span.kind === SERVER_KIND) entry.serverSpans++;
        }
      }
    }
  } else {
    for (const resourceLogs of payload.resourceLogs ?? []) {
      const entry = tally(serviceOf(resourceLogs.resource));
      entry.requests++;
      entry.bytes += body.length;
      for (const scopeLogs of resourceLogs.scopeLogs ?? []) entry.logRecords += scopeLogs.logRecords?.length ?? 0;
    }
  }
}

const server = createServer((req, res) => {
  const path = req.url.split('?')[0];
  const envelope = ENVELOPE.test(path);
  if (req.method !== 'POST' || (path !== '/v1/traces' && path !== '/v1/logs' && !envelope)) {
    res.writeHead(404).end();
    return;
  }
  const chunks = [];
  req.on('data', (chunk) => chunks.push(chunk));
  req.on('end', () => {
    try {
      let body = Buffer.concat(chunks);
      if (req.headers['content-encoding'] === 'gzip') body = gunzipSync(body);
      if (envelope) recordEnvelope(body);
      else record(path, body, req.headers['content-type'] ?? '');
    } catch {
      tally('invalid').unparsed++;
    }
    res.writeHead(200, { 'content-type': 'application/json' }).end('{}');
  });
});

server.listen(0, '127.0.0.1', () => process.send({ type: 'ready', port: server.address().port }));
process.on('message', (message) => {
  if (message.type === 'counts') process.send({ type: 'counts', counts });
  if (message.type === 'stats') {
    const { user, system } = process.cpuUsage();
    process.send({ type: 'stats', cpuMicros: user + system });
  }
  if (message.type === 'stop') server.close(() => process.exit(0));
});
process.on('disconnect', () => process.exit(0));
