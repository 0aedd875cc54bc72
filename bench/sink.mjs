// A stand-in OTLP/HTTP collector for the benchmark: answers 200 to POST /v1/traces and /v1/logs on 127.0.0.1 and
// counts what it receives per service (each server variant exports under its own service.name), so the report can
// say how many SERVER spans and log records each instrumentation produced per request. Runs in its own process,
// forked by bench/run.mjs; `{ type: 'counts' }` over IPC answers with the tallies.
import { createServer } from 'node:http';
import { gunzipSync } from 'node:zlib';

const SERVER_KIND = 2; // OTLP JSON SpanKind: SPAN_KIND_SERVER
const counts = {};

function tally(service) {
  return (counts[service] ??= { spans: 0, serverSpans: 0, logRecords: 0, requests: 0, bytes: 0, unparsed: 0 });
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
  if (req.method !== 'POST' || (req.url !== '/v1/traces' && req.url !== '/v1/logs')) {
    res.writeHead(404).end();
    return;
  }
  const chunks = [];
  req.on('data', (chunk) => chunks.push(chunk));
  req.on('end', () => {
    try {
      let body = Buffer.concat(chunks);
      if (req.headers['content-encoding'] === 'gzip') body = gunzipSync(body);
      record(req.url, body, req.headers['content-type'] ?? '');
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
