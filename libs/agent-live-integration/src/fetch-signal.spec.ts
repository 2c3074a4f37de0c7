import { fetchOverUndici } from '@tradeyard/agent-live';
import { getEventListeners } from 'node:events';
import { createServer, type Server } from 'node:http';

// The MCP SDK's transport passes one signal to every request; fetchOverUndici must leave no
// listener on it per request (Node's fetch keeps one until garbage collection) and still abort,
// and answer as fetch does: status, headers, body, an empty answer, an event stream read as it comes.
let server: Server;
let url: string;
beforeAll(async () => {
  server = createServer((req, res) => {
    if (req.url === '/slow') return void setTimeout(() => res.end('late'), 5_000).unref();
    if (req.url === '/accepted') return void res.writeHead(202).end();
    if (req.url === '/echo') return void req.pipe(res.writeHead(201, { 'content-type': 'text/plain', 'x-method': req.method ?? '', 'x-token': req.headers.authorization ?? '' }));
    if (req.url === '/events') {
      res.writeHead(200, { 'content-type': 'text/event-stream' }).write('data: one\n\n');
      return void setTimeout(() => res.end('data: two\n\n'), 50).unref();
    }
    res.writeHead(200, { 'content-type': 'application/json' }).end('{"ok":true}');
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  url = `http://127.0.0.1:${(server.address() as { port: number }).port}`;
});
afterAll(() => new Promise((resolve) => server.close(resolve)));

describe('fetchOverUndici', () => {
  it('leaves no listener on the shared signal after each request', async () => {
    const shared = new AbortController();
    for (let i = 0; i < 50; i++) expect(await (await fetchOverUndici(`${url}/json`, { signal: shared.signal })).json()).toEqual({ ok: true });
    // undici lets go when the answer's body closes, just after it is read.
    await new Promise((resolve) => setImmediate(resolve));
    expect(getEventListeners(shared.signal, 'abort')).toHaveLength(0);
  });

  it('aborts a request under way when the shared signal aborts, and one started after', async () => {
    const shared = new AbortController();
    const pending = fetchOverUndici(`${url}/slow`, { signal: shared.signal });
    setTimeout(() => shared.abort(new Error('transport closed')), 50);
    await expect(pending).rejects.toThrow('transport closed');
    await expect(fetchOverUndici(`${url}/json`, { signal: shared.signal })).rejects.toThrow('transport closed');
    expect(getEventListeners(shared.signal, 'abort')).toHaveLength(0);
  });

  it('answers as fetch does: status, headers and body; an empty answer; an event stream as it comes', async () => {
    const echo = await fetchOverUndici(`${url}/echo`, { method: 'POST', headers: new Headers({ authorization: 'Bearer t' }), body: 'hello' });
    expect([echo.status, echo.ok, echo.headers.get('x-method'), echo.headers.get('x-token'), await echo.text()]).toEqual([201, true, 'POST', 'Bearer t', 'hello']);
    const accepted = await fetchOverUndici(`${url}/accepted`, { method: 'POST', body: '{}' });
    expect([accepted.status, await accepted.text()]).toEqual([202, '']);
    const reader = (await fetchOverUndici(`${url}/events`)).body!.pipeThrough(new TextDecoderStream()).getReader();
    expect((await reader.read()).value).toBe('data: one\n\n');
    let rest = '';
    for (let chunk = await reader.read(); !chunk.done; chunk = await reader.read()) rest += chunk.value;
    expect(rest).toBe('data: two\n\n');
  });
});
