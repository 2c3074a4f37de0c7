import { BrokerError } from '@tradeyard/fill-engine';
import { formatMicros, toMicros } from '@tradeyard/money';
import { CURRENCY, type BrokerContext } from './context';
import { DEFAULT_MARKET, openAccountIn } from './markets';
import { accountConfigSchema, type AccountConfig } from './protections';
import { UnitOfWork } from './unit-of-work';

/** Opens an account with the starting cash in `market` (default: the default market) unless it exists (markets.ts openAccountIn). */
export async function ensureAccount(ctx: BrokerContext, accountId: string, market = DEFAULT_MARKET): Promise<void> {
  await openAccountIn(ctx.db, accountId, market, formatMicros(toMicros(ctx.settings.startingCash)), CURRENCY);
}

/**
 * Sets an account's short selling, borrow rate and protections (src/protections.ts); fields
 * not given keep their value. Bad values are refused naming the field. Returns the whole config.
 */
export async function configureAccount(ctx: BrokerContext, accountId: string, input: unknown): Promise<AccountConfig> {
  const parsed = accountConfigSchema.safeParse(input);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    const field = issue.path.join('.') || (issue.code === 'unrecognized_keys' ? issue.keys.join(', ') : 'body');
    throw new BrokerError('invalid', 'validation_failed', `${field}: ${issue.message}`, field);
  }
  // Operator policy wins: no account, whoever asks, opts into what ALLOW_SHORT=false forbids.
  if (parsed.data.allowShort && !ctx.settings.allowShort) {
    throw new BrokerError('invalid', 'validation_failed', "allowShort: must not be true: the operator's policy (ALLOW_SHORT=false) forbids short selling on every account", 'allowShort');
  }
  await ensureAccount(ctx, accountId);
  return ctx.db.transaction(async (tx) => {
    const work = await UnitOfWork.open(tx, { accounts: [accountId], allowShort: ctx.settings.allowShort, trading: false });
    const config = { ...work.book(accountId).account.config, ...parsed.data };
    await tx.query('UPDATE accounts SET config = $2 WHERE id = $1', [accountId, JSON.stringify(config)]);
    return config;
  });
}

export async function accountConfig(ctx: BrokerContext, accountId: string): Promise<AccountConfig> {
  const [row] = await ctx.db.query('SELECT config FROM accounts WHERE id = $1', [accountId]);
  if (!row) throw new BrokerError('not_found', 'not_found', `no paper account ${accountId}`);
  return accountConfigSchema.parse(typeof row.config === 'string' ? JSON.parse(row.config) : row.config);
}
