import { BrokerError } from '@tradeyard/fill-engine';
import { DEFAULT_MARKET } from '@tradeyard/gateway-contract';
import type { Database } from '@tradeyard/persistence';
import type { PriceSource } from './context';
import type { AccountBook } from './unit-of-work';

// The market every account belongs to unless opened in another (the contract's).
export { DEFAULT_MARKET };

/**
 * Markets as the broker sees them: each account trades in one market (accounts.market_id, the
 * default market unless it was opened in another) at that market's prices alone, so an arena's
 * fills never touch the default market's accounts and its prices never reach theirs.
 */

/**
 * The prices of every market the broker serves, by market id: undefined for a market it does not
 * serve (unknown or archived).
 */
export type MarketPrices = (market: string) => PriceSource | undefined;

/** A broker given one price source serves one market: every account trades at it. */
export function pricesOfMarkets(prices: PriceSource | MarketPrices): (market: string) => PriceSource {
  const of: MarketPrices = typeof prices === 'function' ? prices : () => prices;
  return (market) => {
    const source = of(market);
    if (!source) throw new BrokerError('not_found', 'market_not_found', `market ${market} is not open for trading (unknown or archived)`);
    return source;
  };
}

/** Accounts whose market is remembered at most; past it the memory starts over (a lookup is one indexed read). */
const MAX_REMEMBERED_ACCOUNTS = 10_000;

/** The market of an account, read once per account: an account never changes market. An account not yet opened is the default market's. */
export function accountMarkets(db: Database): (accountId: string) => Promise<string> {
  const known = new Map<string, string>();
  return async (accountId) => {
    const remembered = known.get(accountId);
    if (remembered !== undefined) return remembered;
    const [row] = await db.query<{ market_id: string }>('SELECT market_id FROM accounts WHERE id = $1', [accountId]);
    if (!row) return DEFAULT_MARKET;
    if (known.size >= MAX_REMEMBERED_ACCOUNTS) known.clear();
    known.set(accountId, row.market_id);
    return row.market_id;
  };
}

/**
 * Opens an account in `market` with the starting cash, unless it exists; one that exists in
 * another market is refused (an account trades in one market for its whole life).
 */
export async function openAccountIn(db: Database, accountId: string, market: string, startingCash: string, currency: string): Promise<void> {
  const [row] = await db.query<{ market_id: string }>(
    `WITH opened AS (INSERT INTO accounts (id, initial_cash, cash, currency, market_id) VALUES ($1, $2, $2, $3, $4) ON CONFLICT (id) DO NOTHING RETURNING market_id)
     SELECT market_id FROM opened UNION ALL SELECT market_id FROM accounts WHERE id = $1`,
    [accountId, startingCash, currency, market],
  );
  if (row && row.market_id !== market) {
    throw otherMarket(accountId, row.market_id, market);
  }
}

/** The account's book when it trades in `market` (the market an order was priced in); else a conflict, before anything changed. */
export function inMarket(book: AccountBook, market: string): AccountBook {
  if (book.account.market === market) return book;
  throw otherMarket(book.account.id, book.account.market, market);
}

/** A refusal of one placement of a batch made before it changed anything: the rest of the batch goes on. */
export const refusedBeforeAnyChange = (error: unknown): boolean =>
  error instanceof BrokerError && (error.kind === 'idempotency_mismatch' || error.code === 'account_in_other_market');

const otherMarket = (accountId: string, itsMarket: string, market: string) =>
  new BrokerError('conflict', 'account_in_other_market', `account ${accountId} trades in market ${itsMarket}, not ${market}: an account belongs to one market`);
