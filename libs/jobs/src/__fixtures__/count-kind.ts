import type { JobKind } from '../kinds';

/** A job kind for the queue's tests: chunk k counts to units[k], 1 ms of busy work a unit; `fail` fails that chunk. */
export interface CountInput {
  units: number[];
  fail?: number;
  /** Keys whose order the result reports, as a grid's heatmap axes depend on its parameters' order. */
  order?: Record<string, number>;
  /** Characters of padding each chunk's output carries (a result past the bound). */
  pad?: number;
}

export const countKind: JobKind<CountInput, { chunk: number; counted: number; pad?: string }> = {
  plan: (input) => input.units,
  run(input, chunk, progress) {
    if (input.fail === chunk) throw new Error(`chunk ${chunk} refuses to count`);
    const units = input.units[chunk];
    for (let done = 1; done <= units; done++) {
      const until = Date.now() + 1;
      while (Date.now() < until) {
        // busy: a stand-in for CPU-bound work
      }
      if (done % 10 === 0 || done === units) progress(done, units);
    }
    return { chunk, counted: units, ...(input.pad ? { pad: 'x'.repeat(input.pad) } : {}) };
  },
  merge: (input, outputs) => ({ chunks: outputs, counted: outputs.reduce((sum, o) => sum + o.counted, 0), order: Object.keys(input.order ?? {}) }),
};
