import { GatewayClient } from '@tradeyard/gateway-contract';
import { loadSp500 } from '@tradeyard/market-data';
import { createSigner } from 'fast-jwt';
import WebSocket from 'ws';
import { startTestGateway, type TestGateway } from './test-gateway';
import { waitFor } from './wait';

// The WebSocket is bounded (issue 21, item 7): message size, connections per principal, a client
// that does not read, and the lifetime of the token it connected with.
const JWT_SECRET = 'stream-bounds-jwt-secret-0123456789';
const spx = loadSp500();

interface Connection {
  socket: WebSocket;
  messages: { channel: string }[];
  closed?: { code: number; reason: string };
}

describe('WebSocket bounds', () => {
  let gateway: TestGateway;
  let viewerToken: string;
  const connect = (token: string): Connection => {
    const socket = new WebSocket(`${gateway.url.replace('http', 'ws')}/ws?token=${token}`);
    const connection: Connection = { socket, messages: [] };
    socket.on('message', (raw) => connection.messages.push(JSON.parse(String(raw))));
    socket.on('close', (code, reason) => (connection.closed = { code, reason: String(reason) }));
    socket.on('error', () => undefined);
    return connection;
  };
  /** Connected and heard by the gateway: it answered a subscription. */
  const subscribed = async (connection: Connection, channels = ['clock']) => {
    if (connection.socket.readyState === WebSocket.CONNECTING) await new Promise((resolve) => connection.socket.once('open', resolve));
    connection.socket.send(JSON.stringify({ type: 'subscribe', channels }));
    await waitFor(() => connection.messages.some((m) => m.channel === 'subscribed'));
  };
  beforeAll(async () => {
    gateway = await startTestGateway({ startDate: '2000-06-01', env: { JWT_SECRET } });
    await gateway.signedIn();
    viewerToken = (await new GatewayClient({ baseUrl: gateway.url }).login('watcher', 'watcher-pass-1')).token;
  }, 120_000);
  afterAll(() => gateway.close());

  it('closes the socket of a 20 MiB frame with 1009 instead of reading it', async () => {
    const viewer = connect(viewerToken);
    await subscribed(viewer);
    viewer.socket.send('x'.repeat(20 * 1024 * 1024));
    await waitFor(() => viewer.closed !== undefined);
    expect(viewer.closed!.code).toBe(1009);
  });

  it('takes at most 16 connections of one principal; the next is closed with 4429 saying why, and others still connect', async () => {
    const open = Array.from({ length: 16 }, () => connect(viewerToken));
    try {
      for (const connection of open) await subscribed(connection);
      const extra = connect(viewerToken);
      await waitFor(() => extra.closed !== undefined);
      expect(extra.closed).toEqual({ code: 4429, reason: 'too many connections: at most 16 per principal' });
      expect(open.every((c) => c.socket.readyState === WebSocket.OPEN)).toBe(true);
      const service = connect(gateway.tokens.scanner);
      await subscribed(service);
      service.socket.close();
    } finally {
      for (const connection of open) connection.socket.close();
    }
    // A closed connection frees its place.
    await waitFor(() => open.every((c) => c.closed !== undefined));
    const again = connect(viewerToken);
    await subscribed(again);
    again.socket.close();
  });

  it('drops a client that stops reading once its unsent messages pass the bound, instead of buffering them', async () => {
    const slow = connect(viewerToken);
    await subscribed(slow, ['signals']);
    slow.socket.pause();
    const published = 300;
    const rule = 'r'.repeat(100_000);
    for (let i = 0; i < published; i++) {
      await gateway.gateway.bus.publish({ channel: 'signals', data: { id: `big-${i}`, symbol: 'SPX', rule, time: spx[0].time, close: 1, values: {} } });
    }
    slow.socket.resume();
    await waitFor(() => slow.closed !== undefined);
    expect(slow.messages.filter((m) => m.channel === 'signals').length).toBeLessThan(published);
  });

  it('closes the socket with 4401 when its token expires', async () => {
    const signer = createSigner({ key: JWT_SECRET, expiresIn: 1500 });
    const shortLived = connect(signer({ username: 'watcher', role: 'viewer', accountId: 'watcher' }));
    await subscribed(shortLived);
    await waitFor(() => shortLived.closed !== undefined);
    expect(shortLived.closed).toEqual({ code: 4401, reason: 'token expired' });
  });
});
