// Memory-bound gradient loops of the wasm backend, part of nin-kernels.wasm: SIMD versions of
// the JavaScript loops in src/model/wasm/js-kernels.ts (used where this module does not load).

/**
 * out[j] = sum over the m rows of x[m, c], in float64 accumulators at acc (c doubles), which
 * carry on from the last call when `accumulate` (the host's slices of one sum).
 */
export function sumRows(x: usize, m: i32, c: i32, out: usize, acc: usize, accumulate: bool): void {
  if (!accumulate) memory.fill(acc, 0, <usize>c << 3);
  const pairs = c & ~1;
  for (let i = 0; i < m; i++) {
    const row = x + (<usize>(i * c) << 2);
    for (let j = 0; j < pairs; j += 2) {
      const p = acc + (<usize>j << 3);
      v128.store(p, f64x2.add(v128.load(p), f64x2.promote_low_f32x4(v128.load64_zero(row + (<usize>j << 2)))));
    }
    if (pairs < c) {
      const p = acc + (<usize>pairs << 3);
      store<f64>(p, load<f64>(p) + <f64>load<f32>(row + (<usize>pairs << 2)));
    }
  }
  for (let j = 0; j < c; j++) store<f32>(out + (<usize>j << 2), <f32>load<f64>(acc + (<usize>j << 3)));
}

/**
 * dx of a max pooling (NHWC, dx zeroed here): each dy element goes to the first maximum of
 * its window, row-major, strictly greater wins (the cpu reference's tie rule). Four channels
 * at a time; the window's arg-max is kept as flat indices beside the running maximum.
 */
export function maxPoolGrad(x: usize, dy: usize, dx: usize, n: i32, h: i32, w: i32, c: i32, oh: i32, ow: i32, kh: i32, kw: i32, sh: i32, sw: i32, pt: i32, pl: i32): void {
  memory.fill(dx, 0, <usize>(n * h * w * c) << 2);
  const quads = c & ~3;
  const lanes = i32x4(0, 1, 2, 3);
  for (let b = 0; b < n; b++) {
    for (let oy = 0; oy < oh; oy++) {
      const y0 = oy * sh - pt;
      const yLo = max(0, y0);
      const yHi = min(h, y0 + kh);
      for (let ox = 0; ox < ow; ox++) {
        const x0 = ox * sw - pl;
        const xLo = max(0, x0);
        const xHi = min(w, x0 + kw);
        const g = ((b * oh + oy) * ow + ox) * c;
        for (let d = 0; d < quads; d += 4) {
          let best = f32x4.splat(-Infinity);
          let at = i32x4.splat(-1);
          for (let yy = yLo; yy < yHi; yy++) {
            for (let xx = xLo; xx < xHi; xx++) {
              const p = ((b * h + yy) * w + xx) * c + d;
              const v = v128.load(x + (<usize>p << 2));
              const more = f32x4.gt(v, best);
              best = v128.bitselect(v, best, more);
              at = v128.bitselect(i32x4.add(i32x4.splat(p), lanes), at, more);
            }
          }
          route(dx, dy, g + d, i32x4.extract_lane(at, 0));
          route(dx, dy, g + d + 1, i32x4.extract_lane(at, 1));
          route(dx, dy, g + d + 2, i32x4.extract_lane(at, 2));
          route(dx, dy, g + d + 3, i32x4.extract_lane(at, 3));
        }
        for (let d = quads; d < c; d++) {
          let best: f32 = -Infinity;
          let at = -1;
          for (let yy = yLo; yy < yHi; yy++) {
            for (let xx = xLo; xx < xHi; xx++) {
              const p = ((b * h + yy) * w + xx) * c + d;
              const v = load<f32>(x + (<usize>p << 2));
              if (v > best) {
                best = v;
                at = p;
              }
            }
          }
          route(dx, dy, g + d, at);
        }
      }
    }
  }
}

// @ts-ignore: decorator
@inline function route(dx: usize, dy: usize, from: i32, to: i32): void {
  if (to < 0) return;
  const p = dx + (<usize>to << 2);
  store<f32>(p, load<f32>(p) + load<f32>(dy + (<usize>from << 2)));
}
