/**
 * Conv2DBackpropFilter for the wasm backend, which ships without it (so it cannot train a
 * conv net). Where nin-kernels.wasm loads, it computes the gradient as one product of the output
 * gradient and the input's patches (gemm-kernels.ts). Otherwise: the filter gradient is
 * itself a convolution: correlate the input with the output gradient over the batch. It is composed from kernels wasm has (XNNPACK Conv2D and
 * BatchMatMul, Transpose, Slice) at the kernel level, on TensorInfos, so no engine tensors
 * are created or leaked inside the kernel:
 *   - 1x1, stride 1, no padding: dW[ci,co] = x[N*H*W, ci]^T . dy[N*H*W, co] (one matMul);
 *   - otherwise: conv2d over the transposed input [ci, H, W, N] with "filter" dy as
 *     [oh, ow, N, co], dilation = stride, then crop to kh x kw and transpose to [kh, kw, ci, co].
 */
import * as tf from '@tensorflow/tfjs-core';
import { gemmFilterGradient } from './gemm-kernels';
import { KernelRunner, nhwcConvInfo, type Info } from './runner';

/** The filter gradient computed with `backend`'s own kernels. */
export function filterGradientInfo(
  backendName: string,
  backend: tf.KernelBackend,
  x: Info,
  dy: Info,
  attrs: tf.Conv2DBackpropFilterAttrs,
): Info {
  const info = nhwcConvInfo(x.shape, attrs.filterShape, attrs);
  const fast = gemmFilterGradient(backend, x, dy, info);
  if (fast) return fast;
  const {
    filterHeight: kh,
    filterWidth: kw,
    inChannels: ci,
    outChannels: co,
    strideHeight: sh,
    strideWidth: sw,
  } = info;
  const p = info.padInfo;
  const k = new KernelRunner(backendName, backend);
  let out: Info;
  if (kh === 1 && kw === 1 && sh === 1 && sw === 1 && p.top + p.bottom + p.left + p.right === 0) {
    const m = x.shape[0] * x.shape[1] * x.shape[2];
    // Through the BatchMatMul override (when installed), which reaches XNNPACK.
    const dw = k.run(
      'BatchMatMul',
      { a: k.reshape(x, [1, m, ci]), b: k.reshape(dy, [1, m, co]) },
      { transposeA: true, transposeB: false },
    );
    out = k.reshape(dw, [1, 1, ci, co]);
  } else {
    const xt = k.run('Transpose', { x }, { perm: [3, 1, 2, 0] });
    const f = k.run('Transpose', { x: dy }, { perm: [1, 2, 0, 3] });
    const pad = [
      [0, 0],
      [p.top, p.bottom],
      [p.left, p.right],
      [0, 0],
    ];
    const g = k.run('Conv2D', { x: xt, filter: f }, { strides: [1, 1], pad, dataFormat: 'NHWC', dilations: [sh, sw] });
    // The correlation may run past the kernel when the forward conv skipped trailing rows.
    const cropped = k.run('Slice', { x: g }, { begin: [0, 0, 0, 0], size: [ci, kh, kw, co] });
    out = k.run('Transpose', { x: cropped }, { perm: [1, 2, 0, 3] });
  }
  return k.release(out);
}

/** Register the kernel for `backendName` (idempotent). */
export function registerConv2DBackpropFilter(backendName = 'wasm'): void {
  if (tf.getKernel('Conv2DBackpropFilter', backendName)) return;
  tf.registerKernel({
    kernelName: 'Conv2DBackpropFilter',
    backendName,
    kernelFunc: ({ inputs, attrs, backend }) => {
      if (!inputs.x || !inputs.dy) throw new Error('Conv2DBackpropFilter needs inputs x and dy');
      return filterGradientInfo(
        backendName,
        backend as tf.KernelBackend,
        inputs.x,
        inputs.dy,
        attrs as unknown as tf.Conv2DBackpropFilterAttrs,
      );
    },
  });
}
