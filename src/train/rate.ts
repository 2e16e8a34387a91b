/**
 * Seconds per image for the ETA, smoothed over a time window rather than a batch count: on a
 * laptop the machine's load changes every few seconds, and a per-batch average made the
 * seed network's ETA jump between 48 and 100 minutes from one event to the next. The first
 * measurement of a session includes backend warm-up (kernel compilation, weight packing), so
 * it only stands in until a second one arrives.
 */
export class SecondsPerImage {
  private value = 0;
  private samples = 0;

  /** @param windowSeconds time constant of the exponential smoothing (how far back it remembers) */
  constructor(private readonly windowSeconds = 30) {}

  /** Add one batch of `images` that took `seconds`. */
  add(seconds: number, images: number): void {
    if (!(seconds > 0) || !(images > 0)) return;
    const spi = seconds / images;
    this.samples++;
    if (this.samples <= 2) {
      // Sample 1 is warm-up: replaced outright by sample 2.
      this.value = spi;
      return;
    }
    const weight = 1 - Math.exp(-seconds / this.windowSeconds);
    this.value += weight * (spi - this.value);
  }

  /** Smoothed seconds per image; 0 until the first batch. */
  get seconds(): number {
    return this.value;
  }
}
