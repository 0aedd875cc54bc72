// What the service offers over MCP: tools with different behaviour (a cached search, a document fetch, a slow
// summarisation, a compliance check behind a circuit breaker), the documents as resources, and prompts.
import { setTimeout as sleep } from 'node:timers/promises';
import {
  ProtocolError,
  ProtocolErrorCode,
  ResourceNotFoundError,
  ResourceTemplate,
  completable,
} from '@modelcontextprotocol/server';
import { z } from 'zod';
import { rejectByPolicy } from '../../dist/lib/index.js';
import { DOCUMENTS, DOCUMENT_IDS, documentById, searchDocuments, summarise } from './documents.mjs';
import { FRAMEWORK_IDS } from './registry.mjs';

/** The tools this server registers, for fault targeting and the admin endpoint's errors. */
export const TOOL_NAMES = ['search', 'fetch', 'summarize', 'compliance_check'];

const documentUri = (id) => `governance://documents/${id}`;
const text = (value) => ({ content: [{ type: 'text', text: value }] });

/** Latency of the summariser: log-normal around 250 ms, as model calls are, capped at 3 s. */
function summariserLatencyMs() {
  const normal = Math.sqrt(-2 * Math.log(1 - Math.random())) * Math.cos(2 * Math.PI * Math.random());
  return Math.min(3000, 100 + 250 * Math.exp(0.5 * normal));
}

/**
 * Wrap a tool handler with what every tool call goes through: the tenant's rate limit and quota, then the faults
 * injected for this tool and tenant. A call refused by the tenant's limits is an MCP tool error result, as the client's
 * model should see it, recorded as the policy's rejection (a client fault): a tenant over its plan pages nobody.
 */
function guarded(service, tool, handler) {
  return async (args, ctx) => {
    const tenant = service.tenantOf(ctx);
    const admitted = service.limits.admit(tenant);
    if (!admitted.ok) return rejectByPolicy(ctx, admitted.reason, admitted.message);
    const fault = service.faults.forCall(tool, tenant);
    if (fault.crash) service.faults.crash(tool, tenant);
    if (fault.latencyMs > 0) await sleep(fault.latencyMs, undefined, { signal: ctx.mcpReq.signal });
    // Thrown, not returned: the SDK turns it into an isError result, as it does for a real bug.
    if (fault.error > 0 && Math.random() < fault.error) throw new Error(`injected fault: ${tool} failed for ${tenant}`);
    return handler(args, ctx, tenant);
  };
}

/**
 * Register the tools, resources and prompts on `server`.
 * @param {import('@modelcontextprotocol/server').McpServer} server
 * @param service shared state: `tenantOf(ctx)`, `limits`, `faults`, `breaker`, `registry`, `cache`, `signals`
 */
