/**
 * `mcp-observatory proxy`: a reverse proxy in front of a Streamable HTTP MCP server. Every request is forwarded as
 * it comes and every response streamed back as it arrives (JSON bodies, SSE streams, GET streams, DELETE); what
 * crosses the MCP endpoint is also read, message by message, for telemetry. The proxy adds nothing to a response
 * and changes none, except when the server cannot be reached: then it answers 502 with a JSON-RPC error.
 */
import { Agent as HttpAgent, createServer, request as httpRequest } from 'node:http';
import type { IncomingHttpHeaders, IncomingMessage, OutgoingHttpHeaders, Server, ServerResponse } from 'node:http';
import { Agent as HttpsAgent, request as httpsRequest } from 'node:https';
import { JSONRPC, LABEL, UPSTREAM_UNAVAILABLE } from '../contract.js';
import type { Health } from '../health.js';
import type { Recorder } from '../recorder.js';
import { isTransportRefusal } from '../handler.js';
import { identify, upstreamAuthFailure } from './auth.js';
import type { Identity, Jwks } from './auth.js';
import { Conversation } from './conversation.js';
import { MAX_OBSERVED_MESSAGE_BYTES } from './lines.js';
import { EventStreamReader } from './sse.js';
import { parseMessages, protocolRevision } from './wire.js';
import type { WireContext } from './wire.js';

const TRANSPORT = 'tcp';
/** HTTP sessions the proxy follows at once; past this the oldest is forgotten (its session counted as ended). */
export const MAX_SESSIONS = 10_000;

/** Errors of connecting: the server is not there (down, not listening, its name or address gone). */
const UNREACHABLE = new Set(['ECONNREFUSED', 'ENOTFOUND', 'EHOSTUNREACH', 'ENETUNREACH', 'ETIMEDOUT', 'EAI_AGAIN']);

/** Headers of one hop only (RFC 9110 §7.6.1), never forwarded. */
const HOP_BY_HOP = new Set([
  'connection',
  'keep-alive',
  'proxy-connection',
  'transfer-encoding',
  'te',
  'trailer',
  'upgrade',
  'proxy-authorization',
  'proxy-authenticate',
]);

export interface ProxyOptions {
  /** The MCP endpoint of the server behind the proxy; its origin receives every request, its path is observed. */
  upstream: URL;
  /** Verify JWT bearer tokens against these keys; without, their claims are read as the gateway verified them. */
  jwks?: Jwks;
}

/** Where a request goes: through the MCP endpoint (observed) or past it, and in which session. */
interface Route {
  observed: boolean;
  sessionId?: string;
}

interface Session {
  conversation: Conversation;
  end: () => void;
  /** The legacy HTTP+SSE transport's message endpoint of the session (path and query), if it has one. */
  endpoint?: string;
}

/** Requests seen in one POST body, and how to answer them when the server cannot. */
interface Exchange {
  conversation: Conversation;
  ids: (string | number)[];
  /** The first request's id, for the 502 body. */
  firstId: string | number | null;
  initialize: boolean;
  identity: Identity;
}

