// The matrix product behind the wasm backend's convolutions, part of nin-kernels.wasm
// (asm/index.ts is its entry; src/model/wasm/nin-kernels.ts loads it; scripts/build.mjs compiles it).
//
// Why it exists: XNNPACK in tfjs-backend-wasm 4.22 multiplies and adds separately (plain wasm
// SIMD). f32x4.relaxed_madd compiles to one fused multiply-add on x64 (FMA3) and arm64, and
// this small kernel runs ~1.7x XNNPACK's rate on NiN's convolutions here. Everything else is
// GotoBLAS-style blocking around one 6x8 register tile (12 accumulators + 2 B vectors + 1
// broadcast fit the 16 SIMD registers V8 uses on x64).
//
// Memory is this module's own; the host copies operands in and results out. No allocation,
// no static data: every address is passed in by the host.

const MR: i32 = 6;
const NR: i32 = 8;
const KC: i32 = 256;
const NC: i32 = 512;

/** Operand layouts: ROW m[r][c] = p[r*ld + c]; COL m[r][c] = p[c*ld + r]; IM2COL see below. */
const ROW: i32 = 0;
const COL: i32 = 1;
/**
 * Patches of an NHWC image set by setConv: as A, row = output pixel (n, oy, ox), column =
 * (ky, kx, ci); as B, row = output pixel, column = (ky, kx, ci) too (the filter gradient's
 * transposed product). Element: x[n, oy*sh - pt + ky*dh, ox*sw - pl + kx*dw, ci], 0 outside.
 */
const IM2COL: i32 = 2;

let gH: i32 = 0, gW: i32 = 0, gC: i32 = 0, gOH: i32 = 0, gOW: i32 = 0, gKW: i32 = 0;
let gSH: i32 = 0, gSW: i32 = 0, gPT: i32 = 0, gPL: i32 = 0, gDH: i32 = 0, gDW: i32 = 0;

/** Set the convolution geometry IM2COL operands read (kh is implied by the column count). */
export function setConv(h: i32, w: i32, c: i32, oh: i32, ow: i32, kw: i32, sh: i32, sw: i32, pt: i32, pl: i32, dh: i32, dw: i32): void {
  gH = h; gW = w; gC = c; gOH = oh; gOW = ow; gKW = kw;
  gSH = sh; gSW = sw; gPT = pt; gPL = pl; gDH = dh; gDW = dw;
}

// @ts-ignore: decorator
@inline function fma(a: v128, b: v128, c: v128): v128 {
  return f32x4.relaxed_madd(a, b, c);
}

/** Copy `run` floats from src to dst with a destination stride of `stride` floats. */
// @ts-ignore: decorator
@inline function stridedCopy(src: usize, dst: usize, run: i32, stride: i32): void {
  for (let i = 0; i < run; i++) store<f32>(dst + (<usize>(i * stride) << 2), load<f32>(src + (<usize>i << 2)));
}

// @ts-ignore: decorator
@inline function stridedZero(dst: usize, run: i32, stride: i32): void {
  for (let i = 0; i < run; i++) store<f32>(dst + (<usize>(i * stride) << 2), 0);
}

/** One A row of patches (pixel `pix`, columns k0..k0+kc) into ap[k*MR + r]. */
function packPatchRow(x: usize, pix: i32, k0: i32, kc: i32, dst: usize): void {
  const plane = gOH * gOW;
  const n = pix / plane;
  const rem = pix - n * plane;
  const oy = rem / gOW;
  const ox = rem - oy * gOW;
  let t = k0 / gC;
  let c = k0 - t * gC;
  let ky = t / gKW;
  let kx = t - ky * gKW;
  let done = 0;
  while (done < kc) {
    const run = min(gC - c, kc - done);
    const iy = oy * gSH - gPT + ky * gDH;
    const ix = ox * gSW - gPL + kx * gDW;
    const out = dst + (<usize>(done * MR) << 2);
    if (iy >= 0 && iy < gH && ix >= 0 && ix < gW) {
      stridedCopy(x + (<usize>(((n * gH + iy) * gW + ix) * gC + c) << 2), out, run, MR);
    } else {
      stridedZero(out, run, MR);
    }
    done += run;
    c = 0;
    if (++kx === gKW) { kx = 0; ky++; }
  }
}

