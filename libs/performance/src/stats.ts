/** Arithmetic mean; 0 for no values. */
export function mean(values: ArrayLike<number>): number {
  let sum = 0;
  for (let i = 0; i < values.length; i++) sum += values[i];
  return values.length > 0 ? sum / values.length : 0;
}

/** Sample standard deviation (divisor n − 1); 0 for fewer than two values. */
export function sampleStd(values: ArrayLike<number>): number {
  const n = values.length;
  if (n < 2) return 0;
  const m = mean(values);
  let squares = 0;
  for (let i = 0; i < n; i++) squares += (values[i] - m) ** 2;
  return Math.sqrt(squares / (n - 1));
}

/**
 * Skewness m3 / m2^1.5 and kurtosis m4 / m2² from the population central moments
 * m_k = Σ(x − mean)^k / n (kurtosis 3 for a normal distribution, as the PSR formula takes it).
 * Both 0 when the values do not vary.
 */
export function moments(values: ArrayLike<number>): { skewness: number; kurtosis: number } {
  const n = values.length;
  const m = mean(values);
  let m2 = 0;
  let m3 = 0;
  let m4 = 0;
  for (let i = 0; i < n; i++) {
    const d = values[i] - m;
    const d2 = d * d;
    m2 += d2;
    m3 += d2 * d;
    m4 += d2 * d2;
  }
  if (n === 0 || m2 === 0) return { skewness: 0, kurtosis: 0 };
  m2 /= n;
  m3 /= n;
  m4 /= n;
  return { skewness: m3 / m2 ** 1.5, kurtosis: m4 / (m2 * m2) };
}

/** Per-bar Sharpe ratio mean / sample std (risk-free 0); 0 when undefined. */
export function perBarSharpe(returns: ArrayLike<number>): number {
  const std = sampleStd(returns);
  return std > 0 ? mean(returns) / std : 0;
}

let erf: (typeof import('mathjs'))['erf'] | undefined;

/**
 * Standard normal cumulative distribution Φ(x), through mathjs' erf. mathjs is required on the
 * first call: evaluating it takes about 0.6 s, and every service and test process that links
 * these statistics without computing one (the gateway, most of its tests) paid it at start.
 */
export function normalCdf(x: number): number {
  if (x === Infinity) return 1;
  if (x === -Infinity) return 0;
  // eslint-disable-next-line @typescript-eslint/no-require-imports -- deferred on purpose (above)
  erf ??= (require('mathjs') as typeof import('mathjs')).erf;
  return 0.5 * (1 + erf(x / Math.SQRT2));
}

/**
 * Inverse standard normal Φ⁻¹(p), Acklam's rational approximation (relative error below 1.2e-9).
 * Hand-written because no dependency of the workspace has it and it is 20 lines; only the
 * deflated Sharpe ratio needs it.
 */
export function normalQuantile(p: number): number {
  if (!(p > 0 && p < 1)) {
    if (p === 0) return -Infinity;
    if (p === 1) return Infinity;
    throw new RangeError(`p must be between 0 and 1, got ${p}`);
  }
  const a = [-39.69683028665376, 220.9460984245205, -275.9285104469687, 138.357751867269, -30.66479806614716, 2.506628277459239];
  const b = [-54.47609879822406, 161.5858368580409, -155.6989798598866, 66.80131188771972, -13.28068155288572];
  const c = [-0.007784894002430293, -0.3223964580411365, -2.400758277161838, -2.549732539343734, 4.374664141464968, 2.938163982698783];
  const d = [0.007784695709041462, 0.3224671290700398, 2.445134137142996, 3.754408661907416];
  const tail = (q: number) => (((((c[0] * q + c[1]) * q + c[2]) * q + c[3]) * q + c[4]) * q + c[5]) / ((((d[0] * q + d[1]) * q + d[2]) * q + d[3]) * q + 1);
  if (p < 0.02425) return tail(Math.sqrt(-2 * Math.log(p)));
  if (p > 1 - 0.02425) return -tail(Math.sqrt(-2 * Math.log(1 - p)));
  const q = p - 0.5;
  const r = q * q;
  return ((((((a[0] * r + a[1]) * r + a[2]) * r + a[3]) * r + a[4]) * r + a[5]) * q) / (((((b[0] * r + b[1]) * r + b[2]) * r + b[3]) * r + b[4]) * r + 1);
}

