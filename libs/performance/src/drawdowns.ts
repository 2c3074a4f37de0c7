/** Drawdown from the running peak (starting at `startPeak`) at each point, as a positive fraction. */
export function drawdownSeries(equity: ArrayLike<number>, startPeak: number): Float64Array {
  const out = new Float64Array(equity.length);
  let peak = startPeak;
  for (let t = 0; t < equity.length; t++) {
    if (equity[t] > peak) peak = equity[t];
    out[t] = peak > 0 ? 1 - equity[t] / peak : 0;
  }
  return out;
}

/** One stretch below a peak: from the peak bar, through the trough, to the first bar back at the peak. */
export interface DrawdownEpisode {
  peakIndex: number;
  troughIndex: number;
  /** First bar at or above the peak again; null while not recovered. */
  recoveryIndex: number | null;
  /** 1 − trough / peak. */
  depth: number;
  /** Bars from the peak to the recovery, or to the last bar when not recovered. */
  length: number;
}

/**
 * Every drawdown episode in time order. The starting peak is `startPeak` at bar 0 (a curve that
 * opens below its starting cash is in a drawdown from bar 0).
 */
export function drawdownEpisodes(equity: ArrayLike<number>, startPeak: number): DrawdownEpisode[] {
  const episodes: DrawdownEpisode[] = [];
  let peak = startPeak;
  let peakIndex = 0;
  let current: DrawdownEpisode | undefined;
  for (let t = 0; t < equity.length; t++) {
    const e = equity[t];
    if (e >= peak) {
      if (current) {
        current.recoveryIndex = t;
        current.length = t - current.peakIndex;
        episodes.push(current);
        current = undefined;
      }
      peak = e;
      peakIndex = t;
    } else {
      const depth = peak > 0 ? 1 - e / peak : 0;
      current ??= { peakIndex, troughIndex: t, recoveryIndex: null, depth, length: 0 };
      if (depth > current.depth || current.troughIndex === t) {
        current.depth = depth;
        current.troughIndex = t;
      }
    }
  }
  if (current) {
    current.length = equity.length - 1 - current.peakIndex;
    episodes.push(current);
  }
  return episodes;
}
