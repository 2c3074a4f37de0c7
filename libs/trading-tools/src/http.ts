import type { McpServer } from '@modelcontextprotocol/sdk/server/mcp.js';
import { StreamableHTTPServerTransport } from '@modelcontextprotocol/sdk/server/streamableHttp.js';
import { ACCOUNT_HEADER } from '@tradeyard/gateway-contract';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { timingSafeEqual } from 'node:crypto';

export interface McpEndpointOptions {
  /**
   * Bearer token every request must carry. Unset: only loopback clients (127.0.0.1, ::1) are
   * served, so a developer's local server works without one and nothing else can reach it, and
   * Host and Origin must name a loopback host, so a DNS-rebinding web page cannot reach it either.
   */
  authToken?: string;
  /**
   * Builds a server acting for the paper account a request names in ACCOUNT_HEADER (undefined:
   * the service's own). A built server is kept and serves later requests naming the same account,
   * one request at a time, so it must depend on nothing else of the request.
   */
  createServer: (account: string | undefined) => McpServer;
  path?: string;
  /** Bounds of the idle servers kept for reuse (defaults: IDLE_SERVERS_MAX, IDLE_SERVER_MS). */
  idle?: { max?: number; ms?: number };
}

/** Most idle servers kept for reuse, over all accounts; a request that finds none builds one. */
export const IDLE_SERVERS_MAX = 64;
/** An idle server unused this long is dropped. */
export const IDLE_SERVER_MS = 60_000;

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
 * The idle servers, per account, most recently used last. Building a server registers every tool
 * and converts its zod schemas to JSON Schema, which costs more than the tool call itself; the SDK
 * pools no servers (its session mode would tie each client to one replica), hence this list.
 * An idle server is disconnected: dropping it is all that frees it.
 */
class IdleServers {
  private readonly idle: { account: string | undefined; server: McpServer; since: number }[] = [];
  constructor(
    private readonly max: number,
    private readonly ms: number,
  ) {}

  /** An idle server built for this account, taken out of the list, or undefined. */
  take(account: string | undefined): McpServer | undefined {
    this.dropExpired();
    const index = this.idle.findLastIndex((entry) => entry.account === account);
    return index < 0 ? undefined : this.idle.splice(index, 1)[0].server;
  }

  put(account: string | undefined, server: McpServer) {
    this.dropExpired();
    this.idle.push({ account, server, since: Date.now() });
    if (this.idle.length > this.max) this.idle.shift();
  }

  private dropExpired() {
    const oldest = Date.now() - this.ms;
    while (this.idle.length && this.idle[0].since < oldest) this.idle.shift();
  }
}

const accountOf = (request: FastifyRequest) => {
  const account = request.headers[ACCOUNT_HEADER];
  return typeof account === 'string' ? account : undefined;
};

/**
 * Mounts the MCP Streamable HTTP endpoint in stateless mode: each POST gets its own transport and
 * a server for the account it names, idle or built for it, that serves no other request until it
 * answered; so replicas need no shared session store. GET (server-initiated stream) and DELETE
 * (session end) have no meaning without sessions and answer 405.
 */
export function mountMcpEndpoint(app: FastifyInstance, options: McpEndpointOptions): void {
  const path = options.path ?? '/mcp';
  const servers = new IdleServers(options.idle?.max ?? IDLE_SERVERS_MAX, options.idle?.ms ?? IDLE_SERVER_MS);
  const authorize = async (request: FastifyRequest, reply: FastifyReply) => {
    const reason = refusal(request, options.authToken);
    if (reason) return reply.code(401).header('www-authenticate', 'Bearer').send(jsonRpcError(-32001, reason));
  };

  app.post(path, { preHandler: authorize }, async (request, reply) => {
    const account = accountOf(request);
    const server = servers.take(account) ?? options.createServer(account);
    const transport = new StreamableHTTPServerTransport({
      sessionIdGenerator: undefined,
      enableJsonResponse: true,
      // Without a token the peer address is all that is checked, and a DNS-rebinding page in the
      // user's browser has a loopback address too: its Host and Origin give it away. (The SDK marks
      // these options deprecated in favour of an Express middleware that checks Host only.)
      ...(options.authToken ? {} : { enableDnsRebindingProtection: true, ...loopbackHeaders(request.socket.localPort ?? 0) }),
    });
    // A client gone mid-request: closing the transport aborts the tool still running.
    reply.raw.on('close', () => void transport.close());
    await server.connect(transport);
    reply.hijack();
    try {
      await transport.handleRequest(request.raw, reply.raw, request.body);
    } finally {
      // The answer is written (or the client gone): disconnected, the server can take the next request.
      await transport.close();
      servers.put(account, server);
    }
  });

  const methodNotAllowed = jsonRpcError(-32000, `stateless server: use POST ${path}`);
  for (const method of ['GET', 'DELETE'] as const) {
    app.route({ method, url: path, preHandler: authorize, handler: async (_request, reply) => reply.code(405).header('allow', 'POST').send(methodNotAllowed) });
  }
}
