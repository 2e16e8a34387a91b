/**
 * The wasm backend's convolutions and matrix products on nin-kernels.wasm (FMA, see
 * nin-kernels.ts) instead of XNNPACK, where that module loads: Conv2D and FusedConv2D (bias
 * and ReLU applied after the product), the filter gradient, unbatched BatchMatMul in any
 * transposition, and _FusedMatMul (a Linear layer's product with its bias and ReLU). The input gradient needs no kernel of its own: fast-kernels.ts composes it
 * from Conv2D. Every other case (other dtypes or layouts, batched products, other fused
 * activations) returns undefined and stays with the original kernel.
 */
import * as tf from '@tensorflow/tfjs-core';
import { activeNinKernels, convGeometry, loadNinKernels } from './nin-kernels';
import { nhwcConvInfo, overrideKernel, unbatchedLead, type HeapBackend, type Info } from './runner';

/** The conv geometry of NHWC float32 operands, or undefined for any other layout. */
function forwardInfo(x: Info, filter: Info, attrs: tf.Conv2DAttrs): tf.backend_util.Conv2DInfo | undefined {
  if (x.dtype !== 'float32' || filter.dtype !== 'float32' || x.shape.length !== 4) return undefined;
  if (attrs.dataFormat !== undefined && attrs.dataFormat !== 'NHWC') return undefined;
  return nhwcConvInfo(x.shape, filter.shape, attrs);
}

/** conv2d(x, filter) on the kernel, as a new wasm tensor. */
function convInfo(
  backend: tf.KernelBackend,
  x: Info,
  filter: Info,
  info: tf.backend_util.Conv2DInfo,
): Info | undefined {
  const own = activeNinKernels();
  if (!own) return undefined;
  const be = backend as unknown as HeapBackend;
  const out = be.makeOutput([...info.outShape], 'float32');
  // Views after makeOutput: an allocation may grow (and so detach) the wasm heap.
  own.conv2d(be.typedArrayFromHeap(x), be.typedArrayFromHeap(filter), convGeometry(info), be.typedArrayFromHeap(out));
  return out;
}

/** out += bias per channel (last axis), then ReLU when asked. */
function biasActivation(out: Float32Array, bias: Float32Array | undefined, relu: boolean): void {
  const c = bias?.length ?? 1;
  for (let i = 0; i < out.length; i += c) {
    for (let j = 0; j < c; j++) {
      const v = bias ? out[i + j] + bias[j] : out[i + j];
      out[i + j] = relu && v < 0 ? 0 : v;
    }
  }
}

function installConv2D(backendName: string): void {
  overrideKernel('Conv2D', backendName, ({ inputs, backend, attrs }) => {
    const info = forwardInfo(inputs.x, inputs.filter, attrs as unknown as tf.Conv2DAttrs);
    return info && convInfo(backend, inputs.x, inputs.filter, info);
  });
}

function installFusedConv2D(backendName: string): void {
  overrideKernel('FusedConv2D', backendName, ({ inputs, backend, attrs }) => {
    const { x, filter, bias, preluActivationWeights } = inputs;
    const a = attrs as unknown as tf.FusedConv2DAttrs;
    if ((a.activation !== 'linear' && a.activation !== 'relu') || preluActivationWeights) return undefined;
    const info = forwardInfo(x, filter, a);
    if (!info) return undefined;
    const perChannel = (t: Info): boolean =>
      t.dtype === 'float32' && tf.util.sizeFromShape(t.shape) === info.outChannels;
    if (bias && !perChannel(bias)) return undefined;
    const out = convInfo(backend, x, filter, info);
    if (!out) return undefined;
    const be = backend as unknown as HeapBackend;
    biasActivation(be.typedArrayFromHeap(out), bias && be.typedArrayFromHeap(bias), a.activation === 'relu');
    return out;
  });
}

/** The filter gradient on the kernel, or undefined when it does not load or the layout differs. */
export function gemmFilterGradient(
  backend: tf.KernelBackend,
  x: Info,
  dy: Info,
  info: tf.backend_util.Conv2DInfo,
): Info | undefined {
  const own = activeNinKernels();
  if (!own || x.dtype !== 'float32' || dy.dtype !== 'float32') return undefined;
  const be = backend as unknown as HeapBackend;
  const out = be.makeOutput([info.filterHeight, info.filterWidth, info.inChannels, info.outChannels], 'float32');
  own.filterGrad(be.typedArrayFromHeap(x), be.typedArrayFromHeap(dy), convGeometry(info), be.typedArrayFromHeap(out));
  return out;
}

/** An unbatched float32 product on the kernel; undefined for batched or other dtypes. */
export function gemmMatMul(
  backend: tf.KernelBackend,
  a: Info,
  b: Info,
  transA: boolean,
  transB: boolean,
): Info | undefined {
  const own = activeNinKernels();
  if (!own || a.dtype !== 'float32' || b.dtype !== 'float32') return undefined;
  const lead = unbatchedLead(a, b);
  if (!lead) return undefined;
  const [ar, ac] = a.shape.slice(-2);
  const [br, bc] = b.shape.slice(-2);
  const [m, k] = transA ? [ac, ar] : [ar, ac];
  const n = transB ? br : bc;
  if ((transB ? bc : br) !== k) return undefined;
  const be = backend as unknown as HeapBackend;
  const out = be.makeOutput([...lead, m, n], 'float32');
  own.matMul(be.typedArrayFromHeap(a), be.typedArrayFromHeap(b), m, n, k, transA, transB, be.typedArrayFromHeap(out));
  return out;
}

/** A Linear layer's forward (tfjs-layers' dense: product, bias, activation) on the kernel. */
function installFusedMatMul(backendName: string): void {
  overrideKernel('_FusedMatMul', backendName, ({ inputs, backend, attrs }) => {
    const { a, b, bias, preluActivationWeights } = inputs;
    const { transposeA, transposeB, activation } = attrs as unknown as tf._FusedMatMulAttrs;
    if ((activation !== 'linear' && activation !== 'relu') || preluActivationWeights) return undefined;
    const n = b.shape[transposeB ? b.shape.length - 2 : b.shape.length - 1];
    if (bias && (bias.dtype !== 'float32' || tf.util.sizeFromShape(bias.shape) !== n)) return undefined;
    const out = gemmMatMul(backend, a, b, transposeA, transposeB);
    if (!out) return undefined;
    const be = backend as unknown as HeapBackend;
    biasActivation(be.typedArrayFromHeap(out), bias && be.typedArrayFromHeap(bias), activation === 'relu');
    return out;
  });
}

/**
 * Install the forward convolutions and fused products on the kernel where it loads (idempotent;
 * the gradient and matMul paths are called from their own overrides; the backend line says why
 * when it does not).
 */
export function installGemmKernels(backendName = 'wasm'): void {
  if (!loadNinKernels().kernel) return;
  installConv2D(backendName);
  installFusedConv2D(backendName);
  installFusedMatMul(backendName);
}
