import { execFile, execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { chownSync, existsSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';

/**
 * Real PostgreSQL and Redis servers for integration tests, started from the Debian packages in
 * temporary folders on free loopback ports and removed afterwards. `.ci/run` installs the
 * packages; where they are missing the helpers return a reason to print, never a fake server.
 */
export interface TestServer {
  url: string;
  /** Stops the server and removes its files. */
  stop(): Promise<void>;
  /** Takes the server down, keeping its data and port (fault tests: a dependency outage). */
  down(): Promise<void>;
  /** Brings it back after down(), on the same port; resolves once it accepts connections. */
  up(): Promise<void>;
  /** A restart as an operator does it: PostgreSQL `pg_ctl restart -m fast`, Redis down then up. */
  restart(): Promise<void>;
}

export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer()
      .once('error', reject)
      .listen(0, '127.0.0.1', () => {
        const { port } = server.address() as { port: number };
        server.close(() => resolve(port));
      });
  });
}

function postgresBin(): string | undefined {
  const root = '/usr/lib/postgresql';
  if (!existsSync(root)) return undefined;
  const version = readdirSync(root).sort().reverse().find((v) => existsSync(join(root, v, 'bin', 'pg_ctl')));
  return version && join(root, version, 'bin');
}

/**
 * Passes through why a suite cannot run here (undefined when it can). Under CI=true a missing
 * server or browser is an error instead: CI installs them (tools/ci/test-deps.sh), so a skip
 * there would hide a broken install behind a green run.
 */
export function unavailable(reason: string | undefined): string | undefined {
  if (reason && /^(true|1)$/.test(process.env['CI'] ?? '')) throw new Error(`${reason}: required under CI=true`);
  return reason;
}

/** Why startPostgres() cannot run here, or undefined when it can. */
export const postgresMissing = () => unavailable(postgresBin() ? undefined : 'no PostgreSQL server binaries (apt-get install postgresql)');
export const redisMissing = () => {
  try {
    execFileSync('redis-server', ['--version'], { stdio: 'ignore' });
    return undefined;
  } catch {
    return unavailable('no redis-server (apt-get install redis-server)');
  }
};

/** PostgreSQL refuses to run as root: run its tools as the `postgres` user in that case. */
function asPostgres(bin: string, args: string[]): [string, string[]] {
  return process.getuid?.() === 0 ? ['runuser', ['-u', 'postgres', '--', bin, ...args]] : [bin, args];
}

/**
 * Declares a spec's PostgreSQL part: `declare` gets the server started for the file (read it
 * inside tests and hooks) and stopped after it; where no server can start here, one skipped test
 * named `name` says why instead.
 */
export function onPostgres(name: string, declare: (server: () => TestServer) => void): void {
  const missing = postgresMissing();
  if (missing) {
    it.skip(`${name}: skipped: ${missing}`, () => undefined);
    return;
  }
  let server: TestServer | undefined;
  beforeAll(async () => {
    server = await startPostgres();
  });
  afterAll(() => server?.stop());
  declare(() => server!);
}

export async function startPostgres(): Promise<TestServer> {
  const bin = postgresBin();
  if (!bin) throw new Error(postgresMissing());
  const dir = mkdtempSync(join(tmpdir(), 'tradeyard-pg-'));
  if (process.getuid?.() === 0) {
    const uid = Number(execFileSync('id', ['-u', 'postgres'], { encoding: 'utf8' }));
    const gid = Number(execFileSync('id', ['-g', 'postgres'], { encoding: 'utf8' }));
    chownSync(dir, uid, gid);
  }
  const port = await freePort();
  const data = join(dir, 'data');
  execFileSync(...asPostgres(join(bin, 'initdb'), ['-D', data, '-U', 'postgres', '--auth=trust', '-E', 'UTF8']), { stdio: 'ignore' });
  const pgCtl = (...args: string[]) => execFileSync(...asPostgres(join(bin, 'pg_ctl'), ['-D', data, ...args]), { stdio: 'ignore' });
  // Asynchronous, so a fault test keeps its load and clients running while the server changes state.
  const pgCtlAsync = async (...args: string[]) => void (await promisify(execFile)(...asPostgres(join(bin, 'pg_ctl'), ['-D', data, ...args])));
  const options = ['-l', join(dir, 'log'), '-w', '-o', `-p ${port} -k ${dir} -c listen_addresses=127.0.0.1 -c fsync=off`];
  pgCtl(...options, 'start');
  return {
    url: `postgres://postgres@127.0.0.1:${port}/postgres`,
    down: () => pgCtlAsync('-m', 'fast', '-w', 'stop'),
    up: () => pgCtlAsync(...options, 'start'),
    restart: () => pgCtlAsync(...options, '-m', 'fast', 'restart'),
    async stop() {
      try {
        if (existsSync(join(data, 'postmaster.pid'))) pgCtl('-m', 'immediate', 'stop');
      } finally {
        rmSync(dir, { recursive: true, force: true });
      }
    },
  };
}

export async function startRedis(): Promise<TestServer> {
  const missing = redisMissing();
  if (missing) throw new Error(missing);
  const port = await freePort();
  // An append-only file, as compose runs Redis: down() then up() keeps the event stream, so a
  // replica that had not yet read every entry before an outage still reads them after it.
  const dir = mkdtempSync(join(tmpdir(), 'tradeyard-redis-'));
  let child: ChildProcess | undefined;
  const up = async () => {
    child = spawn('redis-server', ['--port', String(port), '--bind', '127.0.0.1', '--dir', dir, '--save', '', '--appendonly', 'yes'], { stdio: 'ignore' });
    const deadline = Date.now() + 10_000;
    for (;;) {
      try {
        if ((await promisify(execFile)('redis-cli', ['-p', String(port), 'ping'], { encoding: 'utf8' })).stdout.trim() === 'PONG') break;
      } catch {
        // not up yet
      }
      if (Date.now() > deadline) throw new Error('redis-server did not start within 10 s');
      await new Promise((r) => setTimeout(r, 100));
    }
  };
  const down = async () => {
    const running = child;
    child = undefined;
    if (!running || running.exitCode !== null) return;
    running.kill('SIGTERM');
    await new Promise((r) => running.once('exit', r));
  };
  await up();
  return {
    url: `redis://127.0.0.1:${port}`,
    up,
    down,
    async restart() {
      await down();
      await up();
    },
    async stop() {
      await down();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
