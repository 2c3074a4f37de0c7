import type { GatewayClient } from '@tradeyard/gateway-contract';
import { isoDate, type Bar } from '@tradeyard/market-data';

/** The most bars GET /bars answers at once (barsQuerySchema's limit). */
const PAGE = 10_000;

/**
 * Every bar of a symbol opening between the dates (inclusive; either open-ended), oldest first, as
 * the gateway serves them at the clock: it releases no bar after the clock, so a caller that needs
 * bars ahead of the run (its length, the probe's series) moves the clock there first (peekAt). Pages
 * backwards because /bars answers the latest `limit` bars of a range.
 */
export async function barsBetween(admin: GatewayClient, symbol: string, from?: string, to?: string): Promise<Bar[]> {
  const pages: Bar[][] = [];
  let before = Infinity;
  let upTo = to;
  for (;;) {
    const served = await admin.getBars(symbol, { from, to: upTo, limit: PAGE });
    const page = served.filter((bar) => bar.time < before);
    pages.unshift(page);
    if (served.length < PAGE || page.length === 0) break;
    before = page[0].time;
    upTo = isoDate(before);
  }
  return pages.flat();
}

/**
 * Pauses the clock and restarts it at `date` (the last bar when it is beyond the data), so the
 * gateway serves the bars up to there. Only the runner reads them, before any agent's turn: every
 * run restarts the clock at its own `from` before its first step.
 */
export async function peekAt(admin: GatewayClient, date: string): Promise<void> {
  await admin.controlClock({ action: 'pause' });
  await admin.controlClock({ action: 'restart', startDate: date, endDate: date });
}
