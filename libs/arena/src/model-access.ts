import { isIP } from 'node:net';

/**
 * The platform's own secrets, by environment variable: no arena agent's apiKeyVar may name one,
 * whatever the operator's allow-list says, so no model endpoint ever receives one.
 */
export const PLATFORM_SECRET_VARS: readonly string[] = [
  'JWT_SECRET',
  'ADMIN_PASSWORD',
  'SCANNER_TOKEN',
  'MCP_TOOLS_TOKEN',
  'TRADING_AGENT_TOKEN',
  'MCP_AUTH_TOKEN',
  'DATABASE_URL',
  'REDIS_URL',
  'ALPHAVANTAGE_API_KEY',
];

/** What an LLM agent's config may reach: the operator's ARENA_API_KEY_VARS and ARENA_MODEL_HOSTS, and the platform's own addresses. */
export interface ModelAccessPolicy {
  /** Variables an apiKeyVar may name (ARENA_API_KEY_VARS); unset: any name ending in _API_KEY. Never a platform secret. */
  apiKeyVars?: readonly string[];
  /** Hosts a baseUrl may name, `host` (any port) or `host:port` (ARENA_MODEL_HOSTS); unset: any public host and loopback. */
  modelHosts?: readonly string[];
  /** URLs of the platform's services (gateway, MCP tools, the trading agent itself): a baseUrl never names one of their addresses. */
  platformUrls: readonly string[];
}

interface Address {
  host: string;
  port: string;
}

const DEFAULT_PORTS: Record<string, string> = { 'http:': '80', 'https:': '443' };

/** A URL's host and port as WHATWG URL normalizes them (lowercase, IPv4 in dotted form, IPv6 without brackets, the default port filled in). */
function addressOf(url: string): Address {
  const parsed = new URL(url);
  return { host: parsed.hostname.replace(/^\[|\]$/g, ''), port: parsed.port || DEFAULT_PORTS[parsed.protocol] || '' };
}

/** An IPv4-mapped IPv6 address (::ffff:7f00:1, as URL writes ::ffff:127.0.0.1) as its IPv4 address. */
function unmapped(host: string): string {
  const mapped = /^::ffff:([0-9a-f]{1,4}):([0-9a-f]{1,4})$/.exec(host);
  if (!mapped) return host;
  const [high, low] = [parseInt(mapped[1], 16), parseInt(mapped[2], 16)];
  return [high >> 8, high & 255, low >> 8, low & 255].join('.');
}

const ipv4Octets = (host: string) => host.split('.').map(Number);

/** Names and addresses of this machine: a connection to any of them reaches the same listeners. */
function isLoopback(rawHost: string): boolean {
  const host = unmapped(rawHost);
  if (host === 'localhost' || host.endsWith('.localhost') || host === '::1' || host === '::') return true;
  return isIP(host) === 4 && (ipv4Octets(host)[0] === 127 || host === '0.0.0.0');
}

/** Addresses and names that only mean something inside a network: private, link-local (cloud metadata), carrier-grade NAT, unique-local IPv6, single-label and .internal/.local names (compose and cluster services). */
function isInternal(rawHost: string): boolean {
  const host = unmapped(rawHost);
  const version = isIP(host);
  if (version === 4) {
    const [a, b] = ipv4Octets(host);
    return a === 0 || a === 10 || (a === 172 && b >= 16 && b <= 31) || (a === 192 && b === 168) || (a === 169 && b === 254) || (a === 100 && b >= 64 && b <= 127);
  }
  if (version === 6) return /^f[cd]/.test(host) || /^fe[89ab]/.test(host);
  return !host.includes('.') || /\.(internal|local|lan|home\.arpa)$/.test(host);
}

/** Two addresses reach the same listener: same port, and the same host or both this machine. */
const sameListener = (a: Address, b: Address) => a.port === b.port && (a.host === b.host || (isLoopback(a.host) && isLoopback(b.host)));

/** An operator's ARENA_MODEL_HOSTS entry (`host` or `host:port`, IPv6 in brackets) matches the address. */
function matchesHostEntry(entry: string, address: Address): boolean {
  const { host, port } = addressOf(`http://${entry}`);
  const portGiven = /:\d+$/.test(entry);
  return host === address.host && (!portGiven || port === address.port);
}

/** Why an apiKeyVar is refused, or undefined when the policy allows it. */
export function apiKeyVarRefusal(name: string, policy: ModelAccessPolicy): string | undefined {
  if (PLATFORM_SECRET_VARS.includes(name)) return `must not name a platform secret (${PLATFORM_SECRET_VARS.join(', ')})`;
  if (policy.apiKeyVars) return policy.apiKeyVars.includes(name) ? undefined : `must be one of the operator's ARENA_API_KEY_VARS: ${policy.apiKeyVars.join(', ') || '(none)'}`;
  return name.endsWith('_API_KEY') ? undefined : 'must end in _API_KEY (the operator may allow other names with ARENA_API_KEY_VARS)';
}

/**
 * Why a baseUrl is refused, or undefined when the policy allows it. Hosts are compared as the URL
 * writes them, never resolved: a public name whose DNS answers a private address passes the
 * default, so an operator who must close that lists the model hosts in ARENA_MODEL_HOSTS.
 */
export function baseUrlRefusal(baseUrl: string, policy: ModelAccessPolicy): string | undefined {
  const address = addressOf(baseUrl);
  if (policy.platformUrls.some((url) => sameListener(addressOf(url), address))) return 'must not be an address of the platform\'s own services (gateway, MCP tools, trading agent)';
  if (policy.modelHosts) return policy.modelHosts.some((entry) => matchesHostEntry(entry, address)) ? undefined : `must be on a host of the operator's ARENA_MODEL_HOSTS: ${policy.modelHosts.join(', ') || '(none)'}`;
  return isInternal(address.host) && !isLoopback(address.host) ? 'must be a public host or loopback (the operator may allow others with ARENA_MODEL_HOSTS)' : undefined;
}

/** Parses a comma-separated operator list; empty entries are dropped. */
export const commaList = (text: string) => text.split(',').map((s) => s.trim()).filter(Boolean);
