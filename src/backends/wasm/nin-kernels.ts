/**
 * Loads nin-kernels.wasm (compiled from asm/ by the build) and runs its kernels on
 * Float32Arrays: the matrix product behind convolutions, and SIMD loops for the bias and
 * max-pooling gradients. The module has its own memory: operands are copied in and results
 * out, which costs ~1% of a NiN convolution and keeps tfjs's heap out of reach of our code.
 *
 * It needs WebAssembly relaxed SIMD (fused multiply-add): on by default in V8 11.4+ (VS Code's
 * Electron, Node 22), behind a flag in Node 20's V8 11.3, which we set at runtime (it only
 * enables that wasm feature). Where it still does not compile, `loadNinKernels` says why and
 * the callers keep XNNPACK and the JavaScript loops. NIN_WASM_KERNELS=0 turns it off, to
 * measure the difference.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { setFlagsFromString } from 'node:v8';
import * as tf from '@tensorflow/tfjs-core';
import { findWasmDir } from '../wasmAssets';
import type { PoolGeometry } from './js-kernels';

/** File name of the compiled kernel in out/wasm/. */
export const KERNELS_WASM = 'nin-kernels.wasm';

/** Operand layouts of gemm, as asm/gemm.ts numbers them. */
const ROW = 0;
const COL = 1;
const IM2COL = 2;

/** One NHWC convolution's sizes, as the kernel needs them. */
export interface ConvGeometry {
  readonly n: number;
  readonly h: number;
  readonly w: number;
  readonly c: number;
  readonly oh: number;
  readonly ow: number;
  readonly co: number;
  readonly kh: number;
  readonly kw: number;
  readonly sh: number;
  readonly sw: number;
  readonly pt: number;
  readonly pl: number;
  readonly dh: number;
  readonly dw: number;
}

/** The geometry of a tfjs Conv2DInfo (channels last). */
export function convGeometry(info: tf.backend_util.Conv2DInfo): ConvGeometry {
  const [n, h, w, c] = info.inShape;
  return {
    n,
    h,
    w,
    c,
    oh: info.outHeight,
    ow: info.outWidth,
    co: info.outChannels,
    kh: info.filterHeight,
    kw: info.filterWidth,
    sh: info.strideHeight,
    sw: info.strideWidth,
    pt: info.padInfo.top,
    pl: info.padInfo.left,
    dh: info.dilationHeight,
    dw: info.dilationWidth,
  };
}

interface KernelExports {
  memory: WebAssembly.Memory;
  workspaceBytes(): number;
  setConv(
    h: number,
    w: number,
    c: number,
    oh: number,
    ow: number,
    kw: number,
    sh: number,
    sw: number,
    pt: number,
    pl: number,
    dh: number,
    dw: number,
  ): void;
  gemm(
    m: number,
    n: number,
    k: number,
    aMode: number,
    a: number,
    lda: number,
    bMode: number,
    b: number,
    ldb: number,
    c: number,
    accumulate: boolean,
    ws: number,
  ): void;
  transpose(src: number, rows: number, cols: number, dst: number): void;
  sumRows(x: number, m: number, c: number, out: number, acc: number, accumulate: boolean): void;
  maxPoolGrad(...args: number[]): void;
}

/**
 * Operand bytes one product copies into the module at most: bigger batches go through in
 * slices, so the module's memory (which never shrinks) stays small beside tfjs's own heap
 * (seed at 224x224 would otherwise need ~150 MB more per thread).
 */
export const SLICE_BYTES = 32 << 20;

const align = (bytes: number): number => Math.ceil(bytes / 64) * 64;

/**
 * Items per slice of `budget` bytes when each takes `perItem` bytes beside `fixed` (at least
 * one). A `fixed` part over the budget (a 4096x4096 Linear weight is 64 MB) still leaves half
 * the budget for the slices: one row or one depth step per call re-packed the whole weight each
 * time, and a fully connected head trained 20x slower than its FLOPs say.
 */
export function sliceItems(count: number, perItem: number, fixed: number, budget: number): number {
  const room = Math.max(budget - fixed, budget / 2);
  return Math.max(1, Math.min(count, Math.floor(room / perItem)));
}

/** The kernels of one thread. */
export class NinKernels {
  private readonly ws = 64;
  private readonly base: number;
  /** The slice budget (tests lower it to cover slicing with small operands). */
  sliceBytes = SLICE_BYTES;

  constructor(private readonly e: KernelExports) {
    this.base = align(this.ws + e.workspaceBytes());
  }

  /** Offsets of consecutive float buffers of the given lengths, growing memory to fit. */
  private place(lengths: readonly number[]): number[] {
    let at = this.base;
    const offsets = lengths.map((len) => {
      const o = at;
      at += align(len * 4);
      return o;
    });
    const have = this.e.memory.buffer.byteLength;
    if (at > have) this.e.memory.grow(Math.ceil((at - have) / 65536));
    return offsets;
  }

  private put(offset: number, data: Float32Array): void {
    new Float32Array(this.e.memory.buffer, offset, data.length).set(data);
  }

