import { DEFAULT_MARKET, MARKET_HEADER, type PostedSignal, type Signal } from '@tradeyard/gateway-contract';
import { HttpError } from '@tradeyard/service-kit';
import type { FastifyPluginAsync } from 'fastify';
import fp from 'fastify-plugin';
import type { Principal } from '../../auth';
import { admitServiceScope } from '../../service-credentials';
import { refuseScannerRuleClaims } from '../../signal-authorship';
import { insertSignals } from '../../signal-store';

declare module 'fastify' {
  interface FastifyInstance {
    /**
     * Stores the caller's signals (each id of theirs once, recording who posted them) once it may
     * post them, and wakes the relay for the new ones; answers the new ones. `fieldOf` names a
     * signal in a refusal. REST and the lockstep acknowledgement both store through it.
     */
    storeSignals(signals: readonly PostedSignal[], caller: Principal, fieldOf: (index: number) => string, market?: string): Promise<Signal[]>;
  }
}

/**
 * A simulated market's signals are its run's, computed by the runner (an admin's credential) with
 * the scanner's rules: nobody else posts there, so an agent cannot plant signals the others read.
 */
function refuseOthersInSimulatedMarket(caller: Principal, market: string): void {
  if (caller.role === 'admin') return;
  throw new HttpError(403, {
    error: 'forbidden',
    message: `market ${market} is a simulated market: its signals are its run's, posted by an admin's credential`,
    details: [{ field: `headers.${MARKET_HEADER}`, rule: 'must name the default market (or be omitted) for a credential other than an admin' }],
  });
}

const registerSignals: FastifyPluginAsync = async (app) => {
  const { db, relay } = app;
  app.decorate('storeSignals', async (signals: readonly PostedSignal[], caller: Principal, fieldOf: (index: number) => string, market = DEFAULT_MARKET) => {
    admitServiceScope(caller, 'signals', 'post signals');
    if (market === DEFAULT_MARKET) refuseScannerRuleClaims(caller, signals, fieldOf);
    else refuseOthersInSimulatedMarket(caller, market);
    if (app.markets.isArchived(market)) throw new HttpError(409, { error: 'conflict', message: `market ${market} is archived: it takes no new signals` });
    const stored = await insertSignals(db, signals, caller.username, market);
    if (stored.length) relay.nudge();
    return stored;
  });
};

export const signalsPlugin = fp(registerSignals, { name: 'signals', fastify: '5.x', dependencies: ['bus', 'market'] });
