import { z } from 'zod';
import { arenaAccountIdSchema } from './arena';
import { marketIdSchema } from './markets';
import { roleSchema, validText } from './schemas';

/**
 * API tokens: long-lived credentials a user makes for one program (an MCP client such as Claude
 * Desktop, a script), each acting as that user with at most the user's role, listed and revoked
 * one by one. An admin also makes them for an arena agent's account (`account`): valid for that
 * account alone, so an agent can trade only its own. The secret is shown once, at creation; the
 * gateway keeps only its SHA-256.
 */
export const API_TOKEN_PREFIX = 'tyk_';

/** Longest life of an API token: a year. */
export const API_TOKEN_MAX_SECONDS = 365 * 24 * 3600;

export const apiTokenRequestSchema = z
  .object({
    label: validText().trim().min(1).max(80).describe('What the token is for, e.g. "claude desktop"'),
    role: roleSchema.optional().describe("At most the owner's role (default: the owner's role)"),
    expiresInSeconds: z.number().int().min(60).max(API_TOKEN_MAX_SECONDS).optional().describe('Default: no expiry (revoke it when done)'),
    username: validText().min(1).max(100).optional().describe('Admin only: the user the token acts as (default: yourself)'),
    account: arenaAccountIdSchema.optional().describe("Admin only: an arena agent's account the token is bound to (role trader)"),
    market: marketIdSchema.optional().describe('With account: the market the account is opened in (default: the default market); an account belongs to one market'),
  })
  .strict()
  .refine((r) => r.market === undefined || r.account !== undefined, { path: ['market'], message: 'must be given with account only: a user’s account lives in the default market' });
export type ApiTokenRequest = z.infer<typeof apiTokenRequestSchema>;

export const apiTokenSchema = z.object({
  id: z.string().uuid(),
  label: validText(),
  username: validText().describe('Whom it acts as'),
  accountId: validText().describe('The paper account it trades'),
  role: roleSchema,
  createdAt: validText(),
  expiresAt: validText().nullable(),
  revokedAt: validText().nullable(),
});
export type ApiToken = z.infer<typeof apiTokenSchema>;
export const apiTokenListSchema = z.array(apiTokenSchema);
export const apiTokenCreatedSchema = apiTokenSchema.extend({ token: validText().describe('The secret: shown this once') });
export type ApiTokenCreated = z.infer<typeof apiTokenCreatedSchema>;

/** Who a credential acts as (GET /api/v1/auth/me). */
export const whoAmISchema = z.object({
  username: validText(),
  role: roleSchema,
  accountId: validText(),
  credential: z.enum(['login', 'api-token', 'service']),
});
export type WhoAmI = z.infer<typeof whoAmISchema>;
