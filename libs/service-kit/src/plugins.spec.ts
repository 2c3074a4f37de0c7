import { createSigner } from 'fast-jwt';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { bearerVerifier, declareRouteAuth } from './auth';
import { createService } from './service';

const config = { PORT: 0, HOST: '127.0.0.1', LOG_LEVEL: 'silent' };
const json = { 'content-type': 'application/json' };
const jwtSecret = 'unit-secret-unit-secret-unit-secret';
const serviceToken = 'unit-service-token';
const bearer = (role: string) => ({ authorization: `Bearer ${createSigner({ key: jwtSecret })({ username: 'u', role })}` });

const itemSchema = z.strictObject({ name: z.string().min(1, 'must not be empty'), size: z.number().int().max(10, 'must be at most 10') });
const itemQuery = z.strictObject({ limit: z.coerce.number().int().min(1, 'must be at least 1').default(5) });

function serviceWithRoutes() {
  const service = createService({ name: 'unit', config, auth: bearerVerifier({ serviceToken, jwtSecret }), openapi: { description: 'unit' } });
  void service.app.register(async (scope) => {
    const app = scope.withTypeProvider<ZodTypeProvider>();
    app.post('/items/:group', {
      schema: { params: z.object({ group: z.enum(['a', 'b']) }), querystring: itemQuery, body: itemSchema, response: { 201: z.object({ group: z.string(), name: z.string(), limit: z.number() }) } },
      config: { auth: 'trader' },
    }, async (request, reply) => reply.code(201).send({ group: request.params.group, name: request.body.name, limit: request.query.limit, secret: 'not serialized' } as never));
    app.get('/items', { schema: { querystring: itemQuery }, config: { auth: 'viewer' } }, async (request) => ({ limit: request.query.limit }));
    app.get('/open', { config: { auth: 'public' } }, async () => ({ open: true }));
  });
  return service;
}

describe('zod route schemas through the type provider', () => {
  const service = serviceWithRoutes();
  const { app } = service;
  const trader = { ...json, authorization: `Bearer ${serviceToken}` };
  afterAll(() => service.stop());

  it('validates body, query and params, answering 400 naming each field and its rule', async () => {
    const res = await app.inject({ method: 'POST', url: '/items/c?limit=0', headers: trader, payload: { name: '', size: 11 } });
    expect(res.statusCode).toBe(400);
    // Fastify validates params first and stops at the first part that fails.
    expect(res.json()).toMatchObject({ error: 'validation_failed', details: [{ field: 'params.group', rule: expect.stringContaining('"a"') }] });

    const query = await app.inject({ method: 'POST', url: '/items/a?limit=0', headers: trader, payload: { name: 'x', size: 1 } });
    expect(query.json()).toEqual({ error: 'validation_failed', message: 'query.limit: must be at least 1', details: [{ field: 'query.limit', rule: 'must be at least 1' }] });

    const body = await app.inject({ method: 'POST', url: '/items/a', headers: trader, payload: { name: '', size: 11, extra: true } });
    expect(body.statusCode).toBe(400);
    expect(body.json().details).toEqual([
      { field: 'body.name', rule: 'must not be empty' },
      { field: 'body.size', rule: 'must be at most 10' },
      { field: 'body', rule: 'unknown field(s): extra' },
    ]);
  });

  // (A malformed body is answered before validation; errors.spec.ts covers it.)
  it('answers a missing body in the same shape, naming the body', async () => {
    const missing = await app.inject({ method: 'POST', url: '/items/a', headers: { authorization: `Bearer ${serviceToken}` } });
    expect(missing.statusCode).toBe(400);
    expect(missing.json()).toMatchObject({ error: 'validation_failed', details: [{ field: 'body.(root)' }] });
  });

  it('serializes the response through its schema (defaults applied, unknown fields dropped)', async () => {
    const res = await app.inject({ method: 'POST', url: '/items/b', headers: trader, payload: { name: 'x', size: 3 } });
    expect(res.statusCode).toBe(201);
    expect(res.json()).toEqual({ group: 'b', name: 'x', limit: 5 });
  });

  it('serves OpenAPI at /openapi.json listing each route with its request schemas', async () => {
    const res = await app.inject('/openapi.json');
    expect(res.statusCode).toBe(200);
    const doc = res.json();
    expect(doc.openapi).toMatch(/^3\./);
    expect(Object.keys(doc.paths)).toEqual(expect.arrayContaining(['/items/{group}', '/items', '/open', '/health', '/ready', '/metrics']));
    const post = doc.paths['/items/{group}'].post;
    expect(post.requestBody.content['application/json'].schema).toMatchObject({ required: ['name', 'size'], properties: { size: { type: 'integer', maximum: 10 } } });
    expect(post.parameters).toEqual(expect.arrayContaining([expect.objectContaining({ in: 'path', name: 'group' }), expect.objectContaining({ in: 'query', name: 'limit' })]));
    expect(post.security).toEqual([{ bearer: [] }]);
    expect(doc.paths['/open'].get.security).toBeUndefined();
  });
});