export function registerCapabilities(server, service) {
  server.registerTool(
    'search',
    {
      title: 'Search governance documents',
      description: 'Full-text search over the governance documents. Results are cached per tenant for five minutes.',
      inputSchema: z.object({ query: z.string().min(1).max(200), limit: z.number().int().min(1).max(10).optional() }),
      outputSchema: z.object({
        results: z.array(z.object({ id: z.string(), title: z.string(), score: z.number(), snippet: z.string() })),
      }),
      annotations: { readOnlyHint: true },
    },
    guarded(service, 'search', async ({ query, limit = 5 }, ctx, tenant) => {
      const key = `${tenant}\u0000${query.toLowerCase()}\u0000${limit}`;
      let results = service.cache.get(key);
      if (results) {
        service.signals.cacheHit('search');
      } else {
        service.signals.cacheMiss('search');
        // The index lookup a cache hit saves.
        await sleep(30 + Math.random() * 90, undefined, { signal: ctx.mcpReq.signal });
        results = searchDocuments(query, limit);
        service.cache.set(key, results);
      }
      const lines = results.map((r) => `${r.id}: ${r.title} (${r.snippet})`);
      return {
        ...text(lines.length > 0 ? lines.join('\n') : `No document matches "${query}".`),
        structuredContent: { results },
      };
    }),
  );

  server.registerTool(
    'fetch',
    {
      title: 'Fetch a document',
      description: 'The full text of one governance document.',
      inputSchema: z.object({ id: z.enum(DOCUMENT_IDS) }),
      annotations: { readOnlyHint: true },
    },
    guarded(service, 'fetch', async ({ id }, ctx) => {
      await sleep(2 + Math.random() * 8, undefined, { signal: ctx.mcpReq.signal });
      const doc = documentById(id);
      return {
        content: [
          { type: 'text', text: `# ${doc.title}\n\n${doc.body}` },
          { type: 'resource_link', uri: documentUri(id), name: id, title: doc.title, mimeType: 'text/plain' },
        ],
      };
    }),
  );

  server.registerTool(
    'summarize',
    {
      title: 'Summarise a document',
      description: 'A short summary of one document. Slow: it stands for a model call.',
      inputSchema: z.object({ id: z.enum(DOCUMENT_IDS), maxWords: z.number().int().min(10).max(200).optional() }),
      annotations: { readOnlyHint: true },
    },
    guarded(service, 'summarize', async ({ id, maxWords = 40 }, ctx) => {
      await sleep(summariserLatencyMs(), undefined, { signal: ctx.mcpReq.signal });
      return text(summarise(documentById(id), maxWords));
    }),
  );

  server.registerTool(
    'compliance_check',
    {
      title: 'Check a document against a framework',
      description:
        'Which controls of a regulatory framework a document addresses, and the gaps. Asks the compliance registry.',
      inputSchema: z.object({ id: z.enum(DOCUMENT_IDS), framework: z.enum(FRAMEWORK_IDS) }),
      outputSchema: z.object({ framework: z.string(), covered: z.array(z.string()), gaps: z.array(z.string()) }),
      annotations: { readOnlyHint: true, openWorldHint: true },
    },
    guarded(service, 'compliance_check', async ({ id, framework }) => {
      // A failing registry or an open breaker throws: the caller gets a tool error that says which.
      const controls = await service.breaker.call(() => service.registry.controls(framework));
      const addressed = new Set(documentById(id).controls);
      const covered = controls.filter((control) => addressed.has(control));
      const gaps = controls.filter((control) => !addressed.has(control));
      const summary = `${id} against ${framework}: covers ${covered.join(', ') || 'nothing'}; gaps: ${gaps.join(', ') || 'none'}`;
      return { ...text(summary), structuredContent: { framework, covered, gaps } };
    }),
  );

  server.registerResource(
    'document',
    new ResourceTemplate(documentUri('{id}'), {
      list: async () => ({
        resources: DOCUMENTS.map((doc) => ({
          uri: documentUri(doc.id),
          name: doc.id,
          title: doc.title,
          mimeType: 'text/plain',
        })),
      }),
      complete: { id: (value) => DOCUMENT_IDS.filter((id) => id.startsWith(value)) },
    }),
    { title: 'Governance document', description: 'A policy, standard or checklist', mimeType: 'text/plain' },
    async (uri, { id }) => {
      const doc = documentById(String(id));
      // -32602 with data { uri }: v2 never sends -32002 (clients still accept it from older servers).
      if (!doc) throw new ResourceNotFoundError(uri.href, `Resource ${uri.href} not found`);
      return { contents: [{ uri: uri.href, mimeType: 'text/plain', text: `# ${doc.title}\n\n${doc.body}` }] };
    },
  );

  server.registerPrompt(
    'review-document',
    {
      title: 'Review a document for compliance',
      description: 'Ask the model to review one document against a regulatory framework.',
      argsSchema: z.object({
        id: completable(z.string(), (value) => DOCUMENT_IDS.filter((id) => id.startsWith(value))),
        framework: completable(z.string(), (value) => FRAMEWORK_IDS.filter((f) => f.startsWith(value))),
      }),
    },
    ({ id, framework }) => {
      const doc = documentById(id);
      if (!doc)
        throw new ProtocolError(
          ProtocolErrorCode.InvalidParams,
          `Unknown document ${id}; documents: ${DOCUMENT_IDS.join(', ')}`,
        );
      return {
        messages: [
          {
            role: 'user',
            content: {
              type: 'text',
              text: `Review "${doc.title}" against ${framework}. Call compliance_check first, then explain each gap and propose wording that closes it.`,
            },
          },
          {
            role: 'user',
            content: { type: 'resource', resource: { uri: documentUri(id), mimeType: 'text/plain', text: doc.body } },
          },
        ],
      };
    },
  );

  server.registerPrompt(
    'incident-brief',
    {
      title: 'Brief an AI incident',
      description: 'Draft the first incident update following the AI incident response procedure.',
      argsSchema: z.object({ what: z.string().describe('what happened, in a sentence') }),
    },
    ({ what }) => ({
      messages: [
        {
          role: 'user',
          content: {
            type: 'text',
            text: `Draft the first update for this AI incident, following ${documentUri('ai-incident-response')}: ${what}`,
          },
        },
      ],
    }),
  );
}