/** The proxy's request handler and its sessions; `close()` ends them (counted) and the upstream connections. */
export function createProxy(options: ProxyOptions, recorder: Recorder, health: Health) {
  const { upstream } = options;
  const secure = upstream.protocol === 'https:';
  const agent = secure ? new HttpsAgent({ keepAlive: true }) : new HttpAgent({ keepAlive: true });
  const send = secure ? httpsRequest : httpRequest;
  const mcpPath = upstream.pathname;
  const sessions = new Map<string, Session>();
  /** The legacy HTTP+SSE transport: each session's message endpoint (path and query) → its session id. */
  const legacyEndpoints = new Map<string, string>();

  /** Whether a request crosses the MCP endpoint (or a legacy session's message endpoint), and its session. */
  function routeOf(req: IncomingMessage): Route {
    const url = req.url ?? '';
    if (url.split('?')[0] === mcpPath) {
      const sessionId = single(req.headers['mcp-session-id']);
      return sessionId === undefined ? { observed: true } : { observed: true, sessionId };
    }
    const legacy = legacyEndpoints.get(url);
    return legacy === undefined ? { observed: false } : { observed: true, sessionId: legacy };
  }

  health.register('upstream', () => probe(upstream, agent, send));

  const guarded = (work: () => void) => recorder.safely(work);
  const tooLarge = () => recorder.dropped('metric', 'message_too_large');

  function sessionOf(id: string | undefined): Session | undefined {
    return id === undefined ? undefined : sessions.get(id);
  }

  function startSession(id: string, conversation: Conversation, endpoint?: string): void {
    if (sessions.has(id)) return;
    if (sessions.size >= MAX_SESSIONS) endSession(sessions.keys().next().value!);
    sessions.set(id, { conversation, end: recorder.sessionStarted(TRANSPORT), ...(endpoint && { endpoint }) });
    if (endpoint) legacyEndpoints.set(endpoint, id);
  }

  function endSession(id: string): void {
    const session = sessions.get(id);
    if (!session) return;
    sessions.delete(id);
    if (session.endpoint) legacyEndpoints.delete(session.endpoint);
    session.conversation.close();
    session.end();
  }

  function countAuthFailure(reason: string): void {
    recorder.metrics.authFailures.inc({ [LABEL.REASON]: reason });
  }

  /** Read the client's POST body as it is forwarded; resolves with its requests once the body has ended. */
  function readExchange(req: IncomingMessage, sessionId: string | undefined, identity: Identity): Promise<Exchange> {
    const chunks: Buffer[] = [];
    let bytes = 0;
    req.on('data', (chunk: Buffer) => {
      bytes += chunk.length;
      if (bytes <= MAX_OBSERVED_MESSAGE_BYTES) chunks.push(chunk);
    });
    return new Promise((resolve) => {
      req.once('end', () => {
        const session = sessionOf(sessionId);
        const exchange: Exchange = {
          conversation: session?.conversation ?? new Conversation(recorder, TRANSPORT),
          ids: [],
          firstId: null,
          initialize: false,
          identity,
        };
        guarded(() => {
          if (bytes > MAX_OBSERVED_MESSAGE_BYTES) return tooLarge();
          const messages = parseMessages(Buffer.concat(chunks).toString('utf8'));
          if (typeof messages === 'number') return recorder.transportError(String(messages), TRANSPORT);
          const context: WireContext = {
            headers: req.headers,
            ...(sessionId !== undefined && { sessionId }),
            ...(identity.authInfo && { authInfo: identity.authInfo }),
          };
          const version = protocolRevision(req.headers['mcp-protocol-version']);
          for (const message of messages) {
            exchange.conversation.fromClient(message, context, version);
            if (message.kind === 'request') {
              exchange.ids.push(message.id);
              exchange.firstId ??= message.id;
              if (message.method === 'initialize') exchange.initialize = true;
            }
          }
        });
        resolve(exchange);
      });
    });
  }

  /** Read the server's answer to an exchange as it is relayed: a JSON body, or each event of an SSE stream. */
  function readAnswer(
    body: BodyTap,
    type: string,
    conversation: Conversation,
    onClose: (complete: boolean, code: number | undefined) => void,
    onEndpoint: (data: string) => void = () => {},
  ): void {
    // The code of an error the server answered with `id: null`: about the whole body, not one request.
    let code: number | undefined;
    const onEnd = (complete: boolean) => onClose(complete, code);
    const deliver = (text: string, event = 'message') =>
      guarded(() => {
        // The legacy HTTP+SSE transport names where the client posts its messages; that is no message.
        if (event === 'endpoint') return onEndpoint(text);
        const messages = parseMessages(text);
        if (typeof messages === 'number') return;
        for (const message of messages) {
          if (message.kind === 'response' && message.id === null) code ??= message.error?.code;
          conversation.fromServer(message);
        }
      });
    if (type.startsWith('text/event-stream')) {
      const events = new EventStreamReader(deliver, tooLarge);
      body.read((chunk) => guarded(() => events.push(chunk)), onEnd);
    } else if (type.includes('json')) {
      const chunks: Buffer[] = [];
      let bytes = 0;
      body.read(
        (chunk) => {
          bytes += chunk.length;
          if (bytes <= MAX_OBSERVED_MESSAGE_BYTES) chunks.push(chunk);
        },
        (complete) => {
          if (bytes > MAX_OBSERVED_MESSAGE_BYTES) tooLarge();
          else if (complete) deliver(Buffer.concat(chunks).toString());
          onEnd(complete);
        },
      );
    } else body.read(() => {}, onEnd);
  }

  /**
   * What is left of an exchange once its answer has ended without answering every request. `code` is the JSON-RPC
   * error the server answered the whole body with (`id: null`), if it did. As in-process: a refusal of the transport
   * itself (a media type, a method, a session the server no longer knows, unparseable JSON) is a transport error, not
   * an operation; a refusal of the request (a header mismatch, a protocol version) is an operation with its code.
   */
  function settle(
    exchange: Exchange,
    status: number,
    complete: boolean,
    sessionId: string | undefined,
    code: number | undefined,
  ): void {
    guarded(() => {
      const { conversation } = exchange;
      const waiting = exchange.ids.filter((id) => conversation.waiting(id));
      if (waiting.length === 0) return;
      if (status >= 400 && status < 500 && (code === undefined || status === 404 || isTransportRefusal(status, code))) {
        for (const id of waiting) conversation.abandon(id);
        recorder.transportError(code === undefined || code === -32000 ? `http_${status}` : String(code), TRANSPORT);
        return;
      }
      // A session's answer may still come on a resumed stream (GET with Last-Event-ID): it stays waiting, bounded.
      if (status < 400 && complete && sessionOf(sessionId) !== undefined) return;
      const errorType =
        code !== undefined ? String(code) : status >= 400 ? `http_${status}` : String(JSONRPC.CONNECTION_CLOSED);
      for (const id of waiting) conversation.fail(id, errorType);
    });
  }

  function forward(
    req: IncomingMessage,
    res: ServerResponse,
    { observed, sessionId }: Route,
    exchange: Promise<Exchange> | undefined,
  ): void {
    const outgoing = send(
      {
        protocol: upstream.protocol,
        hostname: upstream.hostname,
        port: upstream.port,
        method: req.method,
        path: req.url,
        headers: upstreamHeaders(req, upstream),
        agent,
      },
      (answer) => {
        const status = answer.statusCode ?? 502;
        res.writeHead(status, answer.statusMessage, responseHeaders(answer.rawHeaders));
        // An SSE client waits for the headers before the first event: send them now; a JSON body takes them along.
        if (answer.headers['content-type']?.startsWith('text/event-stream')) res.flushHeaders();
        // The copy starts with the first byte, though who reads it is known only once the request body was read.
        const body = observed ? new BodyTap(answer) : undefined;
        answer.pipe(res);
        answer.once('aborted', () => res.destroy());
        answer.once('error', () => res.destroy());
        if (!body) return;
        void onAnswer(req, answer, body, status, sessionId, exchange).catch(() => {
          body.ignore();
          recorder.dropped('metric', 'record_failed');
        });
      },
    );
    let clientGone = false;
    outgoing.once('error', (error: NodeJS.ErrnoException) => {
      // The rest of the client's body has nowhere to go: read it to its end, so its requests are known and answered.
      req.resume();
      // The client gave up before any answer: its requests end unanswered, the server is not to blame.
      if (clientGone) return void fail(exchange, String(JSONRPC.CONNECTION_CLOSED));
      // After the answer began: the stream was cut, the client sees it cut too.
      if (res.headersSent) return void res.destroy();
      // Before: the server could not be reached, or it took the request and closed the connection (it died).
      const errorType = UNREACHABLE.has(error.code ?? '') ? UPSTREAM_UNAVAILABLE : String(JSONRPC.CONNECTION_CLOSED);
      void fail(exchange, errorType).then((firstId) => unavailable(res, error, firstId));
    });
    req.pipe(outgoing);
    // The client gave up: so does the request upstream (an answer under way settles its operations as it closes).
    res.once('close', () => {
      if (res.writableFinished) return;
      clientGone = true;
      outgoing.destroy();
    });
  }

  /** Fail every request of an exchange with `errorType`; resolves with the first request's id. */
  async function fail(pending: Promise<Exchange> | undefined, errorType: string): Promise<string | number | null> {
    const exchange = await pending;
    if (exchange) guarded(() => exchange.ids.forEach((id) => exchange.conversation.fail(id, errorType)));
    return exchange?.firstId ?? null;
  }

  async function onAnswer(
    req: IncomingMessage,
    answer: IncomingMessage,
    body: BodyTap,
    status: number,
    sessionId: string | undefined,
    pendingExchange: Promise<Exchange> | undefined,
  ): Promise<void> {
    const exchange = await pendingExchange;
    if (status === 401 || status === 403) {
      body.ignore();
      if (exchange) for (const id of exchange.ids) exchange.conversation.abandon(id);
      // A token the sidecar already found bad was counted once, there.
      if (!exchange?.identity.failure) {
        countAuthFailure(
          upstreamAuthFailure(status, single(answer.headers['www-authenticate']), req.headers.authorization),
        );
      }
      return;
    }
    // The session ends by the client's DELETE, or because the server no longer knows it.
    const sessionGone = sessionId !== undefined && (status === 404 || (req.method === 'DELETE' && status < 300));
    const endIfGone = () => {
      if (sessionGone) guarded(() => endSession(sessionId));
    };
    if (req.method === 'DELETE') return body.read(() => {}, endIfGone);
    const newSession = single(answer.headers['mcp-session-id']);
    if (exchange?.initialize && newSession !== undefined && status < 300) {
      guarded(() => startSession(newSession, exchange.conversation));
    } else if (exchange && sessionId !== undefined && !sessionGone && status < 300 && !sessionOf(sessionId)) {
      // A session the server still serves, opened before this proxy started (a restart, a second replica): followed
      // from here on.
      guarded(() => startSession(sessionId, exchange.conversation));
    }
    const type = answer.headers['content-type'] ?? '';
    if (req.method === 'GET' && sessionId === undefined && status < 300 && type.startsWith('text/event-stream')) {
      return legacyStream(body, type);
    }
    const conversation = exchange?.conversation ?? sessionOf(sessionId)?.conversation;
    if (!conversation) return body.read(() => {}, endIfGone);
    readAnswer(body, type, conversation, (complete, code) => {
      if (exchange) settle(exchange, status, complete, sessionId ?? newSession, code);
      endIfGone();
    });
  }

  /**
   * A GET stream without a session: the legacy HTTP+SSE transport's, when its first event names the endpoint the
   * client posts to (`/messages?sessionId=…`). The stream is that session: the answers to what the client posts there
   * come on it, and it ends when the stream closes.
   */
  function legacyStream(body: BodyTap, type: string): void {
    const conversation = new Conversation(recorder, TRANSPORT);
    let id: string | undefined;
    readAnswer(
      body,
      type,
      conversation,
      () => {
        if (id !== undefined) guarded(() => endSession(id!));
      },
      (data) => {
        if (id !== undefined) return;
        const endpoint = new URL(data.trim(), upstream);
        if (endpoint.origin !== upstream.origin) return;
        id = endpoint.searchParams.get('sessionId') ?? `${endpoint.pathname}${endpoint.search}`;
        startSession(id, conversation, `${endpoint.pathname}${endpoint.search}`);
      },
    );
  }

  /** Answer 502 with a JSON-RPC error: the server behind the proxy could not be reached. */
  function unavailable(res: ServerResponse, error: NodeJS.ErrnoException, id: string | number | null): void {
    if (res.headersSent || res.destroyed) return;
    const body = JSON.stringify({
      jsonrpc: '2.0',
      id,
      error: { code: JSONRPC.INTERNAL_ERROR, message: `MCP server unavailable (${error.code ?? 'no response'})` },
    });
    res.writeHead(502, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body) });
    res.end(body);
  }

  async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const route = routeOf(req);
    const { observed, sessionId } = route;
    let exchange: Promise<Exchange> | undefined;
    if (observed && req.method === 'POST') {
      const identity = await identify(req.headers.authorization, options.jwks).catch(() => ({}) as Identity);
      if (identity.failure) countAuthFailure(identity.failure);
      exchange = readExchange(req, sessionId, identity);
    }
    forward(req, res, route, exchange);
  }

  return {
    handler(req: IncomingMessage, res: ServerResponse): void {
      // Reading the token may wait for a JWKS; the body stays buffered in the request until it is forwarded.
      handle(req, res).catch(() => {
        recorder.dropped('metric', 'record_failed');
        if (!res.headersSent) forward(req, res, routeOf(req), undefined);
      });
    },
    close(): void {
      for (const id of [...sessions.keys()]) endSession(id);
      agent.destroy();
    },
  };
}

