/**
 * Memory-bound gradient kernels for the wasm backend, written as plain loops over the wasm
 * heap. Sum and MaxPoolGrad run as SIMD loops in nin-kernels.wasm (asm/loops.ts) where it
 * loads, else as the JavaScript here. All do O(size) work, where tfjs-backend-wasm's versions
 * are much slower:
 *   - Sum over every axis but the last (the bias gradient of each conv): wasm first runs a
 *     generic 4-D transpose of the whole tensor; here one pass accumulates per channel in
 *     float64 (more accurate than the float32 reference, and order-independent enough);
 *   - MaxPoolGrad: routes each output gradient to the first maximum of its window, the same
 *     tie rule as the cpu reference (strictly greater wins, row-major window order). After a
 *     ReLU many windows tie at 0, so the rule matters for equality with the reference.
 *   - the filter of Conv2DBackpropInput rotated and transposed (wasm's Reverse is slow);
 *   - Identity shares the buffer instead of copying it.
 * Only float32 NHWC cases without dilation are handled; everything else goes to the original.
 */
import * as tf from '@tensorflow/tfjs-core';
import { activeNinKernels } from './nin-kernels';
import { overrideKernel, type HeapBackend, type Info } from './runner';

/** Sum of a [M, C] float32 array over M, into `out` (length C). */
export function sumRows(x: Float32Array, c: number, out: Float32Array): void {
  const acc = new Float64Array(c);
  for (let i = 0; i < x.length; i += c) for (let j = 0; j < c; j++) acc[j] += x[i + j];
  out.set(acc);
}

function installSum(backendName: string): void {
  overrideKernel('Sum', backendName, ({ inputs, backend, attrs }) => {
    const { x } = inputs;
    const { axis, keepDims } = attrs as unknown as tf.SumAttrs;
    const r = x.shape.length;
    if (x.dtype !== 'float32' || r < 2) return undefined;
    const axes = tf.util.parseAxisParam(axis, x.shape).sort((p, q) => p - q);
    if (axes.length !== r - 1 || axes.some((v, i) => v !== i)) return undefined;
    const c = x.shape[r - 1];
    const be = backend as unknown as HeapBackend;
    const out = be.makeOutput(keepDims ? [...x.shape.slice(0, -1).map(() => 1), c] : [c], 'float32');
    // Views after makeOutput: an allocation may grow (and so detach) the wasm heap.
    const [xs, sums] = [be.typedArrayFromHeap(x), be.typedArrayFromHeap(out)];
    const own = activeNinKernels();
    if (own) own.sumRows(xs, c, sums);
    else sumRows(xs, c, sums);
    return out;
  });
}

/** Geometry of one max pooling, NHWC. */
export interface PoolGeometry {
  n: number;
  h: number;
  w: number;
  c: number;
  oh: number;
  ow: number;
  kh: number;
  kw: number;
  sh: number;
  sw: number;
  padTop: number;
  padLeft: number;
}

/**
 * dx of a max pooling: each dy element goes to its window's first maximum in x. Channels are
 * the innermost loop so that every read is contiguous (NHWC).
 */
export function maxPoolBackprop(x: Float32Array, dy: Float32Array, g: PoolGeometry, dx: Float32Array): void {
  dx.fill(0);
  const { n, h, w, c, oh, ow, kh, kw, sh, sw, padTop, padLeft } = g;
  const best = new Float32Array(c);
  const at = new Int32Array(c);
  for (let b = 0; b < n; b++) {
    const xb = b * h * w * c;
    for (let oy = 0; oy < oh; oy++) {
      const y0 = oy * sh - padTop;
      const yLo = Math.max(0, y0);
      const yHi = Math.min(h, y0 + kh);
      for (let ox = 0; ox < ow; ox++) {
        const x0 = ox * sw - padLeft;
        const xLo = Math.max(0, x0);
        const xHi = Math.min(w, x0 + kw);
        best.fill(-Infinity);
        at.fill(-1);
        for (let yy = yLo; yy < yHi; yy++) {
          for (let xx = xLo; xx < xHi; xx++) {
            const p = xb + (yy * w + xx) * c;
            for (let d = 0; d < c; d++) {
              const v = x[p + d];
              if (v > best[d]) {
                best[d] = v;
                at[d] = p + d;
              }
            }
          }
        }
        const dyBase = ((b * oh + oy) * ow + ox) * c;
        for (let d = 0; d < c; d++) if (at[d] >= 0) dx[at[d]] += dy[dyBase + d];
      }
    }
  }
}

