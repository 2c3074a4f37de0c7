import { DEFAULT_MARKET, wsAckMessageSchema, wsClientMessageSchema, type WsAckMessage, type WsChannel, type WsServerMessage } from '@tradeyard/gateway-contract';
import type { Bar } from '@tradeyard/market-data';
import { HttpError } from '@tradeyard/service-kit';
import type { MarketEvent } from '@tradeyard/market-hub';
import type { FastifyInstance } from 'fastify';
import type { WebSocket } from 'ws';
import { z } from 'zod';
import type { Principal } from '../../auth';
import type { EventBus, SharedEvent } from '../../bus';
import { clockSeenBy, type OwnedClock } from '../../plugins/app/market/clock-store';
import { isSamePrincipal } from '../../ownership';

/** Open sockets one principal may hold; the next is closed with 4429. */
export const WS_MAX_CONNECTIONS_PER_PRINCIPAL = 16;
/** Unsent bytes a client may have queued: one that reads slower than the market moves is dropped rather than buffered without bound (it may reconnect). */
export const WS_MAX_BUFFERED_BYTES = 4 * 1024 * 1024;
/** Longest a Node timer waits (about 24.8 days); a token living longer is checked again then. */
const MAX_TIMER_MS = 2 ** 31 - 1;

/** Closes `socket` with 4401 when its token expires (`exp`, seconds since the epoch, as in a JWT). */
function closeAtExpiry(socket: WebSocket, exp: number) {
  const wait = exp * 1000 - Date.now();
  if (wait <= 0) return socket.close(4401, 'token expired');
  const timer = setTimeout(() => closeAtExpiry(socket, exp), Math.min(wait, MAX_TIMER_MS));
  socket.once('close', () => clearTimeout(timer));
}

/** The acknowledgement's consumer and time alone (other keys ignored), to name what a refusal refuses. */
const ackNameSchema = z.object({ consumer: wsAckMessageSchema.shape.consumer, time: wsAckMessageSchema.shape.time });

/** Messages a socket may send before its credential and market are checked (a subscription or two is what a client sends). */
const WS_MAX_PENDING_MESSAGES = 32;

interface Client {
  socket: WebSocket;
  principal: Principal;
  /** The market it streams: its quotes, bars, steps, clock and signals (orders and fills are its account's). */
  market: string;
  channels: Set<WsChannel>;
  symbols?: Set<string>;
}

/**
 * WebSocket /ws?token=...[&market=ID]: clients subscribe to channels (quotes, bars, signals, orders,
 * fills, clock), optionally for some symbols, of one market: the one named, else their account's,
 * else the default one. Orders and fills go only to their account (admins see all); they and
 * signals arrive through the bus, so a fill on one replica reaches clients of all.
 */