/** Serve the proxy on `host:port`; resolves once it listens. */
export function listenProxy(
  options: ProxyOptions,
  recorder: Recorder,
  health: Health,
  listen: { host: string; port: number },
): Promise<{ server: Server; close(): Promise<void> }> {
  const proxy = createProxy(options, recorder, health);
  const server = createServer(proxy.handler);
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(listen.port, listen.host, () => {
      server.off('error', reject);
      resolve({
        server,
        close: () =>
          new Promise<void>((done) => {
            proxy.close();
            server.close(() => done());
            server.closeAllConnections();
          }),
      });
    });
  });
}

/**
 * A response body's chunks from its first byte, for a reader that is known a little later: kept until then, and
 * replayed to it. What the client receives never waits for it.
 */
class BodyTap {
  private kept: Buffer[] | undefined = [];
  private onChunk: ((chunk: Buffer) => void) | undefined;
  private onClose: ((complete: boolean) => void) | undefined;
  private closed: { complete: boolean } | undefined;

  constructor(body: IncomingMessage) {
    let ended = false;
    body.on('data', (chunk: Buffer) => (this.onChunk ? this.onChunk(chunk) : this.kept?.push(chunk)));
    body.once('end', () => (ended = true));
    // 'close' without 'end': the stream was cut short.
    body.once('close', () => {
      this.closed = { complete: ended };
      this.onClose?.(ended);
    });
  }

