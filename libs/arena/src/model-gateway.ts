import { createServer, type IncomingMessage, type Server } from 'node:http';

/** One chat-completions call as recorded: the request the agent's OpenAI client sent and the reply. */
export interface ModelExchange {
  request: unknown;
  response: { usage?: { prompt_tokens?: number; completion_tokens?: number; total_tokens?: number } } & Record<string, unknown>;
}

/** The recorded run and its replay differ in run ids, order ids and wall-clock times, never in anything a model decides on. */
export function comparableRequest(request: unknown, runId: string): string {
  return JSON.stringify(request)
    .split(runId)
    .join('<run>')
    .replace(/[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}/gi, '<uuid>')
    .replace(/\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?Z/g, '<time>');
}

export class ReplayDivergenceError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'ReplayDivergenceError';
  }
}

export type ModelSource =
  /** Forwards to the agent's real API (with the key its client sent) and records each exchange. */
  | { mode: 'record'; upstream: string; timeoutMs?: number }
  /** Serves a recording back in order; a request that differs from the recorded one is refused. */
  | { mode: 'replay'; recorded: ModelExchange[]; recordedRunId: string; runId: string };

const MAX_REQUEST_BYTES = 20 * 1024 * 1024;

async function readBody(req: IncomingMessage): Promise<string> {
  let size = 0;
  const chunks: Buffer[] = [];
  for await (const chunk of req as AsyncIterable<Buffer>) {
    size += chunk.length;
    if (size > MAX_REQUEST_BYTES) throw new Error(`request larger than ${MAX_REQUEST_BYTES} bytes`);
    chunks.push(chunk);
  }
  return Buffer.concat(chunks).toString('utf8');
}

/**
 * A local OpenAI-compatible chat-completions endpoint in front of one LLM agent's model. The agent
 * talks to it with the real OpenAI SDK (decideWithLlm), so recording and replay exercise the same
 * client path as a live model. Hand-written on node:http: it answers one route and needs no framework.
 */
export class ModelGateway {
  private server?: Server;
  private served = 0;
  /** Set when a replay diverged: the run fails with it even if the agent swallowed the error. */
  divergence?: ReplayDivergenceError;

  constructor(
    readonly agent: string,
    private readonly source: ModelSource,
    private readonly onExchange: (exchange: ModelExchange) => void,
  ) {}

  async start(): Promise<string> {
    this.server = createServer((req, res) => {
      const send = (status: number, body: unknown) => res.writeHead(status, { 'content-type': 'application/json' }).end(JSON.stringify(body));
      if (req.method !== 'POST' || req.url !== '/v1/chat/completions') return void send(404, { error: { message: `no route ${req.method} ${req.url}`, type: 'invalid_request_error' } });
      readBody(req)
        .then(async (raw) => {
          const request = JSON.parse(raw) as unknown;
          const response = await this.answer(request, req.headers.authorization);
          this.onExchange({ request, response });
          send(200, response);
        })
        .catch((err: Error) => {
          // 400, not 5xx: the SDK does not retry it, and a divergence must stop the decision at once.
          send(err instanceof ReplayDivergenceError ? 400 : 502, { error: { message: err.message, type: err instanceof ReplayDivergenceError ? 'replay_divergence' : 'upstream_error' } });
        });
    });
    await new Promise<void>((resolve) => this.server!.listen(0, '127.0.0.1', resolve));
    return `http://127.0.0.1:${(this.server.address() as { port: number }).port}/v1`;
  }

  private async answer(request: unknown, authorization: string | undefined): Promise<ModelExchange['response']> {
    const source = this.source;
    if (source.mode === 'replay') {
      const n = this.served++;
      const recorded = source.recorded[n];
      const fail = (why: string) => {
        this.divergence ??= new ReplayDivergenceError(`replay diverged: agent ${this.agent}, model call ${n + 1}: ${why}`);
        throw this.divergence;
      };
      if (!recorded) fail(`the recording holds only ${source.recorded.length} calls`);
      const expected = comparableRequest(recorded!.request, source.recordedRunId);
      const actual = comparableRequest(request, source.runId);
      if (expected !== actual) {
        let at = 0;
        while (at < expected.length && expected[at] === actual[at]) at++;
        fail(`the request differs from the recorded one at character ${at}: recorded …${expected.slice(Math.max(0, at - 40), at + 60)}…, now …${actual.slice(Math.max(0, at - 40), at + 60)}…`);
      }
      return recorded!.response;
    }
    const res = await fetch(`${source.upstream.replace(/\/$/, '')}/chat/completions`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', ...(authorization && { authorization }) },
      body: JSON.stringify(request),
      signal: AbortSignal.timeout(source.timeoutMs ?? 120_000),
    });
    const text = await res.text();
    if (!res.ok) throw new Error(`the model API answered ${res.status}: ${text.slice(0, 300)}`);
    return JSON.parse(text) as ModelExchange['response'];
  }

  /** Recorded calls the replay has not served: a replay that stops early diverged too. */
  unserved(): number {
    return this.source.mode === 'replay' ? this.source.recorded.length - this.served : 0;
  }

  async close(): Promise<void> {
    await new Promise<void>((resolve) => (this.server ? this.server.close(() => resolve()) : resolve()));
  }
}
