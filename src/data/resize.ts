/**
 * The one bilinear resize of the project, with half-pixel centres (PyTorch
 * `interpolate(..., align_corners=False)`, PIL's bilinear when enlarging, tfjs
 * `resizeBilinear(..., halfPixelCenters=true)`). The training batches (batches.ts) and Classify
 * Image (src/webview/classify) both call it, so a model sees at classification time exactly the
 * sampling it was trained on. Pure arithmetic with no imports: the webview bundles it (the
 * webview's tsconfig, without Node types, checks it stays that way).
 */

/** Precomputed bilinear sampling for one axis: two source indices and the second's weight. */
interface Axis {
  readonly i0: Int32Array;
  readonly i1: Int32Array;
  readonly w1: Float32Array;
}

function axis(src: number, dst: number): Axis {
  const i0 = new Int32Array(dst);
  const i1 = new Int32Array(dst);
  const w1 = new Float32Array(dst);
  const scale = src / dst;
  for (let o = 0; o < dst; o++) {
    const x = Math.max(0, (o + 0.5) * scale - 0.5);
    const lo = Math.min(Math.floor(x), src - 1);
    i0[o] = lo;
    i1[o] = Math.min(lo + 1, src - 1);
    w1[o] = x - lo;
  }
  return { i0, i1, w1 };
}

const axes = new Map<string, Axis>();
function cachedAxis(src: number, dst: number): Axis {
  const key = `${src}>${dst}`;
  let a = axes.get(key);
  if (!a) axes.set(key, (a = axis(src, dst)));
  return a;
}

/** Where an image lies in a flat array: `offset`, then `height` rows of `width` values. */
export interface Plane {
  readonly offset: number;
  readonly height: number;
  readonly width: number;
}

/**
 * Resize the single-channel image `from` of `src` into `to` of `out`, bilinearly with
 * half-pixel centres, dividing every value by `divisor` (255 turns bytes into [0, 1]).
 */
export function resizeBilinear(src: ArrayLike<number>, from: Plane, out: Float32Array, to: Plane, divisor = 1): void {
  const { offset: so, width: sw } = from;
  if (from.height === to.height && from.width === to.width) {
    for (let i = 0; i < to.height * to.width; i++) out[to.offset + i] = src[so + i] / divisor;
    return;
  }
  const ay = cachedAxis(from.height, to.height);
  const ax = cachedAxis(from.width, to.width);
  for (let y = 0; y < to.height; y++) {
    const r0 = so + ay.i0[y] * sw;
    const r1 = so + ay.i1[y] * sw;
    const wy = ay.w1[y];
    const row = to.offset + y * to.width;
    for (let x = 0; x < to.width; x++) {
      const c0 = ax.i0[x];
      const c1 = ax.i1[x];
      const wx = ax.w1[x];
      const top = src[r0 + c0] + (src[r0 + c1] - src[r0 + c0]) * wx;
      const bottom = src[r1 + c0] + (src[r1 + c1] - src[r1 + c0]) * wx;
      out[row + x] = (top + (bottom - top) * wy) / divisor;
    }
  }
}
