import { ACCOUNT_HEADER, API_TOKEN_PREFIX } from '@tradeyard/gateway-contract';
import { admitRole, bearerToken, bearerVerifier, HttpError, type Role } from '@tradeyard/service-kit';
import type { FastifyPluginAsync, FastifyRequest } from 'fastify';
import { createSigner } from 'fast-jwt';
import fp from 'fastify-plugin';
import { ApiTokenStore, type GatewayCaller } from '../../api-tokens';
import type { Principal } from '../../auth';
import { admitServiceScope, serviceCallerOf } from '../../service-credentials';

declare module 'fastify' {
  interface FastifyInstance {
    /**
     * Admits a request for a route needing `role` and sets request.caller, or throws 401/403 saying
     * why not: the kit's route auth calls it for each route's config.auth.
     */
    authenticate(request: FastifyRequest, role: Role): Promise<void>;
    /** The caller of a login token or a service credential (API tokens need the database: see authenticate). */
    verifyToken(token: string | undefined, role: Role): GatewayCaller;
    /** A login token for `principal`, valid JWT_TTL_SECONDS. */
    signToken(principal: Principal): string;
    /** Users' API tokens (POST /api/v1/tokens), and arena agents'. */
    apiTokens: ApiTokenStore;
  }
}

/**
 * Who is calling, and what they may touch. A service's credential acts as its service principal;
 * the kit's bearer verifier admits a login token, whose claims are the principal itself; API tokens
 * are looked up in the database. A service credential writes only through routes that name a
 * scope it holds (config.serviceScope), and a credential acts on its own account only.
 */
const registerAuth: FastifyPluginAsync = async (app) => {
  const { config } = app;
  const serviceCaller = serviceCallerOf(config);
  const verifier = bearerVerifier({ jwtSecret: config.JWT_SECRET, missingTokenHint: 'log in at POST /api/v1/auth/login' });
  const verifyToken = (token: string | undefined, role: Role): GatewayCaller => {
    const service = serviceCaller(token);
    // A service principal's `service` and `scopes` are this gateway's: a JWT's claims are signed by it and never carry them.
    return (service ? admitRole({ ...service }, role) : verifier.verifyToken(token, role)) as GatewayCaller;
  };
  const apiTokens = new ApiTokenStore(app.db);
  const signer = createSigner({ key: config.JWT_SECRET, expiresIn: config.JWT_TTL_SECONDS * 1000 });
  app.decorate('verifyToken', verifyToken);
  app.decorate('apiTokens', apiTokens);
  app.decorate('signToken', (principal: Principal) => signer({ ...principal }));
  app.decorate('authenticate', async (request: FastifyRequest, role: Role) => {
    const token = bearerToken(request);
    const caller = token?.startsWith(API_TOKEN_PREFIX) ? await apiTokens.admit(token, role) : verifyToken(token, role);
    if (request.method !== 'GET' && request.method !== 'HEAD') {
      admitServiceScope(caller, request.routeOptions.config.serviceScope, `${request.method} ${request.routeOptions.url}`);
    }
    request.caller = caller;
  });
  // The account header may name the credential's own account (an arena agent's token names its
  // arena account); any other value is refused, never silently ignored.
  app.addHook('onRequest', async (request) => {
    const header = request.headers[ACCOUNT_HEADER];
    const caller = request.caller as GatewayCaller | undefined;
    if (header === undefined || caller === undefined || header === caller.accountId) return;
    throw new HttpError(403, {
      error: 'forbidden',
      message: `headers.${ACCOUNT_HEADER}: this credential acts on account ${caller.accountId} only; an arena agent trades with the API token issued for its account`,
      details: [{ field: `headers.${ACCOUNT_HEADER}`, rule: `must be ${caller.accountId}, the account of this credential` }],
    });
  });
};

export const authPlugin = fp(registerAuth, { name: 'auth', fastify: '5.x', dependencies: ['database'] });
