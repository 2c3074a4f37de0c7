/**
 * Bootstrap draws of indices into a series, written into the caller's buffer so that a resample
 * allocates nothing. The ranking's Sharpe intervals and the Monte Carlo section both draw here.
 */

/**
 * Fills `out` with indices into a series of `n` values. `meanBlock` 1: each index drawn
 * uniformly and independently (the i.i.d. bootstrap). Above 1: the stationary bootstrap (Politis
 * & Romano 1994), which keeps serial dependence within blocks: each block starts at a uniform
 * index and runs for a geometric number of values of mean `meanBlock` (inverse transform: two
 * draws per block rather than one per value), wrapping from the last value to the first.
 */
export function bootstrapIndices(random: () => number, n: number, meanBlock: number, out: Int32Array): void {
  const m = out.length;
  if (meanBlock === 1) {
    for (let k = 0; k < m; k++) out[k] = Math.floor(random() * n);
    return;
  }
  const logStay = Math.log(1 - 1 / meanBlock);
  for (let k = 0; k < m; ) {
    let i = Math.floor(random() * n);
    const length = Math.min(m - k, Math.max(1, Math.ceil(Math.log(1 - random()) / logStay)));
    for (let j = 0; j < length; j++) {
      out[k++] = i;
      i = i + 1 === n ? 0 : i + 1;
    }
  }
}

/** Fills `out` with a uniformly random permutation of 0 .. out.length − 1 (Fisher–Yates). */
export function shuffledIndices(random: () => number, out: Int32Array): void {
  for (let k = 0; k < out.length; k++) out[k] = k;
  for (let k = out.length - 1; k > 0; k--) {
    const j = Math.floor(random() * (k + 1));
    const swap = out[k];
    out[k] = out[j];
    out[j] = swap;
  }
}
