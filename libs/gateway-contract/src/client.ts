import { request as undiciRequest } from 'undici';
import type { z } from 'zod';
import { arenaBoardSchema, arenaRunListSchema, type ArenaBoard } from './arena';
import { MARKET_HEADER, marketListSchema, marketSchema, type CreateMarket } from './markets';
import { apiTokenCreatedSchema, apiTokenListSchema, apiTokenSchema, whoAmISchema, type ApiTokenRequest } from './tokens';
import {
  accountSettingsSchema,
  apiErrorSchema,
  barListSchema,
  clockConsumerResponseSchema,
  clockControlResponseSchema,
  clockSchema,
  equityHistorySchema,
  loginResponseSchema,
  ocoGroupSchema,
  orderEventListSchema,
  orderListSchema,
  orderSchema,
  portfolioSchema,
  quoteDtoSchema,
  quoteListSchema,
  signalBatchResponseSchema,
  signalListSchema,
  signalSchema,
  symbolListSchema,
  type AccountSettings,
  type ApiError,
  type BarsQuery,
  type ClockControl,
  type OrdersQuery,
  type PlaceOco,
  type PlaceOrder,
  type Signal,
  type SignalsQuery,
} from './schemas';

/**
 * A failed call: the gateway's error answer ({error, message, details}), or, for an answer that
 * is not the contract's (an HTML page from a proxy, a body of the wrong shape), one the client
 * makes naming the status and what was wrong.
 */
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
  /** A JWT from /api/v1/auth/login, an API token or a service's credential (SCANNER_TOKEN, MCP_TOOLS_TOKEN, TRADING_AGENT_TOKEN). */
  token?: string;
  timeoutMs?: number;
  /** Sent with every request. */
  headers?: Record<string, string>;
}

type Query = Record<string, string | number | undefined>;
interface RequestInit<S extends z.ZodType> {
  body?: unknown;
  query?: Query;
  headers?: Record<string, string>;
  /** The contract's schema of a successful answer; the client checks the answer against it. */
  response?: S;
}

const describeIssues = (error: z.ZodError) =>
  error.issues
    .slice(0, 3)
    .map((i) => `${i.path.join('.') || '(body)'}: ${i.message}`)
    .join('; ');

/** Typed REST client of the API gateway, used by every service that talks to it. */
export class GatewayClient {
  constructor(private readonly options: GatewayClientOptions) {}

  withToken(token: string): GatewayClient {
    return new GatewayClient({ ...this.options, token });
  }

  /** This client acting in market `id` (MARKET_HEADER on every request): its clock, data and orders. */
  inMarket(id: string): GatewayClient {
    return new GatewayClient({ ...this.options, headers: { ...this.options.headers, [MARKET_HEADER]: id } });
  }


  async request<S extends z.ZodType = z.ZodUnknown>(method: string, path: string, init: RequestInit<S> = {}): Promise<z.output<S>> {
    const url = new URL(`/api/v1${path}`, this.options.baseUrl);
    for (const [key, value] of Object.entries(init.query ?? {})) {
      if (value !== undefined) url.searchParams.set(key, String(value));
    }
    const headers: Record<string, string> = { accept: 'application/json', ...this.options.headers, ...init.headers };
    if (this.options.token) headers.authorization = `Bearer ${this.options.token}`;
    if (init.body !== undefined) headers['content-type'] = 'application/json';
    // undici's request API on its keep-alive pool, not fetch: a third of fetch's CPU per call, which
    // an arena pays on every tool call and clock step.
    const res = await undiciRequest(url, {
      method,
      headers,
      body: init.body === undefined ? undefined : JSON.stringify(init.body),
      signal: AbortSignal.timeout(this.options.timeoutMs ?? 10_000),
    });
    const text = await res.body.text();
    let body: unknown;
    try {
      body = text ? JSON.parse(text) : undefined;
    } catch {
      // Not the gateway speaking: a proxy's or load balancer's error page, most likely.
      const type = res.headers['content-type'] ?? 'no content type';
      throw new GatewayError(res.statusCode, { error: 'invalid_response', message: `gateway answered ${res.statusCode} with ${type}, not JSON: ${text.slice(0, 80)}` });
    }
    if (res.statusCode < 200 || res.statusCode > 299) {
      const error = apiErrorSchema.safeParse(body);
      throw new GatewayError(res.statusCode, error.success ? error.data : { error: 'http_error', message: `gateway answered ${res.statusCode}` });
    }
    if (!init.response) return body as z.output<S>;
    const parsed = init.response.safeParse(body);
    if (!parsed.success) {
      throw new GatewayError(res.statusCode, { error: 'invalid_response', message: `${method} ${url.pathname} answered ${res.statusCode} with a body outside the contract: ${describeIssues(parsed.error)}` });
    }
    return parsed.data;
  }

