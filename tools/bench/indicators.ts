/**
 * Indicator throughput: 500 synthetic symbols × 5 indicators (SMA 20, EMA 20, RSI 14, ATR 14,
 * Bollinger 20), bar by bar, ours vs trading-signals computing the same values in the same run;
 * then SMA(20) and SMA(200) alone, on closes rounded to cents (real prices: the SMA's exact
 * scaled-integer path) and on the raw GBM doubles (not short decimals: its compensated path).
 * Prints updates per second for both and the ratio. Run: npx tsx tools/bench/indicators.ts
 */
import { workspaceLibs } from './workspace-libs';
import type { Bar } from '@tradeyard/market-data';
import { ATR, BollingerBands, EMA, RSI, SMA } from 'trading-signals';
const lib = workspaceLibs('bench-indicators');
const { Atr, Bollinger, Ema, Rsi, Sma } = lib<typeof import('@tradeyard/indicators')>('../../libs/indicators/src/index.ts');
const { syntheticProvider } = lib<typeof import('@tradeyard/market-data')>('../../libs/market-data/src/index.ts');

const SYMBOLS = 500;
const BARS = 1_000;
const INDICATORS = 5;
const provider = syntheticProvider({ seed: 42, symbols: SYMBOLS, bars: BARS });

async function main() {
  const series: Bar[][] = await Promise.all((await provider.symbols()).map((s) => provider.history(s)));
  const updates = SYMBOLS * BARS * INDICATORS;

  const ours = () => {
    let checksum = 0;
    for (const bars of series) {
      const sma = new Sma(20);
      const ema = new Ema(20);
      const rsi = new Rsi(14);
      const atr = new Atr(14);
      const bb = new Bollinger(20, 2);
      for (const b of bars) {
        checksum += (sma.update(b.close) ?? 0) + (ema.update(b.close) ?? 0) + (rsi.update(b.close) ?? 0) + (atr.update(b.high, b.low, b.close) ?? 0) + (bb.update(b.close) ?? 0);
      }
    }
    return checksum;
  };
  const reference = () => {
    let checksum = 0;
    for (const bars of series) {
      const sma = new SMA(20);
      const ema = new EMA(20);
      const rsi = new RSI(14);
      const atr = new ATR(14);
      const bb = new BollingerBands(20, 2);
      for (const b of bars) {
        const e = ema.update(b.close, false);
        checksum += (sma.update(b.close, false) ?? 0) + (ema.isStable ? e : 0) + (rsi.update(b.close, false) ?? 0) + (atr.update(b, false) ?? 0) + (bb.update(b.close, false)?.middle ?? 0);
      }
    }
    return checksum;
  };

  const time = (fn: () => number, runs: number) => {
    const ms: number[] = [];
    let checksum = 0;
    for (let i = 0; i < runs; i++) {
      const start = process.hrtime.bigint();
      checksum = fn();
      ms.push(Number(process.hrtime.bigint() - start) / 1e6);
    }
    ms.sort((a, b) => a - b);
    return { median: ms[Math.floor(ms.length / 2)], checksum };
  };

  /** Two SMAs of the close per symbol, as an SMA cross computes them. */
  type Average = { update(value: number, replace: boolean): number | null | undefined };
  const smaPair = (closes: Float64Array[], create: (period: number) => Average) => () => {
    let checksum = 0;
    for (const values of closes) {
      const fast = create(20);
      const slow = create(200);
      for (const v of values) checksum += (fast.update(v, false) ?? 0) + (slow.update(v, false) ?? 0);
    }
    return checksum;
  };
  const rawCloses = series.map((bars) => Float64Array.from(bars, (b) => b.close));
  const centCloses = rawCloses.map((values) => values.map((v) => Math.round(v * 100) / 100));

  const fmt = (n: number) => Math.round(n).toLocaleString('en-US');
  const compare = (title: string, updates: number, oursRun: () => number, referenceRun: () => number) => {
    oursRun(); // warm the JIT
    referenceRun();
    const a = time(oursRun, 7);
    const b = time(referenceRun, 3);
    const oursRate = updates / (a.median / 1000);
    const refRate = updates / (b.median / 1000);
    console.log(`${title} = ${fmt(updates)} updates per run (median of runs)`);
    console.log(`  @tradeyard/indicators : ${a.median.toFixed(1)} ms  ${fmt(oursRate)} updates/s`);
    console.log(`  trading-signals 8     : ${b.median.toFixed(1)} ms  ${fmt(refRate)} updates/s`);
    console.log(`  ratio                 : ${(oursRate / refRate).toFixed(1)}x`);
    console.log(`  checksums             : ${a.checksum.toExponential(6)} vs ${b.checksum.toExponential(6)}`);
  };
  // EMA seeds differ (trading-signals seeds with the first price), so the first checksums agree only roughly.
  compare(`${SYMBOLS} symbols x ${BARS} bars x ${INDICATORS} indicators`, updates, ours, reference);
  for (const [label, closes] of [
    ['closes in cents', centCloses],
    ['raw GBM closes', rawCloses],
  ] as const)
    compare(
      `${SYMBOLS} symbols x ${BARS} bars x SMA(20) and SMA(200), ${label}`,
      SYMBOLS * BARS * 2,
      smaPair(closes, (period) => new Sma(period)),
      smaPair(closes, (period) => new SMA(period)),
    );
}

void main();
