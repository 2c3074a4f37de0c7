import { mkdtempSync, rmSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseConfig } from '@tradeyard/service-kit';
import { signalSchema, type Signal } from '@tradeyard/gateway-contract';
import { loadSp500 } from '@tradeyard/market-data';
import { WebSocketServer, type WebSocket } from 'ws';
import { createScanner, defaultRules } from './app';
import { scannerConfigSchema } from './config';
import { readSseSignals } from './test-helpers';

/**
 * A small stand-in for the gateway speaking its documented contract: WebSocket /ws?token=…,
 * {type:'subscribe', channels:['bars']} → {channel:'bars', data: Bar}; POST /api/v1/signals with
 * a bearer token, stored once per id (409 on a repeat). The real gateway is tested end to end later.
 */
class FakeGateway {
  readonly server: Server;
  readonly wss: WebSocketServer;
  readonly posted: Signal[] = [];
  readonly subscriptions: { token: string | null; channels: string[] }[] = [];
  readonly sockets: WebSocket[] = [];
  postAttempts = 0;
  /** Fail this many posts with 503 first, to exercise retries. */
  failNext = 0;

  constructor() {
    this.server = createServer((req, res) => {
      let body = '';
      req.on('data', (c) => (body += c));
      req.on('end', () => {
        if (req.method !== 'POST' || req.url !== '/api/v1/signals') return res.writeHead(404).end();
        this.postAttempts++;
        res.setHeader('content-type', 'application/json');
        if (req.headers.authorization !== 'Bearer svc-token') return res.writeHead(401).end('{"error":"unauthorized","message":"bad token","details":[]}');
        if (this.failNext > 0) {
          this.failNext--;
          return res.writeHead(503).end('{"error":"unavailable","message":"try later","details":[]}');
        }
        const signal = signalSchema.parse(JSON.parse(body));
        if (this.posted.some((s) => s.id === signal.id)) return res.writeHead(409).end('{"error":"conflict","message":"exists","details":[]}');
        this.posted.push(signal);
        res.writeHead(201).end(JSON.stringify(signal));
      });
    });
    this.wss = new WebSocketServer({ server: this.server, path: '/ws' });
    this.wss.on('connection', (socket, req) => {
      const token = new URL(req.url ?? '', 'http://x').searchParams.get('token');
      if (token !== 'svc-token') return socket.close(4001, 'unauthorized');
      socket.on('message', (data) => {
        const message = JSON.parse(String(data));
        this.subscriptions.push({ token, channels: message.channels });
        this.sockets.push(socket);
        socket.send(JSON.stringify({ channel: 'subscribed', data: { channels: message.channels } }));
      });
    });
  }

  async listen(): Promise<string> {
    await new Promise<void>((r) => this.server.listen(0, '127.0.0.1', r));
    return `http://127.0.0.1:${(this.server.address() as AddressInfo).port}`;
  }

  async waitForSubscriptions(n: number) {
    while (this.subscriptions.length < n) await new Promise((r) => setTimeout(r, 10));
    return this.sockets[n - 1];
  }

  async close() {
    for (const client of this.wss.clients) client.terminate();
    await new Promise((r) => this.wss.close(r));
    await new Promise((r) => this.server.close(r));
  }
}

const until = async (condition: () => boolean, timeoutMs = 5000) => {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error('timed out waiting');
    await new Promise((r) => setTimeout(r, 10));
  }
};

