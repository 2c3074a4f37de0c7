import { wsClientMessageSchema, type ClockDto, type WsChannel, type WsServerMessage } from '@tradeyard/gateway-contract';
import type { MarketEvent } from '@tradeyard/market-hub';
import type { FastifyInstance } from 'fastify';
import type { WebSocket } from 'ws';
import type { Principal } from './auth';
import type { EventBus, SharedEvent } from './bus';

interface Client {
  socket: WebSocket;
  principal: Principal;
  channels: Set<WsChannel>;
  symbols?: Set<string>;
}

/**
 * WebSocket /ws?token=...: clients subscribe to channels (quotes, bars, signals, orders, fills, clock),
 * optionally for some symbols. Orders and fills go only to their account (admins see all);
 * they and signals arrive through the bus, so a fill on one replica reaches clients of all.
 */
export function registerWebSocket(app: FastifyInstance, bus: EventBus, authenticate: (token: string | undefined) => Principal, marketTime: () => number) {
  const clients = new Set<Client>();
  const send = (client: Client, message: WsServerMessage) => {
    if (client.socket.readyState === client.socket.OPEN) client.socket.send(JSON.stringify(message));
  };
  const wants = (client: Client, channel: WsChannel, symbol?: string) =>
    client.channels.has(channel) && (!symbol || !client.symbols || client.symbols.has(symbol));

  app.get('/ws', { websocket: true, schema: { hide: true }, config: { auth: 'endpoint' } }, async (socket, request) => {
    let principal: Principal;
    try {
      principal = authenticate((request.query as { token?: string }).token);
    } catch (err) {
      socket.send(JSON.stringify({ channel: 'error', data: { message: err instanceof Error ? err.message : 'unauthorized' } }));
      socket.close(4401, 'unauthorized');
      return;
    }
    const client: Client = { socket, principal, channels: new Set() };
    clients.add(client);
    socket.on('close', () => clients.delete(client));
    socket.on('message', (raw) => {
      let parsed;
      try {
        parsed = wsClientMessageSchema.safeParse(JSON.parse(String(raw)));
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
    });
  });

  bus.subscribe((event: SharedEvent) => {
    // Point in time: a signal dated after the market clock is not streamed (REST serves it once the clock reaches it).
    if (event.channel === 'signals' && event.data.time > marketTime()) return;
    for (const client of clients) {
      if (event.channel === 'signals') {
        if (wants(client, 'signals', event.data.symbol)) send(client, { channel: 'signals', data: event.data });
      } else if (wants(client, event.channel, event.data.symbol) && (client.principal.role === 'admin' || client.principal.accountId === event.accountId)) {
        send(client, { channel: event.channel, data: event.data });
      }
    }
  });

  return {
    broadcastMarket(event: MarketEvent) {
      for (const client of clients) if (wants(client, event.channel, event.data.symbol)) send(client, event);
    },
    /** The clock's new state, speed or epoch (not its every step: bars and quotes show those). */
    broadcastClock(clock: ClockDto) {
      for (const client of clients) if (wants(client, 'clock')) send(client, { channel: 'clock', data: clock });
    },
  };
}
