/**
 * Conv2DBackpropFilter for the wasm backend, which ships without it (so it cannot train a
 * conv net). The filter gradient is itself a convolution: correlate the input with the
 * output gradient over the batch. We express it with kernels wasm has (XNNPACK conv2d and
 * matMul) instead of writing a kernel by hand:
 *   - 1x1, stride 1, no padding: dW[ci,co] = x[N*H*W, ci]^T . dy[N*H*W, co] (one matMul);
 *   - otherwise: conv2d over the transposed input [ci, H, W, N] with "filter" dy as
 *     [oh, ow, N, co], dilation = stride, then crop to kh x kw and transpose to [kh, kw, ci, co].
 */
import * as tf from '@tensorflow/tfjs-core';

type Pad = [[number, number], [number, number], [number, number], [number, number]];

function explicitPad(info: tf.backend_util.Conv2DInfo): Pad {
  const p = info.padInfo;
  return [
    [0, 0],
    [p.top, p.bottom],
    [p.left, p.right],
    [0, 0],
  ];
}

/** dW for NHWC input `x`, output gradient `dy` and the forward conv's attributes. */
export function filterGradient(x: tf.Tensor4D, dy: tf.Tensor4D, attrs: tf.Conv2DBackpropFilterAttrs): tf.Tensor4D {
  const info = tf.backend_util.computeConv2DInfo(
    x.shape,
    attrs.filterShape as [number, number, number, number],
    attrs.strides,
    1,
    attrs.pad,
    attrs.dimRoundingMode,
    false,
    'channelsLast',
  );
  const { filterHeight: kh, filterWidth: kw, inChannels: ci, outChannels: co, strideHeight: sh, strideWidth: sw } = info;
  return tf.tidy(() => {
    const p = info.padInfo;
    if (kh === 1 && kw === 1 && sh === 1 && sw === 1 && p.top + p.bottom + p.left + p.right === 0) {
      const dw = tf.matMul(tf.reshape(x, [-1, ci]), tf.reshape(dy, [-1, co]), true, false);
      return tf.reshape(dw, [1, 1, ci, co]);
    }
    // Only the rows/cols the forward conv actually read; the rest of x gets no gradient.
    const xt = tf.transpose(x, [3, 1, 2, 0]);
    const f = tf.transpose(dy, [1, 2, 0, 3]);
    const g = tf.conv2d(xt, f, 1, explicitPad(info), 'NHWC', [sh, sw]);
    const cropped = tf.slice(g, [0, 0, 0, 0], [ci, kh, kw, co]);
    return tf.transpose(cropped, [1, 2, 0, 3]);
  });
}

/** Register the kernel for `backendName` (idempotent). */
export function registerConv2DBackpropFilter(backendName = 'wasm'): void {
  if (tf.getKernel('Conv2DBackpropFilter', backendName)) return;
  tf.registerKernel({
    kernelName: 'Conv2DBackpropFilter',
    backendName,
    kernelFunc: ({ inputs, attrs, backend }) => {
      const engine = tf.engine();
      if (!inputs.x || !inputs.dy) throw new Error('Conv2DBackpropFilter needs inputs x and dy');
      const x = engine.makeTensorFromTensorInfo(inputs.x) as tf.Tensor4D;
      const dy = engine.makeTensorFromTensorInfo(inputs.dy) as tf.Tensor4D;
      try {
        const dw = filterGradient(x, dy, attrs as unknown as tf.Conv2DBackpropFilterAttrs);
        // Copy into a fresh tensor owned by the engine's caller; the temporary is disposed.
        const values = dw.dataSync() as Float32Array;
        const shape = dw.shape;
        dw.dispose();
        const wasm = backend as unknown as { makeOutput(s: number[], d: string, o?: number, v?: Float32Array): tf.TensorInfo };
        return wasm.makeOutput(shape, 'float32', undefined, values);
      } finally {
        x.dispose();
        dy.dispose();
      }
    },
  });
}
