/**
 * Conv2DBackpropFilter for the wasm backend, which ships without it (so it cannot train a
 * conv net). The filter gradient is itself a convolution: correlate the input with the
 * output gradient over the batch. It is composed from kernels wasm has (XNNPACK Conv2D and
 * BatchMatMul, Transpose, Slice) at the kernel level, on TensorInfos, so no engine tensors
 * are created or leaked inside the kernel:
 *   - 1x1, stride 1, no padding: dW[ci,co] = x[N*H*W, ci]^T . dy[N*H*W, co] (one matMul);
 *   - otherwise: conv2d over the transposed input [ci, H, W, N] with "filter" dy as
 *     [oh, ow, N, co], dilation = stride, then crop to kh x kw and transpose to [kh, kw, ci, co].
 */
import * as tf from '@tensorflow/tfjs-core';

type Info = tf.TensorInfo;
type Attrs = Record<string, unknown>;

/** Runs registered kernels of one backend and frees the intermediates it made. */
class KernelRunner {
  private readonly temps: Info[] = [];
  constructor(
    private readonly backendName: string,
    private readonly backend: tf.KernelBackend,
  ) {}

  run(name: string, inputs: Record<string, Info>, attrs: Attrs = {}): Info {
    const k = tf.getKernel(name, this.backendName);
    if (!k) throw new Error(`kernel ${name} is not registered for ${this.backendName}`);
    const out = k.kernelFunc({ inputs, backend: this.backend, attrs: attrs as tf.NamedAttrMap }) as Info;
    this.temps.push(out);
    return out;
  }

  /** Free every intermediate except `keep`. */
  release(keep: Info): void {
    for (const t of this.temps) if (t !== keep) this.backend.disposeData(t.dataId);
  }
}

/** The filter gradient computed with `backend`'s own kernels. */
export function filterGradientInfo(
  backendName: string,
  backend: tf.KernelBackend,
  x: Info,
  dy: Info,
  attrs: tf.Conv2DBackpropFilterAttrs,
): Info {
  const info = tf.backend_util.computeConv2DInfo(
    x.shape as [number, number, number, number],
    attrs.filterShape as [number, number, number, number],
    attrs.strides,
    1,
    attrs.pad,
    attrs.dimRoundingMode,
    false,
    'channelsLast',
  );
  const { filterHeight: kh, filterWidth: kw, inChannels: ci, outChannels: co, strideHeight: sh, strideWidth: sw } = info;
  const p = info.padInfo;
  const k = new KernelRunner(backendName, backend);
  let out: Info;
  if (kh === 1 && kw === 1 && sh === 1 && sw === 1 && p.top + p.bottom + p.left + p.right === 0) {
    const x2 = k.run('Reshape', { x }, { shape: [1, -1, ci] });
    const dy2 = k.run('Reshape', { x: dy }, { shape: [1, -1, co] });
    const dw = k.run('BatchMatMul', { a: x2, b: dy2 }, { transposeA: true, transposeB: false });
    out = k.run('Reshape', { x: dw }, { shape: [1, 1, ci, co] });
  } else {
    const xt = k.run('Transpose', { x }, { perm: [3, 1, 2, 0] });
    const f = k.run('Transpose', { x: dy }, { perm: [1, 2, 0, 3] });
    const pad = [[0, 0], [p.top, p.bottom], [p.left, p.right], [0, 0]];
    const g = k.run('Conv2D', { x: xt, filter: f }, { strides: [1, 1], pad, dataFormat: 'NHWC', dilations: [sh, sw] });
    // The correlation may run past the kernel when the forward conv skipped trailing rows.
    const cropped = k.run('Slice', { x: g }, { begin: [0, 0, 0, 0], size: [ci, kh, kw, co] });
    out = k.run('Transpose', { x: cropped }, { perm: [1, 2, 0, 3] });
  }
  k.release(out);
  return out;
}

/** Register the kernel for `backendName` (idempotent). */
export function registerConv2DBackpropFilter(backendName = 'wasm'): void {
  if (tf.getKernel('Conv2DBackpropFilter', backendName)) return;
  tf.registerKernel({
    kernelName: 'Conv2DBackpropFilter',
    backendName,
    kernelFunc: ({ inputs, attrs, backend }) => {
      if (!inputs.x || !inputs.dy) throw new Error('Conv2DBackpropFilter needs inputs x and dy');
      return filterGradientInfo(backendName, backend as tf.KernelBackend, inputs.x, inputs.dy, attrs as unknown as tf.Conv2DBackpropFilterAttrs);
    },
  });
}