/** Rows i0..i0+rows, columns k0..k0+kc of A into ap[k*MR + r], zero rows past `rows`. */
function packA(mode: i32, p: usize, ld: i32, i0: i32, rows: i32, k0: i32, kc: i32, ap: usize): void {
  for (let r = rows; r < MR; r++) stridedZero(ap + (<usize>r << 2), kc, MR);
  if (mode === ROW) {
    for (let r = 0; r < rows; r++) stridedCopy(p + (<usize>((i0 + r) * ld + k0) << 2), ap + (<usize>r << 2), kc, MR);
  } else if (mode === COL) {
    for (let k = 0; k < kc; k++) {
      const src = p + (<usize>((k0 + k) * ld + i0) << 2);
      const dst = ap + (<usize>(k * MR) << 2);
      for (let r = 0; r < rows; r++) store<f32>(dst + (<usize>r << 2), load<f32>(src + (<usize>r << 2)));
    }
  } else {
    for (let r = 0; r < rows; r++) packPatchRow(p, i0 + r, k0, kc, ap + (<usize>r << 2));
  }
}

/** One NR-wide panel of patch columns j0..j0+cols for pixels k0..k0+kc into bp[k*NR + j]. */
function packPatchPanel(x: usize, k0: i32, kc: i32, j0: i32, cols: i32, bp: usize): void {
  const t = j0 / gC;
  const c0 = j0 - t * gC;
  const ky = t / gKW;
  const kx = t - ky * gKW;
  // The common case: the panel's 8 columns are 8 channels of one tap, contiguous in x.
  const contiguous = cols === NR && c0 + NR <= gC;
  const plane = gOH * gOW;
  let n = k0 / plane;
  const rem = k0 - n * plane;
  let oy = rem / gOW;
  let ox = rem - oy * gOW;
  for (let k = 0; k < kc; k++) {
    const dst = bp + (<usize>(k * NR) << 2);
    if (contiguous) {
      const iy = oy * gSH - gPT + ky * gDH;
      const ix = ox * gSW - gPL + kx * gDW;
      if (iy >= 0 && iy < gH && ix >= 0 && ix < gW) {
        const src = x + (<usize>(((n * gH + iy) * gW + ix) * gC + c0) << 2);
        v128.store(dst, v128.load(src));
        v128.store(dst, v128.load(src, 16), 16);
      } else {
        v128.store(dst, i32x4.splat(0));
        v128.store(dst, i32x4.splat(0), 16);
      }
    } else {
      for (let j = 0; j < NR; j++) {
        let v: f32 = 0;
        if (j < cols) {
          const jt = (j0 + j) / gC;
          const jc = j0 + j - jt * gC;
          const jy = jt / gKW;
          const iy = oy * gSH - gPT + jy * gDH;
          const ix = ox * gSW - gPL + (jt - jy * gKW) * gDW;
          if (iy >= 0 && iy < gH && ix >= 0 && ix < gW) v = load<f32>(x + (<usize>(((n * gH + iy) * gW + ix) * gC + jc) << 2));
        }
        store<f32>(dst + (<usize>j << 2), v);
      }
    }
    if (++ox === gOW) { ox = 0; if (++oy === gOH) { oy = 0; n++; } }
  }
}

/** Rows k0..k0+kc, columns j0..j0+nc of B into NR-wide panels: bp[(panel*kc + k)*NR + j]. */
function packB(mode: i32, p: usize, ld: i32, k0: i32, kc: i32, j0: i32, nc: i32, bp: usize): void {
  for (let jp = 0; jp < nc; jp += NR) {
    const cols = min(NR, nc - jp);
    const panel = bp + (<usize>(jp * kc) << 2);
    const j = j0 + jp;
    if (mode === IM2COL) {
      packPatchPanel(p, k0, kc, j, cols, panel);
    } else if (mode === ROW && cols === NR) {
      for (let k = 0; k < kc; k++) {
        const src = p + (<usize>((k0 + k) * ld + j) << 2);
        const dst = panel + (<usize>(k * NR) << 2);
        v128.store(dst, v128.load(src));
        v128.store(dst, v128.load(src, 16), 16);
      }
    } else {
      for (let jj = 0; jj < NR; jj++) {
        const dst = panel + (<usize>jj << 2);
        if (jj >= cols) { stridedZero(dst, kc, NR); continue; }
        if (mode === ROW) {
          for (let k = 0; k < kc; k++) store<f32>(dst + (<usize>(k * NR) << 2), load<f32>(p + (<usize>((k0 + k) * ld + j + jj) << 2)));
        } else {
          stridedCopy(p + (<usize>((j + jj) * ld + k0) << 2), dst, kc, NR);
        }
      }
    }
  }
}

// @ts-ignore: decorator
@inline function storeRow(c: usize, lo: v128, hi: v128, accumulate: bool): void {
  if (accumulate) {
    lo = f32x4.add(v128.load(c), lo);
    hi = f32x4.add(v128.load(c, 16), hi);
  }
  v128.store(c, lo);
  v128.store(c, hi, 16);
}

