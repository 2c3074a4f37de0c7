import { clockSchema, GatewayError, stepMessageSchema, type ClockDto, type GatewayClient, type Signal, type StepMessage } from '@tradeyard/gateway-contract';
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

/** A lockstep consumer's part: who it is, and the work a step waits for before it is acknowledged. */
export interface LockstepOptions {
  client: GatewayClient;
  /** The name it registers under (GET /api/v1/clock lists it). */
  name: string;
  /** Resolves once the work the step's bars started is done (the scanner's: its signals posted). */
  settle: () => Promise<void>;
  /**
   * Acknowledge over REST instead of the socket. The socket is the default: no HTTP request per
   * step (tools/bench/lockstep.ts measures both).
   */
  ackOverRest?: boolean;
  /**
   * Signals an acknowledgement over the socket carries (the scanner's poster: its step's
   * signals), so a step costs one message instead of an HTTP post and an ack. The gateway stores
   * them before it counts the ack; `carried` reports their fate: stored once the clock shows the
   * ack, otherwise (refused, socket closed, clock restarted) handed back to be posted over REST,
   * where a repeat is harmless (signals are stored once per id).
   */
  carrier?: SignalCarrier;
}

/** Where an acknowledgement's signals come from and go back to (SignalPoster's take/carried). */
export interface SignalCarrier {
  take(): Signal[];
  carried(signals: readonly Signal[], stored: boolean): void;
}

/** An acknowledgement sent with signals, until the clock shows it counted (or it failed). */
interface CarriedAck {
  consumer: string;
  time: number;
  epoch: number | undefined;
  signals: Signal[];
}

/**
 * The gateway's bar stream: WebSocket /ws?token=…, subscribe to 'bars', receive {channel:'bars', data: Bar}.
 * Reconnects with exponential backoff (reset once a connection opens).
 *
 * With `lockstep` it subscribes to 'steps' instead (each tick's bars in one message), registers as
 * a consumer of the gateway's clock, and while the clock is in lockstep acknowledges each step once
 * its bars went through `onBar` and `settle` resolved; dropped by the gateway (404), it registers again.
 * It also follows the 'clock' channel: a clock entering lockstep (or restarting) at a step whose
 * bars it already had releases no new bars, so that step is acknowledged from the clock message.
 */
export class GatewayFeed implements Feed {
  private socket: WebSocket | undefined;
  private timer: NodeJS.Timeout | undefined;
  private stopped = false;
  private connected = false;
  private failures = 0;
  /** Steps are handled one after another: a step is acknowledged only after the previous one. */
  private steps: Promise<void> = Promise.resolve();
  private consumerId: string | undefined;
  private joining: Promise<void> | undefined;
  /** The clock as of the latest bars handled (or the registration): which step's bars it has. */
  private had: Pick<ClockDto, 'time' | 'epoch'> | undefined;
  private carried: CarriedAck[] = [];
  rejected = 0;

  constructor(
    private readonly gatewayUrl: string,
    private readonly token: string,
    private readonly log: Logger,
    private readonly backoff = { initialMs: 250, maxMs: 30_000 },
    private readonly lockstep?: LockstepOptions,
  ) {}

