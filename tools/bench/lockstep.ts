/**
 * A full lockstep replay through the gateway: the real gateway in-process on PGlite (SPX, the
 * bundled monthly stocks and the 100-symbol synthetic universe, 100 × 5,105 daily bars), its clock
 * in lockstep from the first day to the last, and the real scanner service with its four starter
 * rules as the only consumer: it gets each step's bars from the /ws steps channel and sends the
 * step's signals with its acknowledgement (BENCH_ACK=rest: posts them, then acknowledges over REST). Beside it, in the same run, the same rules scanning
 * the same bars in-process (scanHistory): the floor the pipeline could reach.
 * Goal (issue 12): the lockstep replay under 30 s. Run: npx tsx tools/bench/lockstep.ts
 * (BENCH_SYMBOLS sets the synthetic universe's size, BENCH_DAYS the number of days replayed,
 * BENCH_ACK=rest acknowledges over REST instead of the WebSocket, to compare the two;
 * BENCH_DATABASE=postgres puts the gateway on a PostgreSQL server (the Debian package, started in a
 * temporary folder), as compose deploys it, instead of the in-process PGlite of npm start.)
 */
import { cpus, loadavg } from 'node:os';
import { workspaceLibs } from './workspace-libs';

const lib = workspaceLibs('bench-lockstep');
const { openDatabase, startPostgres } = lib<typeof import('@tradeyard/persistence')>('../../libs/persistence/src/index.ts');
const { createLogger, parseConfig } = lib<typeof import('@tradeyard/service-kit')>('../../libs/service-kit/src/index.ts');
const { createGateway, gatewayConfigSchema } = lib<typeof import('@tradeyard/gateway-server')>('../../libs/gateway-server/src/index.ts');
const { GatewayClient } = lib<typeof import('@tradeyard/gateway-contract')>('../../libs/gateway-contract/src/index.ts');
const { InMemoryProvider, isoDate, loadSp500 } = lib<typeof import('@tradeyard/market-data')>('../../libs/market-data/src/index.ts');
const { testGatewaySecrets: secrets } = lib<typeof import('@tradeyard/gateway-testing')>('../../libs/gateway-testing/src/index.ts');
const { createScanner, defaultRules, GatewayFeed, scanHistory, scannerConfigSchema } = lib<typeof import('@tradeyard/scanner-core')>('../../libs/scanner-core/src/index.ts');

const symbols = Number(process.env.BENCH_SYMBOLS ?? 100);
const spx = loadSp500();
const days = Math.min(Number(process.env.BENCH_DAYS ?? spx.length), spx.length);
const ackOverRest = process.env.BENCH_ACK === 'rest';
const onPostgres = process.env.BENCH_DATABASE === 'postgres';
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

