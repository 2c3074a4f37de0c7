import { GatewayClient, GatewayError } from '@tradeyard/gateway-contract';
import { startTestGateway, type TestGateway } from './test-gateway';

// Account settings over REST (GET/PUT /api/v1/account/settings) against the real gateway: the
// broker enforces what a PUT sets, on the caller's own account only.
const refusal = (promise: Promise<unknown>) => promise.then(() => undefined, (err: GatewayError) => ({ status: err.status, body: err.body }));

describe('account settings over REST', () => {
  let gateway: TestGateway;
  let admin: GatewayClient;
  let viewer: GatewayClient;
  beforeAll(async () => {
    gateway = await startTestGateway();
    ({ admin, viewer } = await gateway.signedIn());
  }, 120_000);
  afterAll(() => gateway.close());

  it('reads the settings of the caller’s account, none set at first', async () => {
    expect(await admin.getAccountSettings()).toEqual({});
    expect(await viewer.getAccountSettings()).toEqual({});
  });

  it('refuses a PUT from a viewer with 403 and without a token with 401', async () => {
    expect(await refusal(viewer.updateAccountSettings({ maxOpenPositions: 1 }))).toMatchObject({ status: 403, body: { error: 'forbidden' } });
    expect(await refusal(new GatewayClient({ baseUrl: gateway.url }).updateAccountSettings({ maxOpenPositions: 1 }))).toMatchObject({ status: 401 });
    expect(await viewer.getAccountSettings()).toEqual({});
  });

  it.each([
    [{ maxPositionShare: 2 }, 'body.maxPositionShare', 'must be at most 1'],
    [{ cooldownMinutes: 1.5 }, 'body.cooldownMinutes', 'must be a whole number'],
    [{ allowShort: 'yes' }, 'body.allowShort', 'must be true or false'],
    [{ borrowRateBps: -1 }, 'body.borrowRateBps', 'must be 0 or more'],
    [{ maxDrawdown: 0.2, leverage: 3 }, 'body', 'unknown field(s): leverage'],
  ])('answers PUT %j with a 400 naming %s', async (body, field, rule) => {
    const refused = await refusal(admin.request('PUT', '/account/settings', { body }));
    expect(refused).toEqual({ status: 400, body: { error: 'validation_failed', message: `${field}: ${rule}`, details: [{ field, rule }] } });
    expect(await admin.getAccountSettings()).toEqual({});
  });

  it('denies an order over the position share once a PUT enables the protection, with its code', async () => {
    const before = await admin.placeOrder({ symbol: 'SPX', side: 'buy', quantity: 10 });
    expect(before.status).toBe('filled');
    expect(await admin.updateAccountSettings({ maxPositionShare: 0.1 })).toEqual({ maxPositionShare: 0.1 });
    // A PUT keeps the fields it does not give.
    expect(await admin.updateAccountSettings({ maxOpenPositions: 5 })).toEqual({ maxPositionShare: 0.1, maxOpenPositions: 5 });
    expect(await admin.getAccountSettings()).toEqual({ maxPositionShare: 0.1, maxOpenPositions: 5 });
    const denied = await admin.placeOrder({ symbol: 'SPX', side: 'buy', quantity: 10 });
    expect(denied).toMatchObject({ status: 'denied', reasonCode: 'denied_position_share', filledQuantity: 0 });
    expect(denied.reason).toMatch(/share|equity/);
    // Reducing the position is never denied by a protection.
    expect((await admin.placeOrder({ symbol: 'SPX', side: 'sell', quantity: 5 })).status).toBe('filled');
    // Another account's settings are its own.
    expect(await viewer.getAccountSettings()).toEqual({});
  });

  // Opting in and out where the operator allows shorts, and margin: short-policy.spec.ts.
  it('keeps short selling off for an account when the operator forbids it (ALLOW_SHORT unset)', async () => {
    const trader = gateway.client;
    expect((await trader.placeOrder({ symbol: 'SPX', side: 'sell', quantity: 1 })).status).toBe('denied');
    expect(await refusal(trader.updateAccountSettings({ allowShort: true, borrowRateBps: 50 }))).toMatchObject({ status: 400, body: { details: [{ field: 'body.allowShort' }] } });
    expect(await trader.updateAccountSettings({ borrowRateBps: 50 })).toEqual({ borrowRateBps: 50 });
    expect((await trader.placeOrder({ symbol: 'SPX', side: 'sell', quantity: 1 })).status).toBe('denied');
  });

  it('lists both routes in the OpenAPI document with the role each needs', async () => {
    const document = (await (await fetch(`${gateway.url}/openapi.json`)).json()) as { paths: Record<string, Record<string, { description?: string; requestBody?: unknown }>> };
    const settings = document.paths['/api/v1/account/settings'];
    expect(settings.get.description).toBe('requires role viewer');
    expect(settings.put.description).toBe('requires role trader; a service credential needs scope trade');
    expect(JSON.stringify(settings.put.requestBody)).toContain('maxPositionShare');
  });
});
