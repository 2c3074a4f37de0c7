import { migrate, openDatabase, type Database } from '@tradeyard/persistence';
import { Broker } from './broker';
import { gatewayMigrations } from './schema';

describe('migration 003_order_lifecycle on an existing ledger', () => {
  let db: Database;
  afterAll(() => db?.close());

  it('maps old statuses, reserves resting orders, restates realized P&L with fees, and keeps the ledger identity', async () => {
    db = await openDatabase({});
    await migrate(db, gatewayMigrations.slice(0, 2));
    // An account that bought 10 at 100 (fee 1) and sold 4 at 110 (fee 1), with one resting
    // order of each side, one refused and one cancelled order, as the old broker stored them.
    await db.query(`INSERT INTO accounts (id, initial_cash, cash) VALUES ('old', 10000, 9438)`);
    const order = (id: string, side: string, type: string, quantity: number, limit: number | null, status: string) =>
      db.query(`INSERT INTO orders (id, account_id, symbol, side, type, quantity, limit_price, status) VALUES ($1, 'old', 'SPX', $2, $3, $4, $5, $6)`, [
        id, side, type, quantity, limit, status,
      ]);
    await order('00000000-0000-4000-8000-000000000001', 'buy', 'market', 10, null, 'filled');
    await order('00000000-0000-4000-8000-000000000002', 'sell', 'market', 4, null, 'filled');
    await order('00000000-0000-4000-8000-000000000003', 'buy', 'limit', 2, 50, 'new');
    await order('00000000-0000-4000-8000-000000000004', 'sell', 'limit', 3, 200, 'new');
    await order('00000000-0000-4000-8000-000000000005', 'buy', 'market', 1000, null, 'rejected');
    await order('00000000-0000-4000-8000-000000000006', 'buy', 'limit', 1, 10, 'cancelled');
    // The old broker stored a filled order's quantity and its average price (a price slightly off the fill's, as averages of rounded notionals were).
    await db.query(`UPDATE orders SET filled_quantity = quantity, avg_fill_price = CASE side WHEN 'buy' THEN 100.000001 ELSE 109.999999 END WHERE status = 'filled'`);
    await db.query(`INSERT INTO fills (id, order_id, account_id, symbol, side, quantity, price, fee, time) VALUES
      ('10000000-0000-4000-8000-000000000001', '00000000-0000-4000-8000-000000000001', 'old', 'SPX', 'buy', 10, 100, 1, 1),
      ('10000000-0000-4000-8000-000000000002', '00000000-0000-4000-8000-000000000002', 'old', 'SPX', 'sell', 4, 110, 1, 2)`);
    await db.query(`INSERT INTO positions (account_id, symbol, quantity, avg_price, realized_pnl) VALUES ('old', 'SPX', 6, 100, 40)`);

    // Every migration from 003 on runs over the old ledger (later ones included, as on a real upgrade).
    expect(await migrate(db, gatewayMigrations)).toEqual(gatewayMigrations.map((m) => m.id).filter((id) => id >= '003'));
    const broker = new Broker(db, { price: () => ({ price: 120, time: 3 }) }, { startingCash: 10_000, feeBps: 0, feeFixed: 1, slippageBps: 0, maxOrderNotional: 0, maxPositionNotional: 0, allowShort: false });
    const orders = await broker.listOrders('old');
    expect(Object.fromEntries(orders.map((o) => [o.id.slice(-1), [o.status, o.reasonCode]]))).toEqual({
      '1': ['filled', null], '2': ['filled', null], '3': ['accepted', null], '4': ['accepted', null], '5': ['rejected', 'migrated_legacy'], '6': ['cancelled', 'cancelled_by_account'],
    });
    // 010 restates each order's exact fill value from its fills: the averages are the fill prices, not the stored ones.
    expect(Object.fromEntries(orders.map((o) => [o.id.slice(-1), o.avgFillPrice]))).toEqual({ '1': 100, '2': 110, '3': null, '4': null, '5': null, '6': null });
    const portfolio = await broker.portfolio('old');
    expect(portfolio).toMatchObject({ cash: 9438, feesPaid: 2, realizedPnl: 38, unrealizedPnl: 120, equity: 10_158 });
    expect(portfolio.equity).toBe(portfolio.initialCash + portfolio.realizedPnl + portfolio.unrealizedPnl);
    expect(await broker.recompute('old')).toEqual(await broker.storedState('old'));
    // The resting sell holds its 3 shares: only 3 of the 6 are free to sell.
    const sell = await broker.placeOrder('old', { symbol: 'SPX', side: 'sell', type: 'limit', quantity: 4, limitPrice: 300 });
    expect(sell.order.reasonCode).toBe('denied_insufficient_position');
    expect((await broker.cancelOrder('old', '00000000-0000-4000-8000-000000000004')).status).toBe('cancelled');
  });
});
