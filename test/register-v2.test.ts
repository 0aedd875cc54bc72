import { spawn, spawnSync } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Client } from '@modelcontextprotocol/client';
import { StdioClientTransport } from '@modelcontextprotocol/client/stdio';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { freePort } from './fixtures/ports.js';
import { parseMetrics, valueOf } from './fixtures/metrics.js';
import type { Sample } from './fixtures/metrics.js';
import { connectV2 } from './fixtures/server-v2.js';

// `node --import mcp-observatory/register` on SDK v2 servers that carry no observability code: createMcpHandler on
// node:http, serveStdio (ESM) and McpServer.connect(StdioServerTransport) (CommonJS), driven by the v2 client in both
// protocol eras.

const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..');
const REGISTER = join(ROOT, 'dist', 'lib', 'register.js');
const FIXTURES = join(ROOT, 'test', 'fixtures');
const DURATION = 'mcp_server_operation_duration_seconds_count';

beforeAll(() => {
  if (!existsSync(REGISTER)) throw new Error(`${REGISTER} is missing: run \`npm run build\` before these tests`);
});

async function metrics(port: number): Promise<Sample[]> {
  const response = await fetch(`http://127.0.0.1:${port}/metrics`);
  expect(response.status).toBe(200);
  return parseMetrics(await response.text());
}

const childEnv = (port: number) => ({
  PATH: process.env['PATH'] ?? '',
  OTEL_EXPORTER_PROMETHEUS_HOST: '127.0.0.1',
  OTEL_EXPORTER_PROMETHEUS_PORT: String(port),
  MCP_OBSERVATORY_LOG_LEVEL: 'silent',
});

describe('zero-code on an SDK v2 stdio server', () => {
  const cases = [
    ['zero-code-v2-stdio.mjs', 'modern'],
    ['zero-code-v2-stdio.mjs', 'legacy'],
    ['zero-code-v2-stdio.cjs', 'legacy'],
  ] as const;
  it.each(cases)(
    '%s with a %s client: tools labelled, pipe transport, one session, the v2 SDK version',
    async (fixture, era) => {
      const port = await freePort();
      const transport = new StdioClientTransport({
        command: process.execPath,
        args: ['--import', REGISTER, join(FIXTURES, fixture)],
        env: childEnv(port),
        cwd: ROOT,
        stderr: 'pipe',
      });
      let stderr = '';
      transport.stderr?.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
      const client = new Client(
        { name: 'register-v2-test', version: '1.0.0' },
        era === 'modern' ? { versionNegotiation: { mode: { pin: '2026-07-28' } } } : {},
      );
      try {
        await client.connect(transport);
        expect(await client.callTool({ name: 'echo', arguments: { text: 'one' } })).toMatchObject({
          content: [{ type: 'text', text: 'one' }],
        });
        await client.callTool({ name: 'echo', arguments: { text: 'two' } });
        expect(await client.callTool({ name: 'fail', arguments: {} })).toMatchObject({ isError: true });
        const samples = await metrics(port);
        const call = { mcp_method_name: 'tools/call', network_transport: 'pipe' };
        expect(valueOf(samples, DURATION, { ...call, gen_ai_tool_name: 'echo', error_type: '' })).toBe(2);
        expect(valueOf(samples, DURATION, { ...call, gen_ai_tool_name: 'fail', error_type: 'tool_error' })).toBe(1);
        expect(valueOf(samples, 'mcp_server_sessions_active', { network_transport: 'pipe' })).toBe(1);
        expect(samples.find((s) => s.name === 'mcp_server_build_info')?.labels['mcp_sdk_version']).toMatch(/^2\./);
        expect(stderr).toBe('');
      } finally {
        await client.close();
      }
    },
  );
});