/** C[rows x cols] (+)= the packed A panel times the packed B panel, over kc. */
function tile(ap: usize, bp: usize, kc: i32, c: usize, ldc: i32, rows: i32, cols: i32, accumulate: bool, scratch: usize): void {
  let c00 = f32x4.splat(0), c01 = f32x4.splat(0), c10 = f32x4.splat(0), c11 = f32x4.splat(0);
  let c20 = f32x4.splat(0), c21 = f32x4.splat(0), c30 = f32x4.splat(0), c31 = f32x4.splat(0);
  let c40 = f32x4.splat(0), c41 = f32x4.splat(0), c50 = f32x4.splat(0), c51 = f32x4.splat(0);
  for (let k = 0; k < kc; k++) {
    const b0 = v128.load(bp);
    const b1 = v128.load(bp, 16);
    let a = v128.load32_splat(ap);
    c00 = fma(a, b0, c00); c01 = fma(a, b1, c01);
    a = v128.load32_splat(ap, 4);
    c10 = fma(a, b0, c10); c11 = fma(a, b1, c11);
    a = v128.load32_splat(ap, 8);
    c20 = fma(a, b0, c20); c21 = fma(a, b1, c21);
    a = v128.load32_splat(ap, 12);
    c30 = fma(a, b0, c30); c31 = fma(a, b1, c31);
    a = v128.load32_splat(ap, 16);
    c40 = fma(a, b0, c40); c41 = fma(a, b1, c41);
    a = v128.load32_splat(ap, 20);
    c50 = fma(a, b0, c50); c51 = fma(a, b1, c51);
    ap += 24;
    bp += 32;
  }
  const s = <usize>ldc << 2;
  if (rows === MR && cols === NR) {
    storeRow(c, c00, c01, accumulate);
    storeRow(c + s, c10, c11, accumulate);
    storeRow(c + 2 * s, c20, c21, accumulate);
    storeRow(c + 3 * s, c30, c31, accumulate);
    storeRow(c + 4 * s, c40, c41, accumulate);
    storeRow(c + 5 * s, c50, c51, accumulate);
    return;
  }
  // An edge tile: spill the registers, then write only the part inside C.
  v128.store(scratch, c00); v128.store(scratch, c01, 16); v128.store(scratch, c10, 32); v128.store(scratch, c11, 48);
  v128.store(scratch, c20, 64); v128.store(scratch, c21, 80); v128.store(scratch, c30, 96); v128.store(scratch, c31, 112);
  v128.store(scratch, c40, 128); v128.store(scratch, c41, 144); v128.store(scratch, c50, 160); v128.store(scratch, c51, 176);
  for (let r = 0; r < rows; r++) {
    for (let j = 0; j < cols; j++) {
      const dst = c + <usize>r * s + (<usize>j << 2);
      const v = load<f32>(scratch + (<usize>(r * NR + j) << 2));
      store<f32>(dst, accumulate ? load<f32>(dst) + v : v);
    }
  }
}

/** Bytes of workspace gemm needs at `ws`. */
export function workspaceBytes(): i32 {
  return (KC * NC + KC * MR + MR * NR) << 2;
}

/**
 * C[m x n] (+)= A[m x k] . B[k x n], C row-major with row stride n; added to C when
 * `accumulate` (the host's batch slices of one product). A and B are read in the layouts given
 * by aMode / bMode (ROW, COL, IM2COL) with leading dimensions lda / ldb.
 */
export function gemm(m: i32, n: i32, k: i32, aMode: i32, a: usize, lda: i32, bMode: i32, b: usize, ldb: i32, c: usize, accumulate: bool, ws: usize): void {
  const bp = ws;
  const ap = ws + (<usize>(KC * NC) << 2);
  const scratch = ap + (<usize>(KC * MR) << 2);
  if (k === 0) {
    if (!accumulate) memory.fill(c, 0, <usize>(m * n) << 2);
    return;
  }
  for (let jc = 0; jc < n; jc += NC) {
    const nc = min(NC, n - jc);
    for (let pc = 0; pc < k; pc += KC) {
      const kc = min(KC, k - pc);
      packB(bMode, b, ldb, pc, kc, jc, nc, bp);
      for (let ic = 0; ic < m; ic += MR) {
        const rows = min(MR, m - ic);
        packA(aMode, a, lda, ic, rows, pc, kc, ap);
        for (let jr = 0; jr < nc; jr += NR) {
          const cols = min(NR, nc - jr);
          tile(ap, bp + (<usize>(jr * kc) << 2), kc, c + (<usize>(ic * n + jc + jr) << 2), n, rows, cols, accumulate || pc > 0, scratch);
        }
      }
    }
  }
}

/** dst[cols x rows] = transpose of src[rows x cols]. */
export function transpose(src: usize, rows: i32, cols: i32, dst: usize): void {
  for (let r = 0; r < rows; r++) {
    for (let c = 0; c < cols; c++) store<f32>(dst + (<usize>(c * rows + r) << 2), load<f32>(src + (<usize>(r * cols + c) << 2)));
  }
}
