/**
 * Faster training kernels for the wasm backend, composed from its XNNPACK kernels.
 *
 * Measured on the compact NiN (wasm, one thread), the backward pass spent most of its time in
 * kernels that tfjs-backend-wasm implements as plain C++ loops rather than XNNPACK:
 * Conv2DBackpropInput (a naive direct loop), BatchMatMul with a transposed operand (a blocked
 * scalar loop; only the untransposed, unbatched case reaches XNNPACK), and Sum over leading
 * axes (a full transpose, then a scalar reduction). Each override here rewrites its common
 * case into kernels that do reach XNNPACK, and hands every other case to the original:
 *   - BatchMatMul: nin-kernels.wasm when it loads (gemm-kernels.ts); else, with transposeA or
 *     transposeB, transpose explicitly, then the XNNPACK path;
 *   - Conv2DBackpropInput, stride 1: a Conv2D of dy with the filter flipped and transposed
 *     (the "full" correlation), 1x1 without padding: dy . W^T as one matMul;
 * (Sum over leading axes and MaxPoolGrad are plain loops: see js-kernels.ts.)
 */
import * as tf from '@tensorflow/tfjs-core';
import { gemmMatMul } from './gemm-kernels';
import { flippedFilterInfo } from './js-kernels';
import { KernelRunner, nhwcConvInfo, overrideKernel, unbatchedLead, type Attrs, type Info } from './runner';

function installBatchMatMul(backendName: string): void {
  overrideKernel('BatchMatMul', backendName, ({ inputs, backend, attrs }, original) => {
    const { a, b } = inputs;
    const { transposeA, transposeB } = attrs as unknown as tf.BatchMatMulAttrs;
    const product = gemmMatMul(backend, a, b, transposeA, transposeB);
    if (product) return product;
    if (!transposeA && !transposeB) return undefined;
    if (a.dtype !== 'float32' || b.dtype !== 'float32') return undefined;
    // Only unbatched products reach XNNPACK in the original either; leave batched ones be.
    const lead = unbatchedLead(a, b);
    if (!lead) return undefined;
    const k = new KernelRunner(backendName, backend);
    const [ar, ac] = a.shape.slice(-2);
    const [br, bc] = b.shape.slice(-2);
    const a2 = transposeA
      ? k.run('Transpose', { x: k.reshape(a, [ar, ac]) }, { perm: [1, 0] })
      : k.reshape(a, [ar, ac]);
    const b2 = transposeB
      ? k.run('Transpose', { x: k.reshape(b, [br, bc]) }, { perm: [1, 0] })
      : k.reshape(b, [br, bc]);
    const m = transposeA ? ac : ar;
    const n = transposeB ? br : bc;
    const out = k.call(
      original,
      { a: k.reshape(a2, [1, a2.shape[0], a2.shape[1]]), b: k.reshape(b2, [1, b2.shape[0], b2.shape[1]]) },
      { transposeA: false, transposeB: false },
    );
    return k.release(k.reshape(out, [...lead, m, n]));
  });
}

/** Conv geometry of a backprop-input call, or undefined when it is not NHWC. */
function inputGradInfo(filter: Info, attrs: Attrs): tf.backend_util.Conv2DInfo | undefined {
  const a = attrs as unknown as tf.Conv2DBackpropInputAttrs;
  if (a.dataFormat !== undefined && a.dataFormat !== 'NHWC') return undefined;
  return nhwcConvInfo(a.inputShape, filter.shape, a);
}

/** dx of a stride-1 conv composed of XNNPACK kernels; undefined for other geometries. */
export function inputGradientInfo(
  k: KernelRunner,
  dy: Info,
  filter: Info,
  info: tf.backend_util.Conv2DInfo,
): Info | undefined {
  const {
    filterHeight: kh,
    filterWidth: kw,
    inChannels: ci,
    outChannels: co,
    strideHeight: sh,
    strideWidth: sw,
  } = info;
  const p = info.padInfo;
  if (sh !== 1 || sw !== 1 || info.dilationHeight !== 1 || info.dilationWidth !== 1) return undefined;
  const [n, h, w] = info.inShape;
  if (kh === 1 && kw === 1 && p.top + p.bottom + p.left + p.right === 0) {
    const m = n * info.outHeight * info.outWidth;
    const dx = k.run(
      'BatchMatMul',
      { a: k.reshape(dy, [1, m, co]), b: k.reshape(filter, [1, ci, co]) },
      { transposeA: false, transposeB: true },
    );
    return k.reshape(dx, [n, h, w, ci]);
  }
  // dx = dy correlated with the filter rotated by 180 degrees, in/out channels swapped.
  const pt = kh - 1 - p.top;
  const pb = kh - 1 - p.bottom;
  const pl = kw - 1 - p.left;
  const pr = kw - 1 - p.right;
  if (pt < 0 || pb < 0 || pl < 0 || pr < 0) return undefined;
  if (info.outHeight + pt + pb - kh + 1 !== h || info.outWidth + pl + pr - kw + 1 !== w) return undefined;
  const wt = k.track(flippedFilterInfo(k.backend, filter));
  return k.run(
    'Conv2D',
    { x: dy, filter: wt },
    {
      strides: [1, 1],
      pad: [
        [0, 0],
        [pt, pb],
        [pl, pr],
        [0, 0],
      ],
      dataFormat: 'NHWC',
      dilations: [1, 1],
    },
  );
}

function installConv2DBackpropInput(backendName: string): void {
  overrideKernel('Conv2DBackpropInput', backendName, ({ inputs, backend, attrs }) => {
    const { dy, filter } = inputs;
    if (dy.dtype !== 'float32' || filter.dtype !== 'float32') return undefined;
    const info = inputGradInfo(filter, attrs);
    if (!info) return undefined;
    const k = new KernelRunner(backendName, backend);
    return k.release(inputGradientInfo(k, dy, filter, info));
  });
}

/** Install the faster kernels on `backendName` (idempotent; call once the backend is registered). */
export function installFastTrainingKernels(backendName = 'wasm'): void {
  installBatchMatMul(backendName);
  installConv2DBackpropInput(backendName);
}
