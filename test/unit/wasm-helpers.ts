/** Helpers shared by the wasm kernel and data-parallel tests. */
import * as assert from 'node:assert/strict';
import type { LayerSpec, NinSpec } from '../../src/model/spec';

/**
 * max |ours - ref| / max |ref| (the absolute error when ref is all zeros): per-element relative
 * error is dominated by summation order.
 */
export function relErr(ours: ArrayLike<number>, ref: ArrayLike<number>): number {
  assert.equal(ours.length, ref.length, 'sizes differ');
  let d = 0;
  let m = 0;
  for (let i = 0; i < ref.length; i++) {
    d = Math.max(d, Math.abs(ours[i] - ref[i]));
    m = Math.max(m, Math.abs(ref[i]));
  }
  return m === 0 ? d : d / m;
}

/** A small NiN on one-channel `size`×`size` images with ten classes, for comparing backends. */
export const smallNin = (size: number, layers: LayerSpec[]): NinSpec => ({
  preset: 'compact',
  input: [1, size, size],
  classes: 10,
  layers,
});

/** The two ways the wasm backend runs convolutions: our FMA kernel, and XNNPACK's (its fallback). */
export const KERNEL_MODES = [
  { name: 'nin-kernels (fused multiply-add)', gemm: true },
  { name: 'XNNPACK (the fallback without relaxed SIMD)', gemm: false },
] as const;
