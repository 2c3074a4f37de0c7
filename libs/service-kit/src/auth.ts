import type { FastifyInstance, FastifyPluginAsync, FastifyRequest, RouteOptions } from 'fastify';
import { createVerifier } from 'fast-jwt';
import fp from 'fastify-plugin';
import { timingSafeEqual } from 'node:crypto';
import { HttpError } from './errors';

/** The platform's roles, weakest first: a role admits every route that asks for it or a weaker one. */
export const roles = ['viewer', 'trader', 'admin'] as const;
export type Role = (typeof roles)[number];

/**
 * What a route declares in `config.auth`: a role its caller needs, 'public' for no credentials,
 * or 'endpoint' for a protocol endpoint that checks its own clients (MCP's token or loopback rule).
 */
export type RouteAuth = Role | 'public' | 'endpoint';

declare module 'fastify' {
  interface FastifyContextConfig {
    auth?: RouteAuth;
    /**
     * Where an app's verifier gives service credentials scopes (the gateway's), the scope one needs
     * for this route beyond its role; the app's verifier enforces it, OpenAPI states it.
     */
    serviceScope?: string;
  }
}

/** Admits the request for a route needing `role`, or throws an HttpError 401/403 saying why not. */
export type AuthVerifier = (request: FastifyRequest, role: Role) => void | Promise<void>;

export interface RouteAuthOptions {
  verify: AuthVerifier;
  /**
   * Every route of the app, collected by an onRoute hook createService adds on its first line:
   * a route added before this plugin has loaded would escape an onRoute hook of the plugin's own.
   */
  routes: RouteOptions[];
}

const declarations = new Set<RouteAuth>([...roles, 'public', 'endpoint']);

/**
 * Enforces each route's `config.auth` in one onRequest hook. A route that declares nothing (or
 * something unknown) stops the start with an error naming it, so a forgotten declaration never
 * becomes an open route. Checked when the app is ready rather than as each route is added, so a
 * scope may declare for routes a library registers (see declareRouteAuth).
 */
const routeAuthPlugin: FastifyPluginAsync<RouteAuthOptions> = async (app, options) => {
  app.addHook('onReady', async () => {
    const undeclared = options.routes.filter((route) => !declarations.has(route.config?.auth as RouteAuth));
    if (undeclared.length === 0) return;
    const names = undeclared.map((route) => `${String(route.method)} ${route.url}`).join(', ');
    throw new Error(`routes without a valid config.auth (${[...declarations].join(' | ')}): ${names}; declare 'public' to serve one without credentials`);
  });
  app.addHook('onRequest', async (request) => {
    const auth = request.routeOptions.config.auth;
    // Undefined only for unmatched URLs (every route was checked at start), which answer 404.
    if (auth === undefined || auth === 'public' || auth === 'endpoint') return;
    await options.verify(request, auth);
  });
};

export const routeAuth = fp(routeAuthPlugin, { name: 'tradeyard-route-auth', fastify: '5.x' });

/** Registers the routes `register` adds (a library's, say) with `auth` declared for each of them. */
export function declareRouteAuth(app: FastifyInstance, auth: RouteAuth, register: (scope: FastifyInstance) => void): void {
  void app.register(async (scope) => {
    scope.addHook('onRoute', (route) => void (route.config = { ...route.config, auth }));
    register(scope);
  });
}

/**
 * Who a verified bearer token speaks for: its role and, for a login token, the token's claims
 * (the gateway's username and paper account). The route-auth verifier sets it on the request.
 */
export interface Caller {
  role: Role;
  [claim: string]: unknown;
}

declare module 'fastify' {
  interface FastifyRequest {
    /** The caller bearerVerifier admitted; unset on public and endpoint routes. */
    caller?: Caller;
  }
}

