import { StreamableHTTPServerTransport } from '@modelcontextprotocol/sdk/server/streamableHttp.js';
import { createService } from '@tradeyard/service-kit';
import { timingSafeEqual } from 'node:crypto';
import type { McpToolsConfig } from './config';
import { createMcpServer } from './tools';

function tokenMatches(header: string | undefined, token: string): boolean {
  const given = Buffer.from(header?.startsWith('Bearer ') ? header.slice(7) : '');
  const expected = Buffer.from(token);
  return given.length === expected.length && timingSafeEqual(given, expected);
}

export function createMcpTools(config: McpToolsConfig) {
  const service = createService({ name: 'mcp-tools', config });

  // Stateless Streamable HTTP: each POST gets its own server and transport, so replicas
  // need no shared session store.
  service.app.post('/mcp', async (request, reply) => {
    if (config.MCP_AUTH_TOKEN && !tokenMatches(request.headers.authorization, config.MCP_AUTH_TOKEN)) {
      return reply
        .code(401)
        .header('www-authenticate', 'Bearer')
        .send({ jsonrpc: '2.0', error: { code: -32001, message: 'missing or wrong bearer token' }, id: null });
    }
    const server = createMcpServer({ gatewayUrl: config.GATEWAY_URL });
    const transport = new StreamableHTTPServerTransport({ sessionIdGenerator: undefined, enableJsonResponse: true });
    reply.raw.on('close', () => {
      void transport.close();
      void server.close();
    });
    await server.connect(transport);
    reply.hijack();
    await transport.handleRequest(request.raw, reply.raw, request.body);
  });

  const methodNotAllowed = { jsonrpc: '2.0', error: { code: -32000, message: 'stateless server: use POST /mcp' }, id: null };
  service.app.get('/mcp', async (_request, reply) => reply.code(405).header('allow', 'POST').send(methodNotAllowed));
  service.app.delete('/mcp', async (_request, reply) => reply.code(405).header('allow', 'POST').send(methodNotAllowed));
  return service;
}
