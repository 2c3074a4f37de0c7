import { Writable } from 'node:stream';
import { z } from 'zod';
import { HttpError, recogniseUnavailable } from './errors';
import { DependencyUnavailableError } from './failures';
import { createService } from './service';

const config = { PORT: 0, HOST: '127.0.0.1', LOG_LEVEL: 'error' };
const json = { 'content-type': 'application/json' };

function serviceWithErrors(unavailable?: (error: Error) => DependencyUnavailableError | undefined) {
  const logged: string[] = [];
  const logDestination = new Writable({ write: (chunk, _enc, done) => (logged.push(String(chunk)), done()) });
  const service = createService({ name: 'unit', config, logDestination });
  const { app } = service;
  if (unavailable) recogniseUnavailable(app, unavailable);
  app.post('/things', { bodyLimit: 64, schema: { body: z.strictObject({ name: z.string().min(1, 'must not be empty') }) } }, async (request) => request.body);
  app.get('/zod', async () => z.object({ n: z.number() }).parse({ n: 'x' }));
  app.get('/teapot', async () => {
    throw new HttpError(418, { error: 'teapot', message: 'short and stout' });
  });
  app.get('/crash', async () => {
    throw new Error('password=hunter2 at /srv/secret.ts:12');
  });
  app.get('/down', async () => {
    throw new DependencyUnavailableError('database', 'connection refused', 5);
  });
  app.get('/redis', async () => {
    throw Object.assign(new Error('Connection is closed.'), { name: 'RedisError' });
  });
  return { service, logged };
}

describe('errorHandling', () => {
  const { service, logged } = serviceWithErrors((error) => (error.name === 'RedisError' ? new DependencyUnavailableError('redis', error.message) : undefined));
  const { app } = service;
  afterAll(() => service.stop());

  it('answers a malformed JSON body with 400 naming the body', async () => {
    const res = await app.inject({ method: 'POST', url: '/things', headers: json, payload: '{"name": ' });
    expect(res.statusCode).toBe(400);
    expect(res.json()).toEqual({ error: 'bad_request', message: 'body is not valid JSON', details: [{ field: 'body', rule: 'must be valid JSON' }] });
  });

  it('answers bad input with 400 naming each field and rule', async () => {
    const res = await app.inject({ method: 'POST', url: '/things', headers: json, payload: { name: '', extra: 1 } });
    expect(res.statusCode).toBe(400);
    expect(res.json()).toEqual({
      error: 'validation_failed',
      message: 'body.name: must not be empty; body: unknown field(s): extra',
      details: [
        { field: 'body.name', rule: 'must not be empty' },
        { field: 'body', rule: 'unknown field(s): extra' },
      ],
    });
  });

  it('answers a ZodError a handler lets escape as 400, not 500', async () => {
    const res = await app.inject('/zod');
    expect(res.statusCode).toBe(400);
    expect(res.json()).toEqual({ error: 'validation_failed', message: 'body.n: Invalid input: expected number, received string', details: [{ field: 'body.n', rule: 'Invalid input: expected number, received string' }] });
  });

  it('answers an unknown route with 404 naming it', async () => {
    const res = await app.inject('/nope?x=1');
    expect(res.statusCode).toBe(404);
    expect(res.json()).toEqual({ error: 'not_found', message: 'no route GET /nope' });
  });

  it('answers a too-large body with 413', async () => {
    const res = await app.inject({ method: 'POST', url: '/things', headers: json, payload: { name: 'x'.repeat(100) } });
    expect(res.statusCode).toBe(413);
    expect(res.json()).toEqual({ error: 'payload_too_large', message: 'Request body is too large' });
  });

  it('answers an unsupported content type with 415', async () => {
    const res = await app.inject({ method: 'POST', url: '/things', headers: { 'content-type': 'text/csv' }, payload: 'a,b' });
    expect(res.statusCode).toBe(415);
    expect(res.json()).toEqual({ error: 'unsupported_media_type', message: 'Unsupported Media Type' });
  });

  it('sends a thrown HttpError as it is', async () => {
    const res = await app.inject('/teapot');
    expect(res.statusCode).toBe(418);
    expect(res.json()).toEqual({ error: 'teapot', message: 'short and stout' });
  });

  it('answers a crash with 500 that leaks nothing, and logs it', async () => {
    const res = await app.inject('/crash');
    expect(res.statusCode).toBe(500);
    expect(res.json()).toEqual({ error: 'internal', message: 'internal error; see the unit log' });
    expect(logged.join('')).toContain('unhandled error');
  });

  it('answers a down dependency with 503 and Retry-After', async () => {
    const res = await app.inject('/down');
    expect(res.statusCode).toBe(503);
    expect(res.headers['retry-after']).toBe('5');
    expect(res.json()).toEqual({ error: 'unavailable', message: 'database unavailable: connection refused; retry in 5 s' });
  });

  it('answers an error the service recognises as a dependency being down with 503', async () => {
    const res = await app.inject('/redis');
    expect(res.statusCode).toBe(503);
    expect(res.headers['retry-after']).toBe('2');
    expect(res.json()).toEqual({ error: 'unavailable', message: 'redis unavailable: Connection is closed.; retry in 2 s' });
  });

  it('refuses control characters on the kit’s own routes in the same shape', async () => {
    const res = await app.inject({ method: 'GET', url: '/ready?x=%00' });
    expect(res.statusCode).toBe(400);
    expect(res.json()).toEqual({ error: 'validation_failed', message: 'query.x: must not contain control characters (found U+0000)', details: [{ field: 'query.x', rule: 'must not contain control characters (found U+0000)' }] });
  });
});