export function registerWebSocket(
  app: FastifyInstance,
  bus: EventBus,
  /** The principal of a socket's ?token= (a login token, an API token or a service credential); throws when it is none. */
  authenticate: (token: string | undefined) => Principal | Promise<Principal>,
  /** A lockstep acknowledgement sent over the socket by `principal` in `market`; throws the HttpError the REST route would answer. */
  ack: (message: WsAckMessage, principal: Principal, market: string) => Promise<unknown>,
  /** A market clock's time: signals dated after it are not sent (they are served once it gets there). */
  marketTime: (market: string) => number,
  /** The market a socket streams: `named` (its ?market=), else the principal's account's; throws an HttpError for an unknown one. */
  marketOf: (named: unknown, principal: Principal) => Promise<string>,
) {
  const clients = new Set<Client>();
  const send = (client: Client, message: WsServerMessage) => sendText(client, JSON.stringify(message));
  const sendText = (client: Client, text: string) => {
    if (client.socket.readyState !== client.socket.OPEN) return;
    client.socket.send(text);
    if (client.socket.bufferedAmount > WS_MAX_BUFFERED_BYTES) {
      // At once: a close frame would wait behind the very bytes the client is not reading.
      app.log.warn({ username: client.principal.username, bufferedBytes: client.socket.bufferedAmount }, 'dropped a WebSocket client that stopped reading');
      client.socket.terminate();
    }
  };
  /** Serializes a message once for every client that wants it (the universe sends hundreds per step). */
  const sendToEach = (message: WsServerMessage, wanted: (client: Client) => boolean) => {
    let text: string | undefined;
    for (const client of clients) if (wanted(client)) sendText(client, (text ??= JSON.stringify(message)));
  };
  const acknowledge = (client: Client, message: unknown) => {
    const parsed = wsAckMessageSchema.safeParse(message);
    // A refusal names the acknowledgement it refuses when it can, even one refused for its signals, so the consumer can post them otherwise.
    const named = parsed.success ? parsed : ackNameSchema.safeParse(message);
    const refuse = (status: number, text: string) => send(client, { channel: 'error', data: { status, message: text, ...(named.success && { consumer: named.data.consumer, time: named.data.time }) } });
    if (!parsed.success) return refuse(400, parsed.error.issues.map((i) => `${i.path.join('.') || 'message'}: ${i.message}`).join('; '));
    if (client.principal.role === 'viewer') return refuse(403, 'requires role trader or admin; this token has role viewer');
    ack(parsed.data, client.principal, client.market).catch((err: unknown) => (err instanceof HttpError ? refuse(err.status, err.body.message) : refuse(500, 'the acknowledgement failed; retry it over REST')));
  };
  const wants = (client: Client, channel: WsChannel, symbol?: string) =>
    client.channels.has(channel) && (!symbol || !client.symbols || client.symbols.has(symbol));

  app.get('/ws', { websocket: true, schema: { hide: true }, config: { auth: 'endpoint' } }, async (socket, request) => {
    // A refused frame (too large, malformed) closes the socket; ws reports it here, not as a crash.
    socket.on('error', (err) => request.log.debug({ err: err.message }, 'WebSocket client error'));
    // Messages may arrive while the socket's credential and market are checked: they are handled, in order, once they are.
    const pending: unknown[] = [];
    let client: Client | undefined;
    socket.on('message', (raw) => {
      if (client) return receive(client, raw);
      if (pending.push(raw) > WS_MAX_PENDING_MESSAGES) socket.close(4429, `too many messages before the credential was checked: at most ${WS_MAX_PENDING_MESSAGES}`);
    });
    let principal: Principal;
    try {
      principal = await authenticate((request.query as { token?: string }).token);
    } catch (err) {
      socket.send(JSON.stringify({ channel: 'error', data: { message: err instanceof Error ? err.message : 'unauthorized' } }));
      socket.close(4401, 'unauthorized');
      return;
    }
    if ([...clients].filter((c) => isSamePrincipal(c.principal, principal)).length >= WS_MAX_CONNECTIONS_PER_PRINCIPAL) {
      socket.close(4429, `too many connections: at most ${WS_MAX_CONNECTIONS_PER_PRINCIPAL} per principal`);
      return;
    }
    try {
      client = { socket, principal, market: await marketOf((request.query as { market?: unknown }).market, principal), channels: new Set() };
    } catch (err) {
      socket.send(JSON.stringify({ channel: 'error', data: { message: err instanceof HttpError ? err.body.message : 'the market could not be resolved' } }));
      socket.close(4404, 'unknown market');
      return;
    }
    const admitted = client;
    clients.add(admitted);
    socket.on('close', () => clients.delete(admitted));
    const { exp } = principal as Principal & { exp?: unknown };
    if (typeof exp === 'number') closeAtExpiry(socket, exp);
    for (const raw of pending.splice(0)) receive(admitted, raw);
  });

  /** A client's message: a subscription change, or a lockstep acknowledgement. */
  const receive = (client: Client, raw: unknown) => {
    let parsed;
    try {
      const message = JSON.parse(String(raw));
      if (message?.type === 'ack') return acknowledge(client, message);
      parsed = wsClientMessageSchema.safeParse(message);
    } catch {
      return send(client, { channel: 'error', data: { message: 'messages must be JSON' } });
    }
    if (!parsed.success) {
      return send(client, { channel: 'error', data: { message: parsed.error.issues.map((i) => `${i.path.join('.') || 'message'}: ${i.message}`).join('; ') } });
    }
    const { type, channels, symbols } = parsed.data;
    for (const channel of channels) {
      if (type === 'subscribe') client.channels.add(channel);
      else client.channels.delete(channel);
    }
    if (symbols) client.symbols = new Set(symbols);
    send(client, { channel: 'subscribed', data: { channels: [...client.channels], symbols: client.symbols ? [...client.symbols] : 'all' } });
  };

  bus.subscribe((event: SharedEvent) => {
    // A signal goes to the clients of its market only, and point in time: one dated after that
    // market's clock is not streamed (REST serves it once the clock reaches it).
    const signalMarket = event.channel === 'signals' ? (event.market ?? DEFAULT_MARKET) : undefined;
    if (event.channel === 'signals' && event.data.time > marketTime(signalMarket!)) return;
    for (const client of clients) {
      if (event.channel === 'signals') {
        if (client.market === signalMarket && wants(client, 'signals', event.data.symbol)) send(client, { channel: 'signals', data: event.data });
      } else if (wants(client, event.channel, event.data.symbol) && (client.principal.role === 'admin' || client.principal.accountId === event.accountId)) {
        send(client, { channel: event.channel, data: event.data });
      }
    }
  });

  return {
    broadcastMarket(market: string, event: MarketEvent) {
      sendToEach(event, (client) => client.market === market && wants(client, event.channel, event.data.symbol));
    },
    /** A market clock's new state, speed, epoch, consumers or lockstep step (a running clock's steps show in bars and steps), as each of its clients may see it. */
    broadcastClock(market: string, clock: OwnedClock) {
      for (const client of clients) if (client.market === market && wants(client, 'clock')) send(client, { channel: 'clock', data: clockSeenBy(clock, client.principal) });
    },
    /** The bars one tick of a market released, in one message with its clock as each of its clients may see it (a client's symbols filter the bars). */
    broadcastStep(market: string, clock: OwnedClock, bars: Bar[]) {
      // The bars are most of the message (hundreds per step in the universe): serialized once, not per client.
      let allBars: string | undefined;
      for (const client of clients) {
        if (client.market !== market || !wants(client, 'steps')) continue;
        const clientBars = client.symbols ? JSON.stringify(bars.filter((bar) => client.symbols!.has(bar.symbol))) : (allBars ??= JSON.stringify(bars));
        sendText(client, `{"channel":"steps","data":{"clock":${JSON.stringify(clockSeenBy(clock, client.principal))},"bars":${clientBars}}}`);
      }
    },
  };
}
