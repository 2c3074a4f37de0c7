import WebSocket from 'ws';
import { barSchema, type Bar, type Interval } from './bar';
import type { HistoryQuery, MarketDataProvider } from './provider';

/** A venue answered with something other than its documented format. */
export class VenueError extends Error {
  constructor(
    readonly venue: string,
    message: string,
  ) {
    super(`${venue}: ${message}`);
    this.name = 'VenueError';
  }
}

function toBar(venue: string, raw: { symbol: string; time: number; open: unknown; high: unknown; low: unknown; close: unknown; volume: unknown }): Bar {
  const parsed = barSchema.safeParse({ ...raw, open: Number(raw.open), high: Number(raw.high), low: Number(raw.low), close: Number(raw.close), volume: Number(raw.volume) });
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    throw new VenueError(venue, `bad bar for ${raw.symbol} at ${raw.time}: ${issue.path.join('.')} ${issue.message}`);
  }
  return parsed.data;
}

/** Each venue request is bounded in time and size: a venue that hangs or floods fails, it never stalls the hub. */
export interface RequestBounds {
  /** Time the whole request (headers and body) may take; default 10 s. */
  timeoutMs?: number;
  /** Largest body read; default 16 MB (Alpha Vantage's full daily history is about 1.5 MB). */
  maxBytes?: number;
}

async function getJson(venue: string, url: URL, bounds: RequestBounds = {}): Promise<unknown> {
  const timeoutMs = bounds.timeoutMs ?? 10_000;
  const maxBytes = bounds.maxBytes ?? 16 * 1024 * 1024;
  const signal = AbortSignal.timeout(timeoutMs);
  let text = '';
  let status: number;
  try {
    const res = await fetch(url, { signal });
    status = res.status;
    // Read by hand rather than res.text() so a body over the bound is cut off, not buffered.
    const decoder = new TextDecoder();
    let size = 0;
    const reader = res.body?.getReader();
    for (let chunk = await reader?.read(); chunk && !chunk.done; chunk = await reader?.read()) {
      size += chunk.value.byteLength;
      if (size > maxBytes) {
        await reader?.cancel();
        throw new VenueError(venue, `response from ${url.pathname} is larger than ${maxBytes} bytes`);
      }
      text += decoder.decode(chunk.value, { stream: true });
    }
    text += decoder.decode();
  } catch (err) {
    if (err instanceof VenueError) throw err;
    if (signal.aborted) throw new VenueError(venue, `no complete answer from ${url.pathname} within ${timeoutMs} ms`);
    throw new VenueError(venue, `request to ${url.pathname} failed: ${(err as Error).message}`);
  }
  if (status < 200 || status > 299) throw new VenueError(venue, `HTTP ${status} from ${url.pathname}: ${text.slice(0, 200)}`);
  try {
    return JSON.parse(text);
  } catch {
    throw new VenueError(venue, `response from ${url.pathname} is not JSON`);
  }
}

const binanceIntervals: Partial<Record<Interval, string>> = { '1m': '1m', '5m': '5m', '15m': '15m', '1h': '1h', '4h': '4h', '1d': '1d', '1w': '1w', '1M': '1M' };

/** One row of GET /api/v3/klines: [openTime, open, high, low, close, volume, closeTime, ...] with prices as strings. */
export function parseBinanceKline(symbol: string, row: unknown): Bar {
  if (!Array.isArray(row) || row.length < 6 || typeof row[0] !== 'number') throw new VenueError('binance', `kline row is not [openTime, open, high, low, close, volume, ...]`);
  return toBar('binance', { symbol, time: row[0], open: row[1], high: row[2], low: row[3], close: row[4], volume: row[5] });
}

/** A WebSocket `kline` event; returns the bar only once it is closed (`k.x`), since scanners act on closed bars. */
export function parseBinanceKlineEvent(message: unknown): Bar | undefined {
  const m = message as { e?: string; k?: { t: number; s: string; o: string; h: string; l: string; c: string; v: string; x: boolean } };
  if (m?.e !== 'kline' || !m.k) throw new VenueError('binance', 'message is not a kline event');
  if (!m.k.x) return undefined;
  return toBar('binance', { symbol: m.k.s, time: m.k.t, open: m.k.o, high: m.k.h, low: m.k.l, close: m.k.c, volume: m.k.v });
}

export interface BinanceOptions extends RequestBounds {
  /** REST base, e.g. https://api.binance.com */
  baseUrl: string;
  /** WebSocket base, e.g. wss://stream.binance.com:9443 */
  streamUrl?: string;
  symbols: string[];
}

export class BinanceProvider implements MarketDataProvider {
  readonly name = 'binance';
  constructor(private readonly options: BinanceOptions) {}

  async symbols() {
    return this.options.symbols;
  }

