import type { Bar } from '@tradeyard/market-data';
import type {
  ApiError,
  BarsQuery,
  EquityPoint,
  Order,
  OrderEventEntry,
  OrdersQuery,
  PlaceOrder,
  Portfolio,
  QuoteDto,
  Signal,
  SignalsQuery,
} from './schemas';

export class GatewayError extends Error {
  constructor(
    readonly status: number,
    readonly body: ApiError,
  ) {
    super(body.message);
    this.name = 'GatewayError';
  }
}

export interface GatewayClientOptions {
  baseUrl: string;
  /** A JWT from /api/v1/auth/login or a service token. */
  token?: string;
  timeoutMs?: number;
}

type Query = Record<string, string | number | undefined>;

/** Typed REST client of the API gateway, used by every service that talks to it. */
export class GatewayClient {
  constructor(private readonly options: GatewayClientOptions) {}

  withToken(token: string): GatewayClient {
    return new GatewayClient({ ...this.options, token });
  }

  async request<T>(method: string, path: string, init: { body?: unknown; query?: Query; headers?: Record<string, string> } = {}): Promise<T> {
    const url = new URL(`/api/v1${path}`, this.options.baseUrl);
    for (const [key, value] of Object.entries(init.query ?? {})) {
      if (value !== undefined) url.searchParams.set(key, String(value));
    }
    const headers: Record<string, string> = { accept: 'application/json', ...init.headers };
    if (this.options.token) headers.authorization = `Bearer ${this.options.token}`;
    if (init.body !== undefined) headers['content-type'] = 'application/json';
    const res = await fetch(url, {
      method,
      headers,
      body: init.body === undefined ? undefined : JSON.stringify(init.body),
      signal: AbortSignal.timeout(this.options.timeoutMs ?? 10_000),
    });
    const text = await res.text();
    const body = text ? JSON.parse(text) : undefined;
    if (!res.ok) {
      throw new GatewayError(res.status, body?.message ? body : { error: 'http_error', message: `gateway answered ${res.status}` });
    }
    return body as T;
  }

  login(username: string, password: string) {
    return this.request<{ token: string; role: string; expiresIn: number }>('POST', '/auth/login', { body: { username, password } });
  }
  listSymbols() {
    return this.request<{ symbol: string; source: string }[]>('GET', '/symbols');
  }
  getQuote(symbol: string) {
    return this.request<QuoteDto>('GET', `/quotes/${encodeURIComponent(symbol)}`);
  }
  getBars(symbol: string, query: BarsQuery = {}) {
    return this.request<Bar[]>('GET', `/bars/${encodeURIComponent(symbol)}`, { query });
  }
  placeOrder(order: PlaceOrder, idempotencyKey?: string) {
    return this.request<Order>('POST', '/orders', {
      body: order,
      headers: idempotencyKey ? { 'idempotency-key': idempotencyKey } : {},
    });
  }
  cancelOrder(id: string) {
    return this.request<Order>('DELETE', `/orders/${encodeURIComponent(id)}`);
  }
  getOrder(id: string) {
    return this.request<Order>('GET', `/orders/${encodeURIComponent(id)}`);
  }
  /** Every status change of an order, oldest first. */
  getOrderEvents(id: string) {
    return this.request<OrderEventEntry[]>('GET', `/orders/${encodeURIComponent(id)}/events`);
  }
  getOrders(query: OrdersQuery = {}) {
    return this.request<Order[]>('GET', '/orders', { query });
  }
  getPortfolio() {
    return this.request<Portfolio>('GET', '/portfolio');
  }
  getEquity() {
    return this.request<EquityPoint[]>('GET', '/portfolio/equity');
  }
  postSignal(signal: Signal) {
    return this.request<Signal>('POST', '/signals', { body: signal });
  }
  searchSignals(query: SignalsQuery = {}) {
    return this.request<Signal[]>('GET', '/signals', { query });
  }
}