export interface BearerVerifierOptions {
  /** The service's own token (its variable, e.g. SCANNER_TOKEN, is `serviceTokenVariable`), admitted as `serviceCaller`. */
  serviceToken?: string;
  /** The variable holding `serviceToken`, named when neither it nor JWT_SECRET is configured (default: "a service token"). */
  serviceTokenVariable?: string;
  /**
   * Who the service token acts as; default role trader, marked `service`: a service's token does
   * what services need (post, acknowledge, run jobs) and no more, so admin routes (an arena run
   * that reads the environment, the market clock) stay an admin's.
   */
  serviceCaller?: Caller;
  /** The gateway's JWT_SECRET: a gateway login token is admitted to the routes its role reaches. */
  jwtSecret?: string;
  /** Where a caller without a token gets one, said in the 401 (default: the service token or a gateway login token). */
  missingTokenHint?: string;
}

/** A route-auth verifier that also checks a token given some other way (a WebSocket's ?token=). */
export interface BearerVerifier extends AuthVerifier {
  /** The caller `token` speaks for when its role reaches `role`; else throws an HttpError 401/403 saying why. */
  verifyToken(token: string | undefined, role: Role): Caller;
}

/** Whether `given` is `expected`, compared in constant time (a mismatch's position is not timed). */
export function sameSecret(given: string | undefined, expected: string): boolean {
  const a = Buffer.from(given ?? '');
  const b = Buffer.from(expected);
  return a.length === b.length && timingSafeEqual(a, b);
}

/** The bearer token of a request's authorization header, if it has one. */
export function bearerToken(request: FastifyRequest): string | undefined {
  const header = request.headers.authorization;
  return header?.startsWith('Bearer ') ? header.slice(7).trim() : undefined;
}

const denied = (status: 401 | 403, message: string) => new HttpError(status, { error: status === 401 ? 'unauthorized' : 'forbidden', message });

/** Whether `role` admits every route that asks for `needed` (roles are ordered weakest first). */
export const roleReaches = (role: unknown, needed: Role): boolean => roles.includes(role as Role) && roles.indexOf(role as Role) >= roles.indexOf(needed);

/** `caller` when its role reaches `role`; else a 403 naming the roles that would. */
export function admitRole<C extends Caller>(caller: C, role: Role): C {
  if (!roleReaches(caller.role, role)) throw denied(403, `requires role ${roles.slice(roles.indexOf(role)).join(' or ')}; this token has role ${String(caller.role)}`);
  return caller;
}

/**
 * The platform's bearer verifier: the service token (as `serviceCaller`), or a gateway JWT whose
 * role reaches the route's; the admitted caller is `request.caller`. With neither secret
 * configured every protected route is refused (401 saying so).
 */
export function bearerVerifier(options: BearerVerifierOptions): BearerVerifier {
  const verifyJwt = options.jwtSecret ? createVerifier({ key: options.jwtSecret }) : undefined;
  const serviceCaller: Caller = options.serviceCaller ?? { role: 'trader', service: true };
  const verifyToken = (token: string | undefined, role: Role): Caller => {
    const admitted = roles.slice(roles.indexOf(role)).join(' or ');
    if (!options.serviceToken && !verifyJwt) throw denied(401, `writes are disabled: this service has neither ${options.serviceTokenVariable ?? 'a service token'} nor JWT_SECRET configured`);
    if (!token) throw denied(401, `missing bearer token: ${options.missingTokenHint ?? `send the service token or a gateway login token (role ${admitted})`}`);
    let caller: Caller;
    if (options.serviceToken && sameSecret(token, options.serviceToken)) caller = serviceCaller;
    else {
      try {
        if (!verifyJwt) throw new Error('no JWT_SECRET');
        caller = verifyJwt(token) as Caller;
      } catch {
        throw denied(401, 'invalid or expired token');
      }
    }
    return admitRole(caller, role);
  };
  const verify: AuthVerifier = (request, role) => {
    request.caller = verifyToken(bearerToken(request), role);
  };
  return Object.assign(verify, { verifyToken });
}
