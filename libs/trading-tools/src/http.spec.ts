import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import { McpServer } from '@modelcontextprotocol/sdk/server/mcp.js';
import type { CallToolResult } from '@modelcontextprotocol/sdk/types.js';
import { ACCOUNT_HEADER } from '@tradeyard/gateway-contract';
import Fastify, { type FastifyInstance } from 'fastify';
import { setTimeout as sleep } from 'node:timers/promises';
import { z } from 'zod';
import { bearerToken, sameSecret } from '@tradeyard/service-kit';
import { mountMcpEndpoint, type McpAuthenticator, type McpEndpointOptions, type McpIdentity } from './http';

// The endpoint keeps the servers it built and gives each to later requests of the same identity
// (here: the account a request names), through the official SDK client: a server answers only
// for the identity it was built for.
const token = 'http-spec-token-0123456789';

/** Calls that asked to wait are held until the gate opens, so that they overlap for sure. */
const gate = { waiting: 0, opened: Promise.resolve() };

/** A server with one tool answering the account it was built for. */
function accountServer(account: string | undefined) {
  const server = new McpServer({ name: 'account-echo', version: '1.0.0' });
  server.registerTool('whoami', { inputSchema: { wait: z.boolean().default(false) }, outputSchema: { account: z.string() } }, async ({ wait }) => {
    if (wait) {
      gate.waiting++;
      await gate.opened;
    }
    return { content: [{ type: 'text', text: account ?? 'service' }], structuredContent: { account: account ?? 'service' } };
  });
  return server;
}

let app: FastifyInstance;
let url: URL;
const built: (string | undefined)[] = [];
const clients: Client[] = [];

/** Each account a request names in ACCOUNT_HEADER is an identity of its own (the service's without one). */
const byAccountHeader: McpAuthenticator<McpIdentity & { account?: string }> = (request) => {
  if (!sameSecret(bearerToken(request), token)) return { status: 401, reason: 'missing or wrong bearer token' };
  const account = request.headers[ACCOUNT_HEADER] as string | undefined;
  return { identity: { key: account ?? 'service', account } };
};

async function start(idle?: McpEndpointOptions<McpIdentity>['idle']) {
  app = Fastify();
  built.length = 0;
  mountMcpEndpoint(app, { authenticate: byAccountHeader, idle, createServer: ({ account }) => (built.push(account), accountServer(account)) });
  url = new URL('/mcp', await app.listen({ port: 0, host: '127.0.0.1' }));
}

async function client(account?: string) {
  const headers: Record<string, string> = { authorization: `Bearer ${token}`, ...(account ? { [ACCOUNT_HEADER]: account } : {}) };
  const c = new Client({ name: 'http-spec', version: '1.0.0' });
  await c.connect(new StreamableHTTPClientTransport(url, { requestInit: { headers } }));
  clients.push(c);
  return c;
}

const whoami = async (c: Client, wait = false) => ((await c.callTool({ name: 'whoami', arguments: { wait } })) as CallToolResult).structuredContent?.account;

afterEach(async () => {
  await Promise.all(clients.splice(0).map((c) => c.close()));
  await app.close();
});

describe('mountMcpEndpoint reuses the servers it built, per identity', () => {
  it('builds one server per account for many sequential calls', async () => {
    await start();
    const alice = await client('alice');
    for (let i = 0; i < 10; i++) expect(await whoami(alice)).toBe('alice');
    expect(built).toEqual(['alice']);
  });

  it('never answers a request with a server built for another account, interleaved or concurrent', async () => {
    await start();
    const [alice, bob, service] = await Promise.all([client('alice'), client('bob'), client()]);
    for (let i = 0; i < 3; i++) {
      expect([await whoami(alice), await whoami(bob), await whoami(service)]).toEqual(['alice', 'bob', 'service']);
    }
    // Concurrent calls of one account each get a server of their own; none is shared mid-request.
    let open = () => {};
    gate.waiting = 0;
    gate.opened = new Promise((resolve) => (open = resolve));
    const callers = [alice, bob, alice, service, bob, alice];
    const answering = Promise.all(callers.map((c) => whoami(c, true)));
    while (gate.waiting < callers.length) await sleep(10);
    open();
    const answers = await answering;
    expect(answers).toEqual(['alice', 'bob', 'alice', 'service', 'bob', 'alice']);
    expect(built.filter((a) => a === 'alice').length).toBe(3);
    expect(built.filter((a) => a === 'bob').length).toBe(2);
    expect(built.filter((a) => a === undefined).length).toBe(1);
  });

  it('keeps at most idle.max idle servers', async () => {
    // idle.ms far beyond the test, so only the count bound can drop a server, however slow the machine.
    await start({ max: 1, ms: 3_600_000 });
    const alice = await client('alice');
    const bob = await client('bob');
    built.length = 0;
    // One idle server at most: each account's server pushes out the other's.
    for (const c of [alice, bob, alice, bob]) await whoami(c);
    expect(built).toEqual(['alice', 'bob', 'alice', 'bob']);
    await whoami(bob);
    expect(built.length).toBe(4);
  });

  it('keeps no idle server longer than idle.ms', async () => {
    await start({ max: 4, ms: 200 });
    const bob = await client('bob');
    await whoami(bob);
    // Longer than idle.ms since bob's server went idle, whatever the machine's speed: it was
    // dropped, and the next call builds one. (Whether the call above reused the server of the
    // client's connect depends on the machine's speed, so only what follows is counted.)
    const before = built.length;
    await sleep(300);
    await whoami(bob);
    expect(built.slice(before)).toEqual(['bob']);
  });
});
