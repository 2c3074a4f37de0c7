import { API_TOKEN_PREFIX, type ApiToken, type ApiTokenCreated, type ApiTokenRequest, type Role } from '@tradeyard/gateway-contract';
import type { Database } from '@tradeyard/persistence';
import { admitRole, HttpError, roleReaches, validationFailed } from '@tradeyard/service-kit';
import { createHash, randomBytes, randomUUID } from 'node:crypto';
import type { Principal } from './auth';
import type { ServiceName, ServiceScope } from './service-credentials';

/** A credential's principal as the gateway's routes see it (request.caller). */
export interface GatewayCaller extends Principal {
  /** Set for a service credential's caller: which service (service-credentials.ts), and its scopes. */
  service?: ServiceName;
  scopes?: readonly ServiceScope[];
  /** Set for an API token's caller: which token. */
  tokenId?: string;
  [claim: string]: unknown;
}

/** How long a verified token is taken on trust before the database is asked again (revocations on another replica take this long). */
const CACHE_MS = 5000;
const CACHE_MAX = 10_000;

type TokenRow = {
  id: string;
  label: string;
  username: string;
  account_id: string;
  role: Role;
  created_at: Date | string;
  expires_at: Date | string | null;
  revoked_at: Date | string | null;
};

const iso = (value: Date | string | null) => (value === null ? null : new Date(value).toISOString());
const toApiToken = (row: TokenRow): ApiToken => ({
  id: row.id,
  label: row.label,
  username: row.username,
  accountId: row.account_id,
  role: row.role,
  createdAt: iso(row.created_at)!,
  expiresAt: iso(row.expires_at),
  revokedAt: iso(row.revoked_at),
});
const digest = (token: string) => createHash('sha256').update(token).digest('hex');

/**
 * API tokens in the gateway's database: made, listed and revoked per user, verified by their
 * SHA-256 (the secret itself is never stored). Verified tokens are kept CACHE_MS so that a busy
 * MCP client costs no query per request.
 */
export class ApiTokenStore {
  private readonly cache = new Map<string, { caller: GatewayCaller | undefined; until: number }>();

  constructor(private readonly db: Database) {}

  /** A new token acting as `owner` (its role capped by the owner's), bound to `accountId`. */
  async create(owner: Principal, accountId: string, request: ApiTokenRequest): Promise<ApiTokenCreated> {
    const role = request.role ?? owner.role;
    if (!roleReaches(owner.role, role)) {
      throw new HttpError(400, validationFailed([{ field: 'body.role', rule: `must be at most the owner's role (${owner.role})` }]));
    }
    const token = `${API_TOKEN_PREFIX}${randomBytes(32).toString('base64url')}`;
    const expiresAt = request.expiresInSeconds === undefined ? null : new Date(Date.now() + request.expiresInSeconds * 1000).toISOString();
    const [row] = await this.db.query<TokenRow>(
      `INSERT INTO api_tokens (id, token_hash, label, username, account_id, role, expires_at) VALUES ($1, $2, $3, $4, $5, $6, $7)
       RETURNING id, label, username, account_id, role, created_at, expires_at, revoked_at`,
      [randomUUID(), digest(token), request.label, owner.username, accountId, role, expiresAt],
    );
    return { ...toApiToken(row), token };
  }

  /** The tokens acting as `username`, or every token (admin), newest first. */
  async list(username?: string): Promise<ApiToken[]> {
    const rows = await this.db.query<TokenRow>(
      `SELECT id, label, username, account_id, role, created_at, expires_at, revoked_at FROM api_tokens
       ${username === undefined ? '' : 'WHERE username = $1'} ORDER BY created_at DESC LIMIT 1000`,
      username === undefined ? [] : [username],
    );
    return rows.map(toApiToken);
  }

  /** Revokes token `id` if `by` may (its owner, or an admin); 404 otherwise, so others' token ids stay unknown. */
  async revoke(id: string, by: Principal): Promise<ApiToken> {
    const [row] = await this.db.query<TokenRow>(
      `UPDATE api_tokens SET revoked_at = COALESCE(revoked_at, now()) WHERE id = $1 AND ($2 OR username = $3)
       RETURNING id, label, username, account_id, role, created_at, expires_at, revoked_at, token_hash`,
      [id, by.role === 'admin', by.username],
    );
    if (!row) throw new HttpError(404, { error: 'not_found', message: `no API token ${id} of yours; GET /api/v1/tokens lists them` });
    this.cache.delete((row as TokenRow & { token_hash: string }).token_hash);
    return toApiToken(row);
  }

  /** The principal of an existing user (an admin making a token for them); 404 naming the user otherwise. */
  async userPrincipal(username: string): Promise<Principal> {
    const [user] = await this.db.query<{ username: string; role: Role }>('SELECT username, role FROM users WHERE username = $1', [username]);
    if (!user) throw new HttpError(404, { error: 'not_found', message: `no user ${username}` });
    return { username: user.username, role: user.role, accountId: user.username };
  }

  /** Revokes every token bound to `accountId` (an arena run's agents, when it ends). */
  async revokeAccount(accountId: string): Promise<void> {
    await this.db.query('UPDATE api_tokens SET revoked_at = now() WHERE account_id = $1 AND revoked_at IS NULL', [accountId]);
    this.cache.clear();
  }

  /** The caller an API token acts as, or undefined when it is unknown, revoked or expired. */
  async caller(token: string): Promise<GatewayCaller | undefined> {
    const hash = digest(token);
    const cached = this.cache.get(hash);
    if (cached && cached.until > Date.now()) return cached.caller;
    const [row] = await this.db.query<TokenRow>(
      `SELECT id, label, username, account_id, role, created_at, expires_at, revoked_at FROM api_tokens
       WHERE token_hash = $1 AND revoked_at IS NULL AND (expires_at IS NULL OR expires_at > now())`,
      [hash],
    );
    const caller = row && { username: row.username, role: row.role, accountId: row.account_id, tokenId: row.id };
    if (this.cache.size >= CACHE_MAX) this.cache.clear();
    this.cache.set(hash, { caller, until: Date.now() + CACHE_MS });
    return caller;
  }

  /** Admits an API token for a route needing `role`, or throws 401/403 saying why not. */
  async admit(token: string, role: Role): Promise<GatewayCaller> {
    const caller = await this.caller(token);
    if (!caller) throw new HttpError(401, { error: 'unauthorized', message: 'invalid, expired or revoked API token' });
    return admitRole(caller, role);
  }
}