describe('scanner with the gateway', () => {
  it('consumes the /ws bar stream, reconnects after a drop, streams signals over SSE and posts them with retries', async () => {
    const gateway = new FakeGateway();
    const gatewayUrl = await gateway.listen();
    const scanner = createScanner({
      ...parseConfig(scannerConfigSchema, { LOG_LEVEL: 'silent', HOST: '127.0.0.1', GATEWAY_URL: gatewayUrl, SERVICE_TOKEN: 'svc-token', SIGNAL_POST_BACKOFF_MS: '5' }),
      PORT: 0,
    });
    defaultRules.forEach((rule) => scanner.engine.deleteRule(rule.id));
    scanner.engine.setRule({ id: 'oversold', expression: 'rsi(14) < 30' });
    gateway.failNext = 2;
    const address = await scanner.start();
    try {
      const first = await gateway.waitForSubscriptions(1);
      expect(gateway.subscriptions[0]).toEqual({ token: 'svc-token', channels: ['bars'] });
      expect((await fetch(`${address}/ready`)).status).toBe(200);
      const bars = loadSp500();
      const half = 2500;
      const streamed = readSseSignals(`${address}/api/v1/signals/stream`, 3, () => {
        for (const bar of bars.slice(0, half)) first.send(JSON.stringify({ channel: 'bars', data: bar }));
        first.send(JSON.stringify({ channel: 'bars', data: { ...bars[0], high: -1 } })); // malformed: ignored
        first.send(JSON.stringify({ channel: 'quotes', data: {} })); // other channels: ignored
      });
      const signals = await streamed;
      expect(signals.every((s) => s.symbol === 'SPX' && s.rule === 'rsi(14) < 30')).toBe(true);

      // The gateway drops the connection; the scanner reconnects, resubscribes and keeps its state.
      first.terminate();
      const second = await gateway.waitForSubscriptions(2);
      for (const bar of bars.slice(half)) second.send(JSON.stringify({ channel: 'bars', data: bar }));

      await until(() => gateway.posted.length === 55 && scanner.engine.signals({ limit: 1000 }).length === 55);
      const all = scanner.engine.signals({ limit: 1000 });
      // Same 55 RSI signals as the CLI over the whole history: no bar lost or doubled across the reconnect.
      expect(all).toHaveLength(55);
      expect(gateway.posted.map((s) => s.id)).toEqual(all.map((s) => s.id));
      expect(gateway.postAttempts).toBe(57); // two 503s retried
      expect(scanner.poster()!.dropped).toBe(0);

      // Re-posting the same signal is idempotent by id.
      scanner.poster()!.enqueue(all[0]);
      await until(() => scanner.poster()!.pending === 0 && gateway.postAttempts === 58);
      expect(gateway.posted).toHaveLength(55);
      expect(scanner.poster()!.delivered).toBe(56);
    } finally {
      await scanner.stop();
      await gateway.close();
    }
  });

  it('keeps signals it could not post across its own restart and posts them at the next start', async () => {
    const gateway = new FakeGateway();
    const gatewayUrl = await gateway.listen();
    const dataDir = mkdtempSync(join(tmpdir(), 'scanner-pending-'));
    const start = () =>
      createScanner({
        ...parseConfig(scannerConfigSchema, { LOG_LEVEL: 'silent', HOST: '127.0.0.1', GATEWAY_URL: gatewayUrl, SERVICE_TOKEN: 'svc-token', SIGNAL_POST_BACKOFF_MS: '60000', DATA_DIR: dataDir }),
        PORT: 0,
      });
    const signals: Signal[] = [1, 2, 3].map((n) => ({ id: `pending-${n}`, symbol: 'SPX', rule: 'rsi(14) < 30', time: 1_000_000 + n, close: 100 + n, values: { rsi: 25 } }));
    try {
      gateway.failNext = 1000;
      const first = start();
      for (const signal of signals) first.poster()!.enqueue(signal);
      await until(() => gateway.postAttempts >= 1);
      expect(first.poster()!.pending).toBe(3);
      await first.stop();

      gateway.failNext = 0;
      const second = start();
      try {
        expect(second.poster()!.restored).toBe(3);
        await until(() => gateway.posted.length === 3);
        expect(gateway.posted.map((s) => s.id)).toEqual(signals.map((s) => s.id));
        await until(() => second.poster()!.pending === 0);
      } finally {
        await second.stop();
      }
      // Delivered signals are not posted a third time.
      const third = start();
      expect(third.poster()!.restored).toBe(0);
      await third.stop();
    } finally {
      await gateway.close();
      rmSync(dataDir, { recursive: true, force: true });
    }
  });

  it('requires SERVICE_TOKEN with GATEWAY_URL', () => {
    expect(() => parseConfig(scannerConfigSchema, { GATEWAY_URL: 'http://127.0.0.1:8080' })).toThrow(
      'invalid configuration: SERVICE_TOKEN is not set: is required when GATEWAY_URL is set',
    );
  });
});