  private take(offset: number, out: Float32Array): void {
    out.set(new Float32Array(this.e.memory.buffer, offset, out.length));
  }

  /**
   * How gemm reads the patches of x: a 1x1 convolution's are x itself, a [pixels, c] matrix;
   * any other's are gathered while packing, from the geometry set here.
   */
  private patches(g: ConvGeometry): { mode: number; ld: number } {
    if (isPointwise(g)) return { mode: ROW, ld: g.c };
    this.e.setConv(g.h, g.w, g.c, g.oh, g.ow, g.kw, g.sh, g.sw, g.pt, g.pl, g.dh, g.dw);
    return { mode: IM2COL, ld: 0 };
  }

  /** out[n,oh,ow,co] = conv(x[n,h,w,c], filter[kh,kw,c,co]), a slice of images at a time. */
  conv2d(x: Float32Array, filter: Float32Array, g: ConvGeometry, out: Float32Array): void {
    const inPer = g.h * g.w * g.c;
    const outPer = g.oh * g.ow * g.co;
    if (g.n === 0) return;
    const step = sliceItems(g.n, (inPer + outPer) * 4, filter.length * 4, this.sliceBytes);
    const [xo, fo, oo] = this.place([step * inPer, filter.length, step * outPer]);
    this.put(fo, filter);
    const k = g.kh * g.kw * g.c;
    const p = this.patches(g);
    for (let b = 0; b < g.n; b += step) {
      const nb = Math.min(step, g.n - b);
      this.put(xo, x.subarray(b * inPer, (b + nb) * inPer));
      this.e.gemm(nb * g.oh * g.ow, g.co, k, p.mode, xo, p.ld, ROW, fo, g.co, oo, false, this.ws);
      this.take(oo, out.subarray(b * outPer, (b + nb) * outPer));
    }
  }

  /**
   * out[kh,kw,c,co] = the filter gradient of conv2d given dy[n,oh,ow,co]. Computed as
   * dy^T . patches ([co, K], the patches packed 8 channels at a time), summed over slices
   * of images, then transposed.
   */
  filterGrad(x: Float32Array, dy: Float32Array, g: ConvGeometry, out: Float32Array): void {
    const k = g.kh * g.kw * g.c;
    const inPer = g.h * g.w * g.c;
    const dyPer = g.oh * g.ow * g.co;
    if (g.n === 0) {
      out.fill(0);
      return;
    }
    const step = sliceItems(g.n, (inPer + dyPer) * 4, out.length * 8, this.sliceBytes);
    const [xo, dyo, to, oo] = this.place([step * inPer, step * dyPer, out.length, out.length]);
    const p = this.patches(g);
    for (let b = 0; b < g.n; b += step) {
      const nb = Math.min(step, g.n - b);
      this.put(xo, x.subarray(b * inPer, (b + nb) * inPer));
      this.put(dyo, dy.subarray(b * dyPer, (b + nb) * dyPer));
      this.e.gemm(g.co, k, nb * g.oh * g.ow, COL, dyo, g.co, p.mode, xo, p.ld, to, b > 0, this.ws);
    }
    this.e.transpose(to, g.co, k, oo);
    this.take(oo, out);
  }

  /**
   * out[m,n] = op(a) . op(b), where a is [m,k] ([k,m] when transA) and b [k,n] ([n,k] when
   * transB). Sliced over a's rows, or over k when only a is transposed.
   */
  matMul(
    a: Float32Array,
    b: Float32Array,
    m: number,
    n: number,
    k: number,
    transA: boolean,
    transB: boolean,
    out: Float32Array,
  ): void {
    if (m * n === 0) return;
    if (k === 0) {
      out.fill(0);
      return;
    }
    const aMode = transA ? COL : ROW;
    const bMode = transB ? COL : ROW;
    if (!transA) {
      const step = sliceItems(m, (k + n) * 4, b.length * 4, this.sliceBytes);
      const [ao, bo, oo] = this.place([step * k, b.length, step * n]);
      this.put(bo, b);
      for (let r = 0; r < m; r += step) {
        const rows = Math.min(step, m - r);
        this.put(ao, a.subarray(r * k, (r + rows) * k));
        this.e.gemm(rows, n, k, aMode, ao, k, bMode, bo, transB ? k : n, oo, false, this.ws);
        this.take(oo, out.subarray(r * n, (r + rows) * n));
      }
      return;
    }
    const step = transB ? k : sliceItems(k, (m + n) * 4, m * n * 4, this.sliceBytes);
    const [ao, bo, oo] = this.place([step * m, transB ? b.length : step * n, m * n]);
    if (transB) this.put(bo, b);
    for (let s = 0; s < k; s += step) {
      const depth = Math.min(step, k - s);
      this.put(ao, a.subarray(s * m, (s + depth) * m));
      if (!transB) this.put(bo, b.subarray(s * n, (s + depth) * n));
      this.e.gemm(m, n, depth, aMode, ao, m, bMode, bo, transB ? k : n, oo, s > 0, this.ws);
    }
    this.take(oo, out);
  }