describe('zero-code on an SDK v2 createMcpHandler server', () => {
  let child: ChildProcess;
  let url: string;
  let port: number;
  beforeAll(async () => {
    port = await freePort();
    child = spawn(process.execPath, ['--import', REGISTER, join(FIXTURES, 'zero-code-v2-http.mjs')], {
      env: childEnv(port),
      cwd: ROOT,
      stdio: ['ignore', 'pipe', 'inherit'],
    });
    url = await new Promise<string>((resolve, reject) => {
      child.stdout!.once('data', (chunk: Buffer) => resolve(chunk.toString().trim()));
      child.once('exit', (code) => reject(new Error(`the server exited with ${code}`)));
    });
  });
  afterAll(async () => {
    child.kill('SIGTERM');
    await once(child, 'exit');
  });

  it('counts both eras, the tenant from req.auth, and what the handler refuses before a server exists', async () => {
    for (const era of ['modern', 'legacy'] as const) {
      const client = await connectV2(url, era, { authorization: 'Bearer acme-token' });
      await client.callTool({ name: 'echo', arguments: { text: era } });
      expect(await client.callTool({ name: 'fail', arguments: {} })).toMatchObject({ isError: true });
      await client.close();
    }
    // A 2026-07-28 request without its MCP-Protocol-Version header: refused by the handler's ladder (-32020).
    const refused = await fetch(url, {
      method: 'POST',
      headers: {
        'content-type': 'application/json',
        accept: 'application/json, text/event-stream',
        'mcp-method': 'tools/list',
      },
      body: JSON.stringify({
        jsonrpc: '2.0',
        id: 1,
        method: 'tools/list',
        params: {
          _meta: {
            'io.modelcontextprotocol/protocolVersion': '2026-07-28',
            'io.modelcontextprotocol/clientCapabilities': {},
          },
        },
      }),
    });
    expect(refused.status).toBe(400);
    await new Promise((resolve) => setTimeout(resolve, 50));

    const samples = await metrics(port);
    const call = { mcp_method_name: 'tools/call', network_transport: 'tcp' };
    expect(valueOf(samples, DURATION, { ...call, gen_ai_tool_name: 'echo', error_type: '' })).toBe(2);
    expect(valueOf(samples, DURATION, { ...call, gen_ai_tool_name: 'fail', error_type: 'tool_error' })).toBe(2);
    expect(
      valueOf(samples, 'mcp_server_tenant_operations_total', { tenant_id: 'acme', mcp_method_name: 'tools/call' }),
    ).toBe(4);
    expect(valueOf(samples, DURATION, { mcp_method_name: 'tools/list', error_type: '-32020' })).toBe(1);
    expect(valueOf(samples, 'mcp_server_session_duration_seconds_count')).toBe(0);
  });
});

describe('zero-code on an SDK line it does not know', () => {
  let dir: string;
  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), 'mcp-observatory-unsupported-'));
    const pkg = join(dir, 'node_modules', '@modelcontextprotocol', 'server');
    mkdirSync(join(pkg, 'dist'), { recursive: true });
    writeFileSync(
      join(pkg, 'package.json'),
      JSON.stringify({
        name: '@modelcontextprotocol/server',
        version: '3.0.0',
        type: 'module',
        exports: { '.': { import: './dist/index.mjs', require: './dist/index.cjs' } },
      }),
    );
    writeFileSync(join(pkg, 'dist', 'index.mjs'), 'export class McpServer {}\nexport class Server {}\n');
    writeFileSync(join(pkg, 'dist', 'index.cjs'), 'exports.McpServer = class {};\nexports.Server = class {};\n');
    writeFileSync(join(dir, 'app.mjs'), "import '@modelcontextprotocol/server';\nconsole.log('served');\n");
    writeFileSync(join(dir, 'app.cjs'), "require('@modelcontextprotocol/server');\nconsole.log('served');\n");
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it.each(['app.mjs', 'app.cjs'])('%s: says so once on stderr, naming the package and version, and runs on', (app) => {
    const result = spawnSync(process.execPath, ['--import', REGISTER, app], {
      cwd: dir,
      env: { PATH: process.env['PATH'] ?? '', OTEL_METRICS_EXPORTER: 'none' },
      encoding: 'utf8',
    });
    expect(result.status).toBe(0);
    expect(result.stdout).toBe('served\n');
    const lines = result.stderr.trim().split('\n');
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatch(/cannot instrument @modelcontextprotocol\/server 3\.0\.0 \(supported: >=2\.0\.0 <3\)/);
  });
});
