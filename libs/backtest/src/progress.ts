/** The part of a stream a progress bar needs; process.stdout fits. */
export interface ProgressStream {
  isTTY?: boolean;
  columns?: number;
  write(text: string): unknown;
}

/**
 * A one-line progress bar redrawn in place, only when the stream is a terminal (so logs and
 * pipes stay clean), at most every 100 ms, and only for runs that last longer than that.
 * Returns an update function and `done`.
 */
export function progressBar(label: string, stream: ProgressStream = process.stdout, now: () => number = Date.now) {
  const enabled = stream.isTTY === true;
  const started = now();
  let lastDraw = started;
  let drawn = false;
  const draw = (done: number, total: number) => {
    const width = Math.max(10, Math.min(40, (stream.columns ?? 80) - label.length - 30));
    const fraction = total > 0 ? Math.min(1, done / total) : 1;
    const filled = Math.round(fraction * width);
    const seconds = ((now() - started) / 1000).toFixed(1);
    stream.write(`\r${label} [${'#'.repeat(filled)}${'-'.repeat(width - filled)}] ${(fraction * 100).toFixed(0).padStart(3)}% ${done}/${total} ${seconds}s`);
  };
  return {
    update(done: number, total: number) {
      const time = now();
      if (!enabled || time - lastDraw < 100) return;
      lastDraw = time;
      drawn = true;
      draw(done, total);
    },
    done(total: number) {
      if (!drawn) return;
      draw(total, total);
      stream.write('\n');
    },
  };
}