  async history(symbol: string, query: HistoryQuery = {}): Promise<Bar[]> {
    const interval = query.interval ?? '1d';
    const url = new URL('/api/v3/klines', this.options.baseUrl);
    url.searchParams.set('symbol', symbol);
    url.searchParams.set('interval', binanceIntervals[interval] as string);
    url.searchParams.set('limit', '1000');
    if (query.from !== undefined) url.searchParams.set('startTime', String(query.from));
    if (query.to !== undefined) url.searchParams.set('endTime', String(query.to));
    const body = await getJson('binance', url, this.options);
    if (!Array.isArray(body)) throw new VenueError('binance', 'klines response is not an array');
    return body.map((row) => parseBinanceKline(symbol, row));
  }

  /**
   * Closed klines from the combined WebSocket stream. A malformed message or a socket error goes
   * to `onError` (never thrown from the socket's handlers); the stream closing other than by the
   * returned function is reported with `ended` true, and the caller decides when to reconnect.
   */
  subscribe(
    symbols: string[],
    onBar: (bar: Bar) => void,
    interval: Interval = '1m',
    onError: (error: VenueError, ended: boolean) => void = () => undefined,
  ): () => void {
    if (!this.options.streamUrl) throw new VenueError('binance', 'no stream URL configured');
    const streams = symbols.map((s) => `${s.toLowerCase()}@kline_${binanceIntervals[interval]}`).join('/');
    const socket = new WebSocket(`${this.options.streamUrl}/stream?streams=${streams}`, { handshakeTimeout: this.options.timeoutMs ?? 10_000, maxPayload: 1024 * 1024 });
    let closedByCaller = false;
    socket.on('message', (data) => {
      try {
        // Combined streams wrap each event as {stream, data}.
        const bar = parseBinanceKlineEvent((JSON.parse(String(data)) as { data: unknown }).data);
        if (bar) onBar(bar);
      } catch (err) {
        onError(err instanceof VenueError ? err : new VenueError('binance', `stream message is not a kline event: ${(err as Error).message}`), false);
      }
    });
    // 'close' follows every 'error', so only the close ends the stream.
    socket.on('error', (err) => onError(new VenueError('binance', `stream failed: ${err.message}`), false));
    socket.on('close', (code) => {
      if (!closedByCaller) onError(new VenueError('binance', `stream closed (code ${code})`), true);
    });
    return () => {
      closedByCaller = true;
      socket.terminate();
    };
  }
}

/** Alpha Vantage TIME_SERIES_DAILY: {"Time Series (Daily)": {"YYYY-MM-DD": {"1. open": "..", ...}}}. */
export function parseAlphaVantageDaily(symbol: string, body: unknown): Bar[] {
  const b = body as Record<string, unknown>;
  for (const key of ['Error Message', 'Note', 'Information']) if (typeof b?.[key] === 'string') throw new VenueError('alphavantage', b[key] as string);
  const series = b?.['Time Series (Daily)'] as Record<string, Record<string, string>> | undefined;
  if (!series || typeof series !== 'object') throw new VenueError('alphavantage', "response has no 'Time Series (Daily)'");
  return Object.entries(series)
    .map(([date, v]) =>
      toBar('alphavantage', {
        symbol,
        time: Date.parse(`${date}T00:00:00Z`),
        open: v['1. open'],
        high: v['2. high'],
        low: v['3. low'],
        close: v['4. close'],
        volume: v['5. volume'],
      }),
    )
    .sort((x, y) => x.time - y.time);
}

export interface AlphaVantageOptions extends RequestBounds {
  baseUrl: string;
  apiKey: string;
  symbols: string[];
}

export class AlphaVantageProvider implements MarketDataProvider {
  readonly name = 'alphavantage';
  constructor(private readonly options: AlphaVantageOptions) {}

  async symbols() {
    return this.options.symbols;
  }

  async history(symbol: string, query: HistoryQuery = {}): Promise<Bar[]> {
    if (query.interval && query.interval !== '1d') throw new VenueError('alphavantage', `only daily bars are supported, asked for ${query.interval}`);
    const url = new URL('/query', this.options.baseUrl);
    url.searchParams.set('function', 'TIME_SERIES_DAILY');
    url.searchParams.set('symbol', symbol);
    // The last 100 days when resuming from a date, else the whole history.
    url.searchParams.set('outputsize', query.from === undefined ? 'full' : 'compact');
    url.searchParams.set('apikey', this.options.apiKey);
    const bars = parseAlphaVantageDaily(symbol, await getJson('alphavantage', url, this.options));
    const from = query.from ?? -Infinity;
    const to = query.to ?? Infinity;
    return bars.filter((bar) => bar.time >= from && bar.time <= to);
  }
}
