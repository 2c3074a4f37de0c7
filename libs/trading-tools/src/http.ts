import type { McpServer } from '@modelcontextprotocol/sdk/server/mcp.js';
import { StreamableHTTPServerTransport } from '@modelcontextprotocol/sdk/server/streamableHttp.js';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { bearerToken, sameSecret } from '@tradeyard/service-kit';

/**
 * Who a request to the MCP endpoint acts as. `key` names it: the servers built for one identity
 * serve only requests of the same key. `loopback`: admitted as a loopback client without a token,
 * so Host and Origin are checked too (a DNS-rebinding web page has a loopback address as well).
 */
export interface McpIdentity {
  key: string;
  loopback?: boolean;
}

/** The identity a request acts as, or why it may not use the endpoint (401: who are you; 403: not that; 503: cannot tell now). */
export type McpAuthentication<I extends McpIdentity> = { identity: I } | { status: 401 | 403 | 503; reason: string };
export type McpAuthenticator<I extends McpIdentity> = (request: FastifyRequest) => McpAuthentication<I> | Promise<McpAuthentication<I>>;

export interface McpEndpointOptions<I extends McpIdentity> {
  authenticate: McpAuthenticator<I>;
  /** Builds a server acting as `identity`; a built server is kept and serves later requests of the same identity, one at a time. */
  createServer: (identity: I) => McpServer;
  path?: string;
  /** Bounds of the idle servers kept for reuse (defaults: IDLE_SERVERS_MAX, IDLE_SERVER_MS). */
  idle?: { max?: number; ms?: number };
}

/** Most idle servers kept for reuse, over all identities; a request that finds none builds one. */
export const IDLE_SERVERS_MAX = 64;
/** An idle server unused this long is dropped. */
export const IDLE_SERVER_MS = 60_000;

const jsonRpcError = (code: number, message: string) => ({ jsonrpc: '2.0', error: { code, message }, id: null });

const loopbackNames = ['localhost', '127.0.0.1', '[::1]'];

/** The Host and Origin values a loopback client of this port sends (the SDK compares them exactly). */
function loopbackHeaders(port: number) {
  const hosts = loopbackNames.flatMap((name) => [name, `${name}:${port}`]);
  return { allowedHosts: hosts, allowedOrigins: hosts.flatMap((host) => [`http://${host}`, `https://${host}`]) };
}

export const isLoopback = (address: string | undefined) => address === '127.0.0.1' || address === '::1' || address === '::ffff:127.0.0.1';

/**
 * One shared bearer token, all its clients one identity; unset, loopback clients only (a
 * developer's local server needs no token, and nothing else can reach it).
 */
export function sharedTokenAuth(token: string | undefined): McpAuthenticator<McpIdentity> {
  return (request) => {
    if (token) return sameSecret(bearerToken(request), token) ? { identity: { key: 'shared' } } : { status: 401, reason: 'missing or wrong bearer token' };
    return isLoopback(request.socket.remoteAddress) ? { identity: { key: 'loopback', loopback: true } } : { status: 401, reason: 'MCP_AUTH_TOKEN is not configured: only loopback clients are served' };
  };
}

/**
 * The idle servers, per identity, most recently used last. Building a server registers every tool
 * and converts its zod schemas to JSON Schema, which costs more than the tool call itself; the SDK
 * pools no servers (its session mode would tie each client to one replica), hence this list.
 * An idle server is disconnected: dropping it is all that frees it.
 */
class IdleServers {
  private readonly idle: { key: string; server: McpServer; since: number }[] = [];
  constructor(
    private readonly max: number,
    private readonly ms: number,
  ) {}

  /** An idle server built for this identity, taken out of the list, or undefined. */
  take(key: string): McpServer | undefined {
    this.dropExpired();
    const index = this.idle.findLastIndex((entry) => entry.key === key);
    return index < 0 ? undefined : this.idle.splice(index, 1)[0].server;
  }

  put(key: string, server: McpServer) {
    this.dropExpired();
    this.idle.push({ key, server, since: Date.now() });
    if (this.idle.length > this.max) this.idle.shift();
  }

  private dropExpired() {
    const oldest = Date.now() - this.ms;
    while (this.idle.length && this.idle[0].since < oldest) this.idle.shift();
  }
}

/**
 * Mounts the MCP Streamable HTTP endpoint in stateless mode: each POST gets its own transport and
 * a server for the account it names, idle or built for it, that serves no other request until it
 * answered; so replicas need no shared session store. GET (server-initiated stream) and DELETE
 * (session end) have no meaning without sessions and answer 405.
 */
export function mountMcpEndpoint<I extends McpIdentity>(app: FastifyInstance, options: McpEndpointOptions<I>): void {
  const path = options.path ?? '/mcp';
  const servers = new IdleServers(options.idle?.max ?? IDLE_SERVERS_MAX, options.idle?.ms ?? IDLE_SERVER_MS);
  /** The request's identity, or undefined once the refusal is sent. */
  const identify = async (request: FastifyRequest, reply: FastifyReply): Promise<I | undefined> => {
    const result = await options.authenticate(request);
    if ('identity' in result) return result.identity;
    if (result.status === 401) reply.header('www-authenticate', 'Bearer');
    if (result.status === 503) reply.header('retry-after', '2');
    void reply.code(result.status).send(jsonRpcError(-32001, result.reason));
    return undefined;
  };

  app.post(path, async (request, reply) => {
    const identity = await identify(request, reply);
    if (!identity) return reply;
    const server = servers.take(identity.key) ?? options.createServer(identity);
    const transport = new StreamableHTTPServerTransport({
      sessionIdGenerator: undefined,
      enableJsonResponse: true,
      // Without a token the peer address is all that is checked, and a DNS-rebinding page in the
      // user's browser has a loopback address too: its Host and Origin give it away. (The SDK marks
      // these options deprecated in favour of an Express middleware that checks Host only.)
      ...(identity.loopback ? { enableDnsRebindingProtection: true, ...loopbackHeaders(request.socket.localPort ?? 0) } : {}),
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
      servers.put(identity.key, server);
    }
  });

  const methodNotAllowed = jsonRpcError(-32000, `stateless server: use POST ${path}`);
  for (const method of ['GET', 'DELETE'] as const) {
    app.route({ method, url: path, handler: async (request, reply) => ((await identify(request, reply)) ? reply.code(405).header('allow', 'POST').send(methodNotAllowed) : reply) });
  }
}