describe('route auth from config.auth', () => {
  const service = serviceWithRoutes();
  const { app } = service;
  afterAll(() => service.stop());

  it('admits the service token and a JWT whose role reaches the route, refusing the rest', async () => {
    const payload = { name: 'x', size: 1 };
    expect((await app.inject({ method: 'POST', url: '/items/a', payload })).statusCode).toBe(401);
    const viewer = await app.inject({ method: 'POST', url: '/items/a', headers: bearer('viewer'), payload });
    expect(viewer.statusCode).toBe(403);
    expect(viewer.json()).toEqual({ error: 'forbidden', message: 'requires role trader or admin; this token has role viewer' });
    expect((await app.inject({ method: 'POST', url: '/items/a', headers: bearer('trader'), payload })).statusCode).toBe(201);
    expect((await app.inject({ method: 'POST', url: '/items/a', headers: bearer('admin'), payload })).statusCode).toBe(201);
    expect((await app.inject({ method: 'POST', url: '/items/a', headers: { authorization: `Bearer ${serviceToken}` }, payload })).statusCode).toBe(201);
    const forged = await app.inject({ method: 'GET', url: '/items', headers: { authorization: `Bearer ${createSigner({ key: 'another-secret' })({ role: 'admin' })}` } });
    expect(forged.statusCode).toBe(401);
    expect(forged.headers['www-authenticate']).toBe('Bearer');
    expect((await app.inject({ method: 'GET', url: '/items', headers: bearer('viewer') })).statusCode).toBe(200);
    expect((await app.inject('/open')).statusCode).toBe(200);
    expect((await app.inject('/health')).statusCode).toBe(200);
  });

  it('checks credentials before the body is read, so an anonymous bad body is 401, not 400', async () => {
    expect((await app.inject({ method: 'POST', url: '/items/a', headers: json, payload: '{"name": ' })).statusCode).toBe(401);
  });

  it('refuses to start with a route that declares no config.auth, naming it', async () => {
    const forgetful = createService({ name: 'unit', config, auth: bearerVerifier({ serviceToken }) });
    // One added at once (before the kit's plugins load), one in a plugin of the app's.
    forgetful.app.get('/forgotten', async () => 'open?');
    void forgetful.app.register(async (scope) => void scope.post('/typo', { config: { auth: 'traders' as never } }, async () => 'open?'));
    await expect(forgetful.app.ready()).rejects.toThrow(/routes without a valid config\.auth .*: GET \/forgotten, .*POST \/typo/);
    await forgetful.app.close().catch(() => undefined);
  });

  it('lets a scope declare the auth of routes a library registers', async () => {
    const withLibrary = createService({ name: 'unit', config, auth: bearerVerifier({ serviceToken }) });
    declareRouteAuth(withLibrary.app, 'endpoint', (scope) => scope.get('/library', async () => 'checks its own clients'));
    await withLibrary.app.ready();
    expect((await withLibrary.app.inject('/library')).statusCode).toBe(200);
    await withLibrary.stop();
  });
});

describe('the admitted caller', () => {
  const verifier = bearerVerifier({ serviceToken, jwtSecret, serviceCaller: { role: 'trader', accountId: 'agent' }, missingTokenHint: 'log in first' });
  const service = createService({ name: 'unit', config, auth: verifier, openapi: { docsPage: '/docs' } });
  void service.app.register(async (app) => {
    app.get('/me', { config: { auth: 'viewer' } }, async (request) => request.caller);
    app.get('/admin', { config: { auth: 'admin' } }, async () => ({ ok: true }));
  });
  afterAll(() => service.stop());

  it('is the login token’s claims on the request, or the service token’s caller', async () => {
    const me = await service.app.inject({ url: '/me', headers: bearer('viewer') });
    expect(me.json()).toMatchObject({ username: 'u', role: 'viewer' });
    expect((await service.app.inject({ url: '/me', headers: { authorization: `Bearer ${serviceToken}` } })).json()).toEqual({ role: 'trader', accountId: 'agent' });
  });

  it('limits the service token to its caller’s role and says where a missing token comes from', async () => {
    const admin = await service.app.inject({ url: '/admin', headers: { authorization: `Bearer ${serviceToken}` } });
    expect(admin.json()).toEqual({ error: 'forbidden', message: 'requires role admin; this token has role trader' });
    expect((await service.app.inject('/admin')).json()).toEqual({ error: 'unauthorized', message: 'missing bearer token: log in first' });
  });

  it('checks a token given another way (a WebSocket ?token=) with the same rules', () => {
    expect(verifier.verifyToken(serviceToken, 'viewer')).toEqual({ role: 'trader', accountId: 'agent' });
    expect(() => verifier.verifyToken('wrong', 'viewer')).toThrow('invalid or expired token');
    expect(() => verifier.verifyToken(undefined, 'viewer')).toThrow('missing bearer token: log in first');
  });

  it('serves Swagger UI over the same OpenAPI document without credentials', async () => {
    expect((await service.app.inject('/docs')).statusCode).toBe(200);
    const fromUi = (await service.app.inject('/docs/json')).json();
    expect(fromUi).toEqual((await service.app.inject('/openapi.json')).json());
    expect(Object.keys(fromUi.paths)).toContain('/me');
  });
});