  /** out[j] = sum over the rows of x[rows, c] (float64 accumulation), a slice of rows at a time. */
  sumRows(x: Float32Array, c: number, out: Float32Array): void {
    const rows = c ? x.length / c : 0;
    const step = sliceItems(rows, c * 4, c * 12, this.sliceBytes);
    const [xo, oo, acc] = this.place([step * c, c, 2 * c]);
    if (rows === 0) out.fill(0);
    for (let r = 0; r < rows; r += step) {
      const m = Math.min(step, rows - r);
      this.put(xo, x.subarray(r * c, (r + m) * c));
      this.e.sumRows(xo, m, c, oo, acc, r > 0);
    }
    if (rows) this.take(oo, out);
  }

  /** dx of a max pooling (first maximum of each window, row-major), a slice of images at a time. */
  maxPoolGrad(x: Float32Array, dy: Float32Array, g: PoolGeometry, dx: Float32Array): void {
    const inPer = g.h * g.w * g.c;
    const outPer = g.oh * g.ow * g.c;
    const step = sliceItems(g.n, (2 * inPer + outPer) * 4, 0, this.sliceBytes);
    const [xo, dyo, dxo] = this.place([step * inPer, step * outPer, step * inPer]);
    for (let b = 0; b < g.n; b += step) {
      const nb = Math.min(step, g.n - b);
      this.put(xo, x.subarray(b * inPer, (b + nb) * inPer));
      this.put(dyo, dy.subarray(b * outPer, (b + nb) * outPer));
      this.e.maxPoolGrad(xo, dyo, dxo, nb, g.h, g.w, g.c, g.oh, g.ow, g.kh, g.kw, g.sh, g.sw, g.padTop, g.padLeft);
      this.take(dxo, dx.subarray(b * inPer, (b + nb) * inPer));
    }
  }
}

/** A 1x1 convolution that reads its input as a plain [pixels, channels] matrix. */
function isPointwise(g: ConvGeometry): boolean {
  return (
    g.kh === 1 && g.kw === 1 && g.sh === 1 && g.sw === 1 && g.pt === 0 && g.pl === 0 && g.oh === g.h && g.ow === g.w
  );
}

/** The kernel of this thread, or why there is none. */
export type NinKernelsLoad =
  | { readonly kernel: NinKernels; readonly reason?: undefined }
  | { readonly kernel?: undefined; readonly reason: string };

/**
 * Per-thread state, kept on globalThis: the kernel overrides are installed once per thread
 * by whichever bundle registers them first (each test file is its own bundle with its own
 * copy of this module), so the switch and the instance must be the same for every copy.
 */
interface KernelsState {
  loaded?: NinKernelsLoad;
  enabled: boolean;
}
const STATE = Symbol.for('nin-vscode.kernels');
function state(): KernelsState {
  const g = globalThis as unknown as Record<symbol, KernelsState | undefined>;
  return (g[STATE] ??= { enabled: true });
}

/** Compile the module, setting Node 20's relaxed-SIMD flag first when it is needed. */
function compile(bytes: Uint8Array<ArrayBuffer>): WebAssembly.Module {
  if (!WebAssembly.validate(bytes)) {
    try {
      setFlagsFromString('--experimental-wasm-relaxed-simd');
    } catch {
      // Not Node, or flags are locked: the compile error below says what is missing.
    }
  }
  return new WebAssembly.Module(bytes);
}

/** Read, compile and instantiate the module (exported for tests; use loadNinKernels). */
export function instantiateNinKernels(dir?: string): NinKernelsLoad {
  if (process.env.NIN_WASM_KERNELS === '0') return { reason: 'turned off by NIN_WASM_KERNELS=0' };
  const message = (e: unknown): string => (e instanceof Error ? e.message : String(e));
  let bytes: Uint8Array<ArrayBuffer>;
  try {
    bytes = new Uint8Array(readFileSync(join(dir ?? findWasmDir(KERNELS_WASM), KERNELS_WASM)));
  } catch (e) {
    return { reason: `${KERNELS_WASM} could not be read (${message(e)})` };
  }
  try {
    const instance = new WebAssembly.Instance(compile(bytes), {});
    return { kernel: new NinKernels(instance.exports as unknown as KernelExports) };
  } catch (e) {
    return {
      reason: `${KERNELS_WASM} does not load in this runtime, which needs WebAssembly relaxed SIMD (${message(e)})`,
    };
  }
}

/** Load the kernel once per thread (`dir`: where nin-kernels.wasm is, default out/wasm/). */
export function loadNinKernels(dir?: string): NinKernelsLoad {
  const st = state();
  st.loaded ??= instantiateNinKernels(dir);
  return st.loaded;
}

/** Route kernels to XNNPACK (false) or back to nin-kernels (true): for tests and A/B timing. */
export function setNinKernelsEnabled(on: boolean): void {
  state().enabled = on;
}

/** The kernel the overrides should use now, if any. */
export function activeNinKernels(): NinKernels | undefined {
  return state().enabled ? loadNinKernels().kernel : undefined;
}
