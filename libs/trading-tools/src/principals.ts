import { ACCOUNT_HEADER, GatewayError, MARKET_HEADER, type GatewayClient, type WhoAmI } from '@tradeyard/gateway-contract';
import type { FastifyRequest } from 'fastify';
import { createHash } from 'node:crypto';
import { bearerToken, sameSecret } from '@tradeyard/service-kit';
import { isLoopback, type McpAuthentication, type McpAuthenticator, type McpIdentity } from './http';

/** An MCP client acting as a gateway principal: who it is and the gateway client it trades through. */
export interface McpPrincipal extends McpIdentity {
  accountId: string;
  gateway: GatewayClient;
}

export interface PrincipalAuthOptions {
  /** The service's own gateway client (MCP_TOOLS_TOKEN): what MCP_AUTH_TOKEN's holder and, without it, loopback clients act as. */
  service: GatewayClient;
  /** The operator's token for the bundled trading agent; unset, loopback clients without a token act as the service. */
  mcpAuthToken?: string;
  /** How long a gateway's answer about a token is trusted (default 30 s): a revoked token stops working within it. */
  cacheMs?: number;
}

/** Most tokens whose principal is remembered at once. */
const CACHE_MAX = 10_000;

const tokenKey = (token: string) => `token:${createHash('sha256').update(token).digest('hex')}`;

/**
 * MCP clients act as themselves: a client's bearer token is a gateway credential (a user's login
 * token, or an API token a user or admin made — an arena agent's is bound to its account), which
 * the gateway names a principal for (GET /api/v1/auth/me), and every tool of that client calls the
 * gateway with that same token. So a client trades its own account only, and the gateway alone
 * decides who may do what. MCP_AUTH_TOKEN remains the operator's credential for the bundled
 * trading agent, acting as the service's account.
 */
export function gatewayPrincipalAuth(options: PrincipalAuthOptions): McpAuthenticator<McpPrincipal> {
  const known = new Map<string, { principal: WhoAmI; until: number }>();
  const cacheMs = options.cacheMs ?? 30_000;

  /** The principal a credential acts as, asked of the gateway (and remembered a while). */
  const principalOf = async (key: string, gateway: GatewayClient): Promise<WhoAmI> => {
    const cached = known.get(key);
    if (cached && cached.until > Date.now()) return cached.principal;
    const principal = await gateway.whoAmI();
    if (known.size >= CACHE_MAX) known.clear();
    known.set(key, { principal, until: Date.now() + cacheMs });
    return principal;
  };

  const admit = async (request: FastifyRequest, key: string, gateway: GatewayClient, loopback?: boolean): Promise<McpAuthentication<McpPrincipal>> => {
    let principal: WhoAmI;
    try {
      principal = await principalOf(key, gateway);
    } catch (err) {
      if (err instanceof GatewayError && (err.status === 401 || err.status === 403)) return { status: 401, reason: `the gateway refused this token: ${err.message}` };
      return { status: 503, reason: `cannot check the token with the gateway now: ${(err as Error).message}; retry in a moment` };
    }
    const header = request.headers[ACCOUNT_HEADER];
    if (header !== undefined && header !== principal.accountId) {
      return { status: 403, reason: `headers.${ACCOUNT_HEADER}: this credential acts on account ${principal.accountId} only; an arena agent connects with the API token issued for its account` };
    }
    // A client may name its market (MARKET_HEADER, as on the gateway): its tools then act there, and
    // its sessions are that market's (the gateway refuses a market it does not serve, or one that is
    // not the account's for an order).
    const market = request.headers[MARKET_HEADER];
    if (typeof market === 'string') return { identity: { key: `${key}@${market}`, accountId: principal.accountId, gateway: gateway.inMarket(market), loopback } };
    return { identity: { key, accountId: principal.accountId, gateway, loopback } };
  };

  return (request) => {
    const token = bearerToken(request);
    if (options.mcpAuthToken && sameSecret(token, options.mcpAuthToken)) return admit(request, 'service', options.service);
    if (token) return admit(request, tokenKey(token), options.service.withToken(token));
    if (!options.mcpAuthToken && isLoopback(request.socket.remoteAddress)) return admit(request, 'service', options.service, true);
    return { status: 401, reason: 'missing bearer token: send your gateway login token or an API token (POST /api/v1/tokens on the gateway)' };
  };
}