  start(onBar: (bar: Bar) => void): void {
    if (this.stopped) return;
    const url = new URL('/ws', this.gatewayUrl.replace(/^http/, 'ws'));
    url.searchParams.set('token', this.token);
    const socket = (this.socket = new WebSocket(url));
    const channel = this.lockstep ? 'steps' : 'bars';
    socket.on('open', () => {
      this.connected = true;
      this.failures = 0;
      socket.send(JSON.stringify({ type: 'subscribe', channels: this.lockstep ? ['steps', 'clock'] : ['bars'] }));
      this.log.info({ gateway: this.gatewayUrl, channel }, 'subscribed to gateway bars');
      if (this.lockstep && !this.consumerId) void this.join();
    });
    socket.on('message', (data) => {
      let message: { channel?: string; data?: unknown };
      try {
        message = JSON.parse(String(data));
      } catch {
        this.rejected++;
        return;
      }
      if (this.lockstep && message.channel === 'error') return this.refused(message.data);
      if (this.lockstep && message.channel === 'clock') {
        const clock = clockSchema.safeParse(message.data);
        if (clock.success) this.steps = this.steps.then(() => this.handleClock(clock.data));
        return;
      }
      if (message.channel !== channel) return;
      if (channel === 'steps') {
        const step = stepMessageSchema.safeParse(message.data);
        if (step.success) this.steps = this.steps.then(() => this.handleStep(step.data, onBar));
        else this.malformed(step.error.issues[0]);
        return;
      }
      const bar = barSchema.safeParse(message.data);
      if (bar.success) onBar(bar.data);
      else this.malformed(bar.error.issues[0]);
    });
    socket.on('error', (error) => this.log.warn({ err: error.message }, 'gateway stream error'));
    socket.on('close', () => {
      this.connected = false;
      // Acknowledgements the clock did not show yet may never have arrived: their signals go over REST.
      this.settleCarried(() => true, false);
      if (this.stopped) return;
      const delay = backoffDelay(++this.failures, this.backoff.initialMs, this.backoff.maxMs);
      this.log.warn({ retryInMs: delay }, 'gateway stream closed, reconnecting');
      this.timer = setTimeout(() => this.start(onBar), delay);
    });
  }

  private malformed(issue: unknown) {
    this.rejected++;
    this.log.warn({ issue }, 'ignoring a malformed bar from the gateway');
  }

  private async handleStep(step: StepMessage, onBar: (bar: Bar) => void) {
    this.confirmCarried(step.clock);
    for (const bar of step.bars) onBar(bar);
    this.had = step.clock;
    if (this.lockstep && step.clock.state === 'lockstep') {
      // Taken before the first await: the signals these bars fired, before the poster starts posting them.
      const signals = this.takeSignals();
      await this.lockstep.settle();
      await this.ack(step.clock.time, signals);
    }
  }

  private takeSignals(): Signal[] {
    return !this.lockstep?.ackOverRest && this.socket?.readyState === WebSocket.OPEN ? (this.lockstep?.carrier?.take() ?? []) : [];
  }

  /** The clock shows an acknowledgement that carried signals (they are stored), or a new epoch (they may not be: posted again). */
  private confirmCarried(clock: ClockDto) {
    this.settleCarried((ack) => ack.epoch === clock.epoch && (clock.consumers.find((c) => c.id === ack.consumer)?.lastAckTime ?? -Infinity) >= ack.time, true);
    this.settleCarried((ack) => ack.epoch !== clock.epoch, false);
  }

  private settleCarried(which: (ack: CarriedAck) => boolean, stored: boolean) {
    const settled = this.carried.filter(which);
    if (settled.length === 0) return;
    this.carried = this.carried.filter((ack) => !settled.includes(ack));
    for (const ack of settled) this.lockstep?.carrier?.carried(ack.signals, stored);
  }

  /** Acknowledges a lockstep step that came without bars: the one it already had, or a restart's first. */
  private async handleClock(clock: ClockDto) {
    this.confirmCarried(clock);
    // Not listed (dropped while the clock stood outside lockstep): the ack's 404 registers it again.
    const waiting = clock.state === 'lockstep' && this.consumerId !== undefined && !clock.consumers.find((c) => c.id === this.consumerId)?.acked;
    if (!waiting || !this.had || (clock.time !== this.had.time && clock.epoch === this.had.epoch)) return;
    this.had = clock;
    await this.lockstep!.settle();
    await this.ack(clock.time);
  }

