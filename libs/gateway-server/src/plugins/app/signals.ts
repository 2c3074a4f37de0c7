import type { PostedSignal, Signal } from '@tradeyard/gateway-contract';
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
    storeSignals(signals: readonly PostedSignal[], caller: Principal, fieldOf: (index: number) => string): Promise<Signal[]>;
  }
}

const registerSignals: FastifyPluginAsync = async (app) => {
  const { db, relay } = app;
  app.decorate('storeSignals', async (signals: readonly PostedSignal[], caller: Principal, fieldOf: (index: number) => string) => {
    admitServiceScope(caller, 'signals', 'post signals');
    refuseScannerRuleClaims(caller, signals, fieldOf);
    const stored = await insertSignals(db, signals, caller.username);
    if (stored.length) relay.nudge();
    return stored;
  });
};

export const signalsPlugin = fp(registerSignals, { name: 'signals', fastify: '5.x', dependencies: ['bus'] });
