/**
 * Running registered kernels of one backend on TensorInfos, inside another kernel. A kernel
 * composed this way creates no engine tensors (so nothing can leak into tidy scopes or the
 * tensor count) and frees every intermediate it made except its output.
 */
import * as tf from '@tensorflow/tfjs-core';

/** A kernel's input or output, as the backend sees it. */
export type Info = tf.TensorInfo;
/** The two methods of the wasm backend that kernels working on its heap need (public on BackendWasm). */
export interface HeapBackend {
  makeOutput(shape: number[], dtype: tf.DataType): Info;
  typedArrayFromHeap(info: Info): Float32Array;
}
/** The attributes every 2-D convolution kernel carries (dilations: forward kernels only). */
export interface ConvAttrs {
  readonly strides: number | [number, number];
  readonly pad: tf.Conv2DAttrs['pad'];
  readonly dilations?: number | [number, number];
  readonly dimRoundingMode?: tf.Conv2DAttrs['dimRoundingMode'];
}

/** The geometry of an NHWC convolution of `inShape` by a `filterShape` filter. */
export function nhwcConvInfo(
  inShape: readonly number[],
  filterShape: readonly number[],
  a: ConvAttrs,
): tf.backend_util.Conv2DInfo {
  type Shape4 = [number, number, number, number];
  return tf.backend_util.computeConv2DInfo(
    inShape as Shape4,
    filterShape as Shape4,
    a.strides,
    a.dilations ?? 1,
    a.pad,
    a.dimRoundingMode,
    false,
    'channelsLast',
  );
}

/**
 * The leading (batch) shape of a product of `a` and `b` when both are unbatched (every
 * leading dimension 1), else undefined: only those reach XNNPACK or nin-kernels.
 */
export function unbatchedLead(a: Info, b: Info): number[] | undefined {
  const single = (x: Info): boolean => tf.util.sizeFromShape(x.shape.slice(0, -2)) === 1;
  if (!single(a) || !single(b)) return undefined;
  return a.shape.length >= b.shape.length ? a.shape.slice(0, -2) : b.shape.slice(0, -2);
}

/** Kernel attributes as tfjs passes them. */
export type Attrs = Record<string, unknown>;
/** A kernel function as registered with tfjs. */
export type KernelFn = (args: { inputs: Record<string, Info>; backend: tf.KernelBackend; attrs: Attrs }) => Info;

/** Runs registered kernels of one backend and frees the intermediates it made. */
export class KernelRunner {
  private readonly temps: Info[] = [];
  constructor(
    readonly backendName: string,
    readonly backend: tf.KernelBackend,
  ) {}

  /** Run the kernel registered as `name` now (an override when one is installed). */
  run(name: string, inputs: Record<string, Info>, attrs: Attrs = {}): Info {
    const k = tf.getKernel(name, this.backendName);
    if (!k) throw new Error(`kernel ${name} is not registered for ${this.backendName}`);
    return this.track(k.kernelFunc({ inputs, backend: this.backend, attrs: attrs as tf.NamedAttrMap }) as Info);
  }

  /** Run a kernel function directly (for example the original one an override wraps). */
  call(fn: KernelFn, inputs: Record<string, Info>, attrs: Attrs = {}): Info {
    return this.track(fn({ inputs, backend: this.backend, attrs }));
  }

  /** Reshape without copying (the wasm Reshape shares the buffer and counts references). */
  reshape(x: Info, shape: number[]): Info {
    return this.run('Reshape', { x }, { shape });
  }

  /** Free every intermediate except `keep`; returns `keep`. */
  release<T extends Info | undefined>(keep: T): T {
    for (const t of this.temps) if (t !== keep) this.backend.disposeData(t.dataId);
    this.temps.length = 0;
    return keep;
  }

  /** Count a TensorInfo made outside `run`/`call` (e.g. by `makeOutput`) as an intermediate. */
  track(out: Info): Info {
    this.temps.push(out);
    return out;
  }
}

/**
 * Replace a registered kernel by `fast`, which returns undefined to hand the case to the
 * original. The original's setup and dispose functions stay, so overriding works before
 * and after the backend initialises. Idempotent: a second call keeps the first override.
 */
export function overrideKernel(
  kernelName: string,
  backendName: string,
  fast: (
    args: { inputs: Record<string, Info>; backend: tf.KernelBackend; attrs: Attrs },
    original: KernelFn,
  ) => Info | undefined,
): void {
  const original = tf.getKernel(kernelName, backendName);
  if (!original) throw new Error(`kernel ${kernelName} is not registered for ${backendName}`);
  if ((original as { ninOverride?: boolean }).ninOverride) return;
  const originalFn = original.kernelFunc as unknown as KernelFn;
  tf.unregisterKernel(kernelName, backendName);
  const config: tf.KernelConfig & { ninOverride: boolean } = {
    ...original,
    ninOverride: true,
    kernelFunc: (args) => {
      const a = args as unknown as Parameters<typeof fast>[0];
      return fast(a, originalFn) ?? originalFn(a);
    },
  };
  tf.registerKernel(config);
}
