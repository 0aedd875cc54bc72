import { afterEach, describe, expect, it } from 'vitest';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StdioClientTransport } from '@modelcontextprotocol/sdk/client/stdio.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import type { Transport } from '@modelcontextprotocol/sdk/shared/transport.js';
import { needsPythonMcp, pythonStdioCommand, startPythonHttpServer } from './fixtures/python.js';
import type { PythonHttpServer } from './fixtures/python.js';

// The example server the sidecar tests put themselves in front of (examples/python/server.py on the official Python
// SDK) works with the TypeScript SDK's own client, over stdio and over Streamable HTTP: what the sidecar tests take for
// granted, proved here on its own.

type Mode = 'stdio' | 'stateful HTTP' | 'stateless HTTP';

let servers: PythonHttpServer[] = [];
let clients: Client[] = [];
afterEach(async () => {
  await Promise.all(clients.map((client) => client.close()));
  await Promise.all(servers.map((server) => server.stop()));
  clients = [];
  servers = [];
});

async function connect(mode: Mode, env: Record<string, string> = {}): Promise<{ client: Client; log(): string }> {
  let transport: Transport;
  let log: () => string;
  if (mode === 'stdio') {
    const stdio = new StdioClientTransport({ ...pythonStdioCommand(env), stderr: 'pipe' });
    let stderr = '';
    stdio.stderr?.on('data', (chunk: Buffer) => void (stderr += chunk.toString()));
    transport = stdio;
    log = () => stderr;
  } else {
    const server = await startPythonHttpServer(mode === 'stateless HTTP' ? { ...env, MCP_STATELESS: '1' } : env);
    servers.push(server);
    transport = new StreamableHTTPClientTransport(new URL(server.url));
    log = server.stderr;
  }
  const client = new Client({ name: 'python-server-test', version: '1' });
  await client.connect(transport, { timeout: 10_000 });
  clients.push(client);
  return { client, log };
}

const call = (client: Client, name: string, args: Record<string, unknown> = {}) =>
  client.callTool({ name, arguments: args }, undefined, { timeout: 10_000 });

describe.skipIf(needsPythonMcp().skip)('the Python example server with the TypeScript SDK client', () => {
  describe.each(['stdio', 'stateful HTTP', 'stateless HTTP'] as const)('%s', (mode) => {
    it('lists its tools, answers echo, add and slow, and fails fail with isError', async () => {
      const { client, log } = await connect(mode);
      expect(client.getServerVersion()).toMatchObject({ name: 'python-example' });
      const { tools } = await client.listTools();
      expect(tools.map((tool) => tool.name).sort()).toEqual(['add', 'echo', 'fail', 'slow']);

      const echo = await call(client, 'echo', { text: 'hello from node' });
      expect(echo.isError).toBeFalsy();
      expect(echo.content).toEqual([{ type: 'text', text: 'hello from node' }]);
      expect((await call(client, 'add', { a: 2, b: 40 })).content).toEqual([{ type: 'text', text: '42' }]);
      expect((await call(client, 'slow', { ms: 10 })).content).toEqual([{ type: 'text', text: 'slept 10 ms' }]);

      const fail = await call(client, 'fail');
      expect(fail.isError).toBe(true);
      // The SDK prefixes the ToolError's message.
      expect(fail.content).toEqual([{ type: 'text', text: 'Error executing tool fail: this tool always fails' }]);
      if (mode === 'stdio') expect(log()).not.toContain('Traceback');
    });

    it('gets the greeting prompt and reads the docs://readme resource', async () => {
      const { client } = await connect(mode);
      const { prompts } = await client.listPrompts();
      expect(prompts).toEqual([expect.objectContaining({ name: 'greeting' })]);
      expect(prompts[0]!.arguments).toEqual([expect.objectContaining({ name: 'name', required: true })]);
      const prompt = await client.getPrompt({ name: 'greeting', arguments: { name: 'Ada' } });
      expect(prompt.messages).toEqual([{ role: 'user', content: { type: 'text', text: 'Please greet Ada warmly.' } }]);

      const { resources } = await client.listResources();
      expect(resources).toEqual([expect.objectContaining({ uri: 'docs://readme', mimeType: 'text/plain' })]);
      const { contents } = await client.readResource({ uri: 'docs://readme' });
      expect(contents).toEqual([expect.objectContaining({ uri: 'docs://readme', mimeType: 'text/plain' })]);
      expect(contents[0]).toHaveProperty('text', expect.stringContaining('Python example server'));
    });

    it('with FAIL_ALL=1, echo and add return error results too', async () => {
      const { client } = await connect(mode, { FAIL_ALL: '1' });
      for (const [name, args] of [
        ['echo', { text: 'x' }],
        ['add', { a: 1, b: 2 }],
      ] as const) {
        const result = await call(client, name, args);
        expect(result.isError).toBe(true);
        expect(result.content).toEqual([
          { type: 'text', text: `Error executing tool ${name}: FAIL_ALL is set: every call fails` },
        ]);
      }
      expect((await call(client, 'slow', { ms: 1 })).isError).toBeFalsy();
    });
  });

  it('stateful HTTP gives the client a session id; stateless HTTP does not', async () => {
    for (const [env, session] of [
      [{}, true],
      [{ MCP_STATELESS: '1' }, false],
    ] as const) {
      const server = await startPythonHttpServer(env);
      servers.push(server);
      const transport = new StreamableHTTPClientTransport(new URL(server.url));
      const client = new Client({ name: 'python-server-test', version: '1' });
      await client.connect(transport, { timeout: 10_000 });
      clients.push(client);
      expect(transport.sessionId !== undefined).toBe(session);
      expect(transport.protocolVersion).toBe('2025-11-25');
    }
  });
});
