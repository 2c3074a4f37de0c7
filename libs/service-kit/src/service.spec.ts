import { spawn } from 'node:child_process';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import { createLogger } from './logger';
import { createService, REQUEST_TIMEOUT_MS } from './service';

const config = { PORT: 0, HOST: '127.0.0.1', LOG_LEVEL: 'silent' };

describe('createService', () => {
  it('answers /health, /ready and /metrics', async () => {
    const service = createService({ name: 'unit', config });
    const health = await service.app.inject({ method: 'GET', url: '/health' });
    expect(health.statusCode).toBe(200);
    expect(health.json()).toMatchObject({ status: 'ok', service: 'unit' });

    const ready = await service.app.inject({ method: 'GET', url: '/ready' });
    expect(ready.statusCode).toBe(200);

    const metrics = await service.app.inject({ method: 'GET', url: '/metrics' });
    expect(metrics.statusCode).toBe(200);
    expect(metrics.headers['content-type']).toMatch(/^text\/plain/);
    expect(metrics.body).toContain('http_request_duration_seconds_bucket');
    expect(metrics.body).toContain('service="unit"');
    await service.stop();
  });

  it('reports 503 naming the failing dependency until it is up', async () => {
    let up = false;
    const service = createService({ name: 'unit', config });
    service.addReadinessCheck({
      name: 'database',
      check: () => {
        if (!up) throw new Error('connection refused');
      },
    });
    const down = await service.app.inject({ method: 'GET', url: '/ready' });
    expect(down.statusCode).toBe(503);
    expect(down.json()).toEqual({ status: 'not ready', missing: ['database'], checks: { database: 'connection refused' } });
    expect(down.headers['retry-after']).toBe('2');
    up = true;
    expect((await service.app.inject({ method: 'GET', url: '/ready' })).statusCode).toBe(200);
    await service.stop();
  });

  it('stays ready but reports "degraded" with the note of a check that works degraded', async () => {
    const service = createService({ name: 'unit', config });
    service.addReadinessCheck({ name: 'database', check: () => undefined });
    service.addReadinessCheck({ name: 'market', check: () => 'degraded: 2 of 2 symbols stale' });
    const res = await service.app.inject({ method: 'GET', url: '/ready' });
    expect(res.statusCode).toBe(200);
    expect(res.json()).toEqual({ status: 'degraded', degraded: ['market'], checks: { database: 'ok', market: 'degraded: 2 of 2 symbols stale' } });
    await service.stop();
  });

  it('bounds the time a client may take to send a request (slowloris), not the answer', async () => {
    const service = createService({ name: 'unit', config });
    expect(service.app.server.requestTimeout).toBe(REQUEST_TIMEOUT_MS);
    await service.stop();
  });

  it('reports a dependency that hangs as down within the readiness timeout', async () => {
    const service = createService({ name: 'unit', config, readinessTimeoutMs: 200 });
    service.addReadinessCheck({ name: 'redis', check: () => new Promise<void>(() => undefined) });
    // The answer names the timeout: the hung check was cut off by it, not waited out.
    const down = await service.app.inject({ method: 'GET', url: '/ready' });
    expect(down.statusCode).toBe(503);
    expect(down.json()).toEqual({ status: 'not ready', missing: ['redis'], checks: { redis: 'no answer within 200 ms' } });
    await service.stop();
  });

  it('stops gracefully on SIGTERM, running onClose, before the shutdown deadline forces an exit', async () => {
    const child = spawn(process.execPath, ['--import', 'tsx', join(__dirname, '__fixtures__/signal-service.ts')], {
      env: { ...process.env, PORT: '0' },
      stdio: ['ignore', 'pipe', 'inherit'],
    });
    let output = '';
    await new Promise<void>((resolve, reject) => {
      child.stdout.on('data', (chunk) => {
        output += chunk;
        if (output.includes('READY')) resolve();
      });
      child.on('exit', () => reject(new Error(`exited early: ${output}`)));
    });
    const url = /READY (\S+)/.exec(output)![1];
    expect((await fetch(`${url}/health`)).status).toBe(200);
    child.kill('SIGTERM');
    const code = await new Promise<number | null>((resolve) => child.on('exit', resolve));
    // 0, not the 1 of an exit forced by the shutdown deadline (shutdownTimeoutMs).
    expect(code).toBe(0);
    expect(output).toContain('"msg":"stopped"');
  });
});

describe('log redaction', () => {
  const jwt = 'eyJhbGciOiJIUzI1NiJ9.eyJyb2xlIjoiYWRtaW4ifQ.c2lnbmF0dXJl';
  const capture = () => {
    const lines: string[] = [];
    const sink = new Writable({ write: (chunk, _encoding, done) => (lines.push(String(chunk)), done()) });
    return { lines, sink };
  };

  it('writes the request line of a ?token= URL with the token redacted', async () => {
    const { lines, sink } = capture();
    const service = createService({ name: 'unit', config: { ...config, LOG_LEVEL: 'info' }, logDestination: sink });
    service.app.get('/ws', async () => ({ ok: true }));
    expect((await service.app.inject({ method: 'GET', url: `/ws?channels=quotes&token=${jwt}&x=1` })).statusCode).toBe(200);
    await service.stop();
    const text = lines.join('');
    expect(text).not.toContain(jwt);
    const request = lines.map((line) => JSON.parse(line)).find((entry) => entry.msg === 'request');
    expect(request.url).toBe('/ws?channels=quotes&token=[REDACTED]&x=1');
  });

  it('keeps authorization headers, token and password fields out of any line', () => {
    const { lines, sink } = capture();
    const log = createLogger('unit', 'info', sink);
    log.info({ req: { method: 'GET', url: `/ws?token=${jwt}`, headers: { authorization: `Bearer ${jwt}` } } }, 'incoming');
    log.info({ token: jwt, user: { password: 'hunter2' } }, 'fields');
    const text = lines.join('');
    expect(text).not.toContain(jwt);
    expect(text).not.toContain('hunter2');
  });
});
