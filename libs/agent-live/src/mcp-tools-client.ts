import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import type { CallToolResult, Tool } from '@modelcontextprotocol/sdk/types.js';

/** A tool answered isError, or the call itself failed; the message is the tool's own text. */
export class ToolCallError extends Error {
  constructor(
    readonly tool: string,
    message: string,
  ) {
    super(message);
    this.name = 'ToolCallError';
  }
}

export const resultText = (result: CallToolResult) =>
  result.content.map((c) => (c.type === 'text' ? c.text : `[${c.type}]`)).join('\n');

/**
 * fetch giving each request a signal of its own that follows the caller's. The SDK's transport
 * passes one signal to all its requests, and Node's fetch leaves a listener on it until the request
 * is garbage-collected: a busy client (an arena over the whole history) crossed Node's
 * 1,500-listener warning. The link is removed once the answer's headers are in, except for an
 * event stream, whose body is read on and must still stop when the transport closes.
 */
export const fetchWithOwnSignal: typeof fetch = async (input, init = {}) => {
  const shared = init.signal;
  if (!shared) return fetch(input, init);
  const own = new AbortController();
  const abort = () => own.abort(shared.reason);
  if (shared.aborted) abort();
  else shared.addEventListener('abort', abort, { once: true });
  try {
    const response = await fetch(input, { ...init, signal: own.signal });
    if (!response.headers.get('content-type')?.includes('text/event-stream')) shared.removeEventListener('abort', abort);
    return response;
  } catch (err) {
    shared.removeEventListener('abort', abort);
    throw err;
  }
};

/** The agent's MCP client of mcp-tools: connects on first use and again after a failure. */
export class McpToolsClient {
  private client?: Client;
  constructor(
    private readonly url: string,
    private readonly token?: string,
    /** Sent with every request, e.g. the arena agent's ACCOUNT_HEADER. */
    private readonly headers: Record<string, string> = {},
  ) {}

  private async connected(): Promise<Client> {
    if (this.client) return this.client;
    const client = new Client({ name: 'tradeyard-trading-agent', version: '0.1.0' });
    const headers: Record<string, string> = { ...this.headers, ...(this.token ? { authorization: `Bearer ${this.token}` } : {}) };
    await client.connect(new StreamableHTTPClientTransport(new URL(this.url), { requestInit: { headers }, fetch: fetchWithOwnSignal }));
    this.client = client;
    return client;
  }

  async listTools(): Promise<Tool[]> {
    return (await (await this.connected()).listTools()).tools;
  }

  /** The raw result; a transport failure drops the connection and rethrows. */
  async callRaw(name: string, args: Record<string, unknown> = {}): Promise<CallToolResult> {
    try {
      return (await (await this.connected()).callTool({ name, arguments: args })) as CallToolResult;
    } catch (err) {
      void this.close();
      throw new ToolCallError(name, `${name}: ${(err as Error).message}`);
    }
  }

  /** The structured result, or ToolCallError carrying the tool's text when it reports an error. */
  async call<T>(name: string, args: Record<string, unknown> = {}): Promise<T> {
    const result = await this.callRaw(name, args);
    if (result.isError) throw new ToolCallError(name, resultText(result));
    return result.structuredContent as T;
  }

  async close(): Promise<void> {
    const client = this.client;
    this.client = undefined;
    await client?.close().catch(() => undefined);
  }
}
