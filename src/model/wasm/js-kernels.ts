/**
 * Two memory-bound gradient kernels for the wasm backend, written as plain loops over the
 * wasm heap. Both do O(size) work, where tfjs-backend-wasm's versions are much slower:
 *   - Sum over every axis but the last (the bias gradient of each conv): wasm first runs a
 *     generic 4-D transpose of the whole tensor; here one pass accumulates per channel in
 *     float64 (more accurate than the float32 reference, and order-independent enough);
 *   - MaxPoolGrad: routes each output gradient to the first maximum of its window, the same
 *     tie rule as the cpu reference (strictly greater wins, row-major window order). After a
 *     ReLU many windows tie at 0, so the rule matters for equality with the reference.
 * Only float32 NHWC cases without dilation are handled; everything else goes to the original.
 */
import * as tf from '@tensorflow/tfjs-core';
import { overrideKernel, type Info } from './runner';

/** The two methods of the wasm backend these loops need (public on BackendWasm). */
interface HeapBackend {
  makeOutput(shape: number[], dtype: tf.DataType): Info;
  typedArrayFromHeap(info: Info): Float32Array;
}

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
    sumRows(be.typedArrayFromHeap(x), c, be.typedArrayFromHeap(out));
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

/** dx of a max pooling: each dy element goes to its window's first maximum in x. */
export function maxPoolBackprop(x: Float32Array, dy: Float32Array, g: PoolGeometry, dx: Float32Array): void {
  dx.fill(0);
  const { n, h, w, c, oh, ow, kh, kw, sh, sw, padTop, padLeft } = g;
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
        const dyBase = ((b * oh + oy) * ow + ox) * c;
        for (let d = 0; d < c; d++) {
          let best = -Infinity;
          let at = -1;
          for (let yy = yLo; yy < yHi; yy++) {
            let p = xb + (yy * w + xLo) * c + d;
            for (let xx = xLo; xx < xHi; xx++, p += c) {
              const v = x[p];
              if (v > best) {
                best = v;
                at = p;
              }
            }
          }
          if (at >= 0) dx[at] += dy[dyBase + d];
        }
      }
    }
  }
}

function installMaxPoolGrad(backendName: string): void {
  overrideKernel('MaxPoolGrad', backendName, ({ inputs, backend, attrs }) => {
    const { dy, input } = inputs;
    const a = attrs as unknown as tf.MaxPoolGradAttrs;
    if (input.dtype !== 'float32' || dy.dtype !== 'float32') return undefined;
    const info = tf.backend_util.computePool2DInfo(input.shape as [number, number, number, number], a.filterSize, a.strides, 1, a.pad, a.dimRoundingMode);
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
    maxPoolBackprop(be.typedArrayFromHeap(input), be.typedArrayFromHeap(dy), g, be.typedArrayFromHeap(dx));
    return dx;
  });
}

/** Install the loop kernels on `backendName` (idempotent). */
export function installJsKernels(backendName = 'wasm'): void {
  installSum(backendName);
  installMaxPoolGrad(backendName);
}
