import { createServer, type Server } from 'node:http';

export interface ChatRequestBody {
  model: string;
  messages: Array<{ role: string; content: string | null; tool_call_id?: string }>;
  tools: unknown[];
}

/** A stand-in for an OpenAI-compatible API: replays recorded responses and keeps the requests it got. */
export async function startChatCompletions(respond: (request: ChatRequestBody, n: number) => unknown) {
  const received: Array<{ authorization?: string; body: ChatRequestBody }> = [];
  const server: Server = createServer((req, res) => {
    let raw = '';
    req.on('data', (chunk) => (raw += chunk));
    req.on('end', () => {
      if (req.method !== 'POST' || req.url !== '/v1/chat/completions') {
        res.writeHead(404, { 'content-type': 'application/json' }).end(JSON.stringify({ error: { message: 'not found', type: 'invalid_request_error' } }));
        return;
      }
      const body = JSON.parse(raw);
      received.push({ authorization: req.headers.authorization, body });
      res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify(respond(body, received.length - 1)));
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return { base: `http://127.0.0.1:${(server.address() as { port: number }).port}/v1`, received, close: () => new Promise((r) => server.close(r)) };
}
