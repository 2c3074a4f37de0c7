import { HttpError, sameSecret } from '@tradeyard/service-kit';
import type { Principal } from './auth';

/**
 * What a service credential may do beyond reading: a route other than GET names the scope a service
 * needs for it (config.serviceScope); one that names none refuses every service credential.
 */
export const serviceScopes = ['signals', 'clock', 'trade', 'arena'] as const;
export type ServiceScope = (typeof serviceScopes)[number];

export type ServiceName = 'scanner' | 'mcp-tools' | 'trading-agent';

/** A service's principal: who it acts as, and the scopes that bound what its role would let it do. */
export interface ServicePrincipal extends Principal {
  service: ServiceName;
  scopes: readonly ServiceScope[];
}

/** A service credential's configuration: the variable that holds it and the principal it acts as. */
interface ServiceCredential {
  variable: 'SCANNER_TOKEN' | 'MCP_TOOLS_TOKEN' | 'TRADING_AGENT_TOKEN';
  principal: ServicePrincipal;
}

/** The paper account mcp-tools' credential trades: the bundled trading agent's (no user may be named so). */
export const MCP_TOOLS_ACCOUNT = 'agent';

/**
 * Each service's own credential, revoked by rotating its variable (docs/SECURITY.md). The scanner
 * posts signals (under its rule ids too) and drives lockstep consumers; mcp-tools trades the paper
 * account `agent` for MCP_AUTH_TOKEN's holder (its other clients bring their own credentials); the
 * trading agent publishes arena boards. None is admin; each reads what a trader of its account reads.
 * Their usernames hold a colon, which no user's name may (as arena accounts do), so no user is one of them.
 */
export const serviceCredentials: readonly ServiceCredential[] = [
  { variable: 'SCANNER_TOKEN', principal: { service: 'scanner', username: 'service:scanner', accountId: 'service:scanner', role: 'trader', scopes: ['signals', 'clock'] } },
  { variable: 'MCP_TOOLS_TOKEN', principal: { service: 'mcp-tools', username: 'service:mcp-tools', accountId: MCP_TOOLS_ACCOUNT, role: 'trader', scopes: ['trade'] } },
  { variable: 'TRADING_AGENT_TOKEN', principal: { service: 'trading-agent', username: 'service:trading-agent', accountId: 'service:trading-agent', role: 'trader', scopes: ['arena'] } },
];

/** The service principal whose credential `token` is (each compared in constant time), if any. */
export function serviceCallerOf(config: Record<ServiceCredential['variable'], string>): (token: string | undefined) => ServicePrincipal | undefined {
  return (token) => serviceCredentials.find(({ variable }) => sameSecret(token, config[variable]))?.principal;
}

/** Whether `caller` is a service credential holding `scope`. */
export const holdsScope = (caller: Principal, scope: ServiceScope): boolean => (caller as Partial<ServicePrincipal>).scopes?.includes(scope) === true;

/**
 * Refuses (403) a service credential what its scopes do not grant (`scope` undefined: nothing
 * grants it); a user's credential passes, its role decides. `action` says what was refused.
 */
export function admitServiceScope(caller: Principal, scope: string | undefined, action: string): void {
  const { service, scopes } = caller as Partial<ServicePrincipal>;
  if (!service || (scope && scopes?.includes(scope as ServiceScope))) return;
  const rule = scope ? `must be a credential whose scopes include ${scope}` : 'must be a user credential: no service credential is granted this';
  throw new HttpError(403, {
    error: 'forbidden',
    message: `the ${service} service credential may not ${action}: it grants ${scopes?.join(', ')} only`,
    details: [{ field: 'headers.authorization', rule }],
  });
}
