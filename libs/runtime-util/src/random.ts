/**
 * mulberry32: a 32-bit seeded PRNG, uniform in [0, 1). Hand-written (a few lines) because seeded
 * work (bootstrap intervals, synthetic markets) must give the same result for the same seed on
 * every run and machine, which Math.random cannot; its statistical quality is ample for both.
 */
export function mulberry32(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}
