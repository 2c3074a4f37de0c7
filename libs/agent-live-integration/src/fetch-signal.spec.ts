import { fetchWithOwnSignal } from '@tradeyard/agent-live';
import { getEventListeners } from 'node:events';
import { createServer, type Server } from 'node:http';

// The MCP SDK's transport passes one signal to every request; fetchWithOwnSignal must leave no
// listener on it per request (Node's fetch keeps one until garbage collection) and still abort.
let server: Server;
let url: string;
beforeAll(async () => {
  server = createServer((req, res) => {
    if (req.url === '/slow') return void setTimeout(() => res.end('late'), 5_000).unref();
    res.writeHead(200, { 'content-type': 'application/json' }).end('{"ok":true}');
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  url = `http://127.0.0.1:${(server.address() as { port: number }).port}`;
});
afterAll(() => new Promise((resolve) => server.close(resolve)));

describe('fetchWithOwnSignal', () => {
  it('leaves no listener on the shared signal after each request', async () => {
    const shared = new AbortController();
    for (let i = 0; i < 50; i++) expect(await (await fetchWithOwnSignal(`${url}/json`, { signal: shared.signal })).json()).toEqual({ ok: true });
    expect(getEventListeners(shared.signal, 'abort')).toHaveLength(0);
  });

  it('aborts a request under way when the shared signal aborts, and one started after', async () => {
    const shared = new AbortController();
    const pending = fetchWithOwnSignal(`${url}/slow`, { signal: shared.signal });
    setTimeout(() => shared.abort(new Error('transport closed')), 50);
    await expect(pending).rejects.toThrow('transport closed');
    await expect(fetchWithOwnSignal(`${url}/json`, { signal: shared.signal })).rejects.toThrow('transport closed');
    expect(getEventListeners(shared.signal, 'abort')).toHaveLength(0);
  });
});