/**
 * Variance of the per-bar Sharpe estimate under non-normal returns (Mertens; Bailey & López de
 * Prado 2012): (1 − γ3·SR + (γ4 − 1)/4 · SR²) / (n − 1), n returns, γ3 skewness, γ4 kurtosis.
 */
export function sharpeVariance(sharpe: number, skewness: number, kurtosis: number, n: number): number {
  return (1 - skewness * sharpe + ((kurtosis - 1) / 4) * sharpe * sharpe) / (n - 1);
}

/**
 * Probabilistic Sharpe ratio (Bailey & López de Prado 2012): the probability that the true
 * per-bar Sharpe exceeds `benchmark`, Φ((SR − SR*) / √Var[SR]). 0.5 when undefined (fewer than
 * 3 returns or no variation), as nothing is known.
 */
export function probabilisticSharpe(returns: ArrayLike<number>, benchmark = 0): number {
  const n = returns.length;
  const sr = perBarSharpe(returns);
  if (n < 3 || sampleStd(returns) === 0) return 0.5;
  const { skewness, kurtosis } = moments(returns);
  const variance = sharpeVariance(sr, skewness, kurtosis, n);
  if (!(variance > 0)) return sr > benchmark ? 1 : sr < benchmark ? 0 : 0.5;
  return normalCdf((sr - benchmark) / Math.sqrt(variance));
}

const EULER_MASCHERONI = 0.5772156649015329;

/**
 * Expected maximum per-bar Sharpe of `trials` unskilled strategies whose Sharpe estimates have
 * variance `variance` (Bailey & López de Prado 2014, "The Deflated Sharpe Ratio"):
 * √V · ((1 − γ)·Φ⁻¹(1 − 1/N) + γ·Φ⁻¹(1 − 1/(N·e))), γ the Euler–Mascheroni constant; 0 for one trial.
 */
export function expectedMaxSharpe(trials: number, variance: number): number {
  if (trials <= 1) return 0;
  return Math.sqrt(variance) * ((1 - EULER_MASCHERONI) * normalQuantile(1 - 1 / trials) + EULER_MASCHERONI * normalQuantile(1 - 1 / (trials * Math.E)));
}

/**
 * Deflated Sharpe ratio: the PSR against the Sharpe the best of `trials` unskilled attempts would
 * reach by luck. `trialSharpeVariance` is the variance of the per-bar Sharpe across the trials;
 * without it, the variance of this run's own Sharpe estimate stands in.
 */
export function deflatedSharpe(returns: ArrayLike<number>, trials: number, trialSharpeVariance?: number): number {
  const n = returns.length;
  if (n < 3 || sampleStd(returns) === 0) return 0.5;
  const { skewness, kurtosis } = moments(returns);
  const variance = trialSharpeVariance ?? sharpeVariance(perBarSharpe(returns), skewness, kurtosis, n);
  return probabilisticSharpe(returns, expectedMaxSharpe(trials, variance));
}

/**
 * Quantile by linear interpolation between closest ranks (numpy's default, type 7), of values
 * already sorted ascending.
 */
export function quantileSorted(sorted: ArrayLike<number>, q: number): number {
  const n = sorted.length;
  if (n === 0) return 0;
  const h = (n - 1) * q;
  const lo = Math.floor(h);
  const hi = Math.min(n - 1, lo + 1);
  return sorted[lo] + (h - lo) * (sorted[hi] - sorted[lo]);
}
