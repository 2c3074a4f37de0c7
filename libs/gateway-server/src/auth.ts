import type { Role } from '@tradeyard/gateway-contract';
import type { Database } from '@tradeyard/persistence';
import type { FastifyRequest } from 'fastify';
import { randomBytes, scrypt as scryptCallback, timingSafeEqual } from 'node:crypto';
import { promisify } from 'node:util';

const scrypt = promisify(scryptCallback) as (password: string, salt: Buffer, keylen: number, options: object) => Promise<Buffer>;
// scrypt with N=2^15, r=8: about 50 ms per hash here, slow enough against guessing.
const SCRYPT = { N: 32768, r: 8, p: 1, maxmem: 64 * 1024 * 1024 };

export async function hashPassword(password: string): Promise<string> {
  const salt = randomBytes(16);
  const hash = await scrypt(password, salt, 32, SCRYPT);
  return `scrypt$${salt.toString('base64')}$${hash.toString('base64')}`;
}

export async function verifyPassword(password: string, stored: string): Promise<boolean> {
  const [scheme, salt, hash] = stored.split('$');
  if (scheme !== 'scrypt' || !salt || !hash) return false;
  const expected = Buffer.from(hash, 'base64');
  const actual = await scrypt(password, Buffer.from(salt, 'base64'), expected.length, SCRYPT);
  return timingSafeEqual(actual, expected);
}

/** Who is calling: a logged-in user (their paper account is their username), an API token's or a service's principal. */
export interface Principal {
  username: string;
  role: Role;
  accountId: string;
}

/** The caller the kit's route auth admitted (a role route always has one), as the gateway's principal. */
export const principalOf = (request: FastifyRequest): Principal => request.caller as unknown as Principal;

export async function ensureUser(db: Database, username: string, password: string, role: Role): Promise<boolean> {
  const rows = await db.query('INSERT INTO users (username, password_hash, role) VALUES ($1, $2, $3) ON CONFLICT (username) DO NOTHING RETURNING username', [
    username,
    await hashPassword(password),
    role,
  ]);
  return rows.length > 0;
}

/** A hash (same scrypt parameters) of a random password nobody knows: unknown users are checked against it. */
const UNKNOWN_USER_HASH = 'scrypt$3j3/t9fMlJJmUjT78B/CwQ==$ktfMK1PuFTJRyEKpoqudfZiKE9d71sae0YUPMzlqE04=';

export async function checkLogin(db: Database, username: string, password: string): Promise<Principal | undefined> {
  const [user] = await db.query<{ username: string; password_hash: string; role: Role }>('SELECT username, password_hash, role FROM users WHERE username = $1', [username]);
  // Exactly one KDF run whether or not the user exists, so response time does not reveal which names exist.
  const ok = await verifyPassword(password, user?.password_hash ?? UNKNOWN_USER_HASH);
  return user && ok ? { username: user.username, role: user.role, accountId: user.username } : undefined;
}
