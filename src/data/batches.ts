/**
 * The batch pipeline: a seeded subset, a seeded shuffle per epoch, pixels scaled to [0, 1] and
 * resized (bilinear) to the network's input one batch at a time. The resized dataset is never
 * materialised: at 224x224 the 60,000 training images would be 12 GB of floats.
 */
import type { Split } from './fashionMnist';
import { resizeBilinear } from './resize';

/** Side of the stored images. */
export const SOURCE_SIDE = 28;

/** mulberry32: a small, fast, seedable PRNG with good enough statistics for shuffling. */
export function rng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** Mix two integers into a seed (so that seed 1 epoch 2 and seed 2 epoch 1 differ). */
export function mixSeed(a: number, b: number): number {
  let h = Math.imul(a ^ 0x9e3779b9, 0x85ebca6b) ^ Math.imul(b + 0x7f4a7c15, 0xc2b2ae35);
  h ^= h >>> 16;
  return h >>> 0;
}

/** A seeded Fisher-Yates permutation of 0..n-1. */
export function permutation(n: number, seed: number): Int32Array {
  const p = Int32Array.from({ length: n }, (_, i) => i);
  const r = rng(seed);
  for (let i = n - 1; i > 0; i--) {
    const j = Math.floor(r() * (i + 1));
    const t = p[i];
    p[i] = p[j];
    p[j] = t;
  }
  return p;
}

/**
 * The images a run uses: all of them (in file order) when `limit` is 0 or covers the split,
 * else the first `limit` of a seeded permutation (a random subset, the same for every epoch).
 */
export function subsetIndices(count: number, limit: number, seed: number, salt: number): Int32Array {
  if (limit <= 0 || limit >= count) return Int32Array.from({ length: count }, (_, i) => i);
  return permutation(count, mixSeed(seed, salt)).slice(0, limit);
}

/** Salts that keep the train subset, test subset and epoch shuffles independent. */
export const SALT = { trainSubset: 101, testSubset: 202, epoch: 1000, step: 7919 } as const;

/** The seed of one training step's random draws (dropout), from the run's seed and the step's place in the run. */
export function stepSeed(seed: number, epoch: number, batch: number): number {
  return mixSeed(mixSeed(seed, SALT.step + epoch), batch);
}

/** The order of `subset` for one epoch (1-based), reproducible from the seed. */
export function epochOrder(subset: Int32Array, seed: number, epoch: number): Int32Array {
  const p = permutation(subset.length, mixSeed(seed, SALT.epoch + epoch));
  return p.map((i) => subset[i]);
}

/**
 * Scale one `side x side` byte image to [0, 1] and resize it into `out` at `offset`
 * (`size x size`, bilinear with half-pixel centres: resize.ts, shared with Classify Image).
 */
export function resizeInto(
  src: Uint8Array,
  srcOffset: number,
  side: number,
  size: number,
  out: Float32Array,
  offset: number,
): void {
  resizeBilinear(
    src,
    { offset: srcOffset, height: side, width: side },
    out,
    { offset, height: size, width: size },
    255,
  );
}

/** A batch ready for the trainer: NHWC (C = 1) floats in [0, 1] at `size x size`. */
export interface Batch {
  readonly x: Float32Array;
  readonly labels: Int32Array;
  readonly n: number;
  /** The dataset indices of the batch's images. */
  readonly indices: Int32Array;
}

/** Build the batch of `indices` from a split, resized to `size`. */
export function makeBatch(split: Split, indices: Int32Array, size: number): Batch {
  const n = indices.length;
  const px = SOURCE_SIDE * SOURCE_SIDE;
  const x = new Float32Array(n * size * size);
  const labels = new Int32Array(n);
  for (let b = 0; b < n; b++) {
    const i = indices[b];
    if (!(i >= 0 && i < split.count)) throw new Error(`image index ${i} out of range 0..${split.count - 1}`);
    resizeInto(split.images, i * px, SOURCE_SIDE, size, x, b * size * size);
    labels[b] = split.labels[i];
  }
  return { x, labels, n, indices };
}

/** Number of batches for `count` images (the last one may be short). */
export function batchCount(count: number, batchSize: number): number {
  return Math.ceil(count / batchSize);
}

/** The `b`-th (0-based) batch's slice of an epoch order. */
export function batchIndices(order: Int32Array, b: number, batchSize: number): Int32Array {
  return order.subarray(b * batchSize, Math.min(order.length, (b + 1) * batchSize));
}
