import type { GatewayError } from '@tradeyard/gateway-contract';
import { startTestGateway, type TestGateway } from './test-gateway';

// The operator's short-selling policy and the margin of shorts, against the real gateway: what
// ALLOW_SHORT forbids no account setting allows, and a short needs margin.
const refusal = (promise: Promise<unknown>) => promise.then(() => undefined, (err: GatewayError) => ({ status: err.status, body: err.body }));

describe('short selling: the operator policy wins and shorts need margin', () => {
  describe('with ALLOW_SHORT unset (false)', () => {
    let gateway: TestGateway;
    beforeAll(async () => {
      gateway = await startTestGateway();
    }, 120_000);
    afterAll(() => gateway.close());

    it('refuses a trader opting into short selling with a 400 naming body.allowShort and the policy, and denies the short', async () => {
      const trader = await gateway.trader('shorter');
      const rule = "allowShort: must not be true: the operator's policy (ALLOW_SHORT=false) forbids short selling on every account";
      expect(await refusal(trader.updateAccountSettings({ allowShort: true }))).toEqual({
        status: 400, body: { error: 'validation_failed', message: rule, details: [{ field: 'body.allowShort', rule }] },
      });
      expect(await trader.getAccountSettings()).toEqual({});
      // An admin's own account is no exception.
      const { admin } = await gateway.signedIn();
      expect(await refusal(admin.updateAccountSettings({ allowShort: true }))).toMatchObject({ status: 400 });
      expect(await trader.placeOrder({ symbol: 'SPX', side: 'sell', quantity: 1000 })).toMatchObject({ status: 'denied', reasonCode: 'denied_insufficient_position', filledQuantity: 0 });
      expect((await trader.getPortfolio()).positions).toEqual([]);
    });
  });

  describe('with ALLOW_SHORT=true', () => {
    let gateway: TestGateway;
    beforeAll(async () => {
      gateway = await startTestGateway({ env: { ALLOW_SHORT: 'true' } });
    }, 120_000);
    afterAll(() => gateway.close());

    it('denies a short beyond the initial margin with denied_margin and fills one within it', async () => {
      const trader = await gateway.trader('margined');
      const { initialCash } = await trader.getPortfolio();
      const { price } = await gateway.client.getQuote('SPX');
      // The reproduction: 1,000 SPX on a 100,000 account is many times what its equity carries.
      expect(await trader.placeOrder({ symbol: 'SPX', side: 'sell', quantity: 1000 })).toMatchObject({ status: 'denied', reasonCode: 'denied_margin', filledQuantity: 0 });
      // Half the equity carries the short at 50 % initial margin: the short value stays at most twice the equity.
      const within = Math.floor(initialCash / price);
      expect(await trader.placeOrder({ symbol: 'SPX', side: 'sell', quantity: within })).toMatchObject({ status: 'filled' });
      expect(await trader.placeOrder({ symbol: 'SPX', side: 'sell', quantity: within + 2 })).toMatchObject({ status: 'denied', reasonCode: 'denied_margin' });
    });

    it('lets a trader opt out', async () => {
      const trader = await gateway.trader('cautious');
      expect(await trader.updateAccountSettings({ allowShort: false })).toEqual({ allowShort: false });
      expect(await trader.placeOrder({ symbol: 'SPX', side: 'sell', quantity: 1 })).toMatchObject({ status: 'denied', reasonCode: 'denied_insufficient_position' });
    });
  });
});