async function main() {
  const first = isoDate(spx[0].time);
  const last = isoDate(spx[days - 1].time);
  const config = parseConfig(gatewayConfigSchema, { HOST: '127.0.0.1', LOG_LEVEL: 'silent', SYNTHETIC_SYMBOLS: String(symbols), REPLAY_START_DATE: first, ...secrets });
  const postgres = onPostgres ? await startPostgres() : undefined;
  const gateway = await createGateway({ ...config, PORT: 0 }, { database: await openDatabase(postgres ? { url: postgres.url } : {}) });
  const url = await gateway.start();
  const anonymous = new GatewayClient({ baseUrl: url });
  const admin = anonymous.withToken((await anonymous.login(secrets.ADMIN_USERNAME, secrets.ADMIN_PASSWORD)).token);
  const service = anonymous.withToken(secrets.SCANNER_TOKEN);
  // The clock stands at the first day in lockstep before the scanner joins: nothing moves until it acknowledges.
  await admin.controlClock({ action: 'restart', startDate: first, endDate: last });
  await admin.controlClock({ action: 'lockstep' });

  // The scanner's own feed acknowledges over the socket; the REST variant is the same feed told otherwise.
  const restFeed = () =>
    new GatewayFeed(url, secrets.SCANNER_TOKEN, createLogger('scanner', 'silent'), undefined, { client: service, name: 'scanner', settle: () => scanner.poster()!.settled(), ackOverRest: true });
  const scanner = createScanner(
    {
      ...parseConfig(scannerConfigSchema, { LOG_LEVEL: 'silent', HOST: '127.0.0.1', GATEWAY_URL: url, SCANNER_TOKEN: secrets.SCANNER_TOKEN, SCANNER_LOCKSTEP: 'true', SIGNAL_HISTORY: '100' }),
      PORT: 0,
    },
    ackOverRest ? { feed: restFeed() } : {},
  );
  let bars = 0;
  const onBar = scanner.engine.onBar.bind(scanner.engine);
  scanner.engine.onBar = (bar) => {
    bars++;
    onBar(bar);
  };
  let signals = 0;
  scanner.engine.onSignal(() => signals++);

  const started = process.hrtime.bigint();
  const cpuBefore = process.cpuUsage();
  const loadBefore = loadavg()[0];
  await scanner.start();
  const lastTime = spx[days - 1].time;
  let clock = await service.getClock();
  for (let polls = 0; clock.consumers[0]?.lastAckTime !== lastTime; polls++) {
    if (polls > 0 && polls % 10 === 0) console.log(`  ${clock.date}: ${bars} bars so far, ${(Number(process.hrtime.bigint() - started) / 1e9).toFixed(1)} s`);
    if (polls > 1200) throw new Error(`the replay did not finish in 10 minutes; the clock stands at ${clock.date}`);
    await sleep(500);
    clock = await service.getClock();
  }
  const seconds = Number(process.hrtime.bigint() - started) / 1e9;
  // Gateway, PGlite and scanner share this one process: its CPU time is what the replay costs
  // on an idle machine, whatever else the machine runs meanwhile (the wall time is not).
  const cpu = process.cpuUsage(cpuBefore);
  const cpuSeconds = (cpu.user + cpu.system) / 1e6;
  const stored = await gateway.db.query<{ n: number }>('SELECT count(*)::int AS n FROM signals');
  await scanner.stop();

  // The same bars, the same four rules, in-process: one engine fed bar by bar.
  const bySymbol = new Map(gateway.hub.symbols().map((symbol) => [symbol, gateway.hub.bars(symbol, { limit: 1_000_000 })!]));
  const inProcessStart = process.hrtime.bigint();
  const hits = await scanHistory(new InMemoryProvider('bench', bySymbol), defaultRules);
  const inProcessSeconds = Number(process.hrtime.bigint() - inProcessStart) / 1e9;
  const inProcessBars = [...bySymbol.values()].reduce((n, b) => n + b.length, 0);
  await gateway.stop();
  await postgres?.stop();

  console.log(`universe: SPX, ${bySymbol.size - 1 - symbols} monthly stocks, ${symbols} synthetic symbols; ${days} days (${first} .. ${last}); rules: ${defaultRules.map((r) => r.id).join(', ')}`);
  console.log(`lockstep replay through the gateway on ${onPostgres ? 'PostgreSQL' : 'PGlite'} (acks over ${ackOverRest ? 'REST' : 'the WebSocket'}) : ${bars} bars in ${seconds.toFixed(2)} s wall = ${Math.round(bars / seconds)} bars/s, ${days} steps (${((seconds * 1000) / days).toFixed(2)} ms/step), ${signals} signals fired, ${stored[0].n} stored`);
  console.log(`  CPU time of the process (gateway${onPostgres ? '' : ' + PGlite'} + scanner) over the replay: ${cpuSeconds.toFixed(2)} s; load average at start ${loadBefore.toFixed(1)}, at the end ${loadavg()[0].toFixed(1)} on ${cpus().length} cores`);
  console.log(`same bars scanned in-process       : ${inProcessBars} bars in ${inProcessSeconds.toFixed(2)} s = ${Math.round(inProcessBars / inProcessSeconds)} bars/s, ${hits.length} signals`);
  console.log(`goal < 30 s for the full replay    : ${days === spx.length && symbols >= 100 ? `${seconds < 30 ? 'met' : 'NOT met'} (wall ${seconds.toFixed(1)} s, CPU ${cpuSeconds.toFixed(1)} s)` : 'not measured (a smaller run)'}`);
}

main().then(
  () => process.exit(0),
  (err) => {
    console.error(err);
    process.exit(1);
  },
);
