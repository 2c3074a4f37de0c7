import { barSchema, bundledProvider, syntheticProvider, type Bar, type MarketDataProvider } from '@tradeyard/market-data';
import { backoffDelay } from '@tradeyard/runtime-util';
import type { Logger } from '@tradeyard/service-kit';
import WebSocket from 'ws';
import type { ScannerConfig } from './config';

export interface Feed {
  start(onBar: (bar: Bar) => void): void;
  stop(): void;
  /** For readiness: false while the feed is down. */
  healthy(): boolean;
}

export function replayProvider(config: Pick<ScannerConfig, 'REPLAY_DATASET' | 'SYNTHETIC_SEED' | 'SYNTHETIC_SYMBOLS'>): MarketDataProvider {
  return config.REPLAY_DATASET === 'synthetic'
    ? syntheticProvider({ seed: config.SYNTHETIC_SEED, symbols: config.SYNTHETIC_SYMBOLS, bars: 2_000 })
    : bundledProvider(config.REPLAY_DATASET);
}

/** Every bar of every symbol of a provider, in time order (ties by symbol). */
export async function allBars(provider: MarketDataProvider): Promise<Bar[]> {
  const bars = (await Promise.all((await provider.symbols()).map((s) => provider.history(s)))).flat();
  return bars.sort((a, b) => a.time - b.time || (a.symbol < b.symbol ? -1 : 1));
}

/** Replays a provider's history at `barsPerSecond`, then stops. */
export class ReplayFeed implements Feed {
  private timer: NodeJS.Timeout | undefined;
  private stopped = false;

  constructor(
    private readonly provider: MarketDataProvider,
    private readonly barsPerSecond: number,
    private readonly log: Logger,
  ) {}

  start(onBar: (bar: Bar) => void): void {
    void allBars(this.provider).then((bars) => {
      if (this.stopped) return;
      const startedAt = Date.now();
      let next = 0;
      const tick = () => {
        const due = Math.min(bars.length, Math.floor(((Date.now() - startedAt) / 1000) * this.barsPerSecond) + 1);
        while (next < due) onBar(bars[next++]);
        if (next >= bars.length) return this.log.info({ bars: bars.length }, 'replay finished');
        this.timer = setTimeout(tick, Math.max(10, 1000 / this.barsPerSecond));
      };
      this.log.info({ provider: this.provider.name, bars: bars.length, barsPerSecond: this.barsPerSecond }, 'replay started');
      tick();
    });
  }

  stop(): void {
    this.stopped = true;
    clearTimeout(this.timer);
  }

  healthy(): boolean {
    return true;
  }
}

/**
 * The gateway's bar stream: WebSocket /ws?token=…, subscribe to 'bars', receive {channel:'bars', data: Bar}.
 * Reconnects with exponential backoff (reset once a connection opens).
 */
export class GatewayFeed implements Feed {
  private socket: WebSocket | undefined;
  private timer: NodeJS.Timeout | undefined;
  private stopped = false;
  private connected = false;
  private failures = 0;
  rejected = 0;

  constructor(
    private readonly gatewayUrl: string,
    private readonly token: string,
    private readonly log: Logger,
    private readonly backoff = { initialMs: 250, maxMs: 30_000 },
  ) {}

  start(onBar: (bar: Bar) => void): void {
    if (this.stopped) return;
    const url = new URL('/ws', this.gatewayUrl.replace(/^http/, 'ws'));
    url.searchParams.set('token', this.token);
    const socket = (this.socket = new WebSocket(url));
    socket.on('open', () => {
      this.connected = true;
      this.failures = 0;
      socket.send(JSON.stringify({ type: 'subscribe', channels: ['bars'] }));
      this.log.info({ gateway: this.gatewayUrl }, 'subscribed to gateway bars');
    });
    socket.on('message', (data) => {
      let message: { channel?: string; data?: unknown };
      try {
        message = JSON.parse(String(data));
      } catch {
        this.rejected++;
        return;
      }
      if (message.channel !== 'bars') return;
      const bar = barSchema.safeParse(message.data);
      if (bar.success) onBar(bar.data);
      else {
        this.rejected++;
        this.log.warn({ issue: bar.error.issues[0] }, 'ignoring a malformed bar from the gateway');
      }
    });
    socket.on('error', (error) => this.log.warn({ err: error.message }, 'gateway stream error'));
    socket.on('close', () => {
      this.connected = false;
      if (this.stopped) return;
      const delay = backoffDelay(++this.failures, this.backoff.initialMs, this.backoff.maxMs);
      this.log.warn({ retryInMs: delay }, 'gateway stream closed, reconnecting');
      this.timer = setTimeout(() => this.start(onBar), delay);
    });
  }

  stop(): void {
    this.stopped = true;
    clearTimeout(this.timer);
    this.socket?.close();
  }

  healthy(): boolean {
    return this.connected;
  }
}
