import type { McpServer } from '@modelcontextprotocol/sdk/server/mcp.js';
import { StreamableHTTPServerTransport } from '@modelcontextprotocol/sdk/server/streamableHttp.js';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { timingSafeEqual } from 'node:crypto';

export interface McpEndpointOptions {
  /**
   * Bearer token every request must carry. Unset: only loopback clients (127.0.0.1, ::1) are
   * served, so a developer's local server works without one and nothing else can reach it, and
   * Host and Origin must name a loopback host, so a DNS-rebinding web page cannot reach it either.
   */
  authToken?: string;
  /** A fresh server per request (stateless Streamable HTTP); the request says whom it acts for. */
  createServer: (request: FastifyRequest) => McpServer;
  path?: string;
}

const jsonRpcError = (code: number, message: string) => ({ jsonrpc: '2.0', error: { code, message }, id: null });

function tokenMatches(header: string | undefined, token: string): boolean {
  const given = Buffer.from(header?.startsWith('Bearer ') ? header.slice(7) : '');
  const expected = Buffer.from(token);
  return given.length === expected.length && timingSafeEqual(given, expected);
}

const loopbackNames = ['localhost', '127.0.0.1', '[::1]'];

/** The Host and Origin values a loopback client of this port sends (the SDK compares them exactly). */
function loopbackHeaders(port: number) {
  const hosts = loopbackNames.flatMap((name) => [name, `${name}:${port}`]);
  return { allowedHosts: hosts, allowedOrigins: hosts.flatMap((host) => [`http://${host}`, `https://${host}`]) };
}

const isLoopback = (address: string | undefined) => address === '127.0.0.1' || address === '::1' || address === '::ffff:127.0.0.1';

/** Why a request may not use the endpoint, or undefined when it may. */
function refusal(request: FastifyRequest, authToken: string | undefined): string | undefined {
  if (authToken) return tokenMatches(request.headers.authorization, authToken) ? undefined : 'missing or wrong bearer token';
  return isLoopback(request.socket.remoteAddress) ? undefined : 'MCP_AUTH_TOKEN is not configured: only loopback clients are served';
}

/**
 * Mounts the MCP Streamable HTTP endpoint in stateless mode: each POST gets its own server and
 * transport, so replicas need no shared session store. GET (server-initiated stream) and DELETE
 * (session end) have no meaning without sessions and answer 405.
 */
export function mountMcpEndpoint(app: FastifyInstance, options: McpEndpointOptions): void {
  const path = options.path ?? '/mcp';
  const authorize = async (request: FastifyRequest, reply: FastifyReply) => {
    const reason = refusal(request, options.authToken);
    if (reason) return reply.code(401).header('www-authenticate', 'Bearer').send(jsonRpcError(-32001, reason));
  };

  app.post(path, { preHandler: authorize }, async (request, reply) => {
    const server = options.createServer(request);
    const transport = new StreamableHTTPServerTransport({
      sessionIdGenerator: undefined,
      enableJsonResponse: true,
      // Without a token the peer address is all that is checked, and a DNS-rebinding page in the
      // user's browser has a loopback address too: its Host and Origin give it away. (The SDK marks
      // these options deprecated in favour of an Express middleware that checks Host only.)
      ...(options.authToken ? {} : { enableDnsRebindingProtection: true, ...loopbackHeaders(request.socket.localPort ?? 0) }),
    });
    reply.raw.on('close', () => {
      void transport.close();
      void server.close();
    });
    await server.connect(transport);
    reply.hijack();
    await transport.handleRequest(request.raw, reply.raw, request.body);
  });

  const methodNotAllowed = jsonRpcError(-32000, `stateless server: use POST ${path}`);
  for (const method of ['GET', 'DELETE'] as const) {
    app.route({ method, url: path, preHandler: authorize, handler: async (_request, reply) => reply.code(405).header('allow', 'POST').send(methodNotAllowed) });
  }
}