/** W[kh, kw, ci, co] rotated by 180 degrees with in/out channels swapped: [kh, kw, co, ci]. */
export function flipTransposeFilter(
  f: Float32Array,
  kh: number,
  kw: number,
  ci: number,
  co: number,
  out: Float32Array,
): void {
  for (let i = 0; i < kh; i++) {
    for (let j = 0; j < kw; j++) {
      const src = ((kh - 1 - i) * kw + (kw - 1 - j)) * ci * co;
      const dst = (i * kw + j) * co * ci;
      for (let c = 0; c < ci; c++) for (let o = 0; o < co; o++) out[dst + o * ci + c] = f[src + c * co + o];
    }
  }
}

/** The flipped, transposed filter as a new tensor (wasm's Reverse is a slow generic loop). */
export function flippedFilterInfo(backend: tf.KernelBackend, filter: Info): Info {
  const [kh, kw, ci, co] = filter.shape;
  const be = backend as unknown as HeapBackend;
  const out = be.makeOutput([kh, kw, co, ci], 'float32');
  flipTransposeFilter(be.typedArrayFromHeap(filter), kh, kw, ci, co, be.typedArrayFromHeap(out));
  return out;
}

function installIdentity(backendName: string): void {
  // wasm's Identity copies the tensor; like the cpu backend, share the buffer (reference-counted).
  overrideKernel('Identity', backendName, ({ inputs, backend }) => {
    const { x } = inputs;
    (backend as unknown as { incRef(id: tf.DataId): void }).incRef(x.dataId);
    return { dataId: x.dataId, shape: [...x.shape], dtype: x.dtype };
  });
}

function installMaxPoolGrad(backendName: string): void {
  overrideKernel('MaxPoolGrad', backendName, ({ inputs, backend, attrs }) => {
    const { dy, input } = inputs;
    const a = attrs as unknown as tf.MaxPoolGradAttrs;
    if (input.dtype !== 'float32' || dy.dtype !== 'float32') return undefined;
    const info = tf.backend_util.computePool2DInfo(
      input.shape as [number, number, number, number],
      a.filterSize,
      a.strides,
      1,
      a.pad,
      a.dimRoundingMode,
    );
    if (info.dilationHeight !== 1 || info.dilationWidth !== 1) return undefined;
    const be = backend as unknown as HeapBackend;
    const dx = be.makeOutput([...input.shape], 'float32');
    const g: PoolGeometry = {
      n: info.batchSize,
      h: info.inHeight,
      w: info.inWidth,
      c: info.inChannels,
      oh: info.outHeight,
      ow: info.outWidth,
      kh: info.filterHeight,
      kw: info.filterWidth,
      sh: info.strideHeight,
      sw: info.strideWidth,
      padTop: info.padInfo.top,
      padLeft: info.padInfo.left,
    };
    const args = [be.typedArrayFromHeap(input), be.typedArrayFromHeap(dy), g, be.typedArrayFromHeap(dx)] as const;
    const own = activeNinKernels();
    if (own) own.maxPoolGrad(...args);
    else maxPoolBackprop(...args);
    return dx;
  });
}

/** Install the loop kernels on `backendName` (idempotent). */
export function installJsKernels(backendName = 'wasm'): void {
  installSum(backendName);
  installMaxPoolGrad(backendName);
  installIdentity(backendName);
}