  /** Hand every chunk so far, and the rest as it comes, to `onChunk`; then `onClose` once the body closed. */
  read(onChunk: (chunk: Buffer) => void, onClose: (complete: boolean) => void): void {
    for (const chunk of this.kept ?? []) onChunk(chunk);
    this.kept = undefined;
    this.onChunk = onChunk;
    this.onClose = onClose;
    if (this.closed) onClose(this.closed.complete);
  }

  /** Nobody reads this body: keep nothing. Until `read`, chunks are dropped. */
  ignore(): void {
    this.kept = undefined;
  }
}

function single(value: string | string[] | undefined): string | undefined {
  return typeof value === 'string' ? value : undefined;
}

/** The client's headers for the server: without hop-by-hop ones, `Host` the upstream's, `X-Forwarded-*` added. */
function upstreamHeaders(req: IncomingMessage, upstream: URL): OutgoingHttpHeaders {
  const headers: OutgoingHttpHeaders = {};
  const connectionListed = new Set(
    String(req.headers.connection ?? '')
      .split(',')
      .map((name) => name.trim().toLowerCase()),
  );
  for (const [name, value] of Object.entries(req.headers as IncomingHttpHeaders)) {
    if (value === undefined || HOP_BY_HOP.has(name) || connectionListed.has(name)) continue;
    headers[name] = value;
  }
  headers['host'] = upstream.host;
  const address = req.socket.remoteAddress;
  if (address) {
    const prior = single(req.headers['x-forwarded-for']);
    headers['x-forwarded-for'] = prior ? `${prior}, ${address}` : address;
  }
  headers['x-forwarded-host'] ??= req.headers.host;
  headers['x-forwarded-proto'] ??= 'http';
  return headers;
}

/** The server's response headers, as sent (names' case and order kept), without hop-by-hop ones. */
function responseHeaders(raw: string[]): string[] {
  const headers: string[] = [];
  for (let index = 0; index < raw.length; index += 2) {
    if (!HOP_BY_HOP.has(raw[index]!.toLowerCase())) headers.push(raw[index]!, raw[index + 1]!);
  }
  return headers;
}

/** Readiness of the server behind the proxy: it answers HTTP on its MCP endpoint with anything below 500. */
function probe(upstream: URL, agent: HttpAgent, send: typeof httpRequest): Promise<void> {
  return new Promise((resolve, reject) => {
    const request = send(upstream, { method: 'HEAD', agent, timeout: 2000 }, (answer) => {
      answer.resume();
      const status = answer.statusCode ?? 0;
      if (status < 500) resolve();
      else reject(new Error(`the MCP server at ${upstream.href} answered ${status}`));
    });
    request.once('timeout', () => request.destroy(new Error(`no answer from ${upstream.href} in 2 s`)));
    request.once('error', (error) =>
      reject(new Error(`cannot reach the MCP server at ${upstream.href}: ${error.message}`)),
    );
    request.end();
  });
}
