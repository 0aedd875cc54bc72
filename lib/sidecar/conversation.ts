import { JSONRPC, OTHER, SPEC_CLIENT_REQUEST_METHODS, SPEC_NOTIFICATIONS, SPEC_REQUEST_METHODS } from '../contract.js';
import type { Operation, Recorder, ServerView } from '../recorder.js';
import { OK } from '../sdk/common.js';
import { protocolRevision, protocolVersionOf, wire } from './wire.js';
import type { Message, WireContext } from './wire.js';

/**
 * Requests one conversation keeps waiting for an answer, each way. A server that never answers (or a client that
 * never does) cannot grow the sidecar's memory: past this, the oldest is given up and counted as dropped telemetry.
 */
export const MAX_PENDING_REQUESTS = 10_000;

/** A server the sidecar fronts: it sees no registrations, only the names the server lists. */
export const WIRE_SERVER: ServerView = { sdk: wire, tools: undefined, prompts: undefined };

type Id = string | number;

/**
 * One MCP conversation — a stdio connection, an HTTP session, or a stateless HTTP exchange — as the sidecar sees it:
 * requests each way and their answers, paired by id, turned into the same telemetry `instrument()` records. Request
 * seen → response seen is the operation's duration.
 */
export class Conversation {
  /** Client requests waiting for the server's answer. */
  private readonly pending = new Map<Id, Operation>();
  /** Server-initiated requests waiting for the client's answer. */
  private readonly outgoing = new Map<Id, (errorType: string) => void>();
  /** The revision `initialize` negotiated (2025 era); 2026-07-28 requests name theirs. */
  private negotiated: string | undefined;

  constructor(
    private readonly recorder: Recorder,
    readonly transport: string,
  ) {}

  /** A message the client sent. Returns the operation a request began. */
  fromClient(message: Message, context: WireContext, headerVersion?: string): Operation | undefined {
    switch (message.kind) {
      case 'request': {
        const { id, method, params } = message;
        const version = protocolVersionOf(params) ?? headerVersion ?? this.negotiated;
        const known = SPEC_REQUEST_METHODS.includes(method);
        const operation = this.recorder.begin(
          { method, id, params },
          context,
          WIRE_SERVER,
          this.transport,
          version,
          known,
        );
        // A client that reuses the id of a request still unanswered: the first can no longer be told apart.
        this.pending.get(id)?.abandon();
        this.pending.delete(id);
        this.admit(this.pending, (oldest) => oldest.abandon());
        this.pending.set(id, operation);
        return operation;
      }
      case 'notification':
        this.recorder.notification(SPEC_NOTIFICATIONS.includes(message.method) ? message.method : OTHER);
        return undefined;
      case 'response': {
        const done = message.id === null ? undefined : this.outgoing.get(message.id);
        if (done) {
          this.outgoing.delete(message.id!);
          done(message.error ? String(message.error.code) : OK);
        }
        return undefined;
      }
      default:
        return undefined;
    }
  }

  /** A message the server sent. */
  fromServer(message: Message): void {
    if (message.kind === 'response') {
      const operation = message.id === null ? undefined : this.pending.get(message.id);
      if (!operation) return;
      this.pending.delete(message.id!);
      if (message.error) operation.failWith(String(message.error.code));
      else {
        if (operation.method === 'initialize') this.negotiated = versionOf(message.result);
        operation.end(message.result);
      }
    } else if (message.kind === 'request') {
      const method = SPEC_CLIENT_REQUEST_METHODS.includes(message.method) ? message.method : OTHER;
      this.outgoing.delete(message.id);
      this.admit(this.outgoing, (oldest) => oldest(String(JSONRPC.CONNECTION_CLOSED)));
      this.outgoing.set(message.id, this.recorder.clientOperation(method, this.transport).done);
    }
  }

  /** Whether a client request is still waiting for its answer. */
  waiting(id: Id): boolean {
    return this.pending.has(id);
  }

  /** Answer a waiting request with an error the sidecar itself gave (the server was unreachable). */
  fail(id: Id, errorType: string): void {
    this.pending.get(id)?.failWith(errorType);
    this.pending.delete(id);
  }

  /** Give up a waiting request that never reached the server (refused in front of it). */
  abandon(id: Id): void {
    this.pending.get(id)?.abandon();
    this.pending.delete(id);
  }

  /** The connection ended: whatever still waits for an answer gets none, `errorType` by default connection closed. */
  close(errorType = String(JSONRPC.CONNECTION_CLOSED)): void {
    for (const operation of this.pending.values()) operation.failWith(errorType);
    for (const done of this.outgoing.values()) done(errorType);
    this.pending.clear();
    this.outgoing.clear();
  }

  /** Make room for one more entry in `waiting`, giving up the oldest when it is full. */
  private admit<T>(waiting: Map<Id, T>, giveUp: (oldest: T) => void): void {
    if (waiting.size < MAX_PENDING_REQUESTS) return;
    const [id, oldest] = waiting.entries().next().value!;
    waiting.delete(id);
    giveUp(oldest);
    this.recorder.dropped('metric', 'too_many_pending');
  }
}

function versionOf(result: unknown): string | undefined {
  return protocolRevision((result as { protocolVersion?: unknown } | undefined)?.protocolVersion);
}