  login(username: string, password: string) {
    return this.request('POST', '/auth/login', { body: { username, password }, response: loginResponseSchema });
  }
  /** Who this client's credential acts as. */
  whoAmI() {
    return this.request('GET', '/auth/me', { response: whoAmISchema });
  }
  createApiToken(request: ApiTokenRequest) {
    return this.request('POST', '/tokens', { body: request, response: apiTokenCreatedSchema });
  }
  listApiTokens() {
    return this.request('GET', '/tokens', { response: apiTokenListSchema });
  }
  revokeApiToken(id: string) {
    return this.request('DELETE', `/tokens/${encodeURIComponent(id)}`, { response: apiTokenSchema });
  }
  listSymbols() {
    return this.request('GET', '/symbols', { response: symbolListSchema });
  }
  getQuotes() {
    return this.request('GET', '/quotes', { response: quoteListSchema });
  }
  getQuote(symbol: string) {
    return this.request('GET', `/quotes/${encodeURIComponent(symbol)}`, { response: quoteDtoSchema });
  }
  getBars(symbol: string, query: BarsQuery = {}) {
    return this.request('GET', `/bars/${encodeURIComponent(symbol)}`, { query, response: barListSchema });
  }
  /** The market clock: every answer is as of its time. */
  listMarkets() {
    return this.request('GET', '/markets', { response: marketListSchema });
  }
  getMarket(id: string) {
    return this.request('GET', `/markets/${encodeURIComponent(id)}`, { response: marketSchema });
  }
  /** A simulated market over a universe and a date range, on a clock of its own (admin or the arena's credential). */
  createMarket(market: CreateMarket) {
    return this.request('POST', '/markets', { body: market, response: marketSchema });
  }
  /** Archives a simulated market: its clock stops, its accounts stay readable. */
  archiveMarket(id: string) {
    return this.request('DELETE', `/markets/${encodeURIComponent(id)}`, { response: marketSchema });
  }
  getClock() {
    return this.request('GET', '/clock', { response: clockSchema });
  }
  /** Pauses, resumes, steps, sets the speed of, restarts or puts in lockstep the replay (admin). */
  controlClock(control: ClockControl) {
    return this.request('POST', '/clock', { body: control, response: clockControlResponseSchema });
  }
  /** Registers a lockstep consumer (an admin or the scanner's credential): in lockstep the clock waits for its acknowledgements. */
  registerClockConsumer(name: string) {
    return this.request('POST', '/clock/consumers', { body: { name }, response: clockConsumerResponseSchema });
  }
  /** The consumer finished the step at `time` (the clock's current time); the clock moves once every consumer did. */
  ackClock(consumerId: string, time: number) {
    return this.request('POST', `/clock/consumers/${encodeURIComponent(consumerId)}/ack`, { body: { time }, response: clockConsumerResponseSchema });
  }
  deregisterClockConsumer(consumerId: string) {
    return this.request('DELETE', `/clock/consumers/${encodeURIComponent(consumerId)}`, { response: clockSchema });
  }
  placeOrder(order: PlaceOrder, idempotencyKey?: string) {
    return this.request('POST', '/orders', { body: order, headers: idempotencyKey ? { 'idempotency-key': idempotencyKey } : {}, response: orderSchema });
  }
  /** A one-cancels-other group: the first of its orders to trade or close cancels the others. */
  placeOcoOrders(group: PlaceOco, idempotencyKey?: string) {
    return this.request('POST', '/orders/oco', { body: group, headers: idempotencyKey ? { 'idempotency-key': idempotencyKey } : {}, response: ocoGroupSchema });
  }
  cancelOrder(id: string) {
    return this.request('DELETE', `/orders/${encodeURIComponent(id)}`, { response: orderSchema });
  }
  getOrder(id: string) {
    return this.request('GET', `/orders/${encodeURIComponent(id)}`, { response: orderSchema });
  }
  /** Every status change of an order, oldest first. */
  getOrderEvents(id: string) {
    return this.request('GET', `/orders/${encodeURIComponent(id)}/events`, { response: orderEventListSchema });
  }
  getOrders(query: OrdersQuery = {}) {
    return this.request('GET', '/orders', { query, response: orderListSchema });
  }
  getPortfolio() {
    return this.request('GET', '/portfolio', { response: portfolioSchema });
  }
  getEquity() {
    return this.request('GET', '/portfolio/equity', { response: equityHistorySchema });
  }
  /** The account's short selling, borrow fee and protections. */
  getAccountSettings() {
    return this.request('GET', '/account/settings', { response: accountSettingsSchema });
  }
  /** Changes the settings given (the rest keep their value); answers the whole settings. */
  updateAccountSettings(settings: AccountSettings) {
    return this.request('PUT', '/account/settings', { body: settings, response: accountSettingsSchema });
  }
  postSignal(signal: Signal) {
    return this.request('POST', '/signals', { body: signal, response: signalSchema });
  }
  /** Posts up to MAX_SIGNAL_BATCH signals in one request; each is stored once per id. */
  postSignals(signals: Signal[]) {
    return this.request('POST', '/signals/batch', { body: { signals }, response: signalBatchResponseSchema });
  }
  searchSignals(query: SignalsQuery = {}) {
    return this.request('GET', '/signals', { query, response: signalListSchema });
  }
  /** Stores an arena run's leaderboard (an admin or the trading agent's credential); the runner republishes it as the run goes. */
  publishArenaBoard(board: ArenaBoard) {
    return this.request('PUT', `/arena/runs/${encodeURIComponent(board.runId)}`, { body: board, response: arenaBoardSchema });
  }
  /** Arena runs, newest first. */
  listArenaRuns() {
    return this.request('GET', '/arena/runs', { response: arenaRunListSchema });
  }
  getArenaBoard(runId: string) {
    return this.request('GET', `/arena/runs/${encodeURIComponent(runId)}`, { response: arenaBoardSchema });
  }
}
