/**
 * `mcp-observatory wrap -- <command>`: runs a stdio MCP server as a child and relays its stdin and stdout byte for
 * byte, reading a copy of each newline-delimited message for telemetry. The relay never waits for telemetry, and the
 * sidecar writes nothing to the child's stdout or to its own: its logs go to stderr, with the child's.
 */
import { spawn } from 'node:child_process';
import type { Readable, Writable } from 'node:stream';
import { constants } from 'node:os';
import type { Recorder } from '../recorder.js';
import type { Health } from '../health.js';
import type { AnyRegistry } from '../metrics.js';
import { reportChildProcess } from './child-process.js';
import { Conversation } from './conversation.js';
import { LineSplitter } from './lines.js';
import { parseMessages } from './wire.js';

const TRANSPORT = 'pipe';
/** Signals passed on to the child; the sidecar itself ends when the child does. */
const FORWARDED_SIGNALS: readonly NodeJS.Signals[] = ['SIGINT', 'SIGTERM', 'SIGHUP', 'SIGQUIT', 'SIGUSR1', 'SIGUSR2'];

export interface WrapOptions {
  /** The client's side: the process's own stdin and stdout by default. */
  stdin?: Readable;
  stdout?: Writable;
  /** Report the child's CPU, memory and file descriptors (`process_*`) in this registry. */
  processMetrics?: AnyRegistry;
}

/** How the child ended: its exit code, or the signal that killed it. */
export type ChildExit = { code: number; signal?: undefined } | { code?: undefined; signal: NodeJS.Signals };

/**
 * Run `command` with `args`, relaying the client's stdin and stdout to and from it, and record every message that
 * crosses. Resolves when the child has exited and its output has been relayed.
 */
export function wrapStdio(
  command: string,
  args: readonly string[],
  recorder: Recorder,
  health: Health,
  say: (line: string) => void,
  options: WrapOptions = {},
): Promise<ChildExit> {
  const io = { stdin: options.stdin ?? process.stdin, stdout: options.stdout ?? process.stdout };
  return new Promise((resolve) => {
    const child = spawn(command, args, { stdio: ['pipe', 'pipe', 'inherit'] });
    const conversation = new Conversation(recorder, TRANSPORT);
    let running = true;
    if (options.processMetrics) reportChildProcess(options.processMetrics, () => (running ? child.pid : undefined));
    health.register('server', () => {
      if (!running) throw new Error(`the MCP server (${command}) has exited`);
    });
    const endSession = recorder.sessionStarted(TRANSPORT);
    // Telemetry never breaks the relay: a failure is counted, and the bytes go on.
    const observe = (work: () => void) => recorder.safely(work);
    const tooLarge = () => recorder.dropped('metric', 'message_too_large');

    const fromClient = new LineSplitter(
      (line) =>
        observe(() => {
          const messages = parseMessages(line.endsWith('\r') ? line.slice(0, -1) : line);
          if (typeof messages === 'number') recorder.transportError(String(messages), TRANSPORT);
          else for (const message of messages) conversation.fromClient(message, {});
        }),
      tooLarge,
    );
    // What the server writes that is no message (a stray print) is relayed like the rest and not read.
    const fromServer = new LineSplitter(
      (line) =>
        observe(() => {
          const messages = parseMessages(line.endsWith('\r') ? line.slice(0, -1) : line);
          if (typeof messages !== 'number') for (const message of messages) conversation.fromServer(message);
        }),
      tooLarge,
    );

    const readClient = (chunk: Buffer) => fromClient.push(chunk);
    const forward = FORWARDED_SIGNALS.map((signal) => {
      const handler = () => child.kill(signal);
      process.on(signal, handler);
      return () => process.off(signal, handler);
    });
    const finish = (exit: ChildExit) => {
      if (!running) return;
      running = false;
      for (const undo of forward) undo();
      io.stdin.unpipe(child.stdin);
      io.stdin.off('data', readClient);
      // Our stdin must not keep the process alive once the server is gone.
      if (io.stdin === process.stdin) process.stdin.pause();
      observe(() => {
        conversation.close();
        endSession();
      });
      resolve(exit);
    };

    child.once('error', (error: NodeJS.ErrnoException) => {
      say(
        `mcp-observatory wrap: cannot run ${JSON.stringify(command)}: ${error.message}` +
          (error.code === 'ENOENT' ? ' (check the command name and PATH)' : ''),
      );
      finish({ code: error.code === 'ENOENT' ? 127 : 126 });
    });
    // 'close', not 'exit': the child's stdout has been read to its end, so everything it wrote was relayed.
    child.once('close', (code, signal) => finish(signal ? { signal } : { code: code ?? 1 }));

    io.stdin.on('data', readClient);
    io.stdin.pipe(child.stdin);
    child.stdout.on('data', (chunk: Buffer) => fromServer.push(chunk));
    child.stdout.pipe(io.stdout);
    // A server that exits while the client still writes, or a client gone while the server still answers: the
    // relay of that direction ends, and the exit code tells the rest.
    child.stdin.on('error', () => {});
    io.stdout.on('error', () => {});
  });
}

/** The exit status a shell reports for `exit`: the code, or 128 + the signal's number. */
export function exitStatus(exit: ChildExit): number {
  return exit.signal === undefined ? exit.code : 128 + (constants.signals[exit.signal] ?? 0);
}
