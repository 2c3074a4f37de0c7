import { Sma } from './sma';

/**
 * Volume-weighted average price since the start of the stream, on the typical price
 * (high + low + close) / 3. Undefined while no volume has traded.
 */
export class Vwap {
  private priceVolume = 0;
  private volume = 0;
  value: number | undefined;

  update(high: number, low: number, close: number, volume: number): number | undefined {
    this.priceVolume += ((high + low + close) / 3) * volume;
    this.volume += volume;
    this.value = this.volume > 0 ? this.priceVolume / this.volume : undefined;
    return this.value;
  }
}

/** Simple moving average of bar volume: the baseline for "unusual volume" rules. */
export class VolumeSma extends Sma {}
