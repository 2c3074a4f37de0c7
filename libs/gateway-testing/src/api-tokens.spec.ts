import { GatewayClient, GatewayError } from '@tradeyard/gateway-contract';
import { startTestGateway, type TestGateway } from './test-gateway';

// API tokens (POST/GET/DELETE /api/v1/tokens, GET /api/v1/auth/me) tried with another
// principal's credential: each user sees and revokes only their own, and no token grants more
// than its owner has.
const refusal = (promise: Promise<unknown>) => promise.then(() => undefined, (err: GatewayError) => ({ status: err.status, message: err.body.message }));

let gateway: TestGateway;
let admin: GatewayClient;
const users: Record<string, GatewayClient> = {};

beforeAll(async () => {
  gateway = await startTestGateway();
  admin = (await gateway.signedIn()).admin;
  const anonymous = new GatewayClient({ baseUrl: gateway.url });
  for (const [username, role] of [['alice', 'trader'], ['bob', 'trader'], ['vera', 'viewer']] as const) {
    await admin.request('POST', '/users', { body: { username, password: `${username}-password`, role } });
    users[username] = anonymous.withToken((await anonymous.login(username, `${username}-password`)).token);
  }
}, 120_000);
afterAll(() => gateway.close());

describe('API tokens', () => {
  it("acts as its owner: GET /auth/me names the owner's account and the credential kind", async () => {
    const made = await users.alice.createApiToken({ label: 'script' });
    expect(await users.alice.withToken(made.token).whoAmI()).toEqual({ username: 'alice', role: 'trader', accountId: 'alice', credential: 'api-token' });
    expect(await users.alice.whoAmI()).toMatchObject({ username: 'alice', credential: 'login' });
    expect(await gateway.client.whoAmI()).toEqual({ username: 'service:mcp-tools', role: 'trader', accountId: 'agent', credential: 'service' });
  });

  it("lists only a user's own tokens, and another user's token id is unknown to revoke (404), left working", async () => {
    const alices = await users.alice.createApiToken({ label: 'alice laptop' });
    expect((await users.bob.listApiTokens()).map((t) => t.username)).not.toContain('alice');
    expect(await refusal(users.bob.revokeApiToken(alices.id))).toMatchObject({ status: 404 });
    expect((await users.alice.withToken(alices.token).getPortfolio()).accountId).toBe('alice');
    // An admin sees and revokes any.
    expect((await admin.listApiTokens()).map((t) => t.id)).toContain(alices.id);
    expect((await admin.revokeApiToken(alices.id)).revokedAt).not.toBeNull();
    expect(await refusal(users.alice.withToken(alices.token).getPortfolio())).toMatchObject({ status: 401 });
  });

  it("grants no more than its owner: no role above the owner's, no other user or account for non-admins, no tokens from tokens", async () => {
    expect(await refusal(users.vera.createApiToken({ label: 'up', role: 'trader' }))).toMatchObject({ status: 400, message: "body.role: must be at most the owner's role (viewer)" });
    expect(await refusal(users.bob.createApiToken({ label: 'as alice', username: 'alice' }))).toMatchObject({ status: 403 });
    expect(await refusal(users.bob.createApiToken({ label: 'agent', account: 'arena:r:a' }))).toMatchObject({ status: 403 });
    const viewerToken = await users.bob.createApiToken({ label: 'read only', role: 'viewer' });
    const readOnly = users.bob.withToken(viewerToken.token);
    expect((await readOnly.getPortfolio()).accountId).toBe('bob');
    expect(await refusal(readOnly.placeOrder({ symbol: 'SPX', side: 'buy', quantity: 1 }))).toMatchObject({ status: 403 });
    expect(await refusal(readOnly.createApiToken({ label: 'more' }))).toMatchObject({ status: 403 });
  });
});
