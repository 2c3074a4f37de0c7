import type { GatewayClient } from '@tradeyard/gateway-contract';
import { isoDate, type Bar } from '@tradeyard/market-data';

/** The most bars GET /bars answers at once (barsQuerySchema's limit). */
const PAGE = 10_000;

/**
 * Every bar of a symbol opening between the dates (inclusive; either open-ended), oldest first, as
 * the gateway serves them at the clock of the client's market: it releases no bar after that clock.
 * Pages backwards because /bars answers the latest `limit` bars of a range.
 */
export async function barsBetween(client: GatewayClient, symbol: string, from?: string, to?: string): Promise<Bar[]> {
  const pages: Bar[][] = [];
  let before = Infinity;
  let upTo = to;
  for (;;) {
    const served = await client.getBars(symbol, { from, to: upTo, limit: PAGE });
    const page = served.filter((bar) => bar.time < before);
    pages.unshift(page);
    if (served.length < PAGE || page.length === 0) break;
    before = page[0].time;
    upTo = isoDate(before);
  }
  return pages.flat();
}

/** Before any history the platform serves, and after all of it. */
const EVER = { from: '1900-01-01', to: '9999-12-31' };

/**
 * Every bar of each symbol (the probe's series lie beyond the real history), read from a market of
 * the runner's own over all of history whose clock it moves to the end, then archives: the bars
 * ahead of a run are never read off a clock anyone else watches.
 */
export async function wholeSeries(admin: GatewayClient, symbols: string[]): Promise<Bar[][]> {
  const peek = await admin.createMarket({ name: `peek ${symbols.join(' ')}`.slice(0, 80), symbols, ...EVER });
  try {
    const inPeek = admin.inMarket(peek.id);
    await inPeek.controlClock({ action: 'restart', startDate: EVER.to, endDate: EVER.to });
    return await Promise.all(symbols.map((symbol) => barsBetween(inPeek, symbol)));
  } finally {
    await admin.archiveMarket(peek.id);
  }
}