  /** Registers as a lockstep consumer; in lockstep, the step standing at registration is acknowledged at once (its bars were released before). */
  private join(): Promise<void> {
    const lockstep = this.lockstep!;
    this.joining ??= lockstep.client
      .registerClockConsumer(lockstep.name)
      .then(async ({ consumer, clock }) => {
        this.consumerId = consumer.id;
        this.had = clock;
        this.log.info({ consumer: consumer.id, clock: clock.state }, 'registered as a lockstep consumer of the gateway clock');
        if (clock.state === 'lockstep') await this.ack(clock.time);
      })
      .catch((err: Error) => this.log.warn({ err: err.message }, 'registering as a lockstep consumer failed; retrying at the next connection'))
      .finally(() => (this.joining = undefined));
    return this.joining;
  }

  /** Acknowledges the step at `time`; `signals` (taken from the carrier) go with it over the socket. */
  private async ack(time: number, signals: Signal[] = []) {
    const overSocket = () => !this.lockstep!.ackOverRest && this.socket?.readyState === WebSocket.OPEN;
    if (signals.length && (!overSocket() || !this.consumerId || this.stopped)) {
      // The socket closed meanwhile: the poster posts them over REST before the step is acknowledged.
      this.lockstep!.carrier?.carried(signals, false);
      await this.lockstep!.settle();
      signals = [];
    }
    const consumer = this.consumerId;
    if (!consumer || this.stopped) return;
    if (overSocket()) {
      // Answered only when refused, by an error message (see refused); the clock's next state shows it counted.
      if (signals.length) this.carried.push({ consumer, time, epoch: this.had?.epoch, signals });
      this.socket!.send(JSON.stringify({ type: 'ack', consumer, time, ...(signals.length && { signals }) }));
      return;
    }
    try {
      await this.lockstep!.client.ackClock(consumer, time);
    } catch (err) {
      if (err instanceof GatewayError) await this.ackRefused(consumer, time, err.status, err.message);
      else this.log.warn({ time, err: (err as Error).message }, 'lockstep acknowledgement failed');
    }
  }

  /** An error message on the socket: a refused acknowledgement carries its consumer and status. */
  private refused(data: unknown) {
    const refusal = data as { status?: number; consumer?: string; time?: number; message?: string } | undefined;
    if (refusal?.consumer === undefined || refusal.status === undefined) return this.log.warn({ error: refusal?.message }, 'the gateway stream reported an error');
    const { consumer, time, status, message } = refusal;
    this.steps = this.steps.then(() => this.ackRefused(consumer, time ?? 0, status, message ?? ''));
  }

  private async ackRefused(consumer: string, time: number, status: number, message: string) {
    const carried = this.carried.some((ack) => ack.consumer === consumer && ack.time === time);
    // Not stored, or not known to be: posted over REST (stored once per id, so a repeat is harmless).
    this.settleCarried((ack) => ack.consumer === consumer && ack.time === time, false);
    if (carried && status !== 404 && status !== 409 && consumer === this.consumerId) {
      // Refused for its signals (one the gateway does not accept): the poster posts them one by one, then the step is acknowledged alone.
      this.log.warn({ time, status, err: message }, 'an acknowledgement carrying signals was refused; posting them over REST');
      await this.lockstep!.settle();
      return this.ack(time);
    }
    if (status === 404 && consumer === this.consumerId) {
      this.log.warn({ consumer }, 'the gateway dropped this lockstep consumer; registering again');
      this.consumerId = undefined;
      await this.join();
    } else if (status === 409) {
      // The clock moved on without this ack (restarted, left lockstep): the next step will be acknowledged.
      this.log.debug({ time, err: message }, 'lockstep acknowledgement refused');
    } else this.log.warn({ time, status, err: message }, 'lockstep acknowledgement failed');
  }

  stop(): void {
    this.stopped = true;
    clearTimeout(this.timer);
    this.socket?.close();
    const id = this.consumerId;
    this.consumerId = undefined;
    // Leaving at once spares the clock a wait of CLOCK_CONSUMER_TIMEOUT_MS; if the gateway is gone, it times the consumer out.
    if (id) void this.lockstep!.client.deregisterClockConsumer(id).catch(() => undefined);
  }

  healthy(): boolean {
    return this.connected;
  }
}
